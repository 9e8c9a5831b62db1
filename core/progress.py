"""Progress on stderr for long work, in the form the terminal can show.

On a terminal one line is rewritten in place (``\\r`` and clear-to-end), so a job that polls
for minutes shows where it is without scrolling; anywhere else (a log file, CI, a pipe) each
state change is one plain line, which reads well in a log; with ``-q`` nothing is written.
Callers report the steps they see around the client calls (checked, submitted, waiting,
downloaded); the runtime's own typed events (:mod:`inpaintkit.events`) could feed it instead.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """Reports ``subject: message`` steps on ``stream``.

    ``mode`` is ``"auto"`` (a single updating line when ``stream`` is a TTY, plain lines
    otherwise), ``"tty"``, ``"lines"`` or ``"quiet"``.  ``clock`` gives the elapsed seconds
    shown with each step (injectable for tests).
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        mode: str = "auto",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if mode not in ("auto", "tty", "lines", "quiet"):
            raise ValueError(f"mode must be auto, tty, lines or quiet, got {mode!r}")
        self._stream = stream if stream is not None else sys.stderr
        if mode == "auto":
            isatty = getattr(self._stream, "isatty", None)
            mode = "tty" if isatty is not None and isatty() else "lines"
        self.mode = mode
        self._clock = clock
        self._started = clock()
        self._open_line = False
        self._counts_start: tuple[float, int] | None = None
        self._last_line = float("-inf")

    line_interval = 2.0
    """Seconds between plain progress lines of :meth:`counts`."""

    def step(self, subject: str, message: str) -> None:
        """Report that ``subject`` (a provider, a job) reached the state ``message``."""
        if self.mode == "quiet":
            return
        elapsed = self._clock() - self._started
        text = f"[{elapsed:6.1f}s] {subject}: {message}"
        if self.mode == "tty":
            self._stream.write("\r\x1b[2K" + text)
            self._open_line = True
        else:
            self._stream.write(text + "\n")
        self._stream.flush()

    def counts(self, subject: str, done: int, total: int, *, failed: int = 0) -> None:
        """Report ``done`` of ``total`` items with the rate and the time left.

        The rate counts only items done since the first call (a resumed batch starts with
        some done already, which took no time in this run).  Plain lines are written at most
        every :attr:`line_interval` seconds (and for the last item), so a log of a long batch
        stays readable; on a terminal every call updates the line.
        """
        if self.mode == "quiet":
            return
        now = self._clock()
        if self._counts_start is None:
            self._counts_start = (now, done)
        start, first = self._counts_start
        last = done >= total
        throttled = self.mode == "lines" and not last and done != first
        if throttled and now - self._last_line < self.line_interval:
            return
        self._last_line = now
        elapsed, fresh = now - start, done - first
        rate = fresh / elapsed if elapsed > 0 and fresh > 0 else None
        text = f"{done}/{total} done"
        if failed:
            text += f", {failed} failed"
        if rate is not None:
            text += f", {rate:.1f}/s"
            if not last:
                text += f", ETA {_duration((total - done) / rate)}"
        self.step(subject, text)

    def close(self) -> None:
        """End the updating line (on a terminal) so that later output starts on a fresh line."""
        if self._open_line:
            self._stream.write("\n")
            self._stream.flush()
            self._open_line = False


def _duration(seconds: float) -> str:
    """``42s``, ``3m05s`` or ``2h10m``: short enough for a progress line."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
