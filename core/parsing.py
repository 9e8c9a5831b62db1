"""Tolerant readers for what providers really send, shared by every provider plugin.

Provider JSON drifts: numbers arrive as numbers or numeric strings (``"eta": "35.9"``,
``"image_url_ttl": "3600"``), messages hide under ``message`` or the misspelt ``messege``, and a
Retry-After may be seconds or an HTTP date.  Plugins read such values through these helpers
rather than each carrying its own copy.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

__all__ = ["first_value", "lenient_number", "retry_after_header"]


def lenient_number(value: Any, *, minimum: float | None = None) -> float | None:
    """A finite number from a JSON number or numeric string; ``None`` for anything else.

    Booleans and null are not numbers here (JSON ``true`` is not ``1``); values below
    ``minimum`` are ``None`` too.
    """
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number) or (minimum is not None and number < minimum):
        return None
    return number


def first_value(body: Any, keys: Iterable[str]) -> Any:
    """The first of ``keys`` whose value in the JSON object ``body`` is neither null nor ``""``."""
    if not isinstance(body, Mapping):
        return None
    for key in keys:
        value = body.get(key)
        if value not in (None, ""):
            return value
    return None


def retry_after_header(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header, or ``None`` if there is no usable one.

    The header is delay-seconds or an HTTP date.  A date is measured against the response's own
    ``Date`` header (so no local clock is involved), else against ``now`` (Unix seconds) when
    the caller gives one; in the past it means 0.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    header = lowered.get("retry-after")
    if header is None:
        return None
    seconds = lenient_number(header, minimum=0)
    if seconds is not None:
        return seconds
    try:
        when = parsedate_to_datetime(header).timestamp()
        if "date" in lowered:
            reference = parsedate_to_datetime(lowered["date"]).timestamp()
        elif now is not None:
            reference = now
        else:
            return None
    except (TypeError, ValueError, IndexError):
        return None
    return max(when - reference, 0.0)
