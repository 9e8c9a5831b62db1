"""Tasks and their state machine on the mock clock.

A task's state is never stored as "the current status": it is computed from the clock each time
it is read (queued until ``queued_until``, processing until ``finish_at``, then succeeded or
failed), which is why eta and progress are always consistent with the clock, whoever moves it.
``finish_at = None`` is a task stuck in processing.  In finish-after-N-polls mode the N-th poll
pins ``finish_at`` to that moment.
"""

from __future__ import annotations

import heapq
import itertools
import math
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any, Literal

import attrs

__all__ = ["Task", "TaskState", "TaskStore"]

TaskState = Literal["queued", "processing", "succeeded", "failed"]


@attrs.define(eq=False)
class Task:
    """One generation task.  ``data`` holds provider-specific values (ids, meta, options)."""

    id: str
    provider: str
    owner: str
    created_at: float
    queued_until: float
    finish_at: float | None
    fail_reason: str | None = None
    finish_after_polls: int | None = None
    polls: int = 0
    file_keys: list[str] = attrs.Factory(list)
    data: dict[str, Any] = attrs.Factory(dict)
    results_ttl: float | None = None
    """Seconds the outputs' links live after the task finishes (``None``: they never expire).
    The store never evicts a task whose links are still live."""

    def state(self, now: float) -> TaskState:
        if self.finish_at is not None and now >= self.finish_at:
            return "failed" if self.fail_reason is not None else "succeeded"
        return "processing" if now >= self.queued_until else "queued"

    def is_final(self, now: float) -> bool:
        return self.state(now) in ("succeeded", "failed")

    def eta(self, now: float) -> float:
        """Seconds until the task should finish (a stuck task keeps promising a few seconds)."""
        if self.finish_at is None:
            return 5.0
        return max(0.0, self.finish_at - now)

    def progress_percent(self, now: float) -> int:
        state = self.state(now)
        if state in ("succeeded", "failed"):
            return 100
        if state == "queued" or self.finish_at is None:
            return 0 if state == "queued" else 50
        span = self.finish_at - self.queued_until
        if span <= 0:
            return 99
        return max(0, min(99, int((now - self.queued_until) / span * 100)))


