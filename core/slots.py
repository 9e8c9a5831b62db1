"""Request slots with priorities: polls and downloads go ahead of new submits.

With one FIFO semaphore for every request, a batch of 1,000 jobs queues 1,000 submits before
the first poll, so the first result waits for every submit.  Here a freed slot goes to the
waiter with the lowest priority number (ties in arrival order): work that finishes jobs
(:data:`FINISH`) before work that starts new ones (:data:`START`).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from typing import Final

__all__ = ["FINISH", "START", "PrioritySlots"]

FINISH: Final = 0
"""Polls, status checks and downloads: they bring a job to its end."""
START: Final = 1
"""Submits and image uploads: they start new work."""


class PrioritySlots:
    """At most ``size`` holders at once; waiters are served by priority, then arrival."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"size: must be >= 1, got {size}")
        self._free = size
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._sequence = itertools.count()
        self.in_use = 0
        self.peak = 0

    def take(self, priority: int) -> _Slot:
        """Hold one slot for the body of the ``async with``."""
        return _Slot(self, priority)

    async def _acquire(self, priority: int) -> None:
        if self._free > 0 and not self._waiters:
            self._free -= 1
        else:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiters, (priority, next(self._sequence), future))
            try:
                await future
            except asyncio.CancelledError:
                if future.done() and not future.cancelled():
                    self.in_use += 1  # granted just as it was cancelled: pass it on
                    self._release()
                raise
        self.in_use += 1
        self.peak = max(self.peak, self.in_use)

    def _release(self) -> None:
        self.in_use -= 1
        while self._waiters:
            _, _, future = heapq.heappop(self._waiters)
            if not future.done():
                future.set_result(None)  # the slot passes straight to this waiter
                return
        self._free += 1


class _Slot:
    """One :meth:`PrioritySlots.take`: a plain object rather than a generator-based context
    manager, since every request of every job takes one."""

    __slots__ = ("_priority", "_slots")

    def __init__(self, slots: PrioritySlots, priority: int) -> None:
        self._slots = slots
        self._priority = priority

    async def __aenter__(self) -> None:
        await self._slots._acquire(self._priority)

    async def __aexit__(self, *exc_info: object) -> None:
        self._slots._release()
