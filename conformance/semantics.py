"""Async and sync semantics as a hypothesis state machine, on the shared virtual clock.

Rules: submit a job (optionally with a fault on the submit path), advance the clock, poll once,
wait to the end (optionally with a fault on the poll path), abandon a job (the client's cancel:
stop caring about it), and for synchronous providers switch the mock between answering at once
and answering ``processing``.  Invariants checked after every step:

- never a result before the mock's own task record says it succeeded;
- every job ends in a result or a typed :class:`~inpaintkit.errors.InpaintError`;
- a submit is sent at most ``1 + submit_retries`` times, and accepted at most once per batch
  (no duplicate submit, read from the mock's journal);
- a Retry-After the mock sent was slept exactly (``VirtualClock.sleeps``), and the first poll
  waited for the eta the provider gave (as the provider's poll policy caps it);
- an abandoned job is never polled again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, precondition, rule
from inpaintkit.errors import (
    InpaintError,
    InpaintTimeoutError,
    ProviderError,
    TaskFailedError,
)
from inpaintkit.job import InpaintJob
from inpaintkit.provider import Done, Failed, Pending, PollingAdapter, Support, TaskHandle

from .harness import Harness, Submission

__all__ = ["RETRY_AFTER", "Tracked", "make_state_machine"]

RETRY_AFTER = 4
"""Seconds of the Retry-After the injected 429s carry (an integer: headers hold whole seconds)."""

SUBMIT_FAULTS = (None, None, "rate_limit", "server_error", "task_failed", "task_stuck")
POLL_FAULTS = (None, "rate_limit", "server_error")


@attrs.define
class Tracked:
    """One job the machine submitted, and what became of it."""

    number: int
    submission: Submission
    fault: str | None
    outcome: Any = None  # "result", an InpaintError, or None while unfinished
    polled: bool = False
    abandoned_at: int | None = None  # journal sequence number when abandoned

    @property
    def pending(self) -> bool:
        return self.outcome is None and self.submission.handle is not None


def _ok_entry(entry: Mapping[str, Any]) -> bool:
    status = entry.get("status") or 0
    body = entry.get("response")
    error_body = isinstance(body, Mapping) and str(body.get("status", "")).lower() == "error"
    return 200 <= status < 300 and not error_body


def _last_seq(h: Harness) -> int:
    entries = h.journal(None)
    return int(entries[-1]["seq"]) if entries else 0


def _mentions(entry: Mapping[str, Any], task_id: str) -> bool:
    text = f"{entry.get('path')} {entry.get('query')} {entry.get('body')}"
    return task_id in text


def make_state_machine(h: Harness, base_job: InpaintJob) -> type[RuleBasedStateMachine]:
    """A state machine class bound to ``h`` (hypothesis builds a fresh instance per example)."""
    spec = h.spec
    policy = spec.polling
    is_sync = isinstance(h.adapter, PollingAdapter)  # the mock's sync modes: fetch fallback

    takes_seed = spec.capabilities.support("seed") is Support.NATIVE

    def distinct_job(number: int) -> InpaintJob:
        """Job ``number``, unlike every other (duplicate filters must not merge them): its
        own seed where the provider takes one, else its own prompt."""
        if takes_seed:
            return attrs.evolve(base_job, seed=1000 + number)
        return attrs.evolve(base_job, prompt=f"{base_job.prompt} #{number}")

    class Semantics(RuleBasedStateMachine):
        jobs = Bundle("jobs")

        def __init__(self) -> None:
            super().__init__()
            h.reset()
            self.tracked: list[Tracked] = []
            self.submit_path = _learn_submit_path(h, base_job)
            h.reset()

        # --- rules -------------------------------------------------------------------

        @rule(target=jobs, fault=st.sampled_from(SUBMIT_FAULTS))
        def submit(self, fault: str | None) -> Tracked:
            number = len(self.tracked) + 1
            if fault is not None:
                arg = {"rate_limit": str(RETRY_AFTER), "server_error": "503"}.get(
                    fault, "conformance failure" if fault == "task_failed" else None
                )
                h.mock.set_fault(fault, arg, first=1, path=self.submit_path)
            seq, sleeps = _last_seq(h), len(h.clock.sleeps)
            sub = h.submit(distinct_job(number))
            entries = [
                e
                for e in h.journal("request", path=self.submit_path)
                if e["seq"] > seq and e.get("method") == "POST"
            ]
            assert len(entries) <= 1 + policy.submit_retries, (
                f"{len(entries)} submits sent for one job; the budget is "
                f"1 + {policy.submit_retries} retries"
            )
            accepted = [e for e in entries if _ok_entry(e)]
            assert len(accepted) <= 1, (
                f"job {number} was submitted and accepted {len(accepted)} times"
            )
            new_sleeps = h.clock.sleeps[sleeps:]
            if fault == "rate_limit":
                assert float(RETRY_AFTER) in new_sleeps, (
                    f"the mock answered 429 with Retry-After {RETRY_AFTER} s on submit; the "
                    f"client slept {new_sleeps} instead"
                )
                assert sub.error is None, (
                    f"a 429 within the retry budget failed the job: {sub.error}"
                )
            if fault == "server_error":
                assert isinstance(sub.error, ProviderError), (
                    f"a 503 on submit must raise ProviderError (never resent), got {sub.error!r}"
                )
                assert len(entries) == 1, "a submit answered 5xx was resent"
            tracked = Tracked(number, sub, fault)
            if sub.error is not None:
                assert isinstance(sub.error, InpaintError)
                tracked.outcome = sub.error
            else:
                assert sub.handle is not None
                done = [s for s in sub.handle.tasks if isinstance(s, Done)]
                for state in done:
                    _assert_succeeded(h, state)
                if len(done) == len(sub.handle.tasks):
                    tracked.outcome = "result"
            self.tracked.append(tracked)
            return tracked

        @rule(seconds=st.sampled_from([0.5, 3.0, 30.0]))
        def advance(self, seconds: float) -> None:
            h.clock.advance(seconds)

        @rule(job=jobs)
        def poll(self, job: Tracked) -> None:
            if not job.pending or job.abandoned_at is not None:
                return
            assert job.submission.handle is not None
            job.polled = True
            for handle in job.submission.handle.task_handles:
                state = h.run(h.client.status(handle))
                if isinstance(state, Done):
                    _assert_succeeded(h, state, handle)
                elif isinstance(state, Failed):
                    assert isinstance(state.error, InpaintError)

        @rule(job=jobs, fault=st.sampled_from(POLL_FAULTS))
        def wait(self, job: Tracked, fault: str | None) -> None:
            if not job.pending or job.abandoned_at is not None:
                return
            handle = job.submission.handle
            assert handle is not None
            assert isinstance(h.adapter, PollingAdapter)  # only polling adapters return tasks
            poll_paths = {h.adapter.build_poll(t).path for t in handle.task_handles}
            if fault is not None:
                arg = str(RETRY_AFTER) if fault == "rate_limit" else "503"
                for path in poll_paths:
                    h.mock.set_fault(fault, arg, first=1, path=path)
            seq, sleeps = _last_seq(h), len(h.clock.sleeps)
            started = h.clock.time()
            first_poll = not job.polled
            job.polled = True
            try:
                h.run(h.client.wait(handle))
                job.outcome = "result"
            except InpaintError as exc:
                job.outcome = exc
            new_sleeps = h.clock.sleeps[sleeps:]
            if job.outcome == "result":
                for task in handle.task_handles:
                    assert h.mock_task_state(task.task_id) == "succeeded", (
                        f"a result for task {task.task_id} although the mock says "
                        f"{h.mock_task_state(task.task_id)}"
                    )
            deadline = h.deadline if h.deadline is not None else policy.deadline
            overdue = h.clock.time() - handle.submitted_at >= deadline
            if isinstance(job.outcome, InpaintTimeoutError) and overdue:
                return  # the job's deadline passed (e.g. while another job was waited for)
            if job.fault == "task_failed":
                assert isinstance(job.outcome, TaskFailedError), (
                    f"the mock failed the task; expected TaskFailedError, got {job.outcome!r}"
                )
            if job.fault == "task_stuck":
                assert isinstance(job.outcome, InpaintTimeoutError), (
                    f"the mock never finishes the task; expected a timeout, got {job.outcome!r}"
                )
            fired = [
                e
                for e in h.journal("request")
                if e["seq"] > seq and any(f.startswith("rate_limit") for f in e.get("faults", []))
            ]
            if fired:
                assert float(RETRY_AFTER) in new_sleeps, (
                    f"a poll was answered 429 with Retry-After {RETRY_AFTER} s; the client "
                    f"slept {new_sleeps}"
                )
            pendings = [s for s in handle.tasks if isinstance(s, Pending)]
            if first_poll and pendings and new_sleeps and policy.honour_eta:
                eta = pendings[0].eta
                # The client never sleeps past the job's deadline.
                remaining = handle.submitted_at + deadline - started
                expected = min(policy.poll_delay(0, eta=eta), remaining)
                assert abs(new_sleeps[0] - expected) < 1e-6, (
                    f"first poll after a submit with eta {eta} waited {new_sleeps[0]} s, "
                    f"the poll policy says {expected} s"
                )

        @rule(job=jobs)
        def abandon(self, job: Tracked) -> None:
            if job.pending and job.abandoned_at is None:
                job.abandoned_at = _last_seq(h)

        @precondition(lambda self: is_sync)
        @rule(mode=st.sampled_from(["instant", "processing"]))
        def switch_sync_mode(self, mode: str) -> None:
            h.set_sync_mode(mode)

        # --- invariants ----------------------------------------------------------------

        @invariant()
        def outcomes_are_typed(self) -> None:
            for job in self.tracked:
                assert job.outcome in (None, "result") or isinstance(job.outcome, InpaintError)

        @invariant()
        def abandoned_jobs_are_left_alone(self) -> None:
            for job in self.tracked:
                if job.abandoned_at is None or job.submission.handle is None:
                    continue
                for task in job.submission.handle.task_handles:
                    later = [
                        e
                        for e in h.journal("request")
                        if e["seq"] > job.abandoned_at and _mentions(e, task.task_id)
                    ]
                    assert not later, f"abandoned task {task.task_id} was polled again"

        def teardown(self) -> None:
            for job in self.tracked:
                if job.pending and job.abandoned_at is None:
                    self.wait(job, None)
                    assert job.outcome is not None, f"job {job.number} never ended"

    return Semantics


def _learn_submit_path(h: Harness, job: InpaintJob) -> str:
    sub = h.submit(job)
    assert sub.submit_path is not None, f"the baseline job was not sent: {sub.error}"
    return sub.submit_path


def _assert_succeeded(h: Harness, state: Done, handle: TaskHandle | None = None) -> None:
    task_id = state.task_id or (handle.task_id if handle is not None else None)
    if task_id is None:
        return
    mock_state = h.mock_task_state(task_id)
    assert mock_state in (None, "succeeded"), (
        f"the client reports a result for task {task_id} while the mock says {mock_state}"
    )
    if mock_state is None:
        raise AssertionError(f"the client reports a result for task {task_id} unknown to the mock")
