"""A batch job is marked "submitting" in the ledger only when its submit is about to be sent,
not while it waits for the provider's rate limit or a job place (review 6).

Marked earlier, a run stopped while jobs waited (Novita's 10 images a minute keeps most of a
batch waiting) left them as "submitting", and the next run listed every one of them as
``unknown`` and asked the user to check the provider, though none had been sent.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit import InpaintClient, RateLimit
from inpaintkit.batch import BatchOptions, run_batch
from inpaintkit.clock import VirtualClock
from inpaintkit.mockserver import MockConfig, MockServer
from inpaintkit.plugins import ProviderRegistry

NOVITA_SUBMIT = "/v3/async/inpainting"
MODEL = "sd_xl_base_1.0.safetensors"
JOBS = 6
REAL_SECONDS = 30.0
"""Bound on waiting for the mock's answer to the first submit (busy loop turns, no sleep)."""


@pytest.fixture
def mock() -> Iterator[MockServer]:
    config = MockConfig(seed=3, clock="manual", finish_after_polls=1, novita_images_per_minute=None)
    with MockServer(config) as server:
        yield server


def write_manifest(folder: Path) -> Path:
    (folder / "image.png").write_bytes(png_bytes(gradient_image(64, 64)))
    (folder / "mask.png").write_bytes(png_bytes(rect_mask(64, 64, (8, 8, 40, 40))))
    lines = [
        json.dumps(
            {"id": f"j{i}", "image": "image.png", "mask": "mask.png", "prompt": f"kettle [{i}]"}
            | {"model": MODEL}
        )
        for i in range(JOBS)
    ]
    path = folder / "jobs.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def states(out: Path) -> Counter[str]:
    """The ledger's rows by state (none before the run created the ledger)."""
    if not (out / "ledger.sqlite").is_file():
        return Counter()
    db = sqlite3.connect(f"file:{out / 'ledger.sqlite'}?mode=ro", uri=True)
    try:
        return Counter(state for (state,) in db.execute("SELECT state FROM jobs"))
    except sqlite3.OperationalError:  # the jobs table is not made yet
        return Counter()
    finally:
        db.close()


def submits(mock: MockServer) -> Counter[str]:
    found: Counter[str] = Counter()
    for entry in mock.journal("request", path=NOVITA_SUBMIT):
        for i in range(JOBS):
            if f"kettle [{i}]" in json.dumps(entry["body"]):
                found[f"j{i}"] += 1
    return found


def test_jobs_waiting_for_the_rate_limit_are_not_unknown_after_a_crash(
    mock: MockServer, tmp_path: Path
) -> None:
    manifest = write_manifest(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    registry = ProviderRegistry.default()
    options = BatchOptions(manifest=manifest, out=out, provider="novita", concurrency=4)

    async def first_run() -> Counter[str]:
        # One submit a minute on a clock that never moves: after the first submit every other
        # job handed to the map waits for the rate limit, and nothing else is ever sent.
        clock = VirtualClock(auto_advance=False)
        client = InpaintClient(
            base_url=mock.url,
            api_keys={"novita": "k"},
            registry=registry,
            clock=clock,
            rate_limits={"novita": RateLimit(requests_per_minute=1)},
        )
        async with client:
            run = asyncio.ensure_future(run_batch(client, registry, options))
            deadline = time.monotonic() + REAL_SECONDS
            for _ in iter(int, 1):  # loop turns, bounded in real time; no sleep
                if states(out)["submitted"] >= 1 or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0)
            for _ in range(200):  # the other jobs reach the limiter
                await asyncio.sleep(0)
            seen = states(out)  # what a SIGKILL now would leave
            run.cancel()
            with pytest.raises(asyncio.CancelledError):
                await run
        return seen

    seen = asyncio.run(first_run())
    assert seen["submitted"] == 1, seen
    assert sum(submits(mock).values()) == 1
    assert seen["submitting"] == 0, f"jobs never sent are marked as being sent: {seen}"

    async def second_run() -> list[str | None]:
        async with InpaintClient(
            base_url=mock.url, api_keys={"novita": "k"}, registry=registry, clock=VirtualClock()
        ) as client:
            report = await run_batch(client, registry, options)
        return [row.outcome for row in report.rows]

    assert asyncio.run(second_run()) == ["ok"] * JOBS
    assert submits(mock) == {f"j{i}": 1 for i in range(JOBS)}
