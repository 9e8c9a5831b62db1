"""Batch throughput and peak memory of ``client.map``, each against a baseline run side by side.

Two measurements, each run in a fresh subprocess per case (so peak RSS is that case's own):

* **throughput against the mock**: N ModelsLab jobs (64x64 image and mask files, 512x512
  output asked for, images inline as base64, sync answers, result downloaded from the mock)
  through ``client.map`` with ``concurrency`` places, against the same jobs awaited one after
  another (``sequential``).  The mock runs in this process, the client in the child: the
  child's CPU time is the client's alone.  ModelsLab's documented job limit (5 queued requests,
  pay-as-you-go) is overridden to ``concurrency`` and the mock's queue limit is off: this
  measures the machine, not a plan.
* **peak memory**: N jobs from a lazy manifest-like generator (paths to small files, read when
  a job starts) through ``client.map``, against the naive ``asyncio.gather`` of every job at
  once; the transport answers instantly from memory, so only the client's own
  work and memory count.  Peak Python allocations (``tracemalloc``) and peak RSS
  (``VmHWM``) are reported with wall and CPU time (tracemalloc slows these runs about 4x,
  so their times are not the throughput figures).

Run: .venv/bin/python bench/bench_batch.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit import InpaintClient, InpaintJob
from inpaintkit.provider import HttpResponse
from inpaintkit.ratelimit import RateLimit
from inpaintkit.transport import OutgoingRequest

KEY = "bench-key"
PROVIDER = "modelslab"
SIZE = 64
JOB_SETTINGS: dict[str, Any] = {
    "model": "pony_realism",
    "width": 512,  # ModelsLab's smallest output side
    "height": 512,
    "extras": {"modelslab": {"base64": True}},  # inline images: no upload round trip
}
"""What every manifest line adds (a manifest would carry these per line or as defaults)."""

DISTINCT_FILES = 16
"""Distinct image/mask pairs the manifest cycles through (like a folder of inputs)."""


def input_pairs(folder: Path) -> list[tuple[Path, Path]]:
    return [(folder / f"image{n}.png", folder / f"mask{n}.png") for n in range(DISTINCT_FILES)]


def write_inputs(folder: Path, size: int = SIZE) -> None:
    for n, (image, mask) in enumerate(input_pairs(folder)):
        box = (size // 8, size // 8, size * 5 // 8, size * 5 // 8)
        width = size + n if size + DISTINCT_FILES <= 1024 else size - n  # sides <= 1024
        image.write_bytes(png_bytes(gradient_image(width, size)))
        mask.write_bytes(png_bytes(rect_mask(width, size, box)))


def manifest(count: int, pairs: list[tuple[Path, Path]]) -> Iterator[tuple[str, InpaintJob]]:
    """Jobs made one at a time, as a JSON Lines manifest reader would."""
    for n in range(count):
        image, mask = pairs[n % len(pairs)]
        line = {"image": str(image), "mask": str(mask), "prompt": f"job {n}", "seed": n}
        yield str(n), InpaintJob(**json.loads(json.dumps(line)), **JOB_SETTINGS)


class InstantTransport:
    """Answers each request with ``handler(request)`` at once and keeps nothing (unlike the
    tests' ``MemoryTransport``, which keeps every request for inspection: at 10,000 jobs that
    list of bodies would be the largest thing in memory)."""

    def __init__(self, handler: Callable[[OutgoingRequest], HttpResponse]) -> None:
        self._handler = handler

    async def send(self, request: OutgoingRequest, *, timeout: float) -> HttpResponse:
        return self._handler(request)


def instant_modelslab() -> InstantTransport:
    """ModelsLab answered at once from memory: a sync success whose image is then downloaded."""
    result = png_bytes(gradient_image(SIZE, SIZE))
    ids = iter(range(1, 10**9))

    def handle(request: OutgoingRequest) -> HttpResponse:
        if request.method == "GET":
            return HttpResponse(200, result, {"content-type": "image/png"})
        task = next(ids)
        body = {
            "status": "success",
            "id": task,
            "output": [f"http://files.invalid/{task}.png"],
            "meta": {"seed": task},
        }
        return HttpResponse(200, json.dumps(body).encode(), {"content-type": "application/json"})

    return InstantTransport(handle)


async def run_case(args: argparse.Namespace, pairs: list[tuple[Path, Path]]) -> dict[str, Any]:
    options: dict[str, Any] = {
        "api_keys": {PROVIDER: KEY},
        "concurrency": args.concurrency,
        "rate_limits": {PROVIDER: RateLimit(concurrency=args.concurrency)},
    }
    if args.url:
        options["base_url"] = args.url
    else:
        options["transport"] = instant_modelslab()
    ok = failed = 0
    async with InpaintClient(**options) as client:
        if args.how == "map":
            async with client.map(manifest(args.n, pairs), PROVIDER) as outcomes:
                async for outcome in outcomes:
                    ok += outcome.ok
                    failed += not outcome.ok
        elif args.how == "sequential":
            for _, job in manifest(args.n, pairs):
                await client.inpaint(job, PROVIDER)
                ok += 1
        else:  # gather: every job started at once
            results = await asyncio.gather(
                *(client.inpaint(job, PROVIDER) for _, job in manifest(args.n, pairs)),
                return_exceptions=True,
            )
            ok = sum(not isinstance(r, BaseException) for r in results)
            failed = len(results) - ok
    return {"ok": ok, "failed": failed}


def peak_rss_kib() -> int:
    """This process's peak resident set (VmHWM).  Not ``ru_maxrss``: on Linux that survives
    fork and exec, so a child would report its parent's peak (the bench's own, mock included)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:  # not Linux: ru_maxrss is the best there is
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(args: argparse.Namespace) -> None:
    pairs = input_pairs(Path(args.folder))
    if args.trace:
        tracemalloc.start()
    wall, cpu = time.perf_counter(), time.process_time()
    counts = asyncio.run(run_case(args, pairs))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1] if args.trace else None
    rss_kib = peak_rss_kib()
    print(json.dumps({**counts, "wall": wall, "cpu": cpu, "peak": peak, "rss_kib": rss_kib}))


