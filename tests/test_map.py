"""client.map and SyncInpaintClient.map: outcomes as jobs finish, lazily read jobs (bounded
memory), typed outcomes for failures and for cancellation, on the in-memory toy transport."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

from inpaintkit import (
    AuthenticationError,
    InpaintError,
    InpaintJob,
    SyncInpaintClient,
    ValidationError,
    VirtualClock,
)
from inpaintkit.errors import JobCancelledError
from inpaintkit.mapping import JobMap, MapOutcome, MapSubmitted
from inpaintkit.provider import HttpResponse
from inpaintkit.ratelimit import RateLimit
from inpaintkit.transport import OutgoingRequest, TransportError
from test_client import KEY, make_job, registry
from test_ratelimit import DONE, Recorder, make_client
from toytransport import answer


async def consume(outcomes: JobMap) -> None:
    async with outcomes:
        async for _ in outcomes:
            pass


async def cancel(task: asyncio.Task[None]) -> None:
    """Cancel the consuming task, as a caller's timeout or Ctrl-C would."""
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def counted(count: int, pulled: list[int], **job: Any) -> Iterator[InpaintJob]:
    """``count`` jobs made one at a time, noting each pull (a manifest read lazily)."""
    for n in range(count):
        pulled.append(n)
        yield make_job(**job)


async def test_outcomes_come_as_jobs_finish_each_with_its_index_and_id() -> None:
    toy = Recorder(VirtualClock(), polls_to_finish=1)
    async with make_client(toy, concurrency=4) as client:
        jobs = [(f"line-{n}", make_job(steps=10 + n)) for n in range(6)]
        async with client.map(jobs, "toy") as outcomes:
            seen = [o async for o in outcomes]
    assert sorted(o.index for o in seen) == list(range(6))
    assert {o.id for o in seen} == {f"line-{n}" for n in range(6)}
    assert all(o.ok and o.provider == "toy" and o.error is None for o in seen)
    assert all(o.unwrap().images for o in seen)


async def test_a_finished_job_is_yielded_before_a_slow_one_started_earlier() -> None:
    toy = Recorder(VirtualClock(), polls_to_finish=3)
    toy.submit_answers += [answer({"state": "pending", "id": "slow"}), answer({**DONE, "id": "f"})]
    async with (
        make_client(toy, concurrency=4) as client,
        client.map([make_job(), make_job()], "toy") as outcomes,
    ):
        order = [o.index async for o in outcomes]
    assert order == [1, 0]


async def test_one_jobs_failure_is_its_outcome_and_the_loop_goes_on() -> None:
    toy = Recorder(VirtualClock(), sync=True)
    toy.submit_answers.append(answer({"error": "bad key"}, 401))
    async with make_client(toy, concurrency=1) as client:
        items: list[Any] = [make_job(), make_job(steps=500), "not a job", make_job()]
        async with client.map(items, "toy") as outcomes:
            seen = {o.index: o async for o in outcomes}
    assert isinstance(seen[0].error, AuthenticationError)
    assert isinstance(seen[1].error, ValidationError)  # steps over the toy's maximum
    assert isinstance(seen[2].error, ValidationError)
    assert seen[2].error.paths == ("$[2]",)
    assert seen[3].ok
    assert len(toy.times("submit")) == 2  # the invalid jobs sent nothing


async def test_jobs_are_read_only_as_places_free_up() -> None:
    toy = Recorder(VirtualClock(), polls_to_finish=2)
    pulled: list[int] = []
    yielded = 0
    async with make_client(toy, concurrency=8) as client:
        outcomes = client.map(counted(1_000, pulled), "toy", concurrency=3)
        async with outcomes:
            async for outcome in outcomes:
                yielded += 1
                # Never more read than running plus waiting to be taken.
                assert len(pulled) - yielded <= 2 * 3
                assert outcome.ok
    assert yielded == 1_000
    assert outcomes.peak_in_flight == 3
    assert toy.peak_open <= 3


