"""Issue 12's "done when" for ``inpaintkit batch``: SIGKILL at random points, rerun, and still
every job has exactly one result or typed error, no submit was sent twice, no file is partial.

A few hundred tiny jobs (64x64; two thirds Novita, polled; one third ModelsLab, answered at
once) run in a child process (tests/batch_child.py: the console script on a VirtualClock)
against the mock, which runs in this process on 127.0.0.1 with a manual clock and tasks that
finish on their first poll.  A seeded random picks how far each run gets before it is killed:
the test polls the child's ledger (read-only SQLite, a bounded loop) until that many steps are
recorded, then sends SIGKILL.  What the ledger held at each kill is checked against the end:
a job killed while "submitting" is never sent again (listed as unknown), a job killed after its
submit is finished by resuming, never by a second submit.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import batch_child
import pytest
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit.mockserver import MockConfig, MockServer
from PIL import Image

CHILD = Path(batch_child.__file__)
JOBS = 240
KILLS = 4
CHILD_TIMEOUT = 60.0
"""Bound on one child run and on waiting for its ledger to reach a step (real seconds)."""
SUBMIT_PATHS = ("/v3/async/inpainting", "/api/v6/images/inpaint")


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    config = MockConfig(
        seed=5,
        clock="manual",
        finish_after_polls=1,
        novita_images_per_minute=None,
        modelslab_max_queued=None,
        journal_size=20 * JOBS,
    )
    with MockServer(config) as server:
        yield server


def marker(i: int) -> str:
    """Job ``i``'s unique prompt: finds its submits in the mock's journal."""
    return f"a lamp [batch job {i:04d}]"


def write_manifest(folder: Path) -> Path:
    (folder / "image.png").write_bytes(png_bytes(gradient_image(64, 64)))
    (folder / "mask.png").write_bytes(png_bytes(rect_mask(64, 64, (16, 12, 48, 40))))
    lines = []
    for i in range(JOBS):
        job: dict[str, object] = {
            "id": f"job-{i:04d}",
            "image": "image.png",
            "mask": "mask.png",
            "prompt": marker(i),
            "model": "sd_xl_base_1.0.safetensors",
        }
        if i % 3 == 2:
            job.update(provider="modelslab", model="pony_realism", width=512, height=512)
        lines.append(json.dumps(job))
    manifest = folder / "jobs.jsonl"
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return manifest


def ledger_states(path: Path) -> dict[str, str]:
    """The ledger's state of every job, read without disturbing the writer."""
    if not path.exists():
        return {}
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0)
    try:
        return dict(db.execute("SELECT id, state FROM jobs").fetchall())
    except sqlite3.OperationalError:  # the schema is not there yet
        return {}
    finally:
        db.close()


def steps_done(states: dict[str, str]) -> int:
    """How far a batch has got: a job counts one step once it left "planned", two when done."""
    return sum((s != "planned") + (s in ("finished", "unknown")) for s in states.values())


def test_batch_survives_sigkill_at_random_points(mock: MockServer, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path)
    out = tmp_path / "out"
    ledger = out / "ledger.sqlite"
    base = [sys.executable, str(CHILD), "batch", str(manifest), "-p", "novita"]
    command = [*base, "--out", str(out), "--base-url", mock.url, "--concurrency", "8", "-q"]
    env = {**os.environ, "NOVITA_API_KEY": "k", "MODELSLAB_API_KEY": "k"}
    rng = random.Random(20261129)
    killed_while: dict[str, set[str]] = {"submitting": set(), "submitted": set()}
    kills = 0
    for run in range(KILLS):
        target = steps_done(ledger_states(ledger)) + rng.randint(5, 2 * JOBS // KILLS)
        err = (tmp_path / f"run{run}.err").open("wb")
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, env=env)
        deadline = time.monotonic() + CHILD_TIMEOUT
        while child.poll() is None and time.monotonic() < deadline:
            if steps_done(ledger_states(ledger)) >= target:
                break
            time.sleep(0.01)  # polling another process's file: a bounded real wait
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
            kills += 1
        child.wait(timeout=CHILD_TIMEOUT)
        err.close()
        states = ledger_states(ledger)
        for job_id, state in states.items():
            if state == "submitting":
                killed_while["submitting"].add(job_id)
            elif state in ("submitted", "downloaded"):
                killed_while["submitted"].add(job_id)
    assert kills >= KILLS - 1, "the runs finished before they could be killed"

    final = subprocess.run(command, capture_output=True, env=env, timeout=CHILD_TIMEOUT)
    assert final.returncode in (0, 1), final.stderr.decode()[-3000:]

    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    ids = [row["id"] for row in rows]
    assert sorted(ids) == [f"job-{i:04d}" for i in range(JOBS)]  # exactly one line per job
    outcomes = Counter(row["outcome"] for row in rows)
    assert set(outcomes) <= {"ok", "unknown"}, outcomes
    by_id = {row["id"]: row for row in rows}
    unknown = {job_id for job_id, row in by_id.items() if row["outcome"] == "unknown"}
    for row in by_id.values():
        if row["outcome"] == "unknown":
            assert row["error"]["type"] == "SubmitOutcomeUnknownError"
    # Killed mid-submit: listed, never resent; killed after the submit: finished by resuming.
    assert unknown == killed_while["submitting"] - killed_while["submitted"]
    for job_id in killed_while["submitted"]:
        assert by_id[job_id]["outcome"] == "ok"
        assert by_id[job_id]["resumed"] is True, job_id
    if unknown:
        assert final.returncode == 1
        assert "--resubmit-unknown" in final.stderr.decode()
        for job_id in unknown:
            assert f"(id {job_id})" in final.stderr.decode()

    submits: Counter[str] = Counter()
    for path in SUBMIT_PATHS:
        for entry in mock.journal("request", path=path):
            body = json.dumps(entry["body"])
            found = [i for i in range(JOBS) if marker(i) in body]
            assert len(found) == 1, body[:200]
            submits[f"job-{found[0]:04d}"] += 1
    for job_id in ids:
        if job_id in unknown:
            assert submits[job_id] <= 1, job_id  # sent at most once before the kill
        else:
            assert submits[job_id] == 1, (job_id, submits[job_id])

    # No partial file: every image decodes, no temporary file is left, no image is orphaned.
    images = out / "images"
    assert not list(out.glob(".inpaintkit-tmp-*"))
    assert not list(images.glob(".inpaintkit-tmp-*"))
    listed = {f for row in rows for f in row.get("files", [])}
    assert {f"images/{p.name}" for p in images.iterdir()} == listed
    assert len(listed) == outcomes["ok"]
    for name in listed:
        with Image.open(out / name) as picture:
            picture.load()
            assert picture.size in ((64, 64), (512, 512))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["jobs"] == JOBS
    assert summary["outcomes"] == dict(sorted(outcomes.items()))

    # Asked explicitly, the unknown ones are sent again, and everything ends ok.
    again = subprocess.run(
        [*command, "--resubmit-unknown"], capture_output=True, env=env, timeout=CHILD_TIMEOUT
    )
    assert again.returncode == 0, again.stderr.decode()[-3000:]
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(rows) == JOBS
    assert {row["outcome"] for row in rows} == {"ok"}
