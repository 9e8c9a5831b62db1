"""Novita's error bodies and status codes, mapped onto inpaintkit's typed errors.

Novita answers HTTP-level errors with ``{"code": <status>, "reason": "<NAME>", "message":
"<text>", "metadata": {...}}`` (ref 1.6).  The ``reason`` decides the error class through the
:data:`REASONS` table, transcribed from Novita's "API Error Codes" page; when a body has no
known reason, the HTTP status decides.  Every error keeps the parsed raw body and the status.

Decisions where the sources leave room:

- ``TASK_NOT_FOUND`` (404 on a poll) is a :class:`TaskFailedError` carrying the task id: the task
  expired or never existed, so waiting cannot help but submitting again can.
- The 403 permission reasons (``API_NOT_ALLOWED``, ``FEATURE_NOT_ALLOWED``,
  ``NEED_REAL_NAME_VERIFY``, ``BILLING_AUTH_FAILED``) and ``ANONYMOUS_ACCESS_QUOTA_EXCEEDS`` are
  :class:`AuthenticationError`: the fix is on the account or key, with a hint saying which.
- ``BILLING_BALANCE_NOT_ENOUGH`` is documented as 400 (one third-party note says 403); either way
  the reason wins and it is :class:`InsufficientCreditsError`.
- 401 is never documented by the error table (the live probe saw 403) but the guide lists it for a
  missing or wrong key, so it is an :class:`AuthenticationError` too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

import attrs
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
from inpaintkit.options import option_paths
from inpaintkit.parsing import lenient_number, retry_after_header
from inpaintkit.provider import HttpResponse
from inpaintkit.wiremap import wire_paths

from .capabilities import CAPABILITIES
from .options import NovitaOptions

__all__ = ["REASONS", "ReasonRule", "error_from_body", "error_from_response", "raw_body_of"]

PROVIDER_ID = "novita"
_MAX_TEXT_BODY = 4096


@attrs.frozen
class ReasonRule:
    """What one Novita ``reason`` means: the error class, a hint, and the neutral field it
    concerns when the message names none (``image`` for the image errors); its wire path comes
    from the capability table."""

    error: type[InpaintError]
    hint: str | None = None
    field: str | None = None


_PERMISSION = "The account lacks permission for this; check it in the Novita dashboard."

REASONS: Final[Mapping[str, ReasonRule]] = {
    # ref 1.6 (NV-ERR): 400 validation reasons
    "INVALID_REQUEST_BODY": ReasonRule(ValidationError),
    "IMAGE_FILE_EXCEEDS_MAX_SIZE": ReasonRule(ValidationError, field="image"),
    "INVALID_IMAGE_FORMAT": ReasonRule(ValidationError, field="image"),
    "IMAGE_EXCEEDS_MAX_RESOLUTION": ReasonRule(ValidationError, field="image"),
    "INVALID_IMAGE_SIZE": ReasonRule(ValidationError, field="image"),
    "IMAGE_NO_FACE_DETECTED": ReasonRule(ValidationError, field="image"),
    "INVALID_CUSTOM_OUTPUT_PATH": ReasonRule(ValidationError, field="storage.path"),
    "ILLEGAL_PROMPT": ReasonRule(ValidationError, field="prompt"),
    "ILLEGAL_IMAGE_CONTENT": ReasonRule(ValidationError, field="image"),
    "INVALID_AUDIO_FILE": ReasonRule(ValidationError),
    # keys and permissions
    "MISSING_API_KEY": ReasonRule(AuthenticationError),
    "INVALID_API_KEY": ReasonRule(AuthenticationError),
    "BILLING_AUTH_FAILED": ReasonRule(AuthenticationError, hint=_PERMISSION),
    "FEATURE_NOT_ALLOWED": ReasonRule(AuthenticationError, hint=_PERMISSION),
    "API_NOT_ALLOWED": ReasonRule(AuthenticationError, hint=_PERMISSION),
    "NEED_REAL_NAME_VERIFY": ReasonRule(
        AuthenticationError, hint="Complete Novita's enterprise verification for this account."
    ),
    "ANONYMOUS_ACCESS_QUOTA_EXCEEDS": ReasonRule(  # NV-JS APIErrReason only
        AuthenticationError, hint="Set NOVITA_API_KEY: anonymous access is exhausted."
    ),
    # money, rate, tasks, server
    "BILLING_BALANCE_NOT_ENOUGH": ReasonRule(InsufficientCreditsError),
    "RATE_LIMIT_EXCEEDED": ReasonRule(RateLimitedError),
    "TASK_NOT_FOUND": ReasonRule(
        TaskFailedError,
        hint="Novita does not know this task id (expired or never created); submit the job again.",
    ),
    "API_NOT_FOUND": ReasonRule(
        ProviderError, hint="Check the base URL: Novita does not serve this path."
    ),
    "BILLING_FAILED": ReasonRule(ProviderError),
    "CREATE_TASK_FAILED": ReasonRule(ProviderError),
    "GET_RESULT_FAILED": ReasonRule(ProviderError),
    "TASK_FAILED": ReasonRule(ProviderError),
}
"""Novita ``reason`` -> error class (ref 1.6, NV-ERR table, plus NV-JS's extra reason)."""


def _status_class(status: int) -> type[InpaintError]:
    if status in (401, 403):
        return AuthenticationError
    if status == 402:
        return InsufficientCreditsError
    if status == 429:
        return RateLimitedError
    if status in (400, 422):
        return ValidationError
    return ProviderError


def raw_body_of(response: HttpResponse) -> Any:
    """The body as parsed JSON, else as (capped) text, for ``raw_body``."""
    parsed = response.json()
    if parsed is not None:
        return parsed
    text = response.text()
    return text if len(text) <= _MAX_TEXT_BODY else text[:_MAX_TEXT_BODY] + "..."


def error_from_response(response: HttpResponse, *, task_id: str | None = None) -> InpaintError:
    """The typed error for an error response (any status; the body decides when it can)."""
    return error_from_body(
        response.status, raw_body_of(response), response.headers, task_id=task_id
    )


def error_from_body(
    status: int,
    body: Any,
    headers: Mapping[str, str] | None = None,
    *,
    task_id: str | None = None,
) -> InpaintError:
    """The typed error for ``body`` received with HTTP ``status``.

    A 200 carrying an error body (``{"code": 400, "reason": ...}``) is judged by its ``code``.
    """
    fields = body if isinstance(body, Mapping) else {}
    code = _int_or_none(fields.get("code"))
    effective = code if status < 400 and code is not None and code >= 400 else status
    reason = fields.get("reason") if isinstance(fields.get("reason"), str) else None
    rule = REASONS.get(reason) if reason else None
    mapped = rule.error if rule is not None else _status_class(effective)
    cls = server_error_class(mapped, effective)
    hint = rule.hint if rule is not None else None
    message = _message(fields, body)
    label = f"Novita {reason}" if reason else f"Novita error (HTTP {effective})"
    text = f"{label}: {_text(message)}" if message else label
    common: dict[str, Any] = {"provider": PROVIDER_ID, "raw_body": body, "status": effective}
    if hint is not None:
        common["hint"] = hint
    if issubclass(cls, ValidationError):
        default_field = rule.field if rule is not None else None
        return cls(_field_errors(label, message, default_field), **common)
    if issubclass(cls, RateLimitedError):
        return cls(text, retry_after=_retry_after(fields, headers or {}), **common)
    if issubclass(cls, TaskFailedError):
        return cls(text, task_id=task_id, **common)
    return cls(text, **common)


def _message(fields: Mapping[str, Any], body: Any) -> Any:
    for key in ("message", "messege", "msg", "error"):
        value = fields.get(key)
        if value not in (None, "", {}, []):
            return value
    if isinstance(body, str) and body.strip():
        return body.strip()
    return None


def _text(message: Any) -> str:
    if isinstance(message, Mapping):
        return "; ".join(f"{k}: {_text(v)}" for k, v in message.items())
    if isinstance(message, list | tuple):
        return "; ".join(_text(v) for v in message)
    return str(message)


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


# --- validation errors naming wire fields ------------------------------------------------------
#
# Everything here is derived from the capability table and the options class: which wire
# names a message may mention, their full paths, and the neutral field (or option) each is.

_OPTION_PATHS: Final = option_paths(NovitaOptions)
"""Wire path -> option name, for the fields :class:`NovitaOptions` writes."""


def _wire_paths() -> dict[str, str]:
    """Wire field name -> full wire path, for every field the table and the options send."""
    every = [p for row in CAPABILITIES for p in wire_paths(row)] + list(_OPTION_PATHS)
    names: dict[str, str] = {}
    for wire in every:
        if "[]" in wire or "." not in wire:
            continue
        leaf = wire.rsplit(".", 1)[-1]
        # Deep leaves with plain-English names (url, path, region) would match words.
        if wire.count(".") == 1 or "_" in leaf:
            names.setdefault(leaf, wire)
    return names


_WIRE_PATHS: Final = _wire_paths()
_FIELD_PATTERN: Final = re.compile(
    r"(?<![A-Za-z0-9_.])(?:(?:request|extra)\.)?("
    + "|".join(sorted((re.escape(n) for n in _WIRE_PATHS), key=len, reverse=True))
    + r")(?![A-Za-z0-9_])",
    re.IGNORECASE,
)


def _wire_path_of(name: str) -> str | None:
    """The full wire path for a field name as a message spells it (``steps``, ``request.steps``)."""
    bare = name.split(".")[-1].strip().lower()
    return _WIRE_PATHS.get(bare)


def _table_wire(field: str) -> str:
    """The (first) wire path of a neutral field's row."""
    row = CAPABILITIES.get(field)
    paths = wire_paths(row) if row is not None else ()
    if not paths:  # pragma: no cover - REASONS names only mapped rows (a meta-test checks)
        raise LookupError(f"the Novita table maps no wire field for {field}")
    return paths[0]


def _neutral_name(wire: str) -> str | None:
    """The neutral field (``$.steps``) or option (``$.extras.novita.inpainting_fill``)."""
    if wire in _OPTION_PATHS:
        return f"$.extras.{PROVIDER_ID}.{_OPTION_PATHS[wire]}"
    neutral = CAPABILITIES.field_for_wire(wire)
    return f"$.{neutral}" if neutral else None


def _field_error(wire: str | None, rule: str) -> FieldError:
    if wire is None:
        return FieldError.missing("$", rule)
    wire = wire.removeprefix("$.")
    neutral = _neutral_name(wire)
    suffix = f" (neutral field {neutral})" if neutral else ""
    return FieldError.missing(f"$.{wire}", f"{rule}{suffix}")


def _field_errors(label: str, message: Any, default_field: str | None) -> list[FieldError]:
    """One :class:`FieldError` per wire field the message names (all of them, not the first)."""
    if isinstance(message, Mapping) and message:
        errors = []
        for key, value in message.items():
            wire = _wire_path_of(str(key))
            rule = f"{label}: {_text(value)}"
            errors.append(_field_error(wire or f"request.{key}", rule))
        return errors
    text = _text(message) if message else "request rejected"
    rule = f"{label}: {text}"
    found: list[str] = []
    for match in _FIELD_PATTERN.finditer(text):
        wire = _WIRE_PATHS[match.group(1).lower()]
        if wire not in found:
            found.append(wire)
    if found:
        return [_field_error(wire, rule) for wire in found]
    if default_field is not None:
        # The mask shares the image rules; say which one when the message does.
        if default_field == "image" and "mask" in text.lower():
            default_field = "mask"
        return [_field_error(_table_wire(default_field), rule)]
    return [_field_error(None, rule)]


# --- retry-after -------------------------------------------------------------------------------


def _retry_after(fields: Mapping[str, Any], headers: Mapping[str, str]) -> float | None:
    """Seconds to wait, from a ``Retry-After`` header (seconds or HTTP date, measured against
    the response's ``Date`` so no clock is needed) or a ``retry_after`` body field."""
    if any(k.lower() == "retry-after" for k in headers):
        return retry_after_header(headers)
    return lenient_number(fields.get("retry_after"), minimum=0)
