"""Issue 11's "done when": a job survives the SIGKILL of the process that submitted it.

A child process (tests/resume_child.py) submits a job to the mock, which runs in this process
on 127.0.0.1, stores the handle in a file, and is killed with SIGKILL while it is polling or
while it is downloading the result.  Another process (or this one) resumes from the file and
must get the same image bytes as an uninterrupted run, with the mock's journal showing one
submit.  Novita (async task) and ModelsLab (``processing`` answer, then fetch; masked-only
paste-back and a JPEG conversion done locally) are covered.

Determinism without real sleeps: the mock's clock is manual and a task finishes on its second
poll (``finish_after_polls=2``), whatever the time; every client waits on a VirtualClock; the
child is killed at a point it announces on stdout (it hangs there, inside the exchange), and the
test reads that announcement with a bounded blocking read, never a sleep loop.  The only real
time spent is starting the child interpreters (about half a second each).
"""

from __future__ import annotations

import asyncio
import json
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import resume_child
from inpaintkit import InpaintClient, VirtualClock
from inpaintkit.jobstate import StoredJob
from inpaintkit.mockserver import MockConfig, MockServer

CHILD = Path(resume_child.__file__)
SUBMIT_PATHS = {"novita": "/v3/async/inpainting", "modelslab": "/api/v6/images/inpaint"}
CHILD_TIMEOUT = 60.0
"""Bound on waiting for the child to reach a state (real seconds; reached in about one)."""


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    config = MockConfig(
        seed=3,
        clock="manual",
        finish_after_polls=2,
        sync_mode="processing",
        base64_output_style="link",  # ModelsLab's results are downloaded, not inline
        novita_images_per_minute=None,
        modelslab_max_queued=None,
    )
    with MockServer(config) as server:
        yield server


class Child:
    """A child process whose stdout lines are read by a thread into a queue."""

    def __init__(self, args: list[str], stderr: Path) -> None:
        self._stderr_path = stderr
        self._stderr = stderr.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, str(CHILD), *args],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.strip())
        self.lines.put(None)

    def expect(self, marker: str) -> None:
        """Block until the child prints ``marker`` (bounded), failing with its stderr."""
        seen: list[str] = []
        while True:
            try:
                line = self.lines.get(timeout=CHILD_TIMEOUT)
            except queue.Empty:
                line = None
            if line == marker:
                return
            if line is None:
                self.kill()
                self._stderr.close()
                errors = self._stderr_path.read_text(errors="replace")[-3000:]
                pytest.fail(f"the child never printed {marker!r} (printed {seen}):\n{errors}")
            seen.append(line)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=CHILD_TIMEOUT)

    def close(self) -> None:
        self.kill()
        self._stderr.close()


CASES = [
    (provider, phase) for provider in ("novita", "modelslab") for phase in ("poll", "download")
]


async def _uninterrupted(base_url: str, tmp_path: Path) -> dict[tuple[str, str], bytes]:
    """Every case run to its end without interruption, side by side."""
    async with InpaintClient(
        api_keys=resume_child.KEYS, base_url=base_url, clock=VirtualClock(), retry_jitter=0.0
    ) as client:

        async def run(provider: str, phase: str) -> bytes:
            folder = tmp_path / f"reference-{provider}-{phase}"
            folder.mkdir()
            job = resume_child.make_job(provider, folder, phase)
            return (await client.inpaint(job, provider)).images[0].data

        results = await asyncio.gather(*(run(*case) for case in CASES))
    return dict(zip(CASES, results, strict=True))


async def _resume_here(base_url: str, text: str) -> bytes:
    async with InpaintClient(
        api_keys=resume_child.KEYS, base_url=base_url, clock=VirtualClock(), retry_jitter=0.0
    ) as client:
        result = await client.resume(text)
    return result.images[0].data


def _case_requests(mock: MockServer, provider: str, phase: str) -> list[dict[str, object]]:
    marker = resume_child.prompt_of(provider, phase)
    submits = mock.journal("request", path=SUBMIT_PATHS[provider])
    return [e for e in submits if marker in json.dumps(e["body"])]


def test_jobs_killed_mid_poll_and_mid_download_resume_to_the_same_bytes(
    mock: MockServer, tmp_path: Path
) -> None:
    expected = asyncio.run(_uninterrupted(mock.url, tmp_path))
    mock.reset()  # a fresh journal: what follows is the killed runs and their resumption only

    # The four cases side by side: interpreter start-up is most of the time each one takes.
    folders = {case: tmp_path / f"killed-{case[0]}-{case[1]}" for case in CASES}
    children: dict[tuple[str, str], Child] = {}
    try:
        for case, folder in folders.items():
            folder.mkdir()
            provider, phase = case
            args = ["submit", provider, mock.url, str(folder), phase]
            children[case] = Child(args, folder / "submit.err")
        for (_provider, phase), child in children.items():
            child.expect("stored")
            child.expect(f"at {phase}")
            child.kill()
    finally:
        for child in children.values():
            child.close()
    for case, child in children.items():
        assert child.proc.returncode == -signal.SIGKILL, case

    texts = {
        case: (folder / "job.json").read_text(encoding="utf-8") for case, folder in folders.items()
    }
    for case, text in texts.items():
        stored = StoredJob.from_json(text)
        assert [t.done for t in stored.tasks] == [None], case  # stored at submit: one running task
        assert resume_child.KEY not in text, case
    polls_before = len(mock.journal("request"))

    # Killed mid-poll: resumed by a new process; killed mid-download: resumed in this one.
    resumers = {
        case: Child(["resume", mock.url, str(folders[case])], folders[case] / "resume.err")
        for case in CASES
        if case[1] == "poll"
    }
    try:
        resumed = {
            case: asyncio.run(_resume_here(mock.url, texts[case]))
            for case in CASES
            if case[1] == "download"
        }
        for case, resumer in resumers.items():
            resumer.expect("resumed")
            resumed[case] = (folders[case] / "result.bin").read_bytes()
    finally:
        for resumer in resumers.values():
            resumer.close()

    for case in CASES:
        assert resumed[case] == expected[case], case
        assert len(_case_requests(mock, *case)) == 1, case  # one submit, never resent
    # Every child polled before it died (4 submits, at least 4 polls), and resuming polled again.
    assert polls_before >= 2 * len(CASES)
    assert len(mock.journal("request")) > polls_before
