"""Mapping StableDiffusionAPI/ModelsLab error answers to inpaintkit's typed errors.

The platform reports errors two ways, and which one a given failure uses is unverified
(reference 2.4 and 3.4): a non-2xx HTTP status (ModelsLab documents 400, 401, 402, 403, 429, 500
and 503) or HTTP 200 with ``"status": "error"`` (or ``"failed"``) in the body.  Both are
handled here by the same rules: the HTTP status decides when it is an error status, otherwise the
message text does.  The message may be under ``message`` or the misspelled ``messege``, and may
be an object of field errors (``{"prompt": ["The prompt field is required."]}``), which becomes a
:class:`ValidationError` naming each field.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any, Final

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
from inpaintkit.parsing import first_value, lenient_number, retry_after_header
from inpaintkit.provider import HttpResponse

from .capabilities import CAPABILITIES, PROVIDER_ID

__all__ = [
    "error_from_body",
    "error_from_response",
    "message_of",
    "neutral_path",
    "retry_after_of",
]

_REQUIRED = re.compile(r"^\s*(?:the\s+)?([a-z_]+)\s+(?:field\s+)?is\s+required\b", re.IGNORECASE)
_SECONDS = re.compile(r"(\d+(?:\.\d+)?)\s*(?:seconds?|secs?|s)\b", re.IGNORECASE)

_SUBSCRIPTION_HINT = "This feature needs a higher subscription plan on the provider account."


def message_of(body: Any) -> Any:
    """The error message of a body: ``message``, the legacy ``messege``, or ``error``.

    Returns whatever is there (a string, an object of field errors, ...) or ``None``.
    """
    return first_value(body, ("message", "messege", "error"))


def _text(message: Any) -> str:
    """A message as one line of text (field-error objects flattened)."""
    if message is None:
        return ""
    if isinstance(message, str):
        return message.strip()
    if isinstance(message, Mapping):
        return "; ".join(f"{k}: {_text(v)}" for k, v in message.items())
    if isinstance(message, list | tuple):
        return " ".join(_text(v) for v in message)
    return str(message)


def _wire_to_neutral() -> dict[str, str]:
    # Prefer top-level neutral fields ("webhook.url" rather than "webhook" for the wire
    # "webhook", since the URL is what the wire field holds).
    mapping: dict[str, str] = {}
    for row in CAPABILITIES:
        if not row.wire or row.field in ("safety", "webhook", "extras"):
            continue
        mapping.setdefault(row.wire, row.field)
    return mapping


_WIRE_TO_NEUTRAL: Final = _wire_to_neutral()


def neutral_path(wire_field: str) -> str:
    """The neutral path (``$.steps``) of a wire field (``num_inference_steps``), for errors.

    Wire fields without a neutral counterpart (``key``, ``model_id``) keep their wire name.
    """
    return "$." + _WIRE_TO_NEUTRAL.get(wire_field, wire_field)


def _field_errors(message: Mapping[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    for wire_field, problems in message.items():
        texts = problems if isinstance(problems, list | tuple) else [problems]
        for text in texts:
            rule = f"rejected by the provider as {wire_field!r}: {_text(text)}"
            errors.append(FieldError.missing(neutral_path(str(wire_field)), rule))
    return errors


def retry_after_of(
    body: Any, headers: Mapping[str, str] | None = None, *, now: float | None = None
) -> float | None:
    """Seconds to wait before retrying, from the best source available.

    In order: a ``Retry-After`` header (seconds or an HTTP date), the ``retry_after`` body field
    (ModelsLab's 429, reference 3.4), then a number of seconds in the message or tips text
    (SDAPI's spam filter: 'please wait for 30 seconds and try again', reference 2.4).
    """
    seconds = retry_after_header(headers or {}, now=time.time() if now is None else now)
    if seconds is not None:
        return seconds
    if isinstance(body, Mapping):
        seconds = lenient_number(body.get("retry_after"), minimum=0)
        if seconds is not None:
            return seconds
        for key in ("message", "messege", "tips", "tip"):
            text = body.get(key)
            if isinstance(text, str):
                match = _SECONDS.search(text)
                if match:
                    return float(match.group(1))
    return None


def _by_text(
    text: str, *, body: Any, status: int | None, headers: Mapping[str, str] | None
) -> InpaintError | None:
    """Classify an error by its message, for bodies whose HTTP status says nothing (200)."""
    lowered = text.lower()
    common: dict[str, Any] = {"provider": PROVIDER_ID, "raw_body": body, "status": status}
    if "rate limit" in lowered or "too many" in lowered or "spam" in lowered:
        return RateLimitedError(
            text or "rate limit exceeded", retry_after=retry_after_of(body, headers), **common
        )
    if "api key" in lowered or "api-key" in lowered or "apikey" in lowered:
        return AuthenticationError(text, **common)
    if "subscription" in lowered or "premium" in lowered:
        return InsufficientCreditsError(text, hint=_SUBSCRIPTION_HINT, **common)
    if "credit" in lowered or "balance" in lowered:
        return InsufficientCreditsError(text, **common)
    if "model" in lowered and "not found" in lowered:
        rule = f"the provider says: {text}"
        return ValidationError([FieldError.missing("$.model", rule)], **common)
    if "fetch image" in lowered or "fetch the image" in lowered:
        rule = f"the provider could not fetch init_image or mask_image from its URL: {text}"
        return ValidationError([FieldError.missing("$.image", rule)], **common)
    return None


def error_from_body(
    body: Any,
    *,
    status: int,
    headers: Mapping[str, str] | None = None,
    phase: str = "submit",
    task_id: str | None = None,
) -> InpaintError:
    """The typed error for an error answer (non-2xx, or a 2xx body with status error/failed).

    ``body`` is the parsed JSON (or the text, when it was not JSON); it is kept as the error's
    ``raw_body``.  ``phase`` is ``"submit"``, ``"poll"`` or ``"webhook"``: an unknown id is a lost
    task when polling but a wrong path when submitting.
    """
    message = message_of(body)
    text = _text(message)
    http_error = not 200 <= status < 300
    common: dict[str, Any] = {"provider": PROVIDER_ID, "raw_body": body, "status": status}

    if isinstance(message, Mapping) and message:
        return ValidationError(_field_errors(message), **common)

    if http_error:
        if status == 401:
            return AuthenticationError(text or "invalid or missing API key", **common)
        if status == 402:
            return InsufficientCreditsError(text or "insufficient credits", **common)
        if status == 403:
            lowered = text.lower()
            if "subscription" in lowered or "premium" in lowered or "upgrade" in lowered:
                return InsufficientCreditsError(text, hint=_SUBSCRIPTION_HINT, **common)
            return AuthenticationError(text or "forbidden", **common)
        if status == 429:
            return RateLimitedError(
                text or "rate limit exceeded", retry_after=retry_after_of(body, headers), **common
            )
        if status == 404 and phase == "poll":
            return TaskFailedError(
                text or "the provider does not know this task", task_id=task_id, **common
            )
        if status in (400, 422):
            found = _by_text(text, body=body, status=status, headers=headers)
            if found is not None:
                return found
            required = _REQUIRED.match(text)
            if required:
                path = neutral_path(required.group(1).lower())
                rule = f"is required by the provider: {text}"
                return ValidationError([FieldError.missing(path, rule)], **common)
            rule = f"the provider rejected the request: {text or 'no reason given'}"
            return ValidationError([FieldError.missing("$", rule)], **common)
        found = _by_text(text, body=body, status=status, headers=headers)
        if found is not None:
            return found
        cls = server_error_class(ProviderError, status)
        return cls(text or f"HTTP {status} from the provider", **common)

    found = _by_text(text, body=body, status=status, headers=headers)
    if found is not None:
        return found
    if isinstance(body, Mapping) and body.get("status") == "failed":
        return TaskFailedError(text or "the task failed", task_id=task_id, **common)
    return ProviderError(text or "the provider reported an error without a message", **common)


def error_from_response(
    response: HttpResponse, *, phase: str, task_id: str | None = None
) -> InpaintError:
    """:func:`error_from_body` for a whole response (body parsed, or kept as text)."""
    parsed = response.json()
    body = parsed if parsed is not None else response.text()
    return error_from_body(
        body, status=response.status, headers=response.headers, phase=phase, task_id=task_id
    )
