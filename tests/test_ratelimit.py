"""Client-side rate limits (core/ratelimit.py) on a VirtualClock: the bucket's rate, images
counted as Novita counts them, jobs in flight, the shared pause after a 429, overrides, and the
providers' documented limits as data."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
from inpaintkit import InpaintClient, SettingsError, VirtualClock
from inpaintkit.plugins import ProviderRegistry
from inpaintkit.provider import HttpResponse
from inpaintkit.ratelimit import RateLimit, TokenBucket
from inpaintkit.transport import MemoryTransport, OutgoingRequest
from test_client import KEY, make_job, registry, result_png
from toyprovider import ToyAdapter
from toytransport import answer

DONE = {"state": "done", "id": "s", "images": [{"b64": result_png()}]}


class Recorder:
    """The toy provider in memory, noting the clock time of every request it receives.

    Submits answer ``pending`` with ids t0, t1...; a task is done at its ``polls_to_finish``-th
    poll; ``poll_answers`` scripts the first polls (across all tasks) instead.
    """

    def __init__(self, clock: VirtualClock, *, sync: bool = False, polls_to_finish: int = 2):
        self.clock = clock
        self.sync = sync
        self.polls_to_finish = polls_to_finish
        self.poll_answers: list[HttpResponse] = []
        self.submit_answers: list[HttpResponse] = []
        self.log: list[tuple[float, str]] = []
        self._ids = itertools.count()
        self._polls: dict[str, int] = {}
        self.open_tasks: set[str] = set()
        self.peak_open = 0
        self.transport = MemoryTransport(self.handle)

    def handle(self, request: OutgoingRequest) -> HttpResponse:
        now = self.clock.time()
        if request.url.endswith("/toy/submit"):
            self.log.append((now, "submit"))
            if self.submit_answers:
                return self.submit_answers.pop(0)
            task = f"t{next(self._ids)}"
            if self.sync:
                return answer({**DONE, "id": task})
            self.open_tasks.add(task)
            self.peak_open = max(self.peak_open, len(self.open_tasks))
            return answer({"state": "pending", "id": task})
        task = request.url.rsplit("/", 1)[1]
        self.log.append((now, f"poll {task}"))
        if self.poll_answers:
            return self.poll_answers.pop(0)
        self._polls[task] = self._polls.get(task, 0) + 1
        if self._polls[task] >= self.polls_to_finish:
            self.open_tasks.discard(task)
            return answer({**DONE, "id": task})
        return answer({"state": "pending", "id": task})

    def times(self, kind: str) -> list[float]:
        return [t for t, what in self.log if what.startswith(kind)]


def make_client(toy: Recorder, **kwargs: Any) -> InpaintClient:
    kwargs.setdefault("retry_jitter", 0.0)
    kwargs.setdefault("api_keys", {"toy": KEY})
    return InpaintClient(
        base_url="http://toy.invalid",
        registry=kwargs.pop("registry", None) or registry(),
        clock=toy.clock,
        transport=toy.transport,
        **kwargs,
    )


async def run_all(client: InpaintClient, count: int, **job: Any) -> list[Any]:
    async with client:
        return await asyncio.gather(*(client.inpaint(make_job(**job), "toy") for _ in range(count)))


# --- the bucket -------------------------------------------------------------------------------


async def test_bucket_spaces_takes_at_its_rate_and_serves_in_arrival_order() -> None:
    clock = VirtualClock()
    bucket = TokenBucket(rate=10 / 60, capacity=1, clock=clock)
    served: list[tuple[int, float]] = []

    async def take(n: int) -> None:
        await bucket.take()
        served.append((n, clock.time()))

    await asyncio.gather(*(take(n) for n in range(4)))
    assert served == [(0, 0.0), (1, 6.0), (2, 12.0), (3, 18.0)]


async def test_bucket_take_above_capacity_goes_into_debt_so_the_average_rate_holds() -> None:
    clock = VirtualClock()
    bucket = TokenBucket(rate=1.0, capacity=2, clock=clock)
    assert await bucket.take(5) == 0.0  # a full bucket lets it go, 3 units in debt
    assert await bucket.take(1) == pytest.approx(4.0)  # back to 1 unit takes 4 s
    clock.advance(10)
    assert await bucket.take(2) == 0.0  # refilled only up to the capacity


async def test_requests_per_minute_spaces_the_submits_of_concurrent_jobs() -> None:
    toy = Recorder(VirtualClock(), sync=True)
    client = make_client(toy, concurrency=8, rate_limits={"toy": RateLimit(requests_per_minute=10)})
    await run_all(client, 5)
    assert toy.times("submit") == [0.0, 6.0, 12.0, 18.0, 24.0]


async def test_images_per_minute_counts_every_image_a_submit_asks_for() -> None:
    toy = Recorder(VirtualClock(), sync=True)
    client = make_client(toy, concurrency=8, rate_limits={"toy": RateLimit(images_per_minute=10)})
    await run_all(client, 3, num_images=2)
    # 2 images cost 12 s of a 10-images-per-minute budget each (one request per job).
    assert toy.times("submit") == [0.0, 12.0, 24.0]


async def test_without_a_limit_submits_are_not_spaced() -> None:
    toy = Recorder(VirtualClock(), sync=True)
    await run_all(make_client(toy, concurrency=8), 5)
    assert toy.times("submit") == [0.0] * 5


async def test_job_limit_bounds_tasks_running_at_the_provider() -> None:
    toy = Recorder(VirtualClock(), polls_to_finish=3)
    client = make_client(toy, concurrency=8, rate_limits={"toy": RateLimit(concurrency=2)})
    results = await run_all(client, 6)
    assert len(results) == 6
    assert toy.peak_open == 2  # without the limit all six run at once


# --- the shared pause after a 429 ---------------------------------------------------------------


async def test_a_429_pauses_every_request_to_that_provider_until_its_retry_after() -> None:
    clock = VirtualClock()
    toy = Recorder(clock, polls_to_finish=2)
    toy.poll_answers.append(answer({"error": "slow down"}, 429, Retry_After="30"))
    client = make_client(toy, concurrency=8)
    await run_all(client, 3)
    # The submits went at 0 and the first poll at 1, answered 429 (Retry-After 30).  Without a
    # shared pause the other two jobs would poll at 1 and again at 3, 6, ... meanwhile.
    assert toy.times("submit") == [0.0, 0.0, 0.0]
    polls = toy.log[3:]
    assert polls[0] == (1.0, "poll t0")
    assert min(t for t, _ in polls[1:]) == 31.0
    first = {what: t for t, what in reversed(polls[1:])}
    assert first == {"poll t0": 31.0, "poll t1": 31.0, "poll t2": 31.0}
    assert client.limiter("toy").pauses == 1


async def test_a_429_on_a_submit_holds_back_the_other_jobs_submits() -> None:
    clock = VirtualClock()
    toy = Recorder(clock, sync=True)
    toy.submit_answers.append(answer({"error": "slow down"}, 429, Retry_After="20"))
    # One submit a second: the first, at 0, is answered 429 (Retry-After 20); the other jobs'
    # submits, due at 1 and 2, wait with it instead of each meeting the limit on its own.
    client = make_client(toy, concurrency=8, rate_limits={"toy": RateLimit(requests_per_minute=60)})
    await run_all(client, 3)
    times = toy.times("submit")
    assert times[0] == 0.0
    assert len(times) == 4
    assert min(times[1:]) == 20.0


async def test_a_429_without_retry_after_pauses_for_the_policys_backoff() -> None:
    clock = VirtualClock()
    toy = Recorder(clock, polls_to_finish=2)
    toy.poll_answers.append(answer({"error": "slow down"}, 429))
    client = make_client(toy, concurrency=8)
    await run_all(client, 2)
    delay = registry()["toy"].spec.polling.rate_limit_delay  # 10 s, the first backoff
    assert [t for t in toy.times("poll") if 1.0 < t < 1.0 + delay] == []


async def test_the_pause_is_per_provider() -> None:
    clock = VirtualClock()
    toy = Recorder(clock)
    reg = ProviderRegistry([ToyAdapter(), ToyAdapter(provider_id="other")])
    client = make_client(toy, registry=reg, api_keys={"toy": KEY, "other": KEY})
    async with client:
        client.limiter("toy").pause(100)
        await client.limiter("other").wait_pause()
        assert clock.time() == 0.0
        await client.limiter("toy").wait_pause()
        assert clock.time() == 100.0


# --- overrides and the documented limits ------------------------------------------------------


def test_documented_limits_are_data_on_each_providers_spec_with_a_source() -> None:
    reg = ProviderRegistry.default()
    novita = reg["novita"].spec.rate_limit
    assert novita is not None
    assert novita.images_per_minute == 10
    assert novita.concurrency is None
    for platform in ("modelslab", "stablediffusionapi"):
        limit = reg[platform].spec.rate_limit
        assert limit is not None
        assert limit.concurrency == 5
    for provider in ("novita", "modelslab", "stablediffusionapi"):
        limit = reg[provider].spec.rate_limit
        assert limit is not None
        assert "reference" in limit.source


def test_overrides_replace_the_documented_limit_or_remove_it() -> None:
    from inpaintkit.providers.modelslab import plan_rate_limit

    faster = RateLimit(images_per_minute=60)
    client = InpaintClient(
        rate_limits={"novita": faster, "modelslab": plan_rate_limit("standard"), "sdwebui": None}
    )
    assert client.rate_limit_for("novita") is faster
    limit = client.rate_limit_for("modelslab")
    assert limit is not None
    assert limit.concurrency == 10
    assert client.rate_limit_for("sdwebui") is None
    assert client.rate_limit_for("stablediffusionapi") == (
        client.registry["stablediffusionapi"].spec.rate_limit
    )


async def test_an_override_is_what_the_client_enforces() -> None:
    toy = Recorder(VirtualClock(), sync=True)
    reg = registry()
    limited = RateLimit(requests_per_minute=1)
    client = make_client(toy, registry=reg, rate_limits={"toy": RateLimit(requests_per_minute=60)})
    assert client.rate_limit_for("toy") != limited
    await run_all(client, 3)
    assert toy.times("submit") == [0.0, 1.0, 2.0]


async def test_an_override_for_an_unknown_provider_is_named_before_anything_is_sent() -> None:
    toy = Recorder(VirtualClock(), sync=True)
    client = make_client(toy, rate_limits={"tyo": RateLimit(requests_per_minute=1)})
    with pytest.raises(SettingsError) as info:
        await run_all(client, 1)
    assert "rate_limits['tyo']" in str(info.value)
    assert "installed" in str(info.value)
    assert toy.log == []


def test_invalid_limits_are_refused_with_field_value_and_rule() -> None:
    with pytest.raises(SettingsError) as info:
        RateLimit(requests_per_minute=0, images_per_minute=float("nan"), concurrency=0, burst=0)
    text = str(info.value)
    for name in ("requests_per_minute", "images_per_minute", "concurrency", "burst"):
        assert name in text
    with pytest.raises(SettingsError, match=r"rate_limits\['novita'\]"):
        InpaintClient(rate_limits={"novita": 10})  # type: ignore[dict-item]
