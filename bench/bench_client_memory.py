"""What the client holds in memory, and how soon a batch yields its first result, side by side
against a minimal client doing the same calls.

Every measurement runs in a *fresh interpreter* (so one does not inherit another's heap) with the
network replaced by a transport that answers Novita's calls at once (as
:class:`~inpaintkit.transport.MemoryTransport` does, without keeping the requests): what is
measured is this process's client, not a server.  Three figures:

* **A 16-megapixel job**: tracemalloc peak (bytes allocated during the job, the caller's input
  bytes excluded) and the growth of ``ru_maxrss``, over the input file's size.  The goal is at
  most 2.5x when no emulation needs the pixels.  The baseline base64-encodes the image and mask
  into the same JSON body with ``json.dumps(...).encode()``, submits, polls and downloads.
* **1,000 and 5,000 concurrent jobs** (``concurrency=4``): tracemalloc peak during the batch.
  Bounded by the concurrency means the peak grows only by a small per-job bookkeeping cost
  (a task and its coroutine), not by a body per job.  Printed per extra job waiting.
* **Time to first result in a batch of 1,000**: wall and CPU seconds until the first job
  returns, and for the whole batch, after one warm-up job on each side (so that imports are
  not counted as waiting).  The baseline holds one slot per job from submit to download (the
  least waiting any client can achieve for its first result).

Run: .venv/bin/python bench/bench_client_memory.py [--quick] [--only-big]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

KEY = "bench-key"
RESULT_URL = "http://results.invalid/out.png"
SUBMIT_PATH = "/v3/async/inpainting"
POLL_PATH = "/v3/async/task-result"
TIMEOUT = 600.0
"""No measurement may run longer than this (seconds): the batch is bounded in count and time."""


# --- the fake Novita, in memory ------------------------------------------------------------


def novita_handler(result: bytes) -> Any:
    """Submit answers a task id, the first poll succeeds with one image URL, the URL answers
    ``result``: the client's whole path with no server in the process."""
    from inpaintkit.provider import HttpResponse

    counter = 0
    done = json.dumps(
        {
            "task": {"task_id": "t", "status": "TASK_STATUS_SUCCEED"},
            "images": [{"image_url": RESULT_URL, "image_url_ttl": 3600, "image_type": "png"}],
            "extra": {"seed": "1"},
        }
    ).encode()
    headers = {"content-type": "application/json"}

    async def handle(request: Any) -> Any:
        nonlocal counter
        await asyncio.sleep(0)  # a real transport yields; so does this one
        if request.url.endswith(SUBMIT_PATH):
            counter += 1
            return HttpResponse(200, b'{"task_id": "t%d"}' % counter, headers)
        if POLL_PATH in request.url:
            return HttpResponse(200, done, headers)
        return HttpResponse(200, result, {"content-type": "image/png"})

    return handle


class Answering:
    """A transport answering from ``handler`` that, unlike ``MemoryTransport``, keeps no
    record of the requests (a record would grow with the number of jobs on both sides).  It
    produces every byte of each body, a chunk at a time, as ``AiohttpTransport`` writes it to
    its socket (a body never produced would cost nothing)."""

    def __init__(self, handler: Any) -> None:
        self._handler = handler

    async def send(self, request: Any, *, timeout: float) -> Any:
        body = getattr(request, "body", None)  # (none before bodies were streamed)
        if body is not None:
            for _chunk in body.chunks():  # every byte goes out, as to a socket
                await asyncio.sleep(0)
        return await self._handler(request)


class NoWaitClock:
    """Real time, but sleeps only yield: nothing waits for a poll schedule."""

    def time(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)


def make_client(result: bytes, concurrency: int = 4) -> Any:
    from inpaintkit import InpaintClient
    from inpaintkit.plugins import ProviderRegistry

    return InpaintClient(
        api_keys={"novita": KEY},
        registry=ProviderRegistry.default(),
        transport=Answering(novita_handler(result)),
        clock=NoWaitClock(),
        concurrency=concurrency,
        rate_limits={"novita": None},  # a limit is a wait, not memory; the baseline has none
    )


def make_job(image: bytes, mask: bytes) -> Any:
    from inpaintkit import InpaintJob

    return InpaintJob(
        image=image, mask=mask, prompt="a bench", model="sd_xl_base_1.0.safetensors", seed=1
    )


