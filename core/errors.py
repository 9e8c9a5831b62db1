"""One typed error hierarchy for everything that can go wrong with an inpainting job.

Every job ends in a result or one of these errors.  Each error says what happened, carries the
provider's raw response body where there was one (with secrets redacted), and says what the user
can do next (:attr:`InpaintError.hint`).  Callers catch the class that matches their recovery:
fix the job (:class:`ValidationError`), fix the key (:class:`AuthenticationError`), wait
(:class:`RateLimitedError`), pay (:class:`InsufficientCreditsError`), try again
(:class:`TaskFailedError`, :class:`ProviderError`), or look before resubmitting
(:class:`SubmitOutcomeUnknownError`).
"""

from __future__ import annotations

import reprlib
from collections.abc import Iterable
from typing import Any, Self

import attrs

__all__ = [
    "INTERFACES",
    "AuthenticationError",
    "ClientClosedError",
    "FieldError",
    "InpaintError",
    "InpaintTimeoutError",
    "InsufficientCreditsError",
    "JobCancelledError",
    "PluginContractError",
    "ProviderError",
    "ProviderUnavailableError",
    "RateLimitedError",
    "ServerError",
    "SubmitOutcomeUnknownError",
    "TaskFailedError",
    "UnsupportedFieldError",
    "ValidationError",
    "as_server_error",
    "server_error_class",
]

_MAX_VALUE_REPR = 80

INTERFACES = ("python", "cli")
"""The interfaces an error's hint can be phrased for (see :meth:`InpaintError.hint_for`)."""


_REPR = reprlib.Repr()
_REPR.maxlevel = 3
_REPR.maxstring = _REPR.maxother = _MAX_VALUE_REPR
"""Bounded in depth and width: a value nested 100,000 levels deep (from a JSON job file) must
not turn the error message itself into a RecursionError, nor a huge one into megabytes."""


def _short_repr(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    try:
        text = _REPR.repr(value)
    except Exception:  # a value whose own __repr__ fails must not hide the real error
        text = f"<{type(value).__name__}>"
    if len(text) > _MAX_VALUE_REPR:
        text = text[: _MAX_VALUE_REPR - 3] + "..."
    return text


@attrs.frozen
class FieldError:
    """One failing field: where it is, what it held, and the rule it broke.

    ``path`` is a JSON-path-like location such as ``$.steps`` or ``$.loras[2].strength``.
    ``value`` is :data:`MISSING` when the field was absent.
    """

    path: str
    rule: str
    value: Any = attrs.field(default=None, eq=False, repr=lambda v: _short_repr(v))
    has_value: bool = True

    def __str__(self) -> str:
        if not self.has_value:
            return f"{self.path}: {self.rule}"
        return f"{self.path}: {self.rule}, got {_short_repr(self.value)}"

    @classmethod
    def missing(cls, path: str, rule: str = "is required") -> FieldError:
        """A field that should be present and is not."""
        return cls(path=path, rule=rule, value=None, has_value=False)


class InpaintError(Exception):
    """Base of every error inpaintkit raises about a job.

    ``provider`` is the provider id (or ``None`` before one was involved), ``raw_body`` the
    provider's response body as parsed JSON or text (never the request, which may hold a key),
    ``status`` the HTTP status, and ``hint`` a sentence on what to do next.

    A hint that names a way to change behaviour is phrased for Python callers (keyword
    arguments such as ``unsupported='warn'``).  ``cli_hint`` carries the same advice in
    command-line terms (``--unsupported warn``); the console script renders
    ``hint_for("cli")``, so no interface has to rewrite another's wording.
    """

    default_hint = "See the error message and the provider's raw response body."
    default_cli_hint: str | None = None
    """The class's default hint for the command line; ``None``: the Python hint reads the same."""
    transient: bool = False
    """Whether waiting and asking again may succeed (a 429, a 5xx, an unreachable provider).

    The waiting policy (:mod:`inpaintkit.waiting`) reads only this attribute, so a plugin's own
    error subclass decides its retry behaviour by where it sits in the hierarchy."""
    task_ids: tuple[str, ...]
    """Every task this call submitted that may run (and be billed) although the call failed:
    the siblings of a failed request of a split job, the tasks in flight at ``close()``."""

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        raw_body: Any = None,
        status: int | None = None,
        hint: str | None = None,
        task_id: str | None = None,
        cli_hint: str | None = None,
        task_ids: Iterable[str] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.raw_body = raw_body
        self.status = status
        self.hint = hint if hint is not None else self.default_hint
        # An explicit hint without a CLI form applies to every interface; the class's CLI
        # default would describe some other situation.
        self.cli_hint: str | None = cli_hint
        if cli_hint is None and hint is None:
            self.cli_hint = self.default_cli_hint
        self.task_id = task_id
        self.task_ids = tuple(task_ids)

    def hint_for(self, interface: str = "python") -> str:
        """The hint phrased for ``interface`` (one of :data:`INTERFACES`)."""
        if interface not in INTERFACES:
            raise ValueError(f"interface must be one of {', '.join(INTERFACES)}, got {interface!r}")
        if interface == "cli" and self.cli_hint is not None:
            return self.cli_hint
        return self.hint

    def describe(self, interface: str = "python") -> str:
        """The full message with the hint for ``interface``; ``str(error)`` is the Python form."""
        prefix = f"[{self.provider}] " if self.provider else ""
        status = f" (HTTP {self.status})" if self.status is not None else ""
        return f"{prefix}{self.message}{status}. {self.hint_for(interface)}"

    def __str__(self) -> str:
        return self.describe("python")

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}({self.message!r}, provider={self.provider!r}, status={self.status!r})"

    def evolve(self, **changes: Any) -> Self:
        """A copy with some attributes replaced (``task_id=...``, ``raw_body=...``).

        Errors can be shared (a parsed state kept in a handle, an error cached by a plugin), so
        the runtime never mutates one in place; it raises an evolved copy instead.
        """
        clone = type(self).__new__(type(self))
        Exception.__init__(clone, *self.args)
        clone.__dict__.update(self.__dict__)
        for name, value in changes.items():
            if not hasattr(self, name):
                raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")
            setattr(clone, name, value)
        clone.__cause__ = self.__cause__
        clone.__suppress_context__ = self.__suppress_context__
        return clone

    def redacted(self, secrets: tuple[str, ...]) -> Self:
        """A copy with ``secrets`` removed from every text it carries: message, hints, raw body
        and arguments (a provider may quote the key back in its error message)."""
        from .credentials import redact

        clean = self.evolve(
            message=redact(self.message, secrets),
            hint=redact(self.hint, secrets),
            raw_body=redact(self.raw_body, secrets),
        )
        clean.args = tuple(redact(a, secrets) for a in self.args)
        if isinstance(clean, ValidationError):
            clean.errors = tuple(
                attrs.evolve(e, rule=redact(e.rule, secrets), value=redact(e.value, secrets))
                for e in clean.errors
            )
        return clean