async def test_the_default_concurrency_is_the_providers_job_limit() -> None:
    toy = Recorder(VirtualClock())
    async with make_client(
        toy, concurrency=8, rate_limits={"toy": RateLimit(concurrency=2)}
    ) as client:
        outcomes = client.map([make_job() for _ in range(5)], "toy")
        assert outcomes.concurrency == 2
        async with outcomes:
            assert len([o async for o in outcomes]) == 5
    assert outcomes.peak_in_flight == 2


async def test_an_async_iterable_of_jobs_is_read_lazily_too() -> None:
    toy = Recorder(VirtualClock(), sync=True)
    pulled: list[int] = []

    async def manifest() -> AsyncIterator[tuple[str, InpaintJob]]:
        for n in range(10):
            pulled.append(n)
            yield str(n), make_job()

    async with (
        make_client(toy) as client,
        client.map(manifest(), "toy", concurrency=2) as outcomes,
    ):
        first = await outcomes.__anext__()
        assert len(pulled) <= 4
        rest = [o async for o in outcomes]
    assert sorted(o.id or "" for o in [first, *rest]) == sorted(str(n) for n in range(10))


async def test_leaving_early_cancels_jobs_in_flight_with_their_billed_task_ids() -> None:
    clock = VirtualClock()
    toy = Recorder(clock, polls_to_finish=10**9)  # tasks never finish
    toy.sync = False
    pulled: list[int] = []
    async with make_client(toy, concurrency=8) as client:
        outcomes = client.map(
            ((str(n), job) for n, job in enumerate(counted(100, pulled))), "toy", concurrency=3
        )
        consumer = asyncio.create_task(consume(outcomes))
        while len(toy.times("poll")) < 6:  # every job submitted and polling
            await clock.sleep(1)
        await cancel(consumer)
        sent = len(toy.log)
        await clock.sleep(600)
    assert len(toy.log) == sent  # nothing more was sent after leaving
    assert len(pulled) == 3  # and nothing more was read
    assert sorted(o.index for o in outcomes.remaining) == [0, 1, 2]
    for outcome in outcomes.remaining:
        assert isinstance(outcome.error, JobCancelledError)
        assert outcome.error.task_ids == (f"t{outcome.index}",)
        assert f"t{outcome.index}" in str(outcome.error)
        assert not outcome.error.submit_in_flight


async def test_a_submit_on_its_way_at_cancel_is_let_answer_and_its_task_listed() -> None:
    clock = VirtualClock()
    arrived = asyncio.Event()
    release = asyncio.Event()

    async def slow(request: OutgoingRequest) -> HttpResponse:
        arrived.set()
        await release.wait()  # the provider answers only after the cancel
        return answer({"state": "pending", "id": "late"})

    toy = Recorder(clock)
    toy.transport._handler = slow
    async with make_client(toy) as client:
        outcomes = client.map([make_job(), make_job()], "toy", concurrency=1)
        consumer = asyncio.create_task(consume(outcomes))
        await arrived.wait()
        consumer.cancel()
        await asyncio.sleep(0)
        release.set()
        await asyncio.gather(consumer, return_exceptions=True)
    (outcome,) = outcomes.remaining
    assert isinstance(outcome.error, JobCancelledError)
    assert outcome.error.task_ids == ("late",)
    assert not outcome.error.submit_in_flight


async def test_a_submit_whose_answer_is_lost_at_cancel_is_reported_as_unknown() -> None:
    clock = VirtualClock()
    arrived = asyncio.Event()
    release = asyncio.Event()

    async def lost(request: OutgoingRequest) -> HttpResponse:
        arrived.set()
        await release.wait()
        raise TransportError("connection reset", reached=True)

    toy = Recorder(clock)
    toy.transport._handler = lost
    async with make_client(toy) as client:
        outcomes = client.map([make_job(), make_job()], "toy", concurrency=1)
        consumer = asyncio.create_task(consume(outcomes))
        await arrived.wait()
        consumer.cancel()
        await asyncio.sleep(0)
        release.set()
        await asyncio.gather(consumer, return_exceptions=True)
    (outcome,) = outcomes.remaining
    assert isinstance(outcome.error, JobCancelledError)
    assert outcome.error.submit_in_flight
    assert outcome.error.task_ids == ()
    assert "may have reached the provider" in str(outcome.error)


