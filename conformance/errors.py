"""Error mapping: each documented provider error must become the right typed error.

The mock answers with the provider's exact error bodies (injected with its fault catalogue), and
the client must raise the matching :mod:`inpaintkit.errors` class carrying the raw body, the
HTTP status, the provider id and, for 429s, the Retry-After, and never the API key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from inpaintkit.errors import (
    AuthenticationError,
    InpaintError,
    InsufficientCreditsError,
    ProviderError,
    RateLimitedError,
    TaskFailedError,
    ValidationError,
)
from inpaintkit.job import InpaintJob
from inpaintkit.provider import NoAuth, PollingAdapter, SubmitAdapter

from .harness import Harness

__all__ = ["DEFAULT_ERROR_CASES", "ErrorCase", "check_error_case", "not_applicable"]


@attrs.frozen
class ErrorCase:
    """One documented error: how to make the mock produce it and which classes may represent it.

    ``fault`` is a mock fault spec applied to the submit path (``None`` with ``bad_key`` to send
    a key the mock does not know instead).
    """

    id: str
    expected: tuple[type[InpaintError], ...]
    fault: str | None = None
    bad_key: bool = False
    retry_after: float | None = None


DEFAULT_ERROR_CASES: tuple[ErrorCase, ...] = (
    ErrorCase("bad_key", (AuthenticationError,), bad_key=True),
    ErrorCase("invalid_key", (AuthenticationError,), "error:INVALID_KEY"),
    ErrorCase("missing_key", (AuthenticationError,), "error:MISSING_KEY"),
    ErrorCase("insufficient_credits", (InsufficientCreditsError,), "error:INSUFFICIENT_CREDITS"),
    ErrorCase("server_error", (ProviderError,), "server_error:500"),
    ErrorCase("service_unavailable", (ProviderError,), "server_error:503"),
    ErrorCase("image_fetch_failed", (ValidationError, ProviderError), "error:IMAGE_FETCH_FAILED"),
    ErrorCase("model_not_found", (ValidationError, ProviderError), "error:MODEL_NOT_FOUND"),
    ErrorCase("rate_limited", (RateLimitedError,), "rate_limit:7", retry_after=7.0),
    ErrorCase("task_failed", (TaskFailedError,), "task_failed:conformance-reason"),
)
"""The errors every provider documents in some form (see the mock's error catalogue)."""


def not_applicable(case: ErrorCase, adapter: SubmitAdapter) -> str | None:
    """Why ``case`` cannot apply to ``adapter``'s provider (``None`` when it applies).

    Derived from what the plugin declares, so a plugin need not restate it as a skip: a wrong
    key cannot be refused by a provider that takes none, and a task cannot fail on a provider
    without tasks (a synchronous one's failed generation is its submit's error, which the
    ``server_error`` case covers).
    """
    if case.bad_key and isinstance(adapter.spec.auth, NoAuth):
        return f"{adapter.spec.id} takes no key (NoAuth): a wrong one cannot be refused"
    if case.id == "task_failed" and not isinstance(adapter, PollingAdapter):
        return f"{adapter.spec.id} is synchronous (no polling): it has no task that could fail"
    return None


def check_error_case(h: Harness, job: InpaintJob, case: ErrorCase) -> list[str]:
    """Run ``case``; the list of problems (empty when the mapping is right)."""
    client = h.client
    if case.bad_key:
        client = h.make_client("conformance-wrong-key-0b1d")
    submit_path = _submit_path(h, job)
    h.reset()
    if case.fault is not None:
        h.mock.set_fault(case.fault, path=submit_path)
    mark = h.transport.mark()
    sub = h.submit(job, client=client)
    error = sub.error
    if error is None and sub.handle is not None:
        try:
            h.run(client.wait(sub.handle))
        except InpaintError as exc:
            error = exc
    where = f"[{h.provider_id}] {case.id} ({case.fault or 'wrong API key'})"
    if error is None:
        return [f"{where}: the job succeeded; expected {_names(case.expected)}"]
    problems: list[str] = []
    if not isinstance(error, case.expected):
        problems.append(f"{where}: raised {type(error).__name__}, expected {_names(case.expected)}")
    answered = [r for r in h.transport.sent[mark:] if r.status is not None and r.status != 200]
    last = answered[-1] if answered else h.transport.sent[-1]
    if not _same_body(error.raw_body, last.response):
        problems.append(
            f"{where}: raw_body {error.raw_body!r:.120} is not the provider's body "
            f"{last.response!r:.120}"
        )
    if last.status != 200 and error.status != last.status:
        problems.append(f"{where}: status {error.status} but the mock answered {last.status}")
    if error.provider != h.provider_id:
        problems.append(f"{where}: provider {error.provider!r}, expected {h.provider_id!r}")
    if case.retry_after is not None:
        got = getattr(error, "retry_after", None)
        if got != case.retry_after:
            problems.append(f"{where}: retry_after {got!r}, the mock said {case.retry_after}")
        budget = h.spec.polling.submit_retries
        slept = [s for s in h.clock.sleeps if s == case.retry_after]
        if len(slept) != budget:
            problems.append(
                f"{where}: slept the Retry-After {len(slept)} times; the retry budget is {budget}"
            )
    for text in (str(error), repr(error), repr(error.raw_body)):
        if h.api_key in text or "conformance-wrong-key-0b1d" in text:
            problems.append(f"{where}: the API key appears in the error")
            break
    return problems


def _names(classes: tuple[type, ...]) -> str:
    return " or ".join(c.__name__ for c in classes)


def _same_body(raw: Any, response: Any) -> bool:
    if raw == response:
        return True
    if isinstance(raw, Mapping) and isinstance(response, Mapping):
        # Providers may wrap or trim; the provider's own fields must all be there.
        return all(raw.get(k) == v for k, v in response.items())
    return isinstance(raw, str) and isinstance(response, str) and response.startswith(raw[:50])


def _submit_path(h: Harness, job: InpaintJob) -> str:
    sub = h.submit(job)
    if sub.submit_path is None:
        raise AssertionError(f"[{h.provider_id}] the baseline job was not sent: {sub.error}")
    return sub.submit_path