class Baseline:
    """The least a client must do: base64 into one JSON body, submit, poll, download."""

    def __init__(self, result: bytes, concurrency: int = 4) -> None:
        self.transport = Answering(novita_handler(result))
        self.slots = asyncio.Semaphore(concurrency)

    async def run(self, image: bytes, mask: bytes) -> bytes:
        from inpaintkit.transport import OutgoingRequest

        headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
        base = "https://api.novita.ai"
        async with self.slots:
            body = {
                "extra": {"response_image_type": "png"},
                "request": {
                    "model_name": "sd_xl_base_1.0.safetensors",
                    "prompt": "a bench",
                    "seed": 1,
                    "image_num": 1,
                    "image_base64": base64.b64encode(image).decode(),
                    "mask_image_base64": base64.b64encode(mask).decode(),
                },
            }
            content = json.dumps(body).encode()
            del body
            answer = await self.transport.send(
                OutgoingRequest("POST", base + SUBMIT_PATH, headers, content), timeout=60
            )
            del content
            task_id = json.loads(answer.body)["task_id"]
            while True:
                await asyncio.sleep(0)
                answer = await self.transport.send(
                    OutgoingRequest("GET", f"{base}{POLL_PATH}?task_id={task_id}", headers),
                    timeout=60,
                )
                state = json.loads(answer.body)
                if state["task"]["status"] == "TASK_STATUS_SUCCEED":
                    break
            link = state["images"][0]["image_url"]
            answer = await self.transport.send(OutgoingRequest("GET", link, {}), timeout=60)
            return answer.body


# --- child measurements (one per fresh interpreter) -----------------------------------------