async def test_a_job_cancelled_before_its_turn_sent_nothing() -> None:
    toy = Recorder(VirtualClock(), polls_to_finish=10**9)
    async with make_client(
        toy, concurrency=8, rate_limits={"toy": RateLimit(concurrency=1)}
    ) as client:
        outcomes = client.map([make_job(), make_job()], "toy", concurrency=2)
        consumer = asyncio.create_task(consume(outcomes))
        while not toy.times("poll"):
            await toy.clock.sleep(1)
        await cancel(consumer)
    by_index = {o.index: o for o in outcomes.remaining}
    assert by_index[0].error is not None
    assert by_index[0].error.task_ids == ("t0",)
    second = by_index[1].error
    assert isinstance(second, JobCancelledError)
    assert second.task_ids == ()
    assert not second.submit_in_flight
    assert len(toy.times("submit")) == 1


def test_the_sync_twin_yields_the_same_records() -> None:
    toy = Recorder(VirtualClock(), sync=True)
    with SyncInpaintClient(
        api_keys={"toy": KEY},
        base_url="http://toy.invalid",
        registry=registry(),
        clock=toy.clock,
        transport=toy.transport,
    ) as client:
        pulled: list[int] = []
        with client.map(counted(20, pulled), "toy", concurrency=2) as outcomes:
            seen = list(outcomes)
        assert all(isinstance(o, MapOutcome) and o.ok for o in seen)
        assert sorted(o.index for o in seen) == list(range(20))
        more: list[int] = []
        with client.map(counted(20, more), "toy", concurrency=2) as outcomes:
            first = next(outcomes)
        submits = len(toy.times("submit"))
        assert first.ok
        assert len(more) <= 1 + 2 * 2  # read lazily, and not at all after leaving
        assert all(o.ok or isinstance(o.error, JobCancelledError) for o in outcomes.remaining)
    assert submits <= 20 + len(more)  # no job read after leaving was sent
    for outcome in outcomes.remaining:  # a cancelled job names the task its submit created
        assert outcome.ok or (outcome.error is not None and len(outcome.error.task_ids) <= 1)


async def test_on_submitted_gets_each_handle_before_the_wait_so_it_can_be_stored() -> None:
    clock = VirtualClock()
    toy = Recorder(clock, polls_to_finish=2)
    stored: dict[int, str] = {}
    polls_at_store: list[int] = []

    async def store(submitted: MapSubmitted) -> None:
        polls_at_store.append(len(toy.times("poll")))
        stored[submitted.index] = submitted.handle.to_json_text()
        assert submitted.id == f"j{submitted.index}"

    async with make_client(toy) as client:
        jobs = [(f"j{n}", make_job()) for n in range(3)]
        async with client.map(jobs, "toy", on_submitted=store) as outcomes:
            seen = [o async for o in outcomes]
        assert all(o.ok for o in seen)
        assert polls_at_store == [0, 0, 0]  # stored before any wait began
        resumed = await client.resume(stored[1], job=make_job())
    assert resumed.task_ids == ("t1",)


async def test_a_failing_on_submitted_is_that_jobs_typed_error_with_its_task() -> None:
    toy = Recorder(VirtualClock(), polls_to_finish=1)

    def broken(submitted: MapSubmitted) -> None:
        if submitted.index == 0:
            raise OSError("disk full")

    async with (
        make_client(toy) as client,
        client.map([make_job(), make_job()], "toy", on_submitted=broken) as outcomes,
    ):
        seen = {o.index: o async for o in outcomes}
    error = seen[0].error
    assert isinstance(error, InpaintError)
    assert error.task_ids == ("t0",)
    assert "disk full" in str(error)
    assert seen[1].ok
