"""The platform's error answers -> inpaintkit's typed errors, decided once for both providers.

StableDiffusionAPI v3 and ModelsLab v6 are one backend (reference section 2) and answer errors
the same two ways, and which one a failure uses is unverified (reference 2.4, 3.4): a non-2xx
HTTP status, or HTTP 200 with ``"status": "error"`` (``"failed"`` for a task that ran).  The
message is under ``message`` or the legacy ``messege`` (reference 3.4: "handle both"), and may
be an object of field errors (``{"prompt": ["The prompt field is required."]}``, reference 2.4).

Decisions (each was once made differently by the two plugins):

======================================  ===============================  ==========================
Answer                                  Error                            Source
======================================  ===============================  ==========================
403 "requires a premium subscription"   InsufficientCreditsError (pay:   reference 3.4 documents
(or subscription / plan / upgrade)      upgrade the plan), not a key     403 only for this message
                                        problem; other 403s are
                                        AuthenticationError
Retry-After as an HTTP date             honoured (seconds until the      RFC 9110 section 10.2.3:
                                        date, against the response's     delay-seconds or HTTP-date
                                        Date header, else the clock)
"please wait for 30 seconds"            RateLimitedError, retry after    reference 2.4: the spam
(in message or tips, any status)        30 s (transient, retried)        filter's documented body
404 while fetching                      TaskFailedError (the task is     reference 3.1: fetch lists
                                        lost; polling cannot recover)    404 for an unknown id
======================================  ===============================  ==========================

Where the retry delay comes from, in order: the ``Retry-After`` header, ModelsLab's
``retry_after`` body field (reference 3.4), then "N seconds" in the message or tips text.
Field names in errors are mapped to neutral paths by the provider's capability table
(:meth:`~inpaintkit.provider.CapabilityTable.field_for_wire`); nothing here knows a field name.
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
from inpaintkit.provider import CapabilityTable

__all__ = ["classify", "message_of", "retry_after_of"]

_WAIT = re.compile(
    r"\b(?:wait|after|retry in|try again in)\b[^.\d]{0,20}?"
    r"(\d+(?:\.\d+)?)\s*(?:seconds?|secs?|s)\b",
    re.IGNORECASE,
)
"""'please wait for 30 seconds' (reference 2.4), 'try again after 30 seconds', 'retry in 30s'."""

_RATE_WORDS: Final = ("rate limit", "too many", "spam", "queued requests")
_KEY_WORDS: Final = (
    "api key",
    "api-key",
    "apikey",
    "invalid key",
    "unauthorized",
    "unauthenticated",
)
_PLAN_WORDS: Final = ("premium", "subscription", "upgrade your plan", "plan limit")
_CREDIT_WORDS: Final = ("credit", "balance")

SUBSCRIPTION_HINT: Final = (
    "The provider says this needs a higher subscription plan: upgrade the plan or drop the "
    "feature (a 403 here is a plan limit, not a bad key)."
)


def message_of(body: Any) -> Any:
    """The message of an answer: ``message``, the legacy ``messege``, or ``error`` (any type)."""
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


def retry_after_of(
    body: Any, headers: Mapping[str, str] | None = None, *, now: float | None = None
) -> float | None:
    """Seconds to wait before retrying: the header, the body's ``retry_after``, the text.

    ``now`` (Unix seconds) measures an HTTP-date header when the response has no ``Date``;
    it defaults to the clock.
    """
    seconds = retry_after_header(headers or {}, now=time.time() if now is None else now)
    if seconds is not None:
        return seconds
    if not isinstance(body, Mapping):
        return None
    seconds = lenient_number(body.get("retry_after"), minimum=0)
    if seconds is not None:
        return seconds
    for key in ("message", "messege", "tips", "tip"):
        text = body.get(key)
        match = _WAIT.search(text) if isinstance(text, str) else None
        if match:
            return float(match.group(1))
    return None


def _all_text(body: Any, message: Any) -> str:
    """The message plus any tips, lower-cased: the spam filter puts its wait in ``tips``."""
    parts = [_text(message)]
    if isinstance(body, Mapping):
        parts += [str(body[k]) for k in ("tips", "tip") if isinstance(body.get(k), str)]
    return " ".join(parts).lower()


class _Classifier:
    """One error answer being classified (keeps the shared keyword arguments in one place)."""

    def __init__(
        self,
        body: Any,
        *,
        status: int | None,
        headers: Mapping[str, str] | None,
        provider: str,
        table: CapabilityTable,
    ) -> None:
        self.body = body
        self.headers = headers
        self.table = table
        self.message = message_of(body)
        self.text = _text(self.message)
        self.lowered = _all_text(body, self.message)
        self.common: dict[str, Any] = {"provider": provider, "raw_body": body, "status": status}

    def path(self, wire_name: str) -> str:
        """The neutral path of a wire field named in an error (its own name if unmapped)."""
        return "$." + (self.table.field_for_wire(wire_name) or wire_name)

    def rate_limited(self) -> InpaintError:
        retry_after = retry_after_of(self.body, self.headers)
        return RateLimitedError(
            self.text or "rate limit exceeded", retry_after=retry_after, **self.common
        )

    def plan_limit(self) -> InpaintError:
        return InsufficientCreditsError(self.text, hint=SUBSCRIPTION_HINT, **self.common)

    def invalid(self, path: str, rule: str) -> InpaintError:
        return ValidationError([FieldError.missing(path, rule)], **self.common)

    def field_errors(self, message: Any) -> list[FieldError]:
        """Field errors of a message object (``{"prompt": ["... required."]}``) or of a list
        of such objects and strings (a string is about the whole request, ``$``)."""
        if isinstance(message, list | tuple):
            return [e for item in message for e in self.field_errors(item)]
        if not isinstance(message, Mapping):
            # A string, or any other JSON scalar a list may hold (null, a number): about
            # the whole request.
            return [FieldError.missing("$", _text(message) or "rejected by the provider")]
        errors: list[FieldError] = []
        for wire_field, problems in message.items():
            for problem in problems if isinstance(problems, list | tuple) else [problems]:
                rule = f"rejected by the provider as {wire_field!r}: {_text(problem)}"
                errors.append(FieldError.missing(self.path(str(wire_field)), rule))
        return errors

    def by_text(self) -> InpaintError | None:
        """Classify by the message, for answers whose HTTP status says nothing specific."""
        lowered = self.lowered
        has_delay = isinstance(self.body, Mapping) and "retry_after" in self.body
        if has_delay or any(w in lowered for w in _RATE_WORDS) or _WAIT.search(lowered):
            return self.rate_limited()
        if any(w in lowered for w in _KEY_WORDS):
            return AuthenticationError(self.text, **self.common)
        if any(w in lowered for w in _PLAN_WORDS):
            return self.plan_limit()
        if any(w in lowered for w in _CREDIT_WORDS):
            return InsufficientCreditsError(self.text, **self.common)
        if "model" in lowered and "not found" in lowered:
            return self.invalid("$.model", f"the provider does not know this model: {self.text}")
        if "unable to fetch image" in lowered:
            rule = f"the provider could not download the image or mask: {self.text}"
            return self.invalid("$.image", rule)
        return None

    def leading_field(self) -> str | None:
        """The neutral path of a message about one wire field ('width must be between ...',
        'The prompt field is required.'), when the table knows that wire field."""
        words = self.text.split()
        if words and words[0].lower() == "the":
            words = words[1:]
        if not words:
            return None
        name = words[0].strip(".:,'\"`")
        return self.path(name) if self.table.field_for_wire(name) is not None else None


def classify(
    body: Any,
    *,
    status: int | None,
    provider: str,
    table: CapabilityTable,
    headers: Mapping[str, str] | None = None,
    phase: str = "submit",
    task_id: str | None = None,
) -> InpaintError:
    """The typed error for an error answer (a non-2xx status, or ``status`` error/failed).

    ``body`` is the parsed JSON (or the text when it was not JSON), kept as ``raw_body``.
    ``status`` is ``None`` for a webhook payload (no HTTP answer).  ``phase`` is ``"submit"``,
    ``"poll"``, ``"webhook"`` or ``"upload"``: an unknown id is a lost task when fetching but a
    wrong path when submitting.  The error carries ``task_id`` when one is known.
    """
    error = _classify(body, status, provider, table, headers, phase, task_id)
    if task_id is not None and error.task_id is None:
        error.task_id = task_id
    return error


def _classify(
    body: Any,
    status: int | None,
    provider: str,
    table: CapabilityTable,
    headers: Mapping[str, str] | None,
    phase: str,
    task_id: str | None,
) -> InpaintError:
    c = _Classifier(body, status=status, headers=headers, provider=provider, table=table)
    ok = status is None or 200 <= status < 300
    if ok and isinstance(body, Mapping) and body.get("status") == "failed":
        return TaskFailedError(c.text or "the task failed", task_id=task_id, **c.common)
    fields = c.field_errors(c.message) if isinstance(c.message, Mapping | list) else []
    if fields:  # (a message of empty lists names no field: classified as any other below)
        return ValidationError(fields, **c.common)
    if status == 401:
        return AuthenticationError(c.text or "invalid or missing API key", **c.common)
    if status == 402:
        return InsufficientCreditsError(c.text or "insufficient credits", **c.common)
    if status == 403:
        if any(w in c.lowered for w in _PLAN_WORDS):
            return c.plan_limit()
        return AuthenticationError(c.text or "forbidden", **c.common)
    if status == 429:
        return c.rate_limited()
    if status == 404 and phase == "poll":
        text = c.text or "the provider does not know this task"
        return TaskFailedError(text, task_id=task_id, **c.common)
    found = c.by_text()
    if found is not None:
        return found
    leading = c.leading_field() if status is None or status < 500 else None
    if leading is not None:
        return c.invalid(leading, f"rejected by the provider: {c.text}")
    if status in (400, 422):
        return c.invalid("$", f"the provider rejected the request: {c.text or 'no reason given'}")
    cls = server_error_class(ProviderError, status)
    return cls(c.text or f"HTTP {status} from the provider", **c.common)
