"""Injectable clocks, so that nothing in the library or its tests has to sleep for real.

Every wait in inpaintkit (poll intervals, backoff, Retry-After, deadlines) goes through a
:class:`Clock`.  Production code uses :class:`SystemClock`; tests and the conformance suite use
:class:`VirtualClock`, whose time moves only when someone sleeps on it or advances it, and which
can be shared with an in-process mock server so that both sides see the same time.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import threading
import time
from typing import Final, Protocol, runtime_checkable

__all__ = ["Clock", "SystemClock", "VirtualClock"]


@runtime_checkable
class Clock(Protocol):
    """A source of monotonic time in seconds, and a way to wait on it."""

    def time(self) -> float:
        """Return the current monotonic time in seconds."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        ...


class SystemClock:
    """The real monotonic clock and :func:`asyncio.sleep`."""

    def time(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def __repr__(self) -> str:
        return "SystemClock()"


class VirtualClock:
    """A clock whose time moves only when told to.

    With ``auto_advance`` (the default) time jumps, whenever the event loop has nothing else to
    run, to the *earliest* pending wake-up, and wakes the sleepers due then; so code that waits
    30 s runs instantly while still seeing 30 s pass, and a thousand jobs sleeping on one clock
    each see their own waits, not the sum of everybody's (time moves like a discrete-event
    simulation).  Without it, sleepers wait until :meth:`advance` carries time past their
    wake-up point.  Every requested sleep is recorded in :attr:`sleeps`, which is how tests
    assert that a Retry-After or an eta was honoured.

    The clock is thread-safe for :meth:`time` and :meth:`advance`, so one instance can be shared
    with a mock server running in a background thread.
    """

    _SETTLE_HOPS: Final = 1_000
    """Loop iterations to wait at most for runnable work to settle before jumping anyway."""

    def __init__(self, start: float = 0.0, *, auto_advance: bool = True) -> None:
        self._now = float(start)
        self._lock = threading.Lock()
        self._auto_advance = auto_advance
        self._waiters: list[tuple[float, int, asyncio.Future[None]]] = []  # a heap
        self._sequence = itertools.count()
        self._driving: set[asyncio.AbstractEventLoop] = set()
        self.sleeps: list[float] = []

    def time(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` and wake every sleeper whose time has come."""
        if seconds < 0:
            raise ValueError(f"seconds: must be >= 0, got {seconds}")
        with self._lock:
            self._now += seconds
            due = self._pop_due()
        _wake(due)

    def _pop_due(self) -> list[asyncio.Future[None]]:
        """Remove and return the waiters due at the current time (lock held)."""
        due = []
        while self._waiters and self._waiters[0][0] <= self._now:
            due.append(heapq.heappop(self._waiters)[2])
        return due

    async def sleep(self, seconds: float) -> None:
        seconds = max(0.0, float(seconds))
        self.sleeps.append(seconds)
        if self._auto_advance and seconds == 0:
            await asyncio.sleep(0)
            return
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            heapq.heappush(self._waiters, (self._now + seconds, next(self._sequence), future))
        if self._auto_advance:
            self._drive(loop)
        try:
            await future
        finally:
            if not future.done():  # cancelled: forget the wake-up
                future.cancel()

    # --- auto-advance -----------------------------------------------------------------------

    def _drive(self, loop: asyncio.AbstractEventLoop) -> None:
        if loop not in self._driving:
            self._driving.add(loop)
            loop.call_soon(self._settle, loop, self._SETTLE_HOPS, 0)

    def _settle(self, loop: asyncio.AbstractEventLoop, hops: int, quiet: int) -> None:
        """Wait until the loop has run everything runnable (so every task that is about to
        sleep has registered), then jump to the earliest wake-up."""
        ready = getattr(loop, "_ready", None)
        busy = len(ready) if ready is not None else 0
        quiet = quiet + 1 if busy == 0 else 0
        if quiet < 2 and hops > 0:
            loop.call_soon(self._settle, loop, hops - 1, quiet)
            return
        self._driving.discard(loop)
        with self._lock:
            while self._waiters and self._waiters[0][2].done():  # cancelled sleepers
                heapq.heappop(self._waiters)
            if not self._waiters:
                return
            self._now = max(self._now, self._waiters[0][0])
            due = self._pop_due()
            more = bool(self._waiters)
        _wake(due)
        if more:
            self._drive(loop)

    @property
    def pending_sleepers(self) -> int:
        """How many coroutines are waiting for their wake-up time."""
        with self._lock:
            return sum(1 for w in self._waiters if not w[2].done())

    def __repr__(self) -> str:
        return f"VirtualClock(now={self.time():.3f}, auto_advance={self._auto_advance})"


def _wake(futures: list[asyncio.Future[None]]) -> None:
    for future in futures:
        if not future.done():
            future.get_loop().call_soon_threadsafe(_resolve, future)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