def spawn(n: int, how: str, pairs: str, *, url: str = "", trace: bool, conc: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", "--n", str(n), "--how", how]
    command += ["--folder", pairs, "--concurrency", str(conc)]
    if url:
        command += ["--url", url]
    if trace:
        command.append("--trace")
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{how} n={n} failed:\n{done.stderr[-3000:]}")
    out = done.stdout
    data: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    if data["failed"] or data["ok"] != n:
        raise SystemExit(f"{how} n={n}: {data['failed']} jobs failed")
    return data


def row(label: str, n: int, data: dict[str, Any]) -> str:
    peak = f"{data['peak'] / 2**20:8.1f} MiB" if data["peak"] is not None else "       -    "
    return (
        f"  {label:<22} n={n:>6}  {n / data['wall']:8.1f} jobs/s  "
        f"{n / data['cpu']:8.1f} jobs/CPU-s  wall {data['wall']:7.2f} s  cpu {data['cpu']:7.2f} s"
        f"  py-peak {peak}  peak RSS {data['rss_kib'] / 1024:7.1f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--how", default="map")
    parser.add_argument("--folder", default="")
    parser.add_argument("--url", default="")
    parser.add_argument("--trace", action="store_true")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--quick", action="store_true", help="smaller runs (a smoke test)")
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    from inpaintkit.mockserver import MockConfig, MockServer

    sizes = (100, 300) if args.quick else (1_000, 10_000)
    with tempfile.TemporaryDirectory() as folder:
        write_inputs(Path(folder))
        pairs = folder
        print(
            f"throughput against the mock (ModelsLab sync, {SIZE}x{SIZE} inputs, "
            "client in a child):"
        )
        config = MockConfig(seed=1, modelslab_max_queued=None, novita_images_per_minute=None)
        with MockServer(config) as mock:
            n = sizes[0]
            for how in ("sequential", "map"):
                conc = 1 if how == "sequential" else args.concurrency
                print(
                    row(
                        f"{how} (c={conc})",
                        n,
                        spawn(n, how, pairs, url=mock.url, trace=False, conc=conc),
                    ),
                    flush=True,
                )
        print(f"client alone (a transport answering instantly), concurrency {args.concurrency}:")
        for n in sizes:
            for how in ("map", "gather"):
                data = spawn(n, how, pairs, trace=False, conc=args.concurrency)
                print(row(f"{how} (untraced)", n, data), flush=True)
                data = spawn(n, how, pairs, trace=True, conc=args.concurrency)
                print(row(f"{how} (tracemalloc)", n, data), flush=True)
    print("image preparation by input size (map, a transport answering instantly):")
    for size in (512, 1024):
        with tempfile.TemporaryDirectory() as folder:
            write_inputs(Path(folder), size)
            n = 50 if args.quick else 200
            data = spawn(n, "map", folder, trace=False, conc=args.concurrency)
            print(row(f"map {size}x{size}", n, data), flush=True)


if __name__ == "__main__":
    main()
