"""Deferred actions on the mock clock (webhook deliveries and their retries, S3 uploads).

Nothing here sleeps: an action is due at a mock time, and :meth:`Scheduler.run_due` runs what is
due *now*.  The app calls it from a light ticker (so real-time mode delivers on its own), after
admin clock moves, and before answering a poll for the task concerned; tests call it directly
after advancing a manual clock.  The queue is bounded.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import threading
from collections.abc import Awaitable, Callable

import attrs

__all__ = ["Scheduler", "SchedulerFull"]

Action = Callable[[], Awaitable[None]]


class SchedulerFull(RuntimeError):
    """Too many pending actions (``MockConfig.max_pending_actions``)."""


@attrs.define(order=True)
class _Entry:
    due: float
    seq: int
    key: str = attrs.field(order=False)
    label: str = attrs.field(order=False)
    action: Action = attrs.field(order=False)


class Scheduler:
    def __init__(self, now: Callable[[], float], max_pending: int) -> None:
        self._now = now
        self._max_pending = max_pending
        self._heap: list[_Entry] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._run_lock: asyncio.Lock | None = None

    def schedule(self, due: float, action: Action, *, key: str = "", label: str = "") -> None:
        with self._lock:
            if len(self._heap) >= self._max_pending:
                raise SchedulerFull(f"pending actions: at most {self._max_pending}")
            heapq.heappush(self._heap, _Entry(due, next(self._seq), key, label, action))

    def reschedule(self, key: str, due: float) -> None:
        """Bring every action of ``key`` forward to ``due`` (a task finished early)."""
        with self._lock:
            for entry in self._heap:
                if entry.key == key and entry.due > due:
                    entry.due = due
            heapq.heapify(self._heap)

    def pending(self, key: str | None = None) -> list[tuple[float, str]]:
        with self._lock:
            return sorted((e.due, e.label) for e in self._heap if key is None or e.key == key)

    async def run_due(self, *, key: str | None = None) -> int:
        """Run every action due now (only those of ``key`` if given); return how many ran.

        Actions run one after another under a lock, so concurrent callers never run an action
        twice and a caller returns only after the actions it could see have finished."""
        if self._run_lock is None:
            self._run_lock = asyncio.Lock()
        ran = 0
        async with self._run_lock:
            while True:
                entry = self._pop_due(key)
                if entry is None:
                    return ran
                ran += 1
                await entry.action()

    def _pop_due(self, key: str | None) -> _Entry | None:
        now = self._now()
        with self._lock:
            candidates = [e for e in self._heap if e.due <= now and (key is None or e.key == key)]
            if not candidates:
                return None
            entry = min(candidates)
            self._heap.remove(entry)
            heapq.heapify(self._heap)
            return entry

    def clear(self) -> None:
        with self._lock:
            self._heap.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._heap)
