"""Injectable clocks, so that nothing in the library or its tests has to sleep for real.

Every wait in inpaintkit (poll intervals, backoff, Retry-After, deadlines) goes through a
:class:`Clock`.  Production code uses :class:`SystemClock`; tests and the conformance suite use
:class:`VirtualClock`, whose time moves only when someone sleeps on it or advances it, and which
can be shared with an in-process mock server so that both sides see the same time.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Protocol, runtime_checkable

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

    With ``auto_advance`` (the default) a :meth:`sleep` moves time forward by the slept amount at
    once and yields to the event loop, so code that waits 30 s runs instantly while still seeing
    30 s pass.  Without it, sleepers wait until :meth:`advance` carries time past their wake-up
    point.  Every requested sleep is recorded in :attr:`sleeps`, which is how tests assert that a
    Retry-After or an eta was honoured.

    The clock is thread-safe for :meth:`time` and :meth:`advance`, so one instance can be shared
    with a mock server running in a background thread.
    """

    def __init__(self, start: float = 0.0, *, auto_advance: bool = True) -> None:
        self._now = float(start)
        self._lock = threading.Lock()
        self._auto_advance = auto_advance
        self._waiters: list[tuple[float, asyncio.Future[None]]] = []
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
            now = self._now
            due = [w for w in self._waiters if w[0] <= now]
            self._waiters = [w for w in self._waiters if w[0] > now]
        for _, future in due:
            loop = future.get_loop()
            loop.call_soon_threadsafe(_resolve, future)

    async def sleep(self, seconds: float) -> None:
        seconds = max(0.0, float(seconds))
        self.sleeps.append(seconds)
        if self._auto_advance:
            self.advance(seconds)
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        with self._lock:
            self._waiters.append((self._now + seconds, future))
        try:
            await future
        finally:
            with self._lock:
                self._waiters = [w for w in self._waiters if w[1] is not future]

    @property
    def pending_sleepers(self) -> int:
        """How many coroutines are waiting on :meth:`advance` (manual mode only)."""
        with self._lock:
            return len(self._waiters)

    def __repr__(self) -> str:
        return f"VirtualClock(now={self.time():.3f}, auto_advance={self._auto_advance})"


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