def _maxrss() -> int:
    """Peak resident bytes of this process.  ``VmHWM`` where Linux has it: ``ru_maxrss`` keeps
    the peak of the process before ``exec`` (the parent's copy after ``fork``)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def child_big(side: str, image_path: str, mask_path: str, traced: bool) -> dict[str, Any]:
    image = Path(image_path).read_bytes()
    mask = Path(mask_path).read_bytes()

    def run(image: bytes, mask: bytes) -> None:
        async def client_side() -> None:
            async with make_client(image) as client:
                result = await client.inpaint(make_job(image, mask), "novita")
            assert result.images[0].data is image or len(result.images[0].data) == len(image)

        async def baseline_side() -> None:
            assert len(await Baseline(image).run(image, mask)) == len(image)

        asyncio.run(client_side() if side == "client" else baseline_side())

    # One warm-up on a tiny job so that imports and first-use caches are not counted.
    from imagegen import gradient_image, png_bytes, rect_mask

    run(png_bytes(gradient_image(64, 64)), png_bytes(rect_mask(64, 64, (16, 16, 32, 32))))
    if not traced:
        rss_before = _maxrss()
        started = time.process_time()
        run(image, mask)
        return {
            "rss_growth": _maxrss() - rss_before,
            "cpu": time.process_time() - started,
            "input": len(image),
        }
    tracemalloc.start()
    tracemalloc.reset_peak()
    before, _ = tracemalloc.get_traced_memory()
    run(image, mask)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"peak": peak - before, "input": len(image)}


def child_many(side: str, count: int, image_path: str, mask_path: str) -> dict[str, Any]:
    image = Path(image_path).read_bytes()
    mask = Path(mask_path).read_bytes()
    # Distinct jobs (the caller holds them all either way): each its own copy of the bytes.
    jobs = [(bytes(bytearray(image)), bytes(bytearray(mask))) for _ in range(count)]
    made = [make_job(i, m) for i, m in jobs] if side == "client" else []

    async def client_side() -> None:
        async with make_client(image) as client:
            await asyncio.wait_for(
                asyncio.gather(*(client.inpaint(j, "novita") for j in made)), TIMEOUT
            )

    async def baseline_side() -> None:
        baseline = Baseline(image)
        await asyncio.wait_for(asyncio.gather(*(baseline.run(i, m) for i, m in jobs)), TIMEOUT)

    tracemalloc.start()
    tracemalloc.reset_peak()
    before, _ = tracemalloc.get_traced_memory()
    started = time.perf_counter()
    asyncio.run(client_side() if side == "client" else baseline_side())
    wall = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"peak": peak - before, "wall": wall}


def child_first(side: str, count: int, image_path: str, mask_path: str) -> dict[str, Any]:
    image = Path(image_path).read_bytes()
    mask = Path(mask_path).read_bytes()
    job = make_job(image, mask)
    marks: dict[str, float] = {}

    async def timed(call: Any) -> None:
        await call
        if "first_wall" not in marks:
            marks["first_wall"] = time.perf_counter() - marks["wall"]
            marks["first_cpu"] = time.process_time() - marks["cpu"]

    async def client_side() -> None:
        async with make_client(image) as client:
            calls = [timed(client.inpaint(job, "novita")) for _ in range(count)]
            await asyncio.wait_for(asyncio.gather(*calls), TIMEOUT)

    async def baseline_side() -> None:
        baseline = Baseline(image)
        calls = [timed(baseline.run(image, mask)) for _ in range(count)]
        await asyncio.wait_for(asyncio.gather(*calls), TIMEOUT)

    async def warm_up() -> None:
        # One job first, so that imports and first-use caches (Pillow's plugins, the lazily
        # loaded modules) are not counted as waiting for the first result.
        if side == "client":
            async with make_client(image) as client:
                await client.inpaint(job, "novita")
        else:
            await Baseline(image).run(image, mask)

    asyncio.run(warm_up())
    marks["wall"] = time.perf_counter()
    marks["cpu"] = time.process_time()
    asyncio.run(client_side() if side == "client" else baseline_side())
    return {
        "first_wall": marks["first_wall"],
        "first_cpu": marks["first_cpu"],
        "total_wall": time.perf_counter() - marks["wall"],
        "total_cpu": time.process_time() - marks["cpu"],
    }


def child(args: list[str]) -> None:
    kind, side, *rest = args
    # Warm imports before anything is measured (both sides use the same modules).
    import inpaintkit.plugins  # noqa: F401
    from inpaintkit.plugins import ProviderRegistry

    ProviderRegistry.default()
    if kind == "big":
        out = child_big(side, rest[0], rest[1], rest[2] == "traced")
    elif kind == "many":
        out = child_many(side, int(rest[0]), rest[1], rest[2])
    else:
        out = child_first(side, int(rest[0]), rest[1], rest[2])
    print(json.dumps(out))


# --- the parent: inputs, fresh interpreters, the table ---------------------------------------


def run_child(*args: str) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", *args]
    out = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT + 60)
    if out.returncode != 0:
        raise RuntimeError(f"{args}: {out.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def write_inputs(folder: Path, size: int, noise: float) -> tuple[str, str]:
    from imagegen import gradient_image, rect_mask
    from PIL import Image

    picture = gradient_image(size, size)
    if noise:
        grain = Image.effect_noise((size, size), 40).convert("RGB")
        picture = Image.blend(picture, grain, noise)
    image_path = folder / f"image-{size}.png"
    mask_path = folder / f"mask-{size}.png"
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_level=1)
    image_path.write_bytes(buffer.getvalue())
    buffer = io.BytesIO()
    rect_mask(size, size, (size // 4, size // 4, size // 2, size // 2)).convert("L").save(
        buffer, format="PNG"
    )
    mask_path.write_bytes(buffer.getvalue())
    return str(image_path), str(mask_path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--child", nargs=argparse.REMAINDER)
    parser.add_argument("--quick", action="store_true", help="smaller batches (200 and 1,000)")
    parser.add_argument(
        "--only-big", action="store_true", help="only the 16 MP job (the quick loop while tuning)"
    )
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    with tempfile.TemporaryDirectory(prefix="inpaintkit-bench-") as name:
        measure(Path(name), quick=args.quick, only_big=args.only_big)


def measure(folder: Path, *, quick: bool, only_big: bool = False) -> None:
    big_image, big_mask = write_inputs(folder, 4000, 0.15)
    small_image, small_mask = write_inputs(folder, 64, 0.5)
    mb = Path(big_image).stat().st_size / 1e6
    print(f"16 MP job (4000x4000 PNG, {mb:.1f} MB; Novita; no emulation), fresh interpreter each:")
    print(
        f"  {'':<10} {'tracemalloc peak':>17} {'/ input':>8} {'maxrss growth':>14} {'/ input':>8}"
    )
    for side in ("baseline", "client"):
        traced = run_child("big", side, big_image, big_mask, "traced")
        rss = run_child("big", side, big_image, big_mask, "rss")
        peak, growth, size = traced["peak"], rss["rss_growth"], traced["input"]
        print(
            f"  {side:<10} {peak / 1e6:>14.1f} MB {peak / size:>7.2f}x"
            f" {growth / 1e6:>11.1f} MB {growth / size:>7.2f}x",
            flush=True,
        )
    if only_big:
        return
    counts = (200, 1000) if quick else (1000, 5000)
    print("concurrent jobs (64x64, concurrency 4), tracemalloc peak, fresh interpreter each:")
    peaks: dict[tuple[str, int], float] = {}
    for side in ("baseline", "client"):
        for count in counts:
            out = run_child("many", side, str(count), small_image, small_mask)
            peaks[side, count] = out["peak"]
            print(
                f"  {side:<10} {count:>5} jobs: peak {out['peak'] / 1e6:7.1f} MB "
                f"({out['wall']:.1f} s)",
                flush=True,
            )
        low, high = counts
        per_job = (peaks[side, high] - peaks[side, low]) / (high - low)
        print(f"  {side:<10} per extra job waiting: {per_job / 1e3:.1f} KB", flush=True)
    count = counts[1] if quick else 1000
    print(f"time to first result in a batch of {count} (64x64, concurrency 4):")
    rows = {
        side: run_child("first", side, str(count), small_image, small_mask)
        for side in ("baseline", "client")
    }
    for side, out in rows.items():
        first_wall, first_cpu = out["first_wall"] * 1000, out["first_cpu"] * 1000
        print(
            f"  {side:<10} first {first_wall:7.1f} ms wall {first_cpu:7.1f} ms CPU;"
            f" batch {out['total_wall']:.2f} s wall {out['total_cpu']:.2f} s CPU",
            flush=True,
        )
    base, cand = rows["baseline"], rows["client"]
    print(
        f"  ratio client/baseline: first {cand['first_wall'] / base['first_wall']:.2f}x wall, "
        f"{cand['first_cpu'] / base['first_cpu']:.2f}x CPU; "
        f"batch {cand['total_cpu'] / base['total_cpu']:.2f}x CPU"
    )


if __name__ == "__main__":
    main()
