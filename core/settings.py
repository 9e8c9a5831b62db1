"""The client's numeric settings, checked once when the client is made.

A setting that slips through unchecked fails late and expensively: ``deadline=nan`` polls
forever (every comparison with nan is false), ``deadline=-1`` submits a billed task and then
times out at once, ``request_timeout=0`` disables aiohttp's timeout.  So each one is checked
here and every violation is reported together as a :class:`SettingsError` naming the setting,
its value and the rule, before anything is sent.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

import attrs

from .errors import FieldError, ValidationError

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_MAX_REQUESTS_PER_JOB",
    "DEFAULT_RETRY_JITTER",
    "ClientSettings",
    "SettingsError",
    "checked_settings",
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
        errors = _numeric_errors(self)
        if errors:
            raise SettingsError(errors)


def _numeric_errors(settings: ClientSettings) -> list[FieldError]:
    errors = [
        *_count("concurrency", settings.concurrency, 1),
        *_positive_finite("request_timeout", settings.request_timeout),
        *_positive_finite("deadline", settings.deadline, optional=True),
        *_count("max_requests_per_job", settings.max_requests_per_job, 1),
    ]
    jitter = settings.retry_jitter
    if (
        isinstance(jitter, bool)
        or not isinstance(jitter, int | float)
        or not 0 <= jitter <= 1  # false for nan too
    ):
        errors.append(FieldError("retry_jitter", "must be a fraction from 0 to 1", jitter))
    return errors


def checked_settings(
    *,
    concurrency: Any,
    request_timeout: Any,
    deadline: Any,
    max_requests_per_job: Any,
    retry_jitter: Any,
    unsupported: Any = "strict",
    api_keys: Any = None,
    base_url: Any = None,
    base_urls: Any = None,
    clock: Any = None,
    on_event: Any = None,
    transport: Any = None,
    random_seed: Any = None,
    image_hosts: Any = None,
) -> ClientSettings:
    """The client's settings, every one checked and every violation reported together.

    Besides the numbers (:class:`ClientSettings`), the options that would otherwise fail
    later and less clearly: ``unsupported`` (one of the policies), ``api_keys`` (a mapping of
    provider ids to string keys: a number would break the redaction of errors), ``base_url``
    and ``base_urls`` (``http(s)://host`` URLs: any other scheme is never a provider), and
    the objects the client calls (``clock``, ``on_event``, ``transport``, ``image_hosts``),
    which would otherwise fail inside every call as a bare ``AttributeError``.
    """
    errors = _option_errors(unsupported, api_keys, base_url, base_urls)
    errors += _object_errors(clock, on_event, transport, random_seed, image_hosts)
    try:
        settings = ClientSettings(
            concurrency=concurrency,
            request_timeout=request_timeout,
            deadline=deadline,
            max_requests_per_job=max_requests_per_job,
            retry_jitter=retry_jitter,
        )
    except SettingsError as exc:
        raise SettingsError([*exc.errors, *errors]) from None
    if errors:
        raise SettingsError(errors)
    return settings


def _option_errors(
    unsupported: Any, api_keys: Any, base_url: Any, base_urls: Any
) -> list[FieldError]:
    from .credentials import Secret
    from .planning import UnsupportedPolicy

    errors: list[FieldError] = []
    policies = [p.value for p in UnsupportedPolicy]
    if not isinstance(unsupported, str) or unsupported not in policies:
        errors.append(FieldError("unsupported", f"must be one of {policies}", unsupported))
    if api_keys is not None:
        if not isinstance(api_keys, Mapping):
            errors.append(
                FieldError("api_keys", "must be a mapping of provider ids to keys", api_keys)
            )
        else:
            for provider, key in api_keys.items():
                value = key.reveal() if isinstance(key, Secret) else key
                if not isinstance(provider, str):
                    errors.append(
                        FieldError("api_keys", "must have provider ids (str) as keys", provider)
                    )
                elif not isinstance(value, str):
                    # Never the value itself: it may be a key of the wrong type.
                    errors.append(
                        FieldError(
                            f"api_keys[{provider!r}]",
                            "must be a string or Secret",
                            type(value).__name__,
                        )
                    )
    if base_url is not None:
        errors.extend(_url_errors("base_url", base_url))
    if base_urls is not None:
        if not isinstance(base_urls, Mapping):
            errors.append(
                FieldError("base_urls", "must be a mapping of provider ids to URLs", base_urls)
            )
        else:
            for provider, url in base_urls.items():
                errors.extend(_url_errors(f"base_urls[{provider!r}]", url))
    return errors


def _object_errors(
    clock: Any, on_event: Any, transport: Any, random_seed: Any, image_hosts: Any
) -> list[FieldError]:
    """Why the objects given to the client cannot play their part (duck-typed, as the
    protocols they follow: a test clock or transport need not inherit anything)."""
    errors: list[FieldError] = []
    if clock is not None and not (
        callable(getattr(clock, "time", None)) and callable(getattr(clock, "sleep", None))
    ):
        rule = "must have time() and an async sleep() (a Clock, e.g. VirtualClock)"
        errors.append(FieldError("clock", rule, type(clock).__name__))
    if on_event is not None and not callable(on_event):
        errors.append(FieldError("on_event", "must be callable (event) -> None", on_event))
    elif on_event is not None and _is_async_callable(on_event):
        rule = (
            "must be a plain function: an async one would never be awaited (events are "
            "delivered synchronously); start your own task from it, or use client.stream()"
        )
        errors.append(FieldError("on_event", rule, on_event))
    if transport is not None and not callable(getattr(transport, "send", None)):
        rule = "must have an async send(request, *, timeout) (a Transport)"
        errors.append(FieldError("transport", rule, type(transport).__name__))
    if random_seed is not None and (
        isinstance(random_seed, bool) or not isinstance(random_seed, int | str | bytes)
    ):
        rule = "must be an int (or str/bytes) or None"
        errors.append(FieldError("random_seed", rule, random_seed))
    if image_hosts is not None:
        if not isinstance(image_hosts, Mapping):
            rule = "must be a mapping of provider ids to image hosts"
            errors.append(FieldError("image_hosts", rule, type(image_hosts).__name__))
        else:
            for provider, host in image_hosts.items():
                if not callable(getattr(host, "upload", None)):
                    rule = "must have an async upload(data, media_type, context) (an ImageHost)"
                    errors.append(FieldError(f"image_hosts[{provider!r}]", rule, host))
    return errors


def _is_async_callable(value: Any) -> bool:
    """Whether calling ``value`` makes a coroutine (an ``async def`` function or method, or an
    object whose ``__call__`` is one)."""
    return inspect.iscoroutinefunction(value) or inspect.iscoroutinefunction(
        getattr(value, "__call__", None)  # noqa: B004 - the method, not callable()
    )


def _url_errors(name: str, url: Any) -> list[FieldError]:
    rule = "must be an http:// or https:// URL with a host"
    if not isinstance(url, str):
        return [FieldError(name, rule, url)]
    try:
        parts = urlsplit(url)
    except ValueError:
        return [FieldError(name, rule, url)]
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return [FieldError(name, rule, url)]
    return []
