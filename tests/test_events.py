"""Progress events: the exact sequence a job reports, through on_event, stream() and logging.

The toy provider answers from an in-memory script (tests/toytransport.py) and time is a
VirtualClock, so every ``at`` and delay below is exact.
"""

from __future__ import annotations

import logging
from contextlib import aclosing
from typing import Any

import pytest
from inpaintkit import InpaintClient, TaskFailedError, VirtualClock
from inpaintkit.errors import InpaintError, RateLimitedError
from inpaintkit.events import (
    Downloaded,
    Event,
    Failed,
    Finished,
    Planned,
    Polled,
    Retried,
    Submitted,
    log_fields,
)
from inpaintkit.result import InpaintResult
from inpaintkit.transport import TransportError
from test_client import KEY, make_job, registry, result_png
from toytransport import ScriptedToy, answer


def make_client(toy: ScriptedToy, clock: VirtualClock, **kwargs: Any) -> InpaintClient:
    kwargs.setdefault("retry_jitter", 0.0)
    return InpaintClient(
        api_keys={"toy": KEY},
        base_url="http://toy.invalid",
        registry=kwargs.pop("registry", None) or registry(),
        clock=clock,
        transport=toy.transport,
        **kwargs,
    )


def finished_tail(result: InpaintResult, at: float, task_id: str) -> list[Event]:
    """The Downloaded + Finished events a one-image result ends with."""
    image = result.images[0]
    return [
        Downloaded("toy", at, 0, len(image.data), image.width, image.height, task_id),
        Finished("toy", at, (task_id,), 1, result.timings.total, result),
    ]


async def test_sync_job_reports_planned_submitted_downloaded_finished() -> None:
    toy = ScriptedToy()
    toy.submits.append({"state": "done", "id": "s1", "images": [{"b64": result_png()}]})
    seen: list[Event] = []
    async with make_client(toy, VirtualClock(), on_event=seen.append) as c:
        result = await c.inpaint(make_job(), "toy")
    assert seen == [
        Planned("toy", 0.0, requests=1, images=1),
        Submitted("toy", 0.0, task_ids=("s1",), finished=1, seconds=0.0),
        *finished_tail(result, 0.0, "s1"),
    ]
    assert seen[-1].result is result  # type: ignore[union-attr]


async def test_async_job_reports_each_poll_with_progress_and_eta() -> None:
    toy = ScriptedToy()
    toy.submits.append({"state": "pending", "id": "t9", "eta": 5.0})
    toy.polls += [
        {"state": "pending", "id": "t9", "progress": 0.5, "eta": 4.0},
        {"state": "done", "id": "t9", "images": [{"b64": result_png()}]},
    ]
    seen: list[Event] = []
    clock = VirtualClock()
    async with make_client(toy, clock, on_event=seen.append) as c:
        result = await c.inpaint(make_job(), "toy")
    assert clock.sleeps == [5.0, 4.0]  # the eta, then the eta the poll gave
    assert seen == [
        Planned("toy", 0.0, requests=1, images=1),
        Submitted("toy", 0.0, task_ids=("t9",), finished=0, seconds=0.0),
        Polled("toy", 5.0, "t9", polls=1, done=False, progress=0.5, eta=4.0),
        Polled("toy", 9.0, "t9", polls=2, done=True),
        *finished_tail(result, 9.0, "t9"),
    ]


