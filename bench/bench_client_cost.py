"""What the client costs: CPU per job against raw aiohttp making the same calls, side by side.

The mock runs in a *separate process* (``python -m inpaintkit.mockserver``), so
:func:`time.process_time` of this process counts only the client side: the candidate
(:class:`InpaintClient`: validation, planning, image checks, mask normalisation, wire building,
auth, parsing, waiting, download, result checks) and the baseline (plain aiohttp: base64-encode
the image and mask into the same wire body, submit, poll, download) alternate rounds so machine
noise hits both alike.  Tasks finish on their first poll and nobody waits for real (a clock
whose sleeps are zero), so the CPU, not the mock's timings, is what differs.

Also measured: ``import inpaintkit`` against ``import aiohttp`` in fresh interpreters, and
whether importing inpaintkit loads the mock server.

Run: .venv/bin/python bench/bench_client_cost.py [--rounds N] [--jobs N] [--content C]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import copy
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from imagegen import gradient_image, photo_like_image, png_bytes, rect_mask
from inpaintkit import InpaintClient, InpaintJob
from inpaintkit.checking import check_request
from inpaintkit.credentials import Secret, apply_auth
from inpaintkit.planning import plan_job
from inpaintkit.plugins import ProviderRegistry
from inpaintkit.prepare import prepare_inputs
from inpaintkit.provider import PreparedRequest

KEY = "bench-key"
SIZES = {"novita": (512, 2048), "modelslab": (512, 1024, 2048)}
"""Input sizes.  ModelsLab makes at most 1024x1024: its 2048 input asks for a 1024x1024 output
(``NATIVE_OUTPUT``), which ModelsLab makes from the image as sent, as a raw client would ask;
left unset, the client would fit the size by resizing the input itself (an emulation that
needs the pixels, which raw aiohttp does not do)."""
NATIVE_OUTPUT = {"modelslab": 1024}
MODELS = {"novita": "sd_xl_base_1.0.safetensors", "modelslab": "pony_realism"}


class NoWaitClock:
    """Real time, but sleeps only yield: the bench measures CPU, not the poll schedule."""

    def time(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)


@contextmanager
def mock_process() -> Iterator[str]:
    config = Path(tempfile.mkdtemp()) / "mock.json"
    limits = {"novita_images_per_minute": None, "modelslab_max_queued": None}
    config.write_text(json.dumps(limits))
    command = [
        sys.executable,
        "-m",
        "inpaintkit.mockserver",
        "--seed",
        "1",
        "--finish-after-polls",
        "1",
        "--sync-mode",
        "instant",
        "--timings",
        "fast",
        "--config",
        str(config),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError(f"the mock did not start: {url!r}")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


CONTENTS = ("gradient", "photo")
"""``gradient``: the smooth test gradient, whose PNG is tiny (8 KB at 512): the worst case for
the client's fixed cost per job.  ``photo``: the gradient with grain, whose PNG is as large as a
photo's (600 KB at 512), as users' files are."""


def make_job(provider: str, size: int, content: str = "gradient") -> InpaintJob:
    picture = photo_like_image(size, size) if content == "photo" else gradient_image(size, size)
    image = png_bytes(picture)
    mask = png_bytes(rect_mask(size, size, (size // 4, size // 4, size // 2, size // 2)))
    # ModelsLab uploads local images to its base64_to_url host by default; inline base64 keeps
    # the job to submit + result, the same calls the baseline makes.
    extras = {"modelslab": {"base64": True}} if provider == "modelslab" else {}
    largest = NATIVE_OUTPUT.get(provider)
    side = largest if largest is not None and size > largest else None
    return InpaintJob(
        image=image,
        mask=mask,
        prompt="a bench",
        model=MODELS[provider],
        seed=1,
        extras=extras,
        width=side,
        height=side,
    )


async def wire_template(
    job: InpaintJob, provider: str, registry: ProviderRegistry
) -> tuple[str, dict[str, Any], list[tuple[Any, ...]]]:
    """The submit path and body the client would send, and where the two images go in it."""
    adapter = registry[provider]
    plan = plan_job(job, adapter.spec)

    async def read(image: Any, path: str) -> bytes:
        data = image.data
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
    assert inputs.image.data is not None
    assert inputs.mask.data is not None
    marks = {
        base64.b64encode(inputs.image.data).decode(): "image",
        base64.b64encode(inputs.mask.data).decode(): "mask",
    }
    slots: list[tuple[Any, ...]] = []

    def find(node: Any, trail: tuple[Any, ...]) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                find(v, (*trail, k))
        elif isinstance(node, str):
            for mark, which in marks.items():
                if node.endswith(mark):
                    slots.append((*trail, which, node[: len(node) - len(mark)]))

    find(body, ())
    assert len(slots) == 2, slots
    return request.path, body, slots


def fill(template: dict[str, Any], slots: list[tuple[Any, ...]], job: InpaintJob) -> Any:
    """The baseline's own wire body: the template with freshly base64-encoded images."""
    body = copy.copy(template)
    for *trail, which, prefix in slots:
        data = job.image.data if which == "image" else job.mask.data
        assert data is not None
        node = body
        for key in trail[:-1]:
            node[key] = dict(node[key])
            node = node[key]
        node[trail[-1]] = prefix + base64.b64encode(data).decode()
    return body


