"""The waiting policy as a pure state machine: what to do next, given what was last observed.

Like h11's ``_state.py``, every transition is in one function (:func:`step`) that performs no
I/O and reads no clock: the caller passes the observation (a task state from a poll, or a
:class:`TransportFailed`) and the current time, and gets back the next state and one action:
:class:`Poll` (sleep, then poll), :class:`Finish` or :class:`Raise`.  The client is a short loop
that drives it (``InpaintClient._poll_until_done``), and every branch is tested without sockets.

The rules, each a line in :func:`step`:

* A pending task resets the failure counts and is polled again after the provider's
  :class:`~inpaintkit.provider.PollPolicy` schedule (the eta first, then a growing interval).
* A failure is retried only when its type says so (:attr:`InpaintError.transient`), within a
  budget of consecutive failures kept *separately* for transport failures, 5xx answers and rate
  limits, so a burst of one kind does not use up the patience for another.
* Failures wait their own retry delay and do not grow the poll schedule.
* Retry delays carry seeded jitter (``random.Random``), so many clients retrying together spread
  out, while a test with a seed sees the same delays every run.  A ``Retry-After`` is honoured
  exactly; when it reaches past the deadline the job times out at once instead of polling early.
* No sleep ends after the deadline; once it has passed, the task times out (naming its id).
* Errors are never mutated: the one raised is a copy that names the task.
"""

from __future__ import annotations

import random
from typing import Final

import attrs

from .errors import (
    InpaintError,
    InpaintTimeoutError,
    ProviderUnavailableError,
    RateLimitedError,
    SubmitOutcomeUnknownError,
)
from .provider import Done, Failed, Pending, PollPolicy, TaskHandle
from .settings import DEFAULT_RETRY_JITTER

__all__ = [
    "Action",
    "Budgets",
    "Finish",
    "Observation",
    "Poll",
    "Raise",
    "TransportFailed",
    "Waiting",
    "failure_kind",
    "retry_request",
    "start",
    "step",
]

DEADLINE_SLACK: Final = 1e-9
"""Seconds of float rounding tolerated when a sleep lands exactly on the deadline."""


@attrs.frozen
class TransportFailed:
    """A request failed below HTTP (refused, reset, timed out).

    ``reached`` is False only when the request provably never left (connection refused): that
    is what makes a billed submit safe to resend.  Polls and uploads are idempotent either way.
    """

    message: str
    reached: bool = True


Observation = Pending | Done | Failed | TransportFailed
"""What the last poll (or the submit, for the first step) showed."""


@attrs.frozen
class Poll:
    """Sleep ``delay`` seconds, then poll the task again. ``reason`` says why (for logs)."""

    delay: float
    reason: str


@attrs.frozen
class Finish:
    """The task is done."""

    done: Done


@attrs.frozen
class Raise:
    """The task ends with ``error``."""

    error: InpaintError


Action = Poll | Finish | Raise


@attrs.frozen
class Budgets:
    """How many consecutive failures of each kind are retried before giving up.

    ``jitter`` is the fraction by which a retry delay may be stretched (0.1: up to 10 % longer),
    drawn from the caller's seeded :class:`random.Random`.
    """

    transport: int = 5
    server: int = 5
    rate_limited: int = 5
    jitter: float = attrs.field(
        default=DEFAULT_RETRY_JITTER,
        validator=attrs.validators.and_(attrs.validators.ge(0.0), attrs.validators.le(1.0)),
    )

    @classmethod
    def from_policy(cls, policy: PollPolicy, *, jitter: float = DEFAULT_RETRY_JITTER) -> Budgets:
        """The provider's ``max_poll_errors`` for every kind of failure."""
        n = policy.max_poll_errors
        return cls(transport=n, server=n, rate_limited=n, jitter=jitter)


