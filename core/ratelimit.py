"""Client-side rate limits per provider: a token bucket, a shared 429 pause, a job limit.

A provider's documented limits are data on its spec (:attr:`ProviderSpec.rate_limit
<inpaintkit.provider.ProviderSpec.rate_limit>`, a :class:`RateLimit` with its source), so the
client can stay under them instead of learning them from 429 answers, and a batch of 10,000
jobs does not burn its retries against a limit it could have known.  Users override them per
provider (``InpaintClient(rate_limits={"novita": RateLimit(images_per_minute=60)})``), for a
plan with higher limits.

:class:`ProviderLimiter` is what the client holds per provider:

* token buckets (:class:`TokenBucket`) for requests and images per minute, spent at the moment
  a submit is sent (:meth:`ProviderLimiter.try_submit`, once the request holds one of the
  client's places) and waited for before that, without a place (:meth:`ProviderLimiter.
  ready_for`), on the client's injectable clock (so tests run on a ``VirtualClock``): a budget
  spent earlier, then a wait for a place, would let submits spread over a minute leave together;
* a shared pause: when one request to the provider is answered 429, every request to that
  provider (submits and polls, from every job) waits until the delay that request waits for
  (its Retry-After, else the policy's backoff), instead of each worker finding out alone;
* a limit on jobs in flight at once (ModelsLab counts *queued requests* per account).
"""

from __future__ import annotations

import asyncio
import math
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any, Final

import attrs

from .clock import Clock
from .errors import FieldError
from .settings import SettingsError

__all__ = ["ProviderLimiter", "RateLimit", "TokenBucket"]


def _rate_errors(name: str, value: Any) -> list[FieldError]:
    if value is None:
        return []
    if isinstance(value, bool) or not isinstance(value, int | float):
        return [FieldError(name, "must be a number per minute", value)]
    if not math.isfinite(value) or value <= 0:
        return [FieldError(name, "must be a finite number > 0 (or None: no limit)", value)]
    return []


def _count_errors(name: str, value: Any, *, optional: bool) -> list[FieldError]:
    if value is None and optional:
        return []
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return [FieldError(name, "must be an integer >= 1", value)]
    return []


@attrs.frozen
class RateLimit:
    """A provider's limits per API key, as the client enforces them.

    ``requests_per_minute`` counts submits; ``images_per_minute`` counts the images they ask
    for (Novita limits images, so a request of 4 images costs 4); ``concurrency`` bounds jobs
    in flight at once (from the first image read to the result); ``burst`` is how many units
    a bucket may spend at once after being idle (1: evenly spaced, so no window of a minute
    ever holds more than the rate, whichever way the provider counts its minute).  ``source``
    says where the numbers come from.  ``None`` means no limit of that kind.
    """

    requests_per_minute: float | None = None
    images_per_minute: float | None = None
    concurrency: int | None = None
    burst: int = 1
    source: str = ""

    def __attrs_post_init__(self) -> None:
        errors = [
            *_rate_errors("requests_per_minute", self.requests_per_minute),
            *_rate_errors("images_per_minute", self.images_per_minute),
            *_count_errors("concurrency", self.concurrency, optional=True),
            *_count_errors("burst", self.burst, optional=False),
        ]
        if errors:
            raise SettingsError(errors)

    def describe(self) -> str:
        """One line for docs and logs: ``10 images/min, 5 jobs at once``."""
        parts = []
        if self.requests_per_minute is not None:
            parts.append(f"{self.requests_per_minute:g} requests/min")
        if self.images_per_minute is not None:
            parts.append(f"{self.images_per_minute:g} images/min")
        if self.concurrency is not None:
            parts.append(f"{self.concurrency} jobs at once")
        return ", ".join(parts) or "no limit"


class TokenBucket:
    """``rate`` units per second, at most ``capacity`` saved up, on ``clock``.

    Takers are served in arrival order (one lock, held while waiting).  A take larger than the
    capacity waits for a full bucket and leaves it in debt, so the average rate holds for
    requests of any size.
    """

    def __init__(self, rate: float, capacity: float, clock: Clock) -> None:
        self.rate = rate
        self.capacity = capacity
        self._clock = clock
        self._tokens = capacity
        self._updated = clock.time()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock.time()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def wait_time(self, amount: float = 1.0) -> float:
        """Seconds until ``amount`` may be spent (0: now)."""
        self._refill()
        need = min(amount, self.capacity)
        # A hair of slack: a refill that lands a rounding error short must not ask for a wait
        # too small to move the clock.
        return 0.0 if self._tokens >= need - 1e-6 else (need - self._tokens) / self.rate

    def try_take(self, amount: float = 1.0, *, force: bool = False) -> bool:
        """Spend ``amount`` if it may be spent now (a take larger than the capacity needs a full
        bucket and leaves it in debt, as :meth:`take`); ``False`` spends nothing.  With
        ``force``, spend it anyway (into debt, which later takers wait off)."""
        if not force and self.wait_time(amount) > 0:
            return False
        self._refill()
        self._tokens -= amount
        return True

    async def take(self, amount: float = 1.0) -> float:
        """Wait until ``amount`` may be spent, spend it, and return the seconds waited."""
        async with self._lock:
            self._refill()
            need = min(amount, self.capacity)
            waited = 0.0
            if self._tokens < need:
                waited = (need - self._tokens) / self.rate
                await self._clock.sleep(waited)
                self._refill()
            self._tokens -= amount
            return waited


