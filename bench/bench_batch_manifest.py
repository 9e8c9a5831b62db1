"""``inpaintkit batch`` at 1,000 and 10,000 manifest lines: throughput and peak memory.

The batch runner (manifest, SQLite ledger written before every step, atomic output files,
results.jsonl and summary.json) against its baseline run side by side: the same jobs through
``client.map`` with nothing stored.  The ratio is what the ledger and the outputs cost.

Each case runs in a fresh subprocess, so peak RSS (``VmHWM``) is that case's own; the transport
answers ModelsLab instantly from memory (bench_batch.py's), so only the client's work, the
ledger and the files count, not a server.  Wall and CPU time are reported.

Run: .venv/bin/python bench/bench_batch_manifest.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_batch import (
    KEY,
    PROVIDER,
    input_pairs,
    instant_modelslab,
    manifest,
    peak_rss_kib,
    write_inputs,
)
from inpaintkit import InpaintClient
from inpaintkit.convert import job_to_dict
from inpaintkit.plugins import ProviderRegistry
from inpaintkit.ratelimit import RateLimit

CONCURRENCY = 8


def write_manifest(folder: Path, count: int) -> Path:
    """``count`` JSON lines, image and mask paths relative to the manifest."""
    path = folder / f"manifest-{count}.jsonl"
    with path.open("w") as out:
        for job_id, job in manifest(count, input_pairs(folder)):
            line = {**job_to_dict(job), "id": job_id}
            line["image"] = str(Path(str(job.image.path)).relative_to(folder))
            line["mask"] = str(Path(str(job.mask.path)).relative_to(folder))
            out.write(json.dumps(line) + "\n")
    return path


def client() -> InpaintClient:
    return InpaintClient(
        api_keys={PROVIDER: KEY},
        base_url="http://bench.invalid",
        transport=instant_modelslab(),
        concurrency=CONCURRENCY,
        rate_limits={PROVIDER: RateLimit(concurrency=CONCURRENCY)},
    )


async def run_batch_case(folder: Path, count: int) -> None:
    from inpaintkit.batch import BatchOptions, run_batch

    options = BatchOptions(
        manifest=folder / f"manifest-{count}.jsonl",
        out=Path(tempfile.mkdtemp(prefix="bench-batch-out-")),
        provider=PROVIDER,
        concurrency=CONCURRENCY,
    )
    async with client() as c:
        report = await run_batch(c, ProviderRegistry.default(), options)
    ok = len(report.with_outcome("ok"))
    assert ok == count, report.summary


async def run_map_case(folder: Path, count: int) -> None:
    ok = 0
    async with client() as c, c.map(manifest(count, input_pairs(folder)), PROVIDER) as outcomes:
        async for outcome in outcomes:
            ok += outcome.error is None
    assert ok == count


def child(how: str, folder: Path, count: int) -> None:
    started, cpu = time.perf_counter(), time.process_time()
    case = run_batch_case if how == "batch" else run_map_case
    asyncio.run(case(folder, count))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(json.dumps({"wall": wall, "cpu": cpu, "rss_kib": peak_rss_kib()}))


def spawn(how: str, folder: Path, count: int) -> dict[str, Any]:
    script = Path(__file__).resolve()
    argv = [sys.executable, str(script), "--child", how, str(folder), str(count)]
    done = subprocess.run(argv, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100 and 1,000 lines only")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        how, folder, count = args.child
        child(how, Path(folder), int(count))
        return
    counts = (100, 1_000) if args.quick else (1_000, 10_000)
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        folder = Path(tmp)
        write_inputs(folder)
        for count in counts:
            write_manifest(folder, count)
        print(f"{'case':<34}{'jobs/s':>9}{'CPU s/1k jobs':>15}{'peak RSS MiB':>14}")
        for count in counts:
            base = spawn("map", folder, count)
            batch = spawn("batch", folder, count)
            for label, data in (
                (f"client.map, {count} jobs", base),
                (f"batch, {count} lines", batch),
            ):
                print(
                    f"{label:<34}{count / data['wall']:>9.0f}"
                    f"{data['cpu'] / count * 1000:>15.2f}{data['rss_kib'] / 1024:>14.1f}"
                )
            print(
                f"{'  batch / map':<34}{base['wall'] / batch['wall']:>8.2f}x"
                f"{batch['cpu'] / base['cpu']:>14.2f}x"
                f"{batch['rss_kib'] / base['rss_kib']:>13.2f}x"
            )


if __name__ == "__main__":
    main()
