"""Turning a provider's error answer into the right typed error, in one call.

Every plugin maps HTTP statuses to :mod:`inpaintkit.errors` the same way (a 401 is an
authentication problem, a 429 a rate limit with its Retry-After, a 5xx the provider's own
failure worth retrying); only the provider's exceptions differ (OpenAI's ``insufficient_quota``
arrives as a 429 but means "no credits").  :func:`error_for_response` states the common rule
once, takes the exceptions as a ``kind``, and maps the wire field a provider blames back to the
neutral field through the capability table, so a plugin needs one name instead of eight.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final, Literal

from .errors import (
    AuthenticationError,
    FieldError,
    InpaintError,
    InsufficientCreditsError,
    ProviderError,
    RateLimitedError,
    ServerError,
    TaskFailedError,
    ValidationError,
)
from .parsing import retry_after_header

if TYPE_CHECKING:
    from .provider import CapabilityTable, HttpResponse

__all__ = ["ErrorKind", "error_for_response", "kind_of_status"]

ErrorKind = Literal["auth", "credits", "rate_limit", "invalid", "task_failed", "server", "provider"]
"""What went wrong, independent of how a provider says it."""

_CLASSES: Final[dict[str, type[InpaintError]]] = {
    "auth": AuthenticationError,
    "credits": InsufficientCreditsError,
    "rate_limit": RateLimitedError,
    "task_failed": TaskFailedError,
    "server": ServerError,
    "provider": ProviderError,
}

_MAX_TEXT = 4096


def kind_of_status(status: int) -> ErrorKind:
    """The usual meaning of an HTTP error status."""
    if status in (401, 403):
        return "auth"
    if status == 402:
        return "credits"
    if status == 429:
        return "rate_limit"
    if status >= 500:
        return "server"
    if 400 <= status < 500:
        return "invalid"
    return "provider"


def _field_error(
    provider: str, wire: str | None, message: str, table: CapabilityTable | None
) -> FieldError:
    """A field error at the neutral path of the wire field a provider blames."""
    neutral = table.field_for_wire(wire) if table is not None and wire else None
    path = f"$.{neutral}" if neutral else "$"
    where = f" (wire field {wire})" if wire else ""
    return FieldError.missing(path, f"{provider}: {message}{where}")


def _raw(response: HttpResponse) -> Any:
    parsed = response.json()
    if parsed is not None:
        return parsed
    text = response.text()
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "..."


def error_for_response(
    response: HttpResponse,
    *,
    provider: str,
    message: str | None = None,
    kind: ErrorKind | None = None,
    wire_field: str | None = None,
    table: CapabilityTable | None = None,
    hint: str | None = None,
    fields: Sequence[tuple[str | None, str]] = (),
) -> InpaintError:
    """The typed error for an error answer.

    ``kind`` overrides what the status says; ``wire_field`` is the field the provider blames
    (mapped to its neutral path through ``table``) for ``"invalid"`` answers, and ``fields``
    lists several as ``(wire field or None, message)`` pairs when a provider names many.  The
    error keeps the status, the raw body (JSON or text, bounded) and, for rate limits, the
    Retry-After.
    """
    status = response.status
    raw = _raw(response)
    kind = kind or kind_of_status(status)
    text = f"{provider}: {message or f'HTTP {status}'}"
    common: dict[str, Any] = {"provider": provider, "raw_body": raw, "status": status}
    if hint is not None:
        common["hint"] = hint
    if kind == "invalid":
        blamed = list(fields) or [(wire_field, message or f"HTTP {status}")]
        errors = [_field_error(provider, wire, text, table) for wire, text in blamed]
        return ValidationError(errors, **common)
    if kind == "rate_limit":
        return RateLimitedError(text, retry_after=retry_after_header(response.headers), **common)
    return _CLASSES[kind](text, **common)