class ValidationError(InpaintError, ValueError):
    """The job is invalid: every failing field is listed in :attr:`errors`, not only the first."""

    default_hint = "Fix the fields listed above and submit again."
    head = "invalid job"
    """The first words of the message (a subclass about settings says so instead)."""

    def __init__(
        self,
        errors: Iterable[FieldError],
        *,
        provider: str | None = None,
        raw_body: Any = None,
        status: int | None = None,
        hint: str | None = None,
        cli_hint: str | None = None,
    ) -> None:
        self.errors: tuple[FieldError, ...] = tuple(errors)
        if not self.errors:
            raise ValueError("ValidationError needs at least one FieldError")
        count = len(self.errors)
        head = self.head if provider is None else f"job rejected for {provider}"
        lines = "\n".join(f"  {e}" for e in self.errors)
        message = f"{head}: {count} field error{'s' if count != 1 else ''}\n{lines}"
        super().__init__(
            message,
            provider=provider,
            raw_body=raw_body,
            status=status,
            hint=hint,
            cli_hint=cli_hint,
        )

    @property
    def paths(self) -> tuple[str, ...]:
        """The paths of the failing fields, in order."""
        return tuple(e.path for e in self.errors)


class UnsupportedFieldError(ValidationError):
    """The job uses fields the provider cannot honour, natively or by emulation.

    Raised under the default ``strict`` unsupported-field policy.  Pass
    ``unsupported="warn"`` or ``unsupported="drop"`` to the client to drop them instead (the
    result then records what was dropped).
    """

    default_hint = (
        "Remove these fields, choose a provider that supports them, or pass "
        "unsupported='warn' or 'drop' to drop them explicitly."
    )
    default_cli_hint = (
        "Remove these fields, choose a provider that supports them, or pass "
        "--unsupported warn or --unsupported drop to drop them explicitly."
    )


class AuthenticationError(InpaintError):
    """The provider rejected the API key, or none was given."""

    default_hint = (
        "Check the API key: pass api_keys={provider: key} or set the provider's "
        "environment variable."
    )
    default_cli_hint = (
        "Check the API key: set the provider's environment variable "
        "(`inpaintkit providers` names it), or try the job with --mock."
    )


