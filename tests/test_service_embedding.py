"""What a service embedding the client relies on: callbacks that run, typed outcomes for every
job however it ends (a caller's timeout included), honest errors when the service's own hook
fails.

The toy provider answers from an in-memory script (tests/toytransport.py) and time is a
VirtualClock: nothing waits for real and nothing leaves the process.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from typing import Any

import pytest
from inpaintkit import InpaintClient, VirtualClock
from inpaintkit.errors import JobCancelledError
from inpaintkit.events import Event, Failed, Submitted
from inpaintkit.mapping import MapSubmitted
from inpaintkit.plugins import ProviderRegistry
from inpaintkit.ratelimit import RateLimit
from inpaintkit.settings import SettingsError
from test_client import KEY, make_job, registry, result_png
from test_ratelimit import Recorder
from test_ratelimit import make_client as make_ratelimit_client
from toyprovider import ToyAdapter
from toytransport import ScriptedToy


def make_client(toy: ScriptedToy, clock: VirtualClock, **kwargs: Any) -> InpaintClient:
    return InpaintClient(
        api_keys={"toy": KEY},
        base_url="http://toy.invalid",
        registry=registry(),
        clock=clock,
        transport=toy.transport,
        retry_jitter=0.0,
        **kwargs,
    )


# --- on_event ------------------------------------------------------------------------------------


async def _async_callback(event: Event) -> None:  # pragma: no cover - never awaited
    pass


class _AsyncCallable:
    async def __call__(self, event: Event) -> None:  # pragma: no cover - never awaited
        pass


@pytest.mark.parametrize("callback", [_async_callback, _AsyncCallable()])
def test_an_async_on_event_callback_is_refused_rather_than_silently_never_run(
    callback: Any,
) -> None:
    # Before, the client called it, dropped the coroutine ("never awaited") and the service
    # saw no event at all.
    with pytest.raises(SettingsError) as caught:
        InpaintClient(on_event=callback)
    assert caught.value.paths == ("on_event",)
    assert "never be awaited" in str(caught.value)


async def test_a_callback_returning_an_awaitable_is_reported_and_the_job_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    toy = ScriptedToy()
    toy.submits.append({"state": "done", "id": "s1", "images": [{"b64": result_png()}]})
    made: list[Any] = []

    def schedules_nothing(event: Event) -> Any:
        made.append(_async_callback(event))
        return made[-1]

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "coroutine was never awaited" left behind
        with caplog.at_level(logging.ERROR, logger="inpaintkit"):
            async with make_client(toy, VirtualClock(), on_event=schedules_nothing) as c:
                result = await c.inpaint(make_job(), "toy")
    assert result.task_ids == ("s1",)
    assert made
    assert all(coro.cr_frame is None for coro in made)  # closed, not left pending
    assert any("returned an awaitable" in r.getMessage() for r in caplog.records)


# --- a caller's cancellation ------------------------------------------------------------------


async def test_a_call_cancelled_by_its_callers_timeout_still_reports_its_billed_tasks() -> None:
    # A service bounds each request with asyncio.timeout: the caller gets TimeoutError, as
    # asyncio promises, and the job's end is still an event naming the task that may be
    # billed (before, the last event was Submitted and the task id went nowhere).
    toy = ScriptedToy()  # the task stays pending
    seen: list[Event] = []
    limits: list[asyncio.Timeout] = []

    def expire_on_submit(event: Event) -> None:
        seen.append(event)
        if isinstance(event, Submitted):  # the caller's time is up just after the submit
            limits[0].reschedule(asyncio.get_running_loop().time())

    async def bounded(client: InpaintClient) -> None:
        async with asyncio.timeout(None) as limit:
            limits.append(limit)
            await client.inpaint(make_job(), "toy")

    async with make_client(toy, VirtualClock(auto_advance=False), on_event=expire_on_submit) as c:
        with pytest.raises(TimeoutError):
            await bounded(c)
    assert [type(e).__name__ for e in seen][-2:] == ["Submitted", "Failed"]
    failed = seen[-1]
    assert isinstance(failed, Failed)
    assert isinstance(failed.error, JobCancelledError)
    assert failed.task_ids == ("t1",)
    assert "t1" in str(failed.error)
    assert len(toy.requests) == 1  # submitted once, never again


async def test_a_cancelled_task_ends_with_one_failed_event_and_the_cancellation() -> None:
    toy = ScriptedToy()
    seen: list[Event] = []
    submitted = asyncio.Event()

    def note(event: Event) -> None:
        seen.append(event)
        if isinstance(event, Submitted):
            submitted.set()

    async with make_client(toy, VirtualClock(auto_advance=False), on_event=note) as c:
        call = asyncio.ensure_future(c.inpaint(make_job(), "toy"))
        await submitted.wait()
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
    failures = [e for e in seen if isinstance(e, Failed)]
    assert len(failures) == 1
    assert isinstance(failures[0].error, JobCancelledError)
    assert failures[0].task_ids == ("t1",)


# --- map's on_submitted ---------------------------------------------------------------------


def _store_down(submitted: MapSubmitted) -> None:
    raise OSError("disk full")


async def _async_store_down(submitted: MapSubmitted) -> None:
    raise OSError("disk full")


@pytest.mark.parametrize("hook", [_store_down, _async_store_down])
async def test_a_failing_on_submitted_is_named_as_the_callers_error_with_its_cause(
    hook: Any,
) -> None:
    # The service's store failing is not "a bug in inpaintkit or a plugin; please report it"
    # (what the outcome said before, with the OSError dropped).
    toy = ScriptedToy()
    toy.default_submit = {"state": "pending", "id": "t7"}
    async with (
        make_client(toy, VirtualClock()) as c,
        c.map([make_job()], "toy", on_submitted=hook) as outcomes,
    ):
        (outcome,) = [o async for o in outcomes]
    error = outcome.error
    assert error is not None
    assert "on_submitted raised OSError: disk full" in str(error)
    assert "bug in inpaintkit" not in str(error)
    assert isinstance(error.__cause__, OSError)
    assert error.task_ids == ("t7",)
    assert error.provider == "toy"


# --- one client, several providers -----------------------------------------------------------


async def test_jobs_for_a_free_provider_are_not_queued_behind_another_providers_rate_limit() -> (
    None
):
    # One client serves every provider.  Jobs waiting for a provider's rate limit (Novita:
    # 10 images a minute) held the client's job places while they waited, so a job for a
    # provider with room to spare waited for all of them: minutes, for no reason of its own.
    toy = Recorder(VirtualClock(), sync=True)
    two = ProviderRegistry([ToyAdapter(provider_id="slow"), ToyAdapter(provider_id="fast")])
    client = make_ratelimit_client(
        toy,
        registry=two,
        api_keys={"slow": KEY, "fast": KEY},
        concurrency=2,
        rate_limits={"slow": RateLimit(requests_per_minute=1), "fast": None},
    )
    finished: dict[str, list[float]] = {"slow": [], "fast": []}

    async def one(provider: str) -> None:
        await client.inpaint(make_job(), provider)
        finished[provider].append(toy.clock.time())

    async with client:
        await asyncio.gather(*(one("slow") for _ in range(6)), *(one("fast") for _ in range(2)))
    assert finished["fast"] == [0.0, 0.0]
    assert finished["slow"] == [0.0, 60.0, 120.0, 180.0, 240.0, 300.0]  # its own limit holds