async def baseline_job(
    session: aiohttp.ClientSession,
    url: str,
    provider: str,
    path: str,
    body: Any,
) -> int:
    """Submit, poll until done, download: the least any client must do. Returns image count."""
    headers = {"Authorization": f"Bearer {KEY}"} if provider == "novita" else {}
    async with session.post(url + path, json=body, headers=headers) as response:
        answer = await response.json()
    if provider == "novita":
        task_id = answer["task_id"]
        while True:
            await asyncio.sleep(0)
            async with session.get(
                url + "/v3/async/task-result",
                params={"task_id": task_id},
                headers={"Authorization": f"Bearer {KEY}"},
            ) as response:
                answer = await response.json()
            if answer["task"]["status"] == "TASK_STATUS_SUCCEED":
                break
        links = [i["image_url"] for i in answer["images"]]
    else:
        assert answer["status"] == "success", answer
        links = list(answer["output"])
    count = 0
    for link in links:
        if link.startswith("http"):
            async with session.get(link) as image:
                await image.read()
        else:
            base64.b64decode(link.split(",", 1)[-1])
        count += 1
    return count


def cpu(rounds: Any) -> tuple[float, float]:
    """(CPU seconds of this process, wall seconds) of running ``rounds``."""
    started, wall = time.process_time(), time.perf_counter()
    asyncio.run(rounds)
    return time.process_time() - started, time.perf_counter() - wall


def measure(
    url: str, provider: str, size: int, rounds: int, jobs: int, content: str = "gradient"
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Median (CPU, wall) seconds per job: (baseline, candidate)."""
    registry = ProviderRegistry.default()
    job = make_job(provider, size, content)
    path, template, slots = asyncio.run(wire_template(job, provider, registry))

    async def baseline() -> None:
        async with aiohttp.ClientSession() as session:
            for _ in range(jobs):
                await baseline_job(session, url, provider, path, fill(template, slots, job))

    async def candidate() -> None:
        # No client-side rate limit, as the mock runs without its own and the baseline has
        # none: a limit is a wait, not CPU (with sleeps that only yield it would add a turn of
        # the loop and a lock per submit, and go into debt).
        async with InpaintClient(
            api_keys={provider: KEY},
            base_url=url,
            registry=registry,
            clock=NoWaitClock(),
            rate_limits={provider: None},
        ) as client:
            for _ in range(jobs):
                await client.inpaint(job, provider)

    cpu(candidate())  # warm-up: imports, plugin loading, first connections
    cpu(baseline())
    base: list[tuple[float, float]] = []
    cand: list[tuple[float, float]] = []
    for _ in range(rounds):
        base.append(cpu(baseline()))
        cand.append(cpu(candidate()))

    def median(rows: list[tuple[float, float]]) -> tuple[float, float]:
        return (
            statistics.median(r[0] for r in rows) / jobs,
            statistics.median(r[1] for r in rows) / jobs,
        )

    return median(base), median(cand)


def import_cpu(code: str, repeats: int = 7) -> tuple[float, float]:
    """Median (CPU seconds (user + system), wall seconds) of a fresh interpreter running
    ``code``; CPU is steadier than wall time on a shared machine.  Both include the
    interpreter's own start."""
    times = []
    walls = []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times), statistics.median(walls)


def loads_mock() -> bool:
    code = (
        "import sys, inpaintkit; from inpaintkit.plugins import ProviderRegistry; "
        "ProviderRegistry.default(); print('inpaintkit.mockserver' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip() == "True"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=10)
    parser.add_argument("--content", choices=(*CONTENTS, "both"), default="both")
    args = parser.parse_args()
    contents = CONTENTS if args.content == "both" else (args.content,)
    print("per job in this process (the mock runs in another), median of rounds:")
    print(
        f"{'provider':<10} {'size':>5} {'content':>8} {'aiohttp CPU':>12} {'inpaintkit CPU':>15}"
        f" {'ratio':>6} {'aiohttp wall':>13} {'inpaintkit wall':>16} {'ratio':>6}"
    )
    with mock_process() as url:
        for content in contents:
            for provider, sizes in SIZES.items():
                for size in sizes:
                    base, cand = measure(url, provider, size, args.rounds, args.jobs, content)
                    print(
                        f"{provider:<10} {size:>5} {content:>8} {base[0] * 1000:>9.1f} ms"
                        f" {cand[0] * 1000:>12.1f} ms {cand[0] / base[0]:>5.2f}x"
                        f" {base[1] * 1000:>10.1f} ms {cand[1] * 1000:>13.1f} ms"
                        f" {cand[1] / base[1]:>5.2f}x",
                        flush=True,
                    )
    registry = "import inpaintkit; from inpaintkit.plugins import ProviderRegistry; "
    registry += "ProviderRegistry.default()"
    print("a fresh interpreter (median of 7), CPU and wall:")
    rows = [
        ("python -c pass", "pass"),
        ("import aiohttp", "import aiohttp"),
        ("import inpaintkit", "import inpaintkit"),
        ("+ ProviderRegistry.default()", registry),
    ]
    measured = {name: import_cpu(code) for name, code in rows}
    for name, (cpu_s, wall_s) in measured.items():
        print(f"  {name:<30}: {cpu_s * 1000:5.0f} ms CPU {wall_s * 1000:5.0f} ms wall")
    aio, ink = measured["import aiohttp"], measured["import inpaintkit"]
    print(
        f"  import inpaintkit / import aiohttp: {ink[0] / aio[0]:.2f}x CPU "
        f"{ink[1] / aio[1]:.2f}x wall"
    )
    print(f"  the registry loads the mock server: {loads_mock()}")


if __name__ == "__main__":
    main()
