"""Tasks and their state machine on the mock clock.

A task's state is never stored as "the current status": it is computed from the clock each time
it is read (queued until ``queued_until``, processing until ``finish_at``, then succeeded or
failed), which is why eta and progress are always consistent with the clock, whoever moves it.
``finish_at = None`` is a task stuck in processing.  In finish-after-N-polls mode the N-th poll
pins ``finish_at`` to that moment.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
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
    """Tasks by id, least recently used evicted beyond ``max_tasks`` or older than ``max_age``."""

    def __init__(self, max_tasks: int, max_age: float) -> None:
        self._lock = threading.Lock()
        self._tasks: OrderedDict[str, Task] = OrderedDict()
        self._max_tasks = max_tasks
        self._max_age = max_age

    def add(self, task: Task) -> None:
        with self._lock:
            self._tasks[task.id] = task
            self._tasks.move_to_end(task.id)
            while len(self._tasks) > self._max_tasks:
                self._tasks.popitem(last=False)
            cutoff = task.created_at - self._max_age
            for key in [k for k, t in self._tasks.items() if t.created_at < cutoff]:
                del self._tasks[key]

    def get(self, task_id: str) -> Task | None:
        with self._lock:
            task = self._tasks.get(task_id)
            if task is not None:
                self._tasks.move_to_end(task_id)
            return task

    def poll(self, task: Task, now: float) -> bool:
        """Count one poll; return True if this poll finished the task (finish-after-N-polls)."""
        with self._lock:
            task.polls += 1
            limit = task.finish_after_polls
            if limit is None or task.is_final(now) or task.polls < limit:
                return False
            task.queued_until = min(task.queued_until, now)
            task.finish_at = now
            return True

    def unfinished(
        self, now: float, *, provider: str | None = None, owner: str | None = None
    ) -> int:
        with self._lock:
            tasks = list(self._tasks.values())
        return sum(
            1
            for t in tasks
            if not t.is_final(now)
            and (provider is None or t.provider == provider)
            and (owner is None or t.owner == owner)
        )

    def __iter__(self) -> Iterator[Task]:
        with self._lock:
            return iter(list(self._tasks.values()))

    def clear(self) -> None:
        with self._lock:
            self._tasks.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._tasks)
