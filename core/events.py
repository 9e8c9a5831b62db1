"""Typed progress events: what a job is doing, for callbacks, async iterators and logs.

The client reports each step of a job as one small frozen value: :class:`Planned` (the job was
checked and split into requests), :class:`Submitted` (every request accepted, with the task
ids that may now be billed), :class:`Polled` (a task's answer: progress and eta when the
provider gives them), :class:`Retried` (a request is sent again, with the reason and the
delay), :class:`Downloaded` (one result image is in hand), and finally :class:`Finished`
(with the result) or :class:`Failed` (with the typed error).

The events are emitted by the client's own short loops, never by the pure waiting machine
(:mod:`inpaintkit.waiting`), which only *decides*.  How they are delivered (a callback, a
per-call stream, the ``inpaintkit`` logger) is :mod:`inpaintkit.observe`'s job.  No event holds
an API key: they carry ids, counts, times and typed errors, whose messages the client has
already scrubbed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from .provider import Done, Pending

if TYPE_CHECKING:
    from .errors import InpaintError
    from .result import InpaintResult

__all__ = [
    "Downloaded",
    "Event",
    "Failed",
    "Finished",
    "Planned",
    "Polled",
    "Retried",
    "Submitted",
    "describe",
    "log_fields",
    "polled",
]


@attrs.frozen
class Planned:
    """The job passed every check and is split into ``requests`` requests (not sent yet)."""

    provider: str
    at: float
    requests: int
    images: int
    kind: ClassVar[str] = "planned"


@attrs.frozen
class Submitted:
    """Every request of the job was accepted: ``task_ids`` may now be billed.

    ``finished`` counts the requests the provider answered with a result at once (sync).
    """

    provider: str
    at: float
    task_ids: tuple[str, ...]
    finished: int
    seconds: float
    kind: ClassVar[str] = "submitted"


@attrs.frozen
class Polled:
    """The provider answered a poll of ``task_id``: still running, or ``done``.

    ``progress`` (0 to 1) and ``eta`` (seconds) are the provider's own figures, ``None`` when it
    gives none; ``polls`` counts the answered polls of this task so far.
    """

    provider: str
    at: float
    task_id: str
    polls: int
    done: bool
    progress: float | None = None
    eta: float | None = None
    kind: ClassVar[str] = "polled"


@attrs.frozen
class Retried:
    """A request failed in a way worth retrying: it is sent again after ``delay`` seconds.

    ``what`` names the request, ``reason`` the failure (``"rate limited"``, ``"server
    error"``, ``"transport failure"``); ``attempt`` counts the failures so far (1 = first).
    """

    provider: str
    at: float
    what: str
    reason: str
    delay: float
    attempt: int
    task_id: str | None = None
    kind: ClassVar[str] = "retried"


@attrs.frozen
class Downloaded:
    """Result image ``index`` (0-based, over the whole job) is in hand, finished locally."""

    provider: str
    at: float
    index: int
    bytes: int
    width: int
    height: int
    task_id: str | None = None
    kind: ClassVar[str] = "downloaded"


@attrs.frozen
class Finished:
    """The job ended with ``result`` (``seconds`` from submit to the last image)."""

    provider: str
    at: float
    task_ids: tuple[str, ...]
    images: int
    seconds: float
    result: InpaintResult = attrs.field(repr=False, eq=False)
    kind: ClassVar[str] = "finished"


@attrs.frozen
class Failed:
    """A call ended with the typed ``error`` (its ``task_ids`` may be billed)."""

    provider: str | None
    at: float
    error: InpaintError = attrs.field(eq=False)
    task_ids: tuple[str, ...] = ()
    kind: ClassVar[str] = "failed"


Event = Planned | Submitted | Polled | Retried | Downloaded | Finished | Failed
"""Any progress event; match on the class, or read ``event.kind``."""


def polled(provider: str, at: float, task_id: str, polls: int, answer: object) -> Polled | None:
    """The :class:`Polled` event for a poll's ``answer`` (``None`` for a failed poll, which
    is reported as a :class:`Retried` or a :class:`Failed` instead)."""
    if isinstance(answer, Pending):
        return Polled(provider, at, task_id, polls, False, answer.progress, answer.eta)
    if isinstance(answer, Done):
        return Polled(provider, at, task_id, polls, True)
    return None


def log_fields(event: Event) -> dict[str, Any]:
    """``event`` as flat, JSON-friendly ``extra`` fields for a log record.

    The result and the error object are left out (a formatter should not serialise images);
    a failure is described by its type and message instead.  No key collides with a
    :class:`logging.LogRecord` attribute (a test checks it), so ``extra=`` accepts them.
    """
    fields: dict[str, Any] = {"event": event.kind}
    for field in attrs.fields(type(event)):
        if field.name in ("result", "error"):
            continue
        fields[field.name] = getattr(event, field.name)
    if isinstance(event, Failed):
        fields["error_type"] = type(event.error).__name__
        fields["error_message"] = event.error.message
    return fields


def describe(event: Event) -> str:
    """One line of text for a log message (the fields are in the record's ``extra``)."""
    if isinstance(event, Planned):
        return f"{event.provider}: planned {event.images} image(s) in {event.requests} request(s)"
    if isinstance(event, Submitted):
        return f"{event.provider}: submitted, tasks {', '.join(event.task_ids) or '-'}"
    if isinstance(event, Polled):
        state = "done" if event.done else "pending"
        extra = "".join(
            (
                f", progress {event.progress:.0%}" if event.progress is not None else "",
                f", eta {event.eta:g} s" if event.eta is not None else "",
            )
        )
        return f"{event.provider}: task {event.task_id} {state}{extra}"
    if isinstance(event, Retried):
        task = f" of task {event.task_id}" if event.task_id else ""
        return (
            f"{event.provider}: {event.what}{task} {event.reason}, retrying in "
            f"{event.delay:.1f} s (attempt {event.attempt})"
        )
    if isinstance(event, Downloaded):
        return (
            f"{event.provider}: image {event.index} downloaded "
            f"({event.width}x{event.height}, {event.bytes} bytes)"
        )
    if isinstance(event, Finished):
        return f"{event.provider}: finished, {event.images} image(s) in {event.seconds:.1f} s"
    return f"{event.provider or 'inpaintkit'}: failed: {event.error.message}"