@attrs.frozen
class Waiting:
    """Everything the policy remembers between two polls of one task."""

    provider: str
    handle: TaskHandle
    policy: PollPolicy
    budgets: Budgets
    deadline: float
    """The configured deadline in seconds (for messages)."""
    deadline_at: float
    """When the task times out, on the caller's clock."""
    eta: float | None = None
    pendings: int = 0
    """Pending answers seen so far, the submit's included: drives the poll schedule."""
    polls: int = 0
    """Polls that got an answer (transport failures excluded)."""
    transport_failures: int = 0
    server_errors: int = 0
    rate_limits: int = 0

    @property
    def task_id(self) -> str:
        return self.handle.task_id


def start(
    pending: Pending,
    *,
    provider: str,
    policy: PollPolicy,
    budgets: Budgets,
    started: float,
    deadline: float,
) -> Waiting:
    """The state before the first poll of ``pending`` (submitted at ``started``)."""
    return Waiting(
        provider=provider,
        handle=pending.handle,
        policy=policy,
        budgets=budgets,
        deadline=deadline,
        deadline_at=started + deadline,
        eta=pending.eta,
    )


def step(
    state: Waiting, observation: Observation, now: float, rng: random.Random
) -> tuple[Waiting, Action]:
    """The next state and action after ``observation``, at time ``now``.

    The first call passes the submit's own :class:`~inpaintkit.provider.Pending`.
    """
    counted = state.polls + (0 if isinstance(observation, TransportFailed) else 1)
    first = state.pendings == 0 and state.polls == 0 and isinstance(observation, Pending)
    if isinstance(observation, Done):
        return attrs.evolve(state, polls=counted), Finish(observation)
    if isinstance(observation, Pending):
        state = attrs.evolve(
            state,
            handle=observation.handle,
            eta=observation.eta,
            pendings=state.pendings + 1,
            polls=state.polls if first else counted,
            transport_failures=0,
            server_errors=0,
            rate_limits=0,
        )
        delay = state.policy.poll_delay(state.pendings - 1, eta=state.eta)
        return state, _sleep_then_poll(state, now, delay, "pending")
    if isinstance(observation, TransportFailed):
        state = attrs.evolve(state, transport_failures=state.transport_failures + 1)
        if state.transport_failures > state.budgets.transport:
            error: InpaintError = ProviderUnavailableError(
                f"polling task {state.task_id} failed {state.transport_failures} times in a "
                f"row ({observation.message})",
                provider=state.provider,
                task_id=state.task_id,
            )
            return state, Raise(error)
        delay = _jittered(state, state.policy.retry_delay(state.transport_failures - 1), rng)
        return state, _sleep_then_poll(state, now, delay, "transport failure")

    state = attrs.evolve(state, polls=counted)
    error = observation.error
    if error.task_id is None:
        error = error.evolve(task_id=state.task_id)
    if not error.transient:
        return state, Raise(error)
    if isinstance(error, RateLimitedError):
        state = attrs.evolve(state, rate_limits=state.rate_limits + 1)
        if state.rate_limits > state.budgets.rate_limited:
            return state, Raise(error)
        if error.retry_after is not None and error.retry_after >= 0:
            if now + error.retry_after > state.deadline_at + DEADLINE_SLACK:
                return state, Raise(
                    _timeout(
                        state,
                        f"; the provider asks to wait {error.retry_after:g} s more",
                        cause=error,
                    )
                )
            return state, _sleep_then_poll(state, now, error.retry_after, "rate limited")
        base = state.policy.retry_delay(state.rate_limits - 1, rate_limited=True)
        return state, _sleep_then_poll(state, now, _jittered(state, base, rng), "rate limited")
    state = attrs.evolve(state, server_errors=state.server_errors + 1)
    if state.server_errors > state.budgets.server:
        return state, Raise(error)
    delay = _jittered(state, state.policy.retry_delay(state.server_errors - 1), rng)
    return state, _sleep_then_poll(state, now, delay, "server error")


def _jittered(state: Waiting, delay: float, rng: random.Random) -> float:
    return _spread(delay, state.budgets.jitter, rng)


def _sleep_then_poll(state: Waiting, now: float, delay: float, reason: str) -> Action:
    remaining = state.deadline_at - now
    if remaining <= DEADLINE_SLACK:
        return Raise(_timeout(state, ""))
    return Poll(delay=min(max(0.0, delay), remaining), reason=reason)


