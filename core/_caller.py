"""Where a warning should point: the caller's line, not the library's."""

from __future__ import annotations

import sys

_INTERNAL = ("inpaintkit", "asyncio")
"""Module-name prefixes skipped: the library itself, and the event loop that runs
``inpaintkit.inpaint``'s coroutine on the caller's behalf."""


def user_stacklevel() -> int:
    """The ``stacklevel`` for :func:`warnings.warn` (called directly from library code) that
    makes the warning name the first frame outside inpaintkit, however deep the call was."""
    frame = sys._getframe(1)  # the function that calls warnings.warn
    level = 1
    while frame is not None:
        name = str(frame.f_globals.get("__name__", ""))
        if not any(name == p or name.startswith(p + ".") for p in _INTERNAL):
            return level
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return 1
