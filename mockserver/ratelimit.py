"""Per-key request accounting for the providers' documented limits, on the mock clock.

Bounded in every direction: at most ``max_keys`` keys are tracked (least recently seen dropped)
and each key keeps only the events inside its window.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque

__all__ = ["SlidingWindow"]


class SlidingWindow:
    """Weighted events per key in the last ``window`` seconds (Novita: images per minute)."""

    def __init__(self, window: float, *, max_keys: int = 10_000) -> None:
        self.window = window
        self._max_keys = max_keys
        self._lock = threading.Lock()
        self._events: OrderedDict[str, deque[tuple[float, float]]] = OrderedDict()

    def _prune(self, key: str, now: float) -> deque[tuple[float, float]]:
        events = self._events.setdefault(key, deque())
        self._events.move_to_end(key)
        while events and events[0][0] <= now - self.window:
            events.popleft()
        while len(self._events) > self._max_keys:
            self._events.popitem(last=False)
        return events

    def used(self, key: str, now: float) -> float:
        with self._lock:
            return sum(weight for _, weight in self._prune(key, now))

    def try_add(self, key: str, now: float, weight: float, limit: float) -> float | None:
        """Record ``weight`` if it fits under ``limit``; otherwise return seconds to wait."""
        with self._lock:
            events = self._prune(key, now)
            used = sum(w for _, w in events)
            if used + weight <= limit:
                events.append((now, weight))
                return None
            # Wait until enough old events leave the window.
            freed = 0.0
            for at, w in events:
                freed += w
                if used - freed + weight <= limit:
                    return max(0.0, at + self.window - now)
            return self.window

    def seen_within(self, key: str, now: float) -> float | None:
        """Seconds since ``key`` was last recorded, if inside the window (duplicate filter)."""
        with self._lock:
            events = self._prune(key, now)
            return now - events[-1][0] if events else None

    def add(self, key: str, now: float) -> None:
        with self._lock:
            self._prune(key, now).append((now, 1.0))
