"""The mock's time source: real time scaled, or manual, switchable at run time.

Every state in the mock (task progress, URL expiry, rate-limit windows, webhook retries) is a
function of :meth:`MockClock.time`, read afresh on every request.  Nothing caches "now", which is
what lets the conformance suite share one :class:`~inpaintkit.clock.VirtualClock` between the
client under test and an in-process mock: advancing it moves both sides at once.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from inpaintkit.clock import Clock, VirtualClock

__all__ = ["MockClock", "ScaledClock"]


class ScaledClock:
    """Real monotonic time multiplied by ``scale`` (10 = ten mock seconds per real second)."""

    def __init__(self, scale: float = 1.0) -> None:
        if scale <= 0:
            raise ValueError(f"scale: must be > 0, got {scale}")
        self.scale = scale
        self._origin = time.monotonic()

    def time(self) -> float:
        return (time.monotonic() - self._origin) * self.scale

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.scale)

    def __repr__(self) -> str:
        return f"ScaledClock(scale={self.scale})"


class MockClock:
    """The clock the mock reads: a source clock plus an offset moved by ``advance``.

    ``advance`` moves a source that can advance itself (a :class:`VirtualClock`, possibly shared
    with the caller), and otherwise adds to an offset, so the admin API can skip time even in
    real-time mode.  Time never goes backwards: switching sources keeps "now" continuous.
    """

    def __init__(self, source: Clock) -> None:
        self._lock = threading.Lock()
        self._source = source
        self._offset = 0.0

    @property
    def source(self) -> Clock:
        return self._source

    @property
    def mode(self) -> str:
        return "real" if isinstance(self._source, ScaledClock) else "manual"

    def time(self) -> float:
        with self._lock:
            source, offset = self._source, self._offset
        return source.time() + offset

    async def sleep(self, seconds: float) -> None:
        await self._source.sleep(seconds)

    def advance(self, seconds: float) -> None:
        """Move mock time forward by ``seconds`` (>= 0)."""
        if seconds < 0:
            raise ValueError(f"seconds: must be >= 0, got {seconds}")
        advance = getattr(self._source, "advance", None)
        if callable(advance):
            advance(seconds)
        else:
            with self._lock:
                self._offset += seconds

    def set_source(self, source: Clock) -> None:
        """Switch to another source while keeping the current time (no jump backwards)."""
        with self._lock:
            now = self._source.time() + self._offset
            self._source = source
            self._offset = now - source.time()

    def describe(self) -> dict[str, Any]:
        data: dict[str, Any] = {"mode": self.mode, "now": self.time()}
        if isinstance(self._source, ScaledClock):
            data["time_scale"] = self._source.scale
        return data

    @staticmethod
    def for_mode(mode: str, *, time_scale: float = 1.0) -> Clock:
        """A fresh source for a clock mode name (``real`` or ``manual``)."""
        if mode == "real":
            return ScaledClock(time_scale)
        if mode == "manual":
            return VirtualClock(auto_advance=False)
        raise ValueError(f"clock.mode: must be 'real' or 'manual', got {mode!r}")

    def __repr__(self) -> str:
        return f"MockClock(source={self._source!r}, now={self.time():.3f})"
