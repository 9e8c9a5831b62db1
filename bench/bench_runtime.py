"""Runtime overhead: InpaintClient against raw aiohttp, side by side, against the same mock.

Both sides run the same ModelsLab job (sync mode, instant answer) against one in-process mock
server, alternating rounds so machine noise hits both alike.  The baseline posts a prebuilt wire
body and downloads the output URLs with plain aiohttp: the least work any client could do.  The
candidate is the full inpaintkit path: validation, planning, image checks, mask normalisation,
wire building, auth, response parsing, download and result assembly.

Run: .venv/bin/python bench/bench_runtime.py
"""

from __future__ import annotations

import asyncio
import base64
import statistics
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit import InpaintClient, InpaintJob
from inpaintkit.checking import check_request
from inpaintkit.credentials import Secret, apply_auth
from inpaintkit.mockserver import MockConfig, MockServer
from inpaintkit.planning import plan_job
from inpaintkit.plugins import ProviderRegistry
from inpaintkit.prepare import prepare_inputs
from inpaintkit.provider import PreparedRequest

ROUNDS = 5
JOBS_PER_ROUND = 8
KEY = "bench-key"


def make_job(size: int = 512) -> InpaintJob:
    image = png_bytes(gradient_image(size, size))
    mask = png_bytes(rect_mask(size, size, (size // 4, size // 4, size // 2, size // 2)))
    return InpaintJob(image=image, mask=mask, prompt="a bench", model="pony_realism", seed=1)


async def wire_body(job: InpaintJob, registry: ProviderRegistry) -> tuple[str, dict[str, object]]:
    adapter = registry["modelslab"]
    plan = plan_job(job, adapter.spec)

    async def read(image: object, path: str) -> bytes:
        data = getattr(image, "data", None)
        assert isinstance(data, bytes)
        return data

    inputs = await prepare_inputs(job, plan, adapter.spec, read=read, host=None)
    request = adapter.build_submit(
        check_request(
            PreparedRequest(job=plan.job, image=inputs.image, mask=inputs.mask), adapter.spec
        )
    )
    body = apply_auth(request, adapter.spec, Secret(KEY)).json
    assert isinstance(body, dict)
    return request.path, body


async def baseline_round(url: str, path: str, body: dict[str, object]) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(JOBS_PER_ROUND):
            async with session.post(url + path, json=body) as response:
                answer = await response.json()
            for item in answer["output"]:
                if item.startswith("http"):
                    async with session.get(item) as image:
                        await image.read()
                else:  # ModelsLab answers inline base64 when the images went inline
                    base64.b64decode(item.split(",", 1)[-1])


async def candidate_round(url: str, job: InpaintJob, registry: ProviderRegistry) -> None:
    async with InpaintClient(api_keys={"modelslab": KEY}, base_url=url, registry=registry) as c:
        for _ in range(JOBS_PER_ROUND):
            await c.inpaint(job, "modelslab")


def main() -> None:
    registry = ProviderRegistry.default()
    job = make_job()
    with MockServer(MockConfig(seed=1, modelslab_max_queued=None)) as mock:
        path, body = asyncio.run(wire_body(job, registry))
        base_times: list[float] = []
        cand_times: list[float] = []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            asyncio.run(baseline_round(mock.url, path, body))
            base_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            asyncio.run(candidate_round(mock.url, job, registry))
            cand_times.append(time.perf_counter() - started)
    base = statistics.median(base_times) / JOBS_PER_ROUND
    cand = statistics.median(cand_times) / JOBS_PER_ROUND
    print(f"per job, 512x512, ModelsLab sync, {ROUNDS} rounds x {JOBS_PER_ROUND} jobs (median):")
    print(f"  raw aiohttp baseline : {base * 1000:7.1f} ms")
    print(f"  InpaintClient        : {cand * 1000:7.1f} ms")
    print(f"  ratio                : {cand / base:7.2f}x")


if __name__ == "__main__":
    main()