def _timeout(state: Waiting, detail: str, *, cause: InpaintError | None = None) -> InpaintError:
    error = InpaintTimeoutError(
        f"task {state.task_id} not finished after {state.deadline:g} s{detail}",
        provider=state.provider,
        task_id=state.task_id,
    )
    error.__cause__ = cause
    return error


def failure_kind(failure: InpaintError | TransportFailed) -> str:
    """The retry budget ``failure`` spends: ``"transport"``, ``"rate_limited"`` or ``"server"``
    (each kind counted on its own, as :class:`Budgets` does for polls)."""
    if isinstance(failure, TransportFailed):
        return "transport"
    return "rate_limited" if isinstance(failure, RateLimitedError) else "server"


def retry_request(
    attempt: int,
    failure: InpaintError | TransportFailed,
    *,
    provider: str,
    what: str,
    policy: PollPolicy,
    idempotent: bool,
    jitter: float,
    rng: random.Random,
    deadline: float | None = None,
) -> Poll | Raise:
    """Whether to resend a submit or an upload that failed for the ``attempt``-th time (0-based)
    with a failure of this kind (:func:`failure_kind`: lost connections, 429s and other errors
    each have their own count, so a 429 after two refused connections waits the first
    rate-limit delay and has its own ``policy.submit_retries``).

    A billed submit (``idempotent=False``) is resent only when it provably never reached the
    provider (refused connection) or the provider refused it with a 429; one that may have
    reached it raises :class:`SubmitOutcomeUnknownError`.  An upload (``idempotent=True``) is
    also resent after a lost connection or a 5xx: uploading twice costs nothing.  Retries are
    bounded by ``policy.submit_retries``; a Retry-After is honoured exactly.  ``deadline`` is
    the time the job may still take (else ``policy.deadline``): no wait is longer, so a
    failure whose retry would end after it is raised at once (a :class:`RateLimitedError`
    with its ``retry_after`` saying how long, a lost connection as
    :class:`ProviderUnavailableError`), and a billed submit is never sent after the deadline
    only to time out unpolled.
    """
    limit = policy.deadline if deadline is None else deadline
    exhausted = attempt >= policy.submit_retries
    if isinstance(failure, TransportFailed):
        if failure.reached and not idempotent:
            return Raise(
                SubmitOutcomeUnknownError(
                    f"{what} to {provider} may have reached the provider but got no answer "
                    f"({failure.message})",
                    provider=provider,
                )
            )
        if exhausted:
            return Raise(
                ProviderUnavailableError(
                    f"{what}: {provider} unreachable after {attempt + 1} attempts "
                    f"({failure.message})",
                    provider=provider,
                )
            )
        delay = _spread(policy.retry_delay(attempt), jitter, rng)
        if delay > limit:
            return Raise(
                ProviderUnavailableError(
                    f"{what}: {provider} unreachable ({failure.message}), and no time is left "
                    "before the deadline to try again",
                    provider=provider,
                )
            )
        return Poll(delay, "transport failure")
    retryable = isinstance(failure, RateLimitedError) or (idempotent and failure.transient)
    if exhausted or not retryable:
        return Raise(failure)
    if isinstance(failure, RateLimitedError):
        if failure.retry_after is not None and failure.retry_after >= 0:
            if failure.retry_after > limit:
                return Raise(failure)  # a wait of days (or 1e308 s) is a refusal, not a delay
            return Poll(failure.retry_after, "rate limited")
        delay = _spread(policy.retry_delay(attempt, rate_limited=True), jitter, rng)
        return Raise(failure) if delay > limit else Poll(delay, "rate limited")
    delay = _spread(policy.retry_delay(attempt), jitter, rng)
    return Raise(failure) if delay > limit else Poll(delay, "server error")


def _spread(delay: float, jitter: float, rng: random.Random) -> float:
    return delay if jitter == 0 else delay * (1.0 + jitter * rng.random())
