"""ModelsLab error bodies and status codes -> inpaintkit's typed errors.

ModelsLab answers errors as ``{"status": "error", "message": ...}`` (legacy endpoints spell it
``messege``), sometimes with HTTP 200 and sometimes with a 4xx/5xx status (which one is not
verified, reference 3.4), so the HTTP status decides first where it is specific (401, 402, 403,
429) and the message text decides otherwise.  A ``message`` that is an object of field errors
becomes a :class:`ValidationError` naming the fields.  ``status: failed`` (fetch and webhook
bodies) is a task that ran and failed: :class:`TaskFailedError`.

Every error keeps the parsed body as ``raw_body`` and the HTTP status.  Request bodies, which
hold the key, are never attached.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from inpaintkit.errors import (
    AuthenticationError,
    FieldError,
    InpaintError,
    InsufficientCreditsError,
    ProviderError,
    RateLimitedError,
    TaskFailedError,
    ValidationError,
    server_error_class,
)
from inpaintkit.parsing import first_value, lenient_number

from .capabilities import PROVIDER_ID
from .wire import wire_to_neutral

__all__ = ["error_from_body", "message_of", "parse_retry_after"]

PREMIUM_HINT = (
    "ModelsLab says this feature needs a premium subscription: upgrade the plan or drop the "
    "feature (HTTP 403 is a plan limit here, not necessarily a bad key)."
)


def message_of(body: Any) -> Any:
    """The error message of a body: ``message``, else the legacy ``messege``, else ``error``.

    May be a string, or an object/list of field errors; ``None`` if the body has none.
    """
    return first_value(body, ("message", "messege", "error"))


def _as_text(message: Any) -> str:
    if isinstance(message, str):
        return message.strip()
    if message is None:
        return ""
    return str(message)


def parse_retry_after(body: Any, header: str | None) -> float | None:
    """Seconds to wait, from a ``Retry-After`` header (seconds) or the body's ``retry_after``."""
    for candidate in (header, body.get("retry_after") if isinstance(body, Mapping) else None):
        value = lenient_number(candidate, minimum=0)  # an HTTP date or garbage: no usable hint
        if value is not None:
            return value
    return None


def _field_path(wire_field: str) -> str:
    neutral = wire_to_neutral(wire_field)
    return f"$.{neutral}" if neutral is not None else f"$.{wire_field}"


def _field_errors(message: Mapping[str, Any] | list[Any]) -> list[FieldError]:
    """Field errors from an object message ``{"width": ["must be ..."], ...}`` (or a list)."""
    errors: list[FieldError] = []
    if isinstance(message, Mapping):
        for wire_field, detail in message.items():
            texts = detail if isinstance(detail, list) else [detail]
            for text in texts:
                errors.append(
                    FieldError.missing(
                        _field_path(str(wire_field)),
                        f"provider field {wire_field!r}: {_as_text(text)}",
                    )
                )
    else:
        for item in message:
            if isinstance(item, Mapping):
                errors.extend(_field_errors(item))
            else:
                errors.append(FieldError.missing("$", _as_text(item)))
    return errors


def _leading_field(text: str) -> str | None:
    """The wire field a message like ``"width must be between 256 and 1024"`` is about."""
    head = text.split(" ", 1)[0].strip(".:,'\"`")
    return head if wire_to_neutral(head) is not None else None


Factory = Callable[[str, dict[str, Any]], InpaintError]


def _auth(text: str, kw: dict[str, Any]) -> InpaintError:
    return AuthenticationError(text or "ModelsLab rejected the API key", **kw)


def _premium(text: str, kw: dict[str, Any]) -> InpaintError:
    return AuthenticationError(text or "forbidden", hint=PREMIUM_HINT, **kw)


def _credits(text: str, kw: dict[str, Any]) -> InpaintError:
    return InsufficientCreditsError(text or "insufficient credits", **kw)


def _on(path: str, rule_prefix: str) -> Factory:
    def make(text: str, kw: dict[str, Any]) -> InpaintError:
        kw = {k: v for k, v in kw.items() if k != "task_id"}
        return ValidationError([FieldError.missing(path, f"{rule_prefix}: {text}")], **kw)

    return make


_TEXT_RULES: tuple[tuple[tuple[str, ...], Factory], ...] = (
    (("invalid api key", "api key required", "invalid key", "unauthorized"), _auth),
    (("insufficient credit", "add more credits", "not enough credit"), _credits),
    (("premium",), _premium),
    (("model not found",), _on("$.model", "ModelsLab does not know this model_id")),
    (
        ("unable to fetch image",),
        _on("$.image", "ModelsLab could not download init_image or mask_image"),
    ),
)
"""Documented messages (reference 3.4) -> error class, for bodies whose status code is generic."""


def error_from_body(
    body: Any,
    *,
    status: int | None,
    retry_after_header: str | None = None,
    task_id: str | None = None,
    text: str | None = None,
) -> InpaintError:
    """The typed error for an error answer (any HTTP status, or a 200 with ``status: error``).

    ``body`` is the parsed JSON (or ``None``); ``text`` the raw body text when it was not JSON.
    """
    raw = body if body is not None else text
    kw: dict[str, Any] = {"provider": PROVIDER_ID, "raw_body": raw, "status": status}
    if task_id is not None:
        kw["task_id"] = task_id
    message = message_of(body)
    message_text = _as_text(message) if message is not None else (text or "").strip()[:200]

    if isinstance(body, Mapping) and body.get("status") == "failed":
        return TaskFailedError(message_text or "the task failed at ModelsLab", **kw)
    if status == 429 or (isinstance(body, Mapping) and "retry_after" in body):
        retry_after = parse_retry_after(body, retry_after_header)
        return RateLimitedError(message_text or "rate limited", retry_after=retry_after, **kw)
    if status == 401:
        return _auth(message_text, kw)
    if status == 402:
        return _credits(message_text, kw)
    if status == 403:
        return _premium(message_text, kw)

    if isinstance(message, Mapping | list) and message:
        errors = _field_errors(message)
        if errors:
            kw.pop("task_id", None)
            return ValidationError(errors, **kw)

    lowered = message_text.lower()
    for needles, factory in _TEXT_RULES:
        if any(needle in lowered for needle in needles):
            return factory(message_text, kw)
    if "rate limit" in lowered:
        return RateLimitedError(message_text, retry_after=None, **kw)

    # A message naming a wire field ("width must be between 256 and 1024") is a validation
    # error unless the server itself failed (5xx).
    leading = _leading_field(message_text) if status is None or status < 500 else None
    if leading is not None or status in (400, 422):
        kw.pop("task_id", None)
        path = _field_path(leading) if leading is not None else "$"
        return ValidationError([FieldError.missing(path, message_text or "rejected")], **kw)
    cls = server_error_class(ProviderError, status)
    return cls(message_text or f"ModelsLab answered HTTP {status}", **kw)