class ProviderLimiter:
    """One provider's limits in one client: buckets, the shared 429 pause, the job slots."""

    def __init__(self, limit: RateLimit | None, clock: Clock) -> None:
        self.limit = limit
        self._clock = clock
        burst = float(limit.burst) if limit is not None else 1.0
        self._requests = _bucket(limit.requests_per_minute if limit else None, burst, clock)
        self._images = _bucket(limit.images_per_minute if limit else None, burst, clock)
        self._jobs = (
            asyncio.Semaphore(limit.concurrency)
            if limit is not None and limit.concurrency is not None
            else None
        )
        self.paused_until = -math.inf
        """Clock time before which no request goes to this provider (set by a 429)."""
        self.pauses = 0
        """How many 429 answers paused this provider (for tests and benches)."""

    async def before_submit(self, images: int) -> None:
        """Wait for the shared pause and the request and image budgets of one submit, and
        spend them (:meth:`ready_for` then :meth:`try_submit`, which the client calls apart:
        the first before it holds a request place, the second once it does)."""
        while True:
            moving = await self.ready_for(images)
            if self.try_submit(images, force=not moving):
                return

    def submit_wait(self, images: int) -> float:
        """Seconds until a submit of ``images`` may be sent: the shared pause, then both
        budgets (0: now)."""
        wait = max(0.0, self.paused_until - self._clock.time())
        if self._requests is not None:
            wait = max(wait, self._requests.wait_time(1.0))
        if self._images is not None:
            wait = max(wait, self._images.wait_time(float(images)))
        return wait

    async def ready_for(self, images: int) -> bool:
        """Wait until a submit of ``images`` may be sent, spending nothing (a place is not held
        meanwhile; :meth:`try_submit` spends the budgets once it is).

        ``False`` when the clock did not pass the time waited for (a test clock whose sleeps
        do not wait): the caller then spends the budgets anyway, as :meth:`TokenBucket.take`
        does, instead of waiting for a time that never comes.
        """
        while (wait := self.submit_wait(images)) > 0:
            started = self._clock.time()
            await self._clock.sleep(wait)
            if self._clock.time() - started < wait / 2:
                return False
        return True

    def try_submit(self, images: int, *, force: bool = False) -> bool:
        """Spend the budgets of a submit of ``images`` being sent now, if both allow it and no
        pause runs; ``False`` spends nothing (another submit was quicker: wait again).  With
        ``force`` (after :meth:`ready_for` found a clock that does not move), spend them
        anyway."""
        if not force and self.submit_wait(images) > 0:
            return False
        if self._requests is not None:
            self._requests.try_take(1.0, force=True)
        if self._images is not None:
            self._images.try_take(float(images), force=True)
        return True

    def paused(self) -> bool:
        """Whether a 429 answer's pause is still running (then :meth:`wait_pause` waits): a
        check every request makes, cheaper than starting a coroutine that returns at once."""
        return self.paused_until > self._clock.time()

    async def wait_pause(self) -> None:
        """Wait while a 429 answer has paused this provider (the pause may grow meanwhile)."""
        while (left := self.paused_until - self._clock.time()) > 0:
            await self._clock.sleep(left)

    def pause(self, seconds: float) -> None:
        """A request was answered 429 and waits ``seconds``: every other request waits too."""
        self.pauses += 1
        self.paused_until = max(self.paused_until, self._clock.time() + max(0.0, seconds))

    def job(self) -> AbstractAsyncContextManager[Any]:
        """Hold one of the provider's job slots (if it limits jobs in flight): the semaphore
        itself, or a shared no-op, so that each of thousands of waiting jobs holds no
        context-manager object or generator frame of its own."""
        return self._jobs if self._jobs is not None else _NO_JOB_LIMIT


_NO_JOB_LIMIT: Final = nullcontext()


def _bucket(per_minute: float | None, burst: float, clock: Clock) -> TokenBucket | None:
    return None if per_minute is None else TokenBucket(per_minute / 60.0, burst, clock)
