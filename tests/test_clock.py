"""VirtualClock: time jumps to the earliest wake-up, so many sleepers can share one clock."""

from __future__ import annotations

import asyncio
import random

import pytest
from inpaintkit import VirtualClock


async def test_a_thousand_sleepers_each_wake_at_their_own_time() -> None:
    clock = VirtualClock()
    rng = random.Random(11)
    durations = [rng.choice([0.5, 1.0, 2.0, 3.5, 30.0]) + rng.random() for _ in range(1_000)]
    woke: list[tuple[float, float]] = []

    async def sleeper(seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((seconds, clock.time()))

    await asyncio.gather(*(sleeper(d) for d in durations))
    assert len(woke) == 1_000
    assert all(at == pytest.approx(seconds) for seconds, at in woke)
    assert clock.time() == pytest.approx(max(durations))  # not the sum (about 8,000 s)
    assert [at for _, at in woke] == sorted(at for _, at in woke)


async def test_a_thousand_pollers_share_the_clock_without_running_over_a_deadline() -> None:
    clock = VirtualClock()

    async def poller() -> float:
        started = clock.time()
        for delay in (1.0, 2.0, 3.0, 4.5):
            await clock.sleep(delay)
        return clock.time() - started

    elapsed = await asyncio.gather(*(poller() for _ in range(1_000)))
    assert all(e == pytest.approx(10.5) for e in elapsed)
    assert clock.time() == pytest.approx(10.5)


async def test_time_does_not_jump_while_other_work_is_runnable() -> None:
    clock = VirtualClock()
    seen: list[float] = []

    async def busy() -> None:
        for _ in range(50):
            seen.append(clock.time())
            await asyncio.sleep(0)

    await asyncio.gather(clock.sleep(5.0), busy())
    assert seen == [0.0] * 50
    assert clock.time() == 5.0


async def test_a_cancelled_sleeper_does_not_move_time() -> None:
    clock = VirtualClock()
    task = asyncio.create_task(clock.sleep(100.0))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await clock.sleep(1.0)
    assert clock.time() == 1.0
    assert clock.pending_sleepers == 0


async def test_sleeps_are_recorded_and_zero_does_not_block() -> None:
    clock = VirtualClock(start=10.0)
    await clock.sleep(0)
    await clock.sleep(-3)
    await clock.sleep(2.5)
    assert clock.sleeps == [0.0, 0.0, 2.5]
    assert clock.time() == 12.5


async def test_manual_mode_waits_for_advance() -> None:
    clock = VirtualClock(auto_advance=False)
    task = asyncio.create_task(clock.sleep(3.0))
    for _ in range(10):
        await asyncio.sleep(0)
    assert not task.done()
    assert clock.pending_sleepers == 1
    clock.advance(2.0)
    for _ in range(10):
        await asyncio.sleep(0)
    assert not task.done()
    clock.advance(1.0)
    await task
    assert clock.pending_sleepers == 0


async def test_hundreds_of_jobs_share_one_clock_without_timing_out() -> None:
    from aiohttp import web
    from aiohttp.test_utils import TestServer
    from test_client import ToyServer, client, make_job, result_png

    server = ToyServer()
    counter = iter(range(10_000))
    polls: dict[str, int] = {}
    image = result_png()

    async def submit(request: web.Request) -> web.Response:
        return web.json_response({"state": "pending", "id": f"t{next(counter)}"})

    async def poll(request: web.Request) -> web.Response:
        task = request.match_info["id"]
        polls[task] = polls.get(task, 0) + 1
        if polls[task] < 3:
            return web.json_response({"state": "pending", "id": task})
        return web.json_response({"state": "done", "id": task, "images": [{"b64": image}]})

    server.default_poll = poll
    test_server = TestServer(server.app(), host="127.0.0.1")
    await test_server.start_server()
    server.submit_script += [submit] * 300
    clock = VirtualClock()
    try:
        base = str(test_server.make_url("/")).rstrip("/")
        async with client(base, clock, concurrency=16) as c:  # toy deadline: 60 s
            results = await asyncio.gather(*(c.inpaint(make_job(), "toy") for _ in range(300)))
    finally:
        await test_server.close()
    assert len({r.task_ids for r in results}) == 300
    assert all(r.timings.total == pytest.approx(6.0, abs=6.0) for r in results)
    assert clock.time() < 60.0