class RateLimitedError(InpaintError):
    """The provider is rate limiting this account; :attr:`retry_after` says how long to wait."""

    default_hint = "Wait and try again, or lower the client's concurrency."
    default_cli_hint = "Wait and try again."
    transient = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after

    def describe(self, interface: str = "python") -> str:
        """The message and hint for ``interface``, plus how long to wait when known."""
        base = super().describe(interface)
        if self.retry_after is not None:
            return f"{base} Retry after {self.retry_after:g} s."
        return base


class InsufficientCreditsError(InpaintError):
    """The account has no balance left for this job."""

    default_hint = "Add credits to the provider account."


class TaskFailedError(InpaintError):
    """The provider accepted the job but the task failed while running."""

    default_hint = "The job may succeed if submitted again; check the provider's reason."


class InpaintTimeoutError(InpaintError):
    """The job did not finish before the client's deadline.

    The task may still be running at the provider (and be billed); :attr:`task_id` identifies it
    so that it can be checked later with ``client.status``.
    """

    default_hint = "Raise the deadline, or check the task later with client.status(handle)."
    default_cli_hint: str | None = (
        "The task may still be running (and billed) at the provider; check it there before "
        "running the job again."
    )


class SubmitOutcomeUnknownError(InpaintTimeoutError):
    """A submit may have reached the provider, but no answer came back.

    inpaintkit never resends such a submit blindly: the first one may already be running and
    billed.  Check the provider's dashboard or webhook before submitting again.
    """

    default_hint = (
        "The job may be running and billed already; it was not resent. Check the provider "
        "(dashboard, webhook) before submitting again."
    )
    default_cli_hint = None  # the hint above reads the same on the command line


class ProviderError(InpaintError):
    """The provider answered with an error that fits no more specific class (often a 5xx)."""

    default_hint = "This is likely a problem at the provider; try again later."


class PluginContractError(ProviderError):
    """A provider plugin built a request that disagrees with its own capability table (a field
    missing or encoded otherwise).  Caught by the core before anything is sent: a bug to report
    to the plugin's authors, not something a job can fix."""

    default_hint = "This is a bug in the provider plugin; nothing was sent."


class ServerError(ProviderError):
    """The provider answered with a 5xx: its own failure, worth asking again."""

    transient = True


class ProviderUnavailableError(ProviderError):
    """The provider could not be reached at all (connection refused, DNS failure, reset)."""

    default_hint = "Check the base URL and network, then try again."
    transient = True


def as_server_error(error: InpaintError) -> InpaintError:
    """``error``, or a :class:`ServerError` copy of it when it is a plain 5xx ProviderError.

    The runtime applies this to what adapters return, so a third-party plugin that still raises
    ``ProviderError(status=503)`` gets 5xx retries without knowing about :class:`ServerError`.
    """
    if type(error) is not ProviderError or server_error_class(ProviderError, error.status) is (
        ProviderError
    ):
        return error
    clone = ServerError.__new__(ServerError)
    Exception.__init__(clone, *error.args)
    clone.__dict__.update(error.__dict__)
    return clone


def server_error_class(cls: type[InpaintError], status: int | None) -> type[InpaintError]:
    """``cls``, or :class:`ServerError` when a plain :class:`ProviderError` came with a 5xx.

    Plugins map statuses and reasons to classes; passing the result through this helper is what
    makes a 5xx transient without each plugin knowing the rule.
    """
    if cls is ProviderError and status is not None and status >= 500:
        return ServerError
    return cls


class ClientClosedError(InpaintError, RuntimeError):
    """The client was closed while this call was still in flight; nothing more was sent.

    Tasks already submitted may still run (and be billed) at the provider; :attr:`task_ids`
    lists those known to this call.
    """

    default_hint = (
        "Keep the client open until every call has returned, or check the listed tasks later."
    )


class JobCancelledError(InpaintError):
    """The job was cancelled by its caller (``client.map`` left early) before it finished.

    A single call cancelled by its caller (``asyncio.timeout``, ``wait_for``, ``task.cancel()``)
    ends with the cancellation itself, as asyncio requires; this error, with the same task ids,
    is then in the call's :class:`~inpaintkit.events.Failed` event (``on_event``, the log).

    :attr:`task_ids` lists the tasks it had submitted, which may still run and be billed (a
    submit on its way when the job was cancelled is let answer first, so its task is listed);
    :attr:`submit_in_flight` says such a submit got no answer, so a task the provider created
    for it may exist without an id known here.
    """

    default_hint = "Check the listed tasks at the provider before running the job again."

    def __init__(self, message: str, *, submit_in_flight: bool = False, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.submit_in_flight = submit_in_flight