class TaskStore:
    """Tasks by id, bounded by count and age, with every bookkeeping step O(log n).

    - **Age**: tasks older than ``max_age`` mock seconds are dropped (a heap by creation time).
    - **Count**: beyond ``max_tasks``, the task whose protection ended earliest is evicted (a
      heap by "protected until").  A task is protected while it is unfinished and, once
      finished, while its output links are live (``results_ttl`` after it finished; forever if
      its outputs never expire).  Protected tasks are never evicted, so a burst of one
      provider's submits cannot drop another's task while it is being polled; when every task
      is protected the store grows past ``max_tasks`` and ``max_age`` still bounds it.
    - **Unfinished counts** (queue caps, ``sync_mode = "load"``) come from a heap of finish
      times drained as the clock passes them, with counters per provider and owner.

    Heaps use lazy deletion: an entry whose task is gone or whose time changed is skipped.
    """

    def __init__(self, max_tasks: int, max_age: float) -> None:
        self._lock = threading.Lock()
        self._tasks: dict[str, Task] = {}
        self._max_tasks = max_tasks
        self._max_age = max_age
        self._seq = itertools.count()
        self._by_age: list[tuple[float, int, str]] = []
        self._by_protection: list[tuple[float, int, str]] = []
        self._by_finish: list[tuple[float, int, str]] = []
        self._live: dict[str, float] = {}  # unfinished task id -> its current finish time
        self._unfinished: Counter[tuple[str | None, str | None]] = Counter()

    @staticmethod
    def _protected_until(task: Task) -> float:
        if task.finish_at is None:
            return math.inf
        if not task.file_keys:
            return task.finish_at
        if task.results_ttl is None:
            return math.inf
        return task.finish_at + task.results_ttl

    def add(self, task: Task) -> None:
        with self._lock:
            if task.id in self._tasks:
                self._forget(task.id)
            self._tasks[task.id] = task
            seq = next(self._seq)
            heapq.heappush(self._by_age, (task.created_at, seq, task.id))
            heapq.heappush(self._by_protection, (self._protected_until(task), seq, task.id))
            self._track_finish(task)
            self._expire(task.created_at - self._max_age)
            self._evict(task.created_at)

    def _track_finish(self, task: Task) -> None:
        finish = math.inf if task.finish_at is None else task.finish_at
        if task.id not in self._live:
            for key in self._count_keys(task):
                self._unfinished[key] += 1
        self._live[task.id] = finish
        heapq.heappush(self._by_finish, (finish, next(self._seq), task.id))

    @staticmethod
    def _count_keys(task: Task) -> tuple[tuple[str | None, str | None], ...]:
        return ((None, None), (task.provider, None), (task.provider, task.owner))

    def _finished(self, task_id: str) -> None:
        """Stop counting ``task_id`` as unfinished (it finished, or left the store)."""
        if self._live.pop(task_id, None) is None:
            return
        task = self._tasks.get(task_id)
        if task is not None:
            for key in self._count_keys(task):
                self._unfinished[key] -= 1

    def _forget(self, task_id: str) -> None:
        self._finished(task_id)
        self._tasks.pop(task_id, None)

    def _expire(self, cutoff: float) -> None:
        while self._by_age and self._by_age[0][0] < cutoff:
            created, _, task_id = heapq.heappop(self._by_age)
            task = self._tasks.get(task_id)
            if task is not None and task.created_at == created:
                self._forget(task_id)

    def _evict(self, now: float) -> None:
        while len(self._tasks) > self._max_tasks and self._by_protection:
            until, seq, task_id = self._by_protection[0]
            task = self._tasks.get(task_id)
            if task is None:
                heapq.heappop(self._by_protection)
                continue
            current = self._protected_until(task)
            if current != until:  # its finish time moved: re-file it
                heapq.heapreplace(self._by_protection, (current, seq, task_id))
                continue
            if until > now:
                return  # everything left is protected
            heapq.heappop(self._by_protection)
            self._forget(task_id)

    def get(self, task_id: str) -> Task | None:
        with self._lock:
            return self._tasks.get(task_id)

    def poll(self, task: Task, now: float) -> bool:
        """Count one poll; return True if this poll finished the task (finish-after-N-polls)."""
        with self._lock:
            task.polls += 1
            limit = task.finish_after_polls
            if limit is None or task.is_final(now) or task.polls < limit:
                return False
            task.queued_until = min(task.queued_until, now)
            task.finish_at = now
            if task.id in self._tasks:
                self._track_finish(task)
                seq = next(self._seq)
                heapq.heappush(self._by_protection, (self._protected_until(task), seq, task.id))
            return True

    def _drain(self, now: float) -> None:
        while self._by_finish and self._by_finish[0][0] <= now:
            finish, _, task_id = heapq.heappop(self._by_finish)
            if self._live.get(task_id) == finish:
                self._finished(task_id)

    def unfinished(
        self, now: float, *, provider: str | None = None, owner: str | None = None
    ) -> int:
        """How many tasks are not final at ``now`` (of ``provider``, and of ``owner`` too)."""
        if owner is not None and provider is None:
            raise ValueError("unfinished: owner needs provider")
        with self._lock:
            self._drain(now)
            return self._unfinished[(provider, owner)]

    def pending(self, now: float) -> list[Task]:
        """The tasks not final at ``now``."""
        with self._lock:
            self._drain(now)
            return [self._tasks[i] for i in self._live if i in self._tasks]

    def __iter__(self) -> Iterator[Task]:
        with self._lock:
            return iter(list(self._tasks.values()))

    def clear(self) -> None:
        with self._lock:
            self._tasks.clear()
            self._by_age.clear()
            self._by_protection.clear()
            self._by_finish.clear()
            self._live.clear()
            self._unfinished.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._tasks)