async def test_events_nobody_watches_are_not_built(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Without a callback, a stream or a logger at INFO or below, a job builds none of the
    events of its common steps; once anyone watches, every one is there again."""
    from inpaintkit import events

    built: list[str] = []
    for name in ("Planned", "Submitted", "Polled", "Downloaded", "Finished"):
        original = getattr(events, name)

        def counting(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            built.append(_original.__name__)
            return _original(*args, **kwargs)

        monkeypatch.setattr(events, name, counting)

    def script() -> ScriptedToy:
        toy = ScriptedToy()
        toy.submits.append({"state": "pending", "id": "t9", "eta": 1.0})
        toy.polls.append({"state": "done", "id": "t9", "images": [{"b64": result_png()}]})
        return toy

    caplog.set_level(logging.WARNING, logger="inpaintkit")
    async with make_client(script(), VirtualClock()) as c:
        await c.inpaint(make_job(), "toy")
    assert built == []
    seen: list[Event] = []
    async with make_client(script(), VirtualClock(), on_event=seen.append) as c:
        await c.inpaint(make_job(), "toy")
    assert built == ["Planned", "Submitted", "Polled", "Downloaded", "Finished"]
    assert [type(e).__name__ for e in seen] == built


async def test_a_429_on_submit_and_on_poll_is_reported_as_retried_with_reason_and_delay() -> None:
    toy = ScriptedToy()
    toy.submits += [
        answer({"error": "slow"}, 429, Retry_After="12"),
        {"state": "pending", "id": "t1"},
    ]
    toy.polls += [
        answer({"error": "slow"}, 429, Retry_After="30"),
        TransportError("connection reset", reached=True),
        {"state": "done", "id": "t1", "images": [{"b64": result_png()}]},
    ]
    seen: list[Event] = []
    clock = VirtualClock()
    async with make_client(toy, clock, on_event=seen.append) as c:
        result = await c.inpaint(make_job(), "toy")
    # submit at 0 (429), resubmit at 12, first poll at 13 (429), at 43 (reset), at 44 (done);
    # the toy's policy: first poll after 1 s, retry delays 1 s, 2 s... after a failure.
    assert clock.sleeps == [12.0, 1.0, 30.0, 1.0]
    assert seen == [
        Planned("toy", 0.0, requests=1, images=1),
        Retried("toy", 0.0, "submit", "rate limited", delay=12.0, attempt=1),
        Submitted("toy", 12.0, task_ids=("t1",), finished=0, seconds=12.0),
        Retried("toy", 13.0, "poll", "rate limited", delay=30.0, attempt=1, task_id="t1"),
        Retried("toy", 43.0, "poll", "transport failure", delay=1.0, attempt=2, task_id="t1"),
        Polled("toy", 44.0, "t1", polls=2, done=True),
        *finished_tail(result, 44.0, "t1"),
    ]


async def test_a_failed_task_ends_with_one_failed_event_carrying_the_typed_error() -> None:
    toy = ScriptedToy()
    toy.polls.append({"state": "failed", "reason": "GPU on fire"})
    seen: list[Event] = []
    async with make_client(toy, VirtualClock(), on_event=seen.append) as c:
        with pytest.raises(TaskFailedError) as info:
            await c.inpaint(make_job(), "toy")
    assert seen == [
        Planned("toy", 0.0, requests=1, images=1),
        Submitted("toy", 0.0, task_ids=("t1",), finished=0, seconds=0.0),
        Failed("toy", 1.0, info.value, task_ids=("t1",)),
    ]
    failed = seen[-1]
    assert isinstance(failed, Failed)
    assert failed.error is info.value  # the very error raised, not a copy


async def test_rate_limits_past_the_budget_fail_after_their_retries() -> None:
    toy = ScriptedToy()
    toy.default_submit = answer({"error": "slow"}, 429, Retry_After="2")
    seen: list[Event] = []
    async with make_client(toy, VirtualClock(), on_event=seen.append) as c:
        with pytest.raises(RateLimitedError):
            await c.inpaint(make_job(), "toy")
    kinds = [e.kind for e in seen]
    retries = [e for e in seen if isinstance(e, Retried)]
    assert kinds == ["planned", *["retried"] * len(retries), "failed"]
    assert [r.attempt for r in retries] == list(range(1, len(retries) + 1))
    assert len(retries) >= 1


async def test_stream_yields_the_events_of_one_job_and_ends_with_its_outcome() -> None:
    toy = ScriptedToy()
    toy.submits.append({"state": "pending", "id": "t1"})
    toy.polls.append({"state": "done", "id": "t1", "images": [{"b64": result_png()}]})
    everything: list[Event] = []
    async with make_client(toy, VirtualClock(), on_event=everything.append) as c:
        streamed = [event async for event in c.stream(make_job(), "toy")]
        # A job run outside the stream is not in it.
        toy.submits.append({"state": "done", "id": "s2", "images": [{"b64": result_png()}]})
        await c.inpaint(make_job(), "toy")
    assert [e.kind for e in streamed] == [
        "planned",
        "submitted",
        "polled",
        "downloaded",
        "finished",
    ]
    assert streamed == everything[: len(streamed)]
    assert len(everything) == len(streamed) + 4
    final = streamed[-1]
    assert isinstance(final, Finished)
    assert final.result.task_ids == ("t1",)


async def test_stream_of_a_failing_job_ends_with_failed_and_raises_nothing() -> None:
    toy = ScriptedToy()
    toy.polls.append({"state": "failed", "reason": "nope"})
    async with make_client(toy, VirtualClock()) as c:
        streamed = [event async for event in c.stream(make_job(), "toy")]
    final = streamed[-1]
    assert isinstance(final, Failed)
    assert isinstance(final.error, TaskFailedError)
    assert final.task_ids == ("t1",)


async def test_leaving_a_stream_early_cancels_the_job() -> None:
    toy = ScriptedToy()  # pending forever
    clock = VirtualClock(auto_advance=False)
    async with make_client(toy, clock) as c:
        async with aclosing(c.stream(make_job(), "toy")) as events:
            async for event in events:
                if isinstance(event, Submitted):
                    break
        assert clock.pending_sleepers == 0  # the poll loop's sleep was cancelled
    assert len(toy.requests) == 1


async def test_a_raising_callback_is_logged_and_does_not_change_the_outcome(
    caplog: pytest.LogCaptureFixture,
) -> None:
    toy = ScriptedToy()
    toy.submits.append({"state": "done", "id": "s1", "images": [{"b64": result_png()}]})

    def broken(event: Event) -> None:
        raise ValueError("callback bug")

    with caplog.at_level(logging.ERROR, logger="inpaintkit"):
        async with make_client(toy, VirtualClock(), on_event=broken) as c:
            result = await c.inpaint(make_job(), "toy")
    assert result.task_ids == ("s1",)
    assert any("callback raised" in r.getMessage() for r in caplog.records)


async def test_events_are_logged_with_structured_extra_and_never_the_key(
    caplog: pytest.LogCaptureFixture,
) -> None:
    toy = ScriptedToy()
    toy.submits += [
        answer({"error": "slow", "key": KEY}, 429, Retry_After="1"),
        {"state": "pending", "id": "t1", "eta": 2.0},
    ]
    toy.polls.append({"state": "failed", "reason": f"bad key {KEY}"})
    with caplog.at_level(logging.DEBUG, logger="inpaintkit"):
        async with make_client(toy, VirtualClock()) as c:
            with pytest.raises(InpaintError):
                await c.inpaint(make_job(), "toy")
    events = [r for r in caplog.records if hasattr(r, "event")]
    assert [r.event for r in events] == ["planned", "retried", "submitted", "failed"]  # type: ignore[attr-defined]
    retried = events[1]
    assert (retried.provider, retried.what, retried.reason, retried.delay) == (  # type: ignore[attr-defined]
        "toy",
        "submit",
        "rate limited",
        1.0,
    )
    assert events[2].levelno == logging.INFO
    assert events[3].error_type == "TaskFailedError"  # type: ignore[attr-defined]
    for record in caplog.records:
        assert KEY not in record.getMessage()
        assert KEY not in repr(vars(record))


def test_log_fields_never_collide_with_log_record_attributes() -> None:
    reserved = set(vars(logging.LogRecord("n", 0, "p", 0, "m", None, None))) | {
        "message",
        "asctime",
    }
    samples: list[Event] = [
        Planned("p", 0.0, 1, 1),
        Submitted("p", 0.0, ("a",), 0, 0.0),
        Polled("p", 0.0, "a", 1, False, 0.1, 2.0),
        Retried("p", 0.0, "poll", "rate limited", 1.0, 1, "a"),
        Downloaded("p", 0.0, 0, 10, 1, 1, "a"),
        Failed("p", 0.0, InpaintError("x"), ("a",)),
    ]
    for event in samples:
        assert not set(log_fields(event)) & reserved, event
