"""The rate limit holds at the moment requests are sent, not only when their turn is taken.

A submit took its rate-limit token, then waited for one of the client's request places (held
by other jobs' polls and downloads).  Submits whose tokens were spread over a minute then went
out together as places freed up: against the mock, with Novita's 10 images a minute, four
submits were sent within the same instant and the mock answered 429, though the docs promise
that no minute holds more than the rate.  The token is now taken when a place is held, just
before sending, and the wait for it happens without a place.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit import InpaintClient, InpaintJob, VirtualClock
from inpaintkit.mockserver import MockConfig, run_mock
from inpaintkit.transport import AiohttpTransport, OutgoingRequest

IMAGE = png_bytes(gradient_image(64, 64))
MASK = png_bytes(rect_mask(64, 64, (16, 16, 48, 48)))


class SendTimes(AiohttpTransport):
    """Notes the clock time each submit leaves, and its answer's status."""

    def __init__(self, session: Any, clock: VirtualClock) -> None:
        super().__init__(session)
        self.clock = clock
        self.submits: list[tuple[float, int]] = []

    async def send(self, request: OutgoingRequest, *, timeout: float) -> Any:
        sent = self.clock.time()
        response = await super().send(request, timeout=timeout)
        if request.method == "POST":
            self.submits.append((sent, response.status))
        return response


async def test_submits_leave_no_closer_than_the_rate_allows() -> None:
    import aiohttp

    clock = VirtualClock()
    async with (
        run_mock(MockConfig(seed=1), clock=clock) as mock,
        aiohttp.ClientSession() as session,
    ):
        transport = SendTimes(session, clock)
        async with InpaintClient(
            api_keys={"novita": "k"}, base_url=mock.url, clock=clock, transport=transport
        ) as client:
            jobs = [
                InpaintJob(
                    image=IMAGE,
                    mask=MASK,
                    prompt=f"job {i}",
                    seed=i + 1,
                    model="sd_xl_base_1.0.safetensors",
                )
                for i in range(16)
            ]
            results = await asyncio.gather(*(client.inpaint(j, "novita") for j in jobs))
    assert len(results) == 16
    statuses = [status for _, status in transport.submits]
    assert statuses == [200] * 16  # no 429: the client stayed under the limit
    times = [sent for sent, _ in transport.submits]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # Novita: 10 images a minute, burst 1: one one-image submit every 6 s at most.
    assert min(gaps) >= 6.0 - 1e-6, gaps


class FrozenClock:
    """A test clock whose sleeps return at once and whose time never moves."""

    def time(self) -> float:
        return 1_000_000.0

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)


async def test_a_clock_that_does_not_move_spends_the_budget_anyway() -> None:
    """Waiting for a budget on a clock that never passes the time would wait forever: the
    submit goes after one wait, in debt, as ``TokenBucket.take`` always did."""
    from inpaintkit.ratelimit import ProviderLimiter, RateLimit

    limiter = ProviderLimiter(RateLimit(images_per_minute=10), FrozenClock())
    assert await limiter.ready_for(1)
    assert limiter.try_submit(1)
    assert limiter.submit_wait(1) == 6.0
    assert not await limiter.ready_for(1)  # slept, and the clock did not move
    assert not limiter.try_submit(1)
    assert limiter.try_submit(1, force=True)
    assert limiter.submit_wait(1) == 12.0  # in debt: later submits wait it off


async def test_a_virtual_clock_far_from_zero_never_waits_for_a_rounding_error() -> None:
    """At a large clock time, a wait of a rounding error does not move the clock: the bucket
    allows that hair of slack instead of asking for it."""
    from inpaintkit.ratelimit import ProviderLimiter, RateLimit

    clock = VirtualClock(start=1e9)
    limiter = ProviderLimiter(RateLimit(images_per_minute=7), clock)
    for _ in range(50):
        assert await asyncio.wait_for(limiter.ready_for(1), 5)
        assert limiter.try_submit(1)
    assert clock.time() == pytest.approx(1e9 + 49 * 60 / 7)
