"""The child process of tests/test_resume_kill.py, and the jobs it shares with that test.

``python resume_child.py submit <provider> <base_url> <folder> <poll|download>`` submits the
provider's job (its prompt names the case, so that the mock's journal tells cases apart),
writes the stored handle to ``<folder>/job.json`` (atomically), prints ``stored``, then waits;
when it reaches the given phase (a poll answer received, or a result download answered) it
prints ``at poll`` / ``at download`` and hangs there, for the test to SIGKILL it.

``python resume_child.py resume <base_url> <folder>`` finishes ``<folder>/job.json`` in a fresh
process, writes the first image to ``<folder>/result.bin`` and prints ``resumed``.

Waits run on a VirtualClock, so nothing here sleeps for real.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import aiohttp
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit import (
    InpaintClient,
    InpaintJob,
    MaskOptions,
    OutputFormat,
    VirtualClock,
)
from inpaintkit.provider import HttpResponse
from inpaintkit.transport import AiohttpTransport, OutgoingRequest

KEY = "resume-test-key-5bd1c0e2a9"
KEYS = {"novita": KEY, "modelslab": KEY, "stablediffusionapi": KEY}
IMAGE = png_bytes(gradient_image(64, 64))
MASK = png_bytes(rect_mask(64, 64, (20, 12, 44, 30)))
INCLUDE_INPUTS = {"novita": False, "modelslab": True}
"""Novita's job names its images by path (they stay references); ModelsLab's are inline bytes,
stored in the handle (its masked-only paste-back needs them)."""


def make_job(provider: str, folder: Path, phase: str) -> InpaintJob:
    """The job of each provider: Novita resized on the client; ModelsLab masked-only (crop and
    paste-back) with a JPEG conversion, so that resuming has all of the recipe to redo."""
    if provider == "novita":
        image, mask = folder / "image.png", folder / "mask.png"
        image.write_bytes(IMAGE)
        mask.write_bytes(MASK)
        return InpaintJob(
            image=image,
            mask=mask,
            prompt=prompt_of(provider, phase),
            model="sd_xl_base_1.0.safetensors",
            seed=1234,
            width=96,
            height=96,
        )
    return InpaintJob(
        image=IMAGE,
        mask=MASK,
        prompt=prompt_of(provider, phase),
        model="pony_realism",
        seed=99,
        width=512,
        height=512,
        mask_options=MaskOptions(masked_only=True, padding=8),
        output_format=OutputFormat.JPEG,
    )


def prompt_of(provider: str, phase: str) -> str:
    """The prompt of one case: unique, so that each case's requests can be found in the mock's
    journal when the cases run side by side."""
    return f"a red bench (case {provider}-{phase})"


class StopAt:
    """A transport that hangs, after receiving it, at the first answer of one phase."""

    def __init__(self, inner: AiohttpTransport, phase: str) -> None:
        self.inner = inner
        self.phase = phase

    async def send(self, request: OutgoingRequest, *, timeout: float) -> HttpResponse:
        response = await self.inner.send(request, timeout=timeout)
        is_poll = "/fetch/" in request.url or "/task-result" in request.url
        is_download = request.method == "GET" and not is_poll
        phase = "download" if is_download else "poll" if is_poll else None
        if phase == self.phase:
            print(f"at {phase}", flush=True)
            await asyncio.Event().wait()  # killed here
        return response


async def submit(provider: str, base_url: str, folder: Path, phase: str) -> None:
    async with aiohttp.ClientSession() as session:
        transport = StopAt(AiohttpTransport(session), phase)
        client = InpaintClient(
            api_keys=KEYS,
            base_url=base_url,
            clock=VirtualClock(),
            transport=transport,
            retry_jitter=0.0,
        )
        async with client:
            handle = await client.submit(make_job(provider, folder, phase), provider)
            text = handle.to_json_text(include_inputs=INCLUDE_INPUTS[provider])
            partial = folder / "job.json.partial"
            partial.write_text(text, encoding="utf-8")
            os.replace(partial, folder / "job.json")
            print("stored", flush=True)
            await client.wait(handle)
    print("finished without being killed", flush=True)


async def resume(base_url: str, folder: Path) -> None:
    async with InpaintClient(
        api_keys=KEYS, base_url=base_url, clock=VirtualClock(), retry_jitter=0.0
    ) as client:
        result = await client.resume((folder / "job.json").read_text(encoding="utf-8"))
    (folder / "result.bin").write_bytes(result.images[0].data)
    print("resumed", flush=True)


def main(argv: list[str]) -> None:
    if argv[0] == "submit":
        asyncio.run(submit(argv[1], argv[2], Path(argv[3]), argv[4]))
    elif argv[0] == "resume":
        asyncio.run(resume(argv[1], Path(argv[2])))
    else:
        raise SystemExit(f"unknown command {argv[0]!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
