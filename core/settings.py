"""The client's numeric settings, checked once when the client is made.

A setting that slips through unchecked fails late and expensively: ``deadline=nan`` polls
forever (every comparison with nan is false), ``deadline=-1`` submits a billed task and then
times out at once, ``request_timeout=0`` disables aiohttp's timeout.  So each one is checked
here and every violation is reported together as a :class:`SettingsError` naming the setting,
its value and the rule, before anything is sent.
"""

from __future__ import annotations

import math
from typing import Any, Final

import attrs

from .errors import FieldError, ValidationError

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_MAX_REQUESTS_PER_JOB",
    "DEFAULT_RETRY_JITTER",
    "ClientSettings",
    "SettingsError",
]

DEFAULT_CONCURRENCY: Final = 4
"""Requests in flight at once per client, unless the client is given another number."""

DEFAULT_RETRY_JITTER: Final = 0.1
"""The fraction by which a retry delay may be stretched (up to 10 % longer), so that many
clients retrying together spread out."""

DEFAULT_MAX_REQUESTS_PER_JOB: Final = 16
"""A job split into more requests than this is rejected: ``num_images=100000`` on a provider
that takes 8 per request would otherwise become 12,500 billed submits."""


class SettingsError(ValidationError):
    """An :class:`~inpaintkit.InpaintClient` setting is out of range (not a problem of a job)."""

    head = "invalid client settings"
    default_hint = "Fix the client settings listed above."


def _positive_finite(name: str, value: Any, *, optional: bool = False) -> list[FieldError]:
    if value is None and optional:
        return []
    if isinstance(value, bool) or not isinstance(value, int | float):
        return [FieldError(name, "must be a number of seconds", value)]
    if not math.isfinite(value) or value <= 0:
        return [FieldError(name, "must be a finite number of seconds > 0", value)]
    return []


def _count(name: str, value: Any, minimum: int) -> list[FieldError]:
    if isinstance(value, bool) or not isinstance(value, int):
        return [FieldError(name, "must be an integer", value)]
    if value < minimum:
        return [FieldError(name, f"must be >= {minimum}", value)]
    return []


@attrs.frozen
class ClientSettings:
    """The checked numeric settings of one client (see :class:`~inpaintkit.InpaintClient`)."""

    concurrency: int
    request_timeout: float
    deadline: float | None
    max_requests_per_job: int
    retry_jitter: float

    def __attrs_post_init__(self) -> None:
        errors = [
            *_count("concurrency", self.concurrency, 1),
            *_positive_finite("request_timeout", self.request_timeout),
            *_positive_finite("deadline", self.deadline, optional=True),
            *_count("max_requests_per_job", self.max_requests_per_job, 1),
        ]
        jitter = self.retry_jitter
        if (
            isinstance(jitter, bool)
            or not isinstance(jitter, int | float)
            or not 0 <= jitter <= 1  # false for nan too
        ):
            errors.append(FieldError("retry_jitter", "must be a fraction from 0 to 1", jitter))
        if errors:
            raise SettingsError(errors)
