"""Type-checked, never run: what users' type checkers must accept and refuse.

``.ci/typecheck`` runs mypy --strict on this file with ``warn_unused_ignores``: each
``# type: ignore[code]`` below marks an error mypy MUST report (an ignore it does not need is an
error itself), and every other line must pass.
"""

from __future__ import annotations

import inpaintkit
from inpaintkit import (
    InpaintClient,
    InpaintJob,
    InpaintResult,
    OutputFormat,
    Sampler,
    Secret,
    TaskHandle,
    TaskState,
    Transport,
    inpaint,
)


def required_fields() -> None:
    InpaintJob(image=b"png", mask=b"png")  # type: ignore[call-arg]
    InpaintJob(image=b"png", mask=b"png", prompt="a bench", steps="30")  # type: ignore[arg-type]
    InpaintJob(image=b"png", mask=b"png", prompt=None)  # type: ignore[arg-type]


def accepted_like_the_json_loader() -> InpaintJob:
    InpaintJob(image="photo.png", mask="mask.png", prompt="a bench", sampler="Euler a")
    InpaintJob(image=b"png", mask=b"png", prompt="a bench", output_format=OutputFormat.PNG)
    return InpaintJob(
        image=b"png", mask=b"png", prompt="a bench", output_format="webp", sampler=Sampler.EULER_A
    )


def convenience_function(job: InpaintJob, transport: Transport) -> InpaintResult:
    inpaint(job, "novita", api_key="k")  # type: ignore[call-arg]
    inpaint(job, "novita", concurrency="2")  # type: ignore[arg-type]
    return inpaint(
        job,
        "novita",
        api_keys={"novita": Secret("k")},
        base_url="http://127.0.0.1:8000",
        transport=transport,
        unsupported="warn",
    )


async def exported_types(client: InpaintClient, handle: TaskHandle) -> TaskState:
    state: TaskState = await client.status(handle)
    assert inpaintkit.__version__
    return state
