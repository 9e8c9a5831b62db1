"""One job on several providers at once: the engine of ``inpaintkit compare`` and the demo.

Each provider's run is the same path as ``inpaintkit run``: the dry run first (so a provider
that cannot take the job fails with the message ``validate`` gives), then submit, wait and
download.  The runs go concurrently over one client; a failing provider becomes a
:class:`ProviderRun` holding its typed error, never an exception that stops the others.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
from PIL import Image

from .client import InpaintClient
from .contact_sheet import SheetEntry
from .errors import InpaintError
from .job import InpaintJob
from .progress import Progress
from .report import error_json, result_json
from .result import InpaintResult

__all__ = [
    "ProviderRun",
    "job_pictures",
    "run_everywhere",
    "run_one",
    "save_outputs",
    "sheet_entry",
    "summary_row",
]


@attrs.frozen(eq=False)
class ProviderRun:
    """How one provider did: a result or a typed error, and the seconds it took."""

    provider: str
    result: InpaintResult | None = None
    error: InpaintError | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when the provider returned images."""
        return self.result is not None


async def run_one(
    client: InpaintClient,
    provider: str,
    job: InpaintJob,
    *,
    progress: Progress | None = None,
    precheck: bool = True,
) -> ProviderRun:
    """Dry run (unless ``precheck`` is off: the caller did it), submit, wait, download."""
    step = progress.step if progress is not None else (lambda _s, _m: None)
    started = client.clock.time()
    try:
        if precheck:
            (await client.check(job, provider)).raise_for_errors()
            step(provider, "checked, submitting")
        handle = await client.submit(job, provider)
        tasks = len(handle.tasks)
        step(provider, f"submitted {tasks} request{'s' if tasks != 1 else ''}, waiting")
        result = await client.wait(handle)
    except InpaintError as exc:
        step(provider, f"failed: {type(exc).__name__}")
        return ProviderRun(provider, error=exc, seconds=client.clock.time() - started)
    count = len(result.images)
    step(provider, f"downloaded {count} image{'s' if count != 1 else ''}")
    return ProviderRun(provider, result=result, seconds=client.clock.time() - started)


async def run_everywhere(
    client: InpaintClient,
    jobs: Mapping[str, InpaintJob],
    *,
    progress: Progress | None = None,
    precheck: bool = True,
) -> list[ProviderRun]:
    """Run ``jobs[provider]`` on each provider concurrently; one :class:`ProviderRun` each,
    in the order of ``jobs``."""
    runs = await asyncio.gather(
        *(
            run_one(client, pid, job, progress=progress, precheck=precheck)
            for pid, job in jobs.items()
        )
    )
    return list(runs)


def save_outputs(run: ProviderRun, folder: Path, *, prefix: str = "") -> list[Path]:
    """Write a run's images as ``folder/<prefix><i>.<format>``; the paths written."""
    if run.result is None:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, image in enumerate(run.result.images):
        path = folder / f"{prefix}{i}.{image.format}"
        image.save(path)
        paths.append(path)
    return paths


def summary_row(run: ProviderRun, files: Sequence[Path] = ()) -> dict[str, Any]:
    """The JSON summary line of a run (``summary.json`` of compare and the demo)."""
    if run.result is not None:
        return result_json(run.result, [str(f) for f in files])
    assert run.error is not None
    return {
        "provider": run.provider,
        "ok": False,
        "error": run.error.describe("cli"),
        "error_detail": error_json(run.error),
        "seconds": round(run.seconds, 3),
    }


def sheet_entry(run: ProviderRun) -> SheetEntry:
    """The contact-sheet row of a run: its images and labels, or its error."""
    if run.result is None:
        assert run.error is not None
        return SheetEntry(run.provider, error=run.error.describe("cli"), seconds=run.seconds)
    pictures = []
    for image in run.result.images:
        with Image.open(io.BytesIO(image.data)) as opened:
            pictures.append(opened.convert("RGB"))
    return SheetEntry(
        run.provider,
        images=tuple(pictures),
        seed=run.result.seed,
        seconds=run.result.timings.total,
        emulated=run.result.emulated,
        dropped=run.result.dropped,
    )


def job_pictures(job: InpaintJob | None) -> tuple[Image.Image, Image.Image]:
    """A job's image and mask for the contact sheet; grey stand-ins for one that is remote,
    unreadable or over the default limits (it is never decoded then)."""
    import asyncio as _asyncio

    from . import images
    from .dryrun import read_local_image

    pictures = []
    for name in ("image", "mask"):
        picture = Image.new("RGB", (64, 64), (200, 200, 200))
        if job is not None:
            try:
                data = _asyncio.run(read_local_image(getattr(job, name), f"$.{name}"))
                if data is not None:
                    picture = images.load_image(data).to_pil().convert("RGB")
            except InpaintError:
                pass
        pictures.append(picture)
    return pictures[0], pictures[1]
