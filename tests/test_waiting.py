"""The waiting policy (inpaintkit.waiting) without sockets or clocks.

A driver feeds :func:`waiting.step` a sequence of observations and advances a plain float "now"
by each Poll's delay, checking invariants at every step; hypothesis generates the sequences.
"""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from inpaintkit import waiting
from inpaintkit.errors import (
    AuthenticationError,
    FieldError,
    InpaintError,
    InpaintTimeoutError,
    InsufficientCreditsError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
    ServerError,
    TaskFailedError,
    ValidationError,
    as_server_error,
)
from inpaintkit.provider import Done, Failed, Pending, PollPolicy, TaskHandle

HANDLE = TaskHandle(provider="toy", task_id="t1")
POLICY = PollPolicy(deadline=600.0, max_poll_errors=3)


def begin(
    *, deadline: float = 600.0, budgets: waiting.Budgets | None = None, eta: float | None = None
) -> tuple[waiting.Waiting, Pending]:
    pending = Pending(HANDLE, eta=eta)
    state = waiting.start(
        pending,
        provider="toy",
        policy=POLICY,
        budgets=budgets or waiting.Budgets.from_policy(POLICY),
        started=0.0,
        deadline=deadline,
    )
    return state, pending


# --- strategies ------------------------------------------------------------------------------

etas = st.none() | st.floats(min_value=0, max_value=200, allow_nan=False)
pendings = st.builds(Pending, st.just(HANDLE), eta=etas)
dones = st.just(Done(images=(), task_id="t1"))
transport = st.builds(waiting.TransportFailed, st.sampled_from(["refused", "reset", "timeout"]))
rate_limited = st.builds(
    lambda r: Failed(RateLimitedError("slow down", provider="toy", status=429, retry_after=r)),
    st.none() | st.floats(min_value=0, max_value=900, allow_nan=False),
)
server = st.builds(
    lambda s: Failed(ServerError("boom", provider="toy", status=s)), st.integers(500, 599)
)


def _fatal(kind: int) -> Failed:
    errors: list[InpaintError] = [
        ValidationError([FieldError("$.steps", "must be <= 50", 99)], provider="toy"),
        AuthenticationError("bad key", provider="toy", status=401),
        InsufficientCreditsError("no credits", provider="toy", status=402),
        TaskFailedError("nsfw", provider="toy"),
        ProviderError("weird body", provider="toy", status=200),
    ]
    return Failed(errors[kind])


fatal = st.builds(_fatal, st.integers(0, 4))
observations = st.one_of(pendings, transport, rate_limited, server, fatal, dones)


def drive(
    state: waiting.Waiting, first: Pending, sequence: list[Any], seed: int
) -> tuple[list[tuple[Any, waiting.Action, float]], waiting.Action]:
    """Run the machine over ``first`` then ``sequence`` (then pending forever), checking the
    invariants that hold at every step; returns the trace and the final action."""
    rng = random.Random(seed)
    now = 0.0
    trace: list[tuple[Any, waiting.Action, float]] = []
    feed = iter([first, *sequence])
    for _ in range(10_000):
        observation = next(feed, Pending(HANDLE))
        state, action = waiting.step(state, observation, now, rng)
        trace.append((observation, action, now))
        if not isinstance(action, waiting.Poll):
            return trace, action
        assert action.delay >= 0
        assert now + action.delay <= state.deadline_at + waiting.DEADLINE_SLACK
        now += action.delay
    raise AssertionError("the policy never finished")


# --- invariants over any sequence ------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(st.lists(observations, max_size=40), st.integers(0, 2**32), etas)
def test_any_sequence_ends_in_finish_or_a_typed_error_naming_the_task(
    sequence: list[Any], seed: int, eta: float | None
) -> None:
    state, first = begin(eta=eta)
    trace, final = drive(state, first, sequence, seed)
    if isinstance(final, waiting.Raise):
        assert isinstance(final.error, InpaintError)
        assert final.error.task_id == "t1"
    else:
        assert isinstance(final, waiting.Finish)
        assert isinstance(trace[-1][0], Done)


@settings(max_examples=300, deadline=None)
@given(st.lists(observations, max_size=40), st.integers(0, 2**32))
def test_consecutive_failures_of_each_kind_stay_within_their_own_budget(
    sequence: list[Any], seed: int
) -> None:
    state, first = begin()
    budgets = state.budgets
    trace, _ = drive(state, first, sequence, seed)
    runs = {"transport": 0, "server": 0, "rate": 0}
    limits = {
        "transport": budgets.transport,
        "server": budgets.server,
        "rate": budgets.rate_limited,
    }
    for observation, action, _ in trace:
        if isinstance(observation, Pending):
            runs = dict.fromkeys(runs, 0)
            continue
        kind = (
            "transport"
            if isinstance(observation, waiting.TransportFailed)
            else "rate"
            if isinstance(observation, Failed) and isinstance(observation.error, RateLimitedError)
            else "server"
            if isinstance(observation, Failed) and isinstance(observation.error, ServerError)
            else None
        )
        if kind is None:
            continue
        runs[kind] += 1
        if runs[kind] > limits[kind]:
            assert isinstance(action, waiting.Raise)
        elif isinstance(action, waiting.Raise):
            # Within budget, only the deadline ends the job.
            assert isinstance(action.error, InpaintTimeoutError)


@settings(max_examples=300, deadline=None)
@given(st.lists(observations, max_size=40), st.integers(0, 2**32))
def test_retry_after_is_honoured_or_the_job_times_out_at_once(
    sequence: list[Any], seed: int
) -> None:
    state, first = begin(deadline=300.0)
    trace, _ = drive(state, first, sequence, seed)
    for observation, action, now in trace:
        if not (
            isinstance(observation, Failed) and isinstance(observation.error, RateLimitedError)
        ):
            continue
        retry_after = observation.error.retry_after
        if retry_after is None or (
            isinstance(action, waiting.Raise) and not isinstance(action.error, InpaintTimeoutError)
        ):
            continue
        if isinstance(action, waiting.Poll):
            assert action.delay == retry_after
        else:
            assert isinstance(action, waiting.Raise)
            assert now + retry_after > 300.0 or now >= 300.0


@settings(max_examples=300, deadline=None)
@given(st.lists(observations, max_size=40), st.integers(0, 2**32))
def test_failures_do_not_grow_the_poll_schedule(sequence: list[Any], seed: int) -> None:
    state, first = begin()
    trace, _ = drive(state, first, sequence, seed)
    seen = 0
    for observation, action, now in trace:
        if isinstance(observation, Pending) and isinstance(action, waiting.Poll):
            expected = POLICY.poll_delay(seen, eta=observation.eta)
            assert action.delay == min(expected, 600.0 - now)
        if isinstance(observation, Pending):
            seen += 1


@settings(max_examples=200, deadline=None)
@given(st.lists(observations, max_size=30), st.integers(0, 2**32))
def test_same_seed_same_decisions(sequence: list[Any], seed: int) -> None:
    state, first = begin()
    trace_a, final_a = drive(state, first, sequence, seed)
    trace_b, final_b = drive(state, first, sequence, seed)
    assert [a for _, a, _ in trace_a[:-1]] == [a for _, a, _ in trace_b[:-1]]
    assert type(final_a) is type(final_b)


@settings(max_examples=200, deadline=None)
@given(st.lists(observations, max_size=30), st.integers(0, 2**32))
def test_observed_errors_are_never_mutated(sequence: list[Any], seed: int) -> None:
    before = [(o.error.task_id, o.error.raw_body) for o in sequence if isinstance(o, Failed)]
    state, first = begin()
    drive(state, first, sequence, seed)
    after = [(o.error.task_id, o.error.raw_body) for o in sequence if isinstance(o, Failed)]
    assert before == after
    assert all(task_id is None for task_id, _ in after)


# --- single transitions, spelled out ----------------------------------------------------------


def test_first_poll_waits_for_the_eta_then_the_backoff_schedule() -> None:
    state, first = begin(eta=5.0)
    rng = random.Random(0)
    state, action = waiting.step(state, first, 0.0, rng)
    assert action == waiting.Poll(5.0, "pending")
    state, action = waiting.step(state, Pending(HANDLE), 5.0, rng)
    assert action == waiting.Poll(2.0, "pending")
    state, action = waiting.step(state, Pending(HANDLE), 7.0, rng)
    assert action == waiting.Poll(3.0, "pending")
    assert state.polls == 2


def test_transport_failures_retry_with_jitter_within_bounds_and_keep_the_schedule() -> None:
    state, first = begin(budgets=waiting.Budgets(transport=3, jitter=0.5))
    rng = random.Random(7)
    state, _ = waiting.step(state, first, 0.0, rng)
    delays = []
    for n in range(3):
        state, action = waiting.step(state, waiting.TransportFailed("reset"), 1.0, rng)
        assert isinstance(action, waiting.Poll)
        base = POLICY.retry_delay(n)
        assert base <= action.delay <= base * 1.5
        delays.append(action.delay)
    assert len(set(delays)) == 3
    assert state.pendings == 1  # the schedule did not move
    state, action = waiting.step(state, waiting.TransportFailed("reset"), 1.0, rng)
    assert isinstance(action, waiting.Raise)
    assert isinstance(action.error, ProviderUnavailableError)
    assert action.error.task_id == "t1"


def test_budgets_are_separate_per_kind() -> None:
    state, first = begin(budgets=waiting.Budgets(transport=1, server=1, rate_limited=1, jitter=0))
    rng = random.Random(0)
    state, _ = waiting.step(state, first, 0.0, rng)
    for observation in (
        waiting.TransportFailed("reset"),
        Failed(ServerError("boom", status=503)),
        Failed(RateLimitedError("slow", status=429, retry_after=1.0)),
    ):
        state, action = waiting.step(state, observation, 1.0, rng)
        assert isinstance(action, waiting.Poll), observation
    state, action = waiting.step(state, Failed(ServerError("boom", status=502)), 2.0, rng)
    assert isinstance(action, waiting.Raise)
    assert isinstance(action.error, ServerError)


def test_retry_after_past_the_deadline_times_out_now_instead_of_polling_early() -> None:
    state, first = begin(deadline=60.0)
    rng = random.Random(0)
    state, _ = waiting.step(state, first, 0.0, rng)
    limited = RateLimitedError("slow", status=429, retry_after=120.0)
    state, action = waiting.step(state, Failed(limited), 10.0, rng)
    assert isinstance(action, waiting.Raise)
    assert isinstance(action.error, InpaintTimeoutError)
    assert isinstance(action.error.__cause__, RateLimitedError)
    assert action.error.__cause__.retry_after == 120.0
    assert "120" in str(action.error)


def test_a_non_transient_error_is_raised_as_a_copy_naming_the_task() -> None:
    state, first = begin()
    rng = random.Random(0)
    state, _ = waiting.step(state, first, 0.0, rng)
    original = TaskFailedError("nsfw", provider="toy", raw_body={"x": 1})
    state, action = waiting.step(state, Failed(original), 1.0, rng)
    assert isinstance(action, waiting.Raise)
    assert type(action.error) is TaskFailedError
    assert action.error is not original
    assert action.error.task_id == "t1"
    assert original.task_id is None
    assert action.error.raw_body == {"x": 1}


def test_a_pending_after_the_deadline_times_out() -> None:
    state, first = begin(deadline=10.0)
    rng = random.Random(0)
    state, action = waiting.step(state, first, 0.0, rng)
    state, action = waiting.step(state, Pending(HANDLE), 10.0, rng)
    assert isinstance(action, waiting.Raise)
    assert isinstance(action.error, InpaintTimeoutError)
    assert "t1" in str(action.error)


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (RateLimitedError("x"), True),
        (ServerError("x", status=500), True),
        (ProviderUnavailableError("x"), True),
        (ProviderError("x", status=404), False),
        (TaskFailedError("x"), False),
        (AuthenticationError("x"), False),
        (InsufficientCreditsError("x"), False),
        (ValidationError([FieldError("$.a", "bad", 1)]), False),
        (InpaintTimeoutError("x"), False),
    ],
)
def test_transience_is_a_property_of_the_type(error: InpaintError, transient: bool) -> None:
    assert error.transient is transient


def test_a_plain_5xx_provider_error_from_a_third_party_plugin_becomes_a_server_error() -> None:
    plain = ProviderError("boom", provider="x", status=503, raw_body={"a": 1})
    converted = as_server_error(plain)
    assert type(converted) is ServerError
    assert converted.raw_body == {"a": 1}
    assert str(converted) == str(plain)
    assert type(plain) is ProviderError
    not_5xx = ProviderError("odd", status=404)
    assert as_server_error(not_5xx) is not_5xx


def test_evolve_copies_and_keeps_the_subclass_fields() -> None:
    error = RateLimitedError("slow", retry_after=3.0, provider="p")
    copy = error.evolve(task_id="t9")
    assert copy.retry_after == 3.0
    assert copy.task_id == "t9"
    assert error.task_id is None
    assert not math.isnan(copy.retry_after or 0.0)
    with pytest.raises(AttributeError):
        error.evolve(nonsense=1)


# --- retry_request: submits and uploads ------------------------------------------------------

failures = st.one_of(
    st.builds(waiting.TransportFailed, st.just("boom"), reached=st.booleans()),
    rate_limited.map(lambda f: f.error),
    server.map(lambda f: f.error),
    fatal.map(lambda f: f.error),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(failures, min_size=1, max_size=12), st.booleans(), st.integers(0, 2**32))
def test_a_request_is_resent_only_when_safe_and_within_the_retry_budget(
    sequence: list[Any], idempotent: bool, seed: int
) -> None:
    policy = PollPolicy(submit_retries=3)
    rng = random.Random(seed)
    for attempt, failure in enumerate(sequence):
        action = waiting.retry_request(
            attempt,
            failure,
            provider="toy",
            what="submit",
            policy=policy,
            idempotent=idempotent,
            jitter=0.1,
            rng=rng,
        )
        assert isinstance(action, waiting.Poll | waiting.Raise)
        if isinstance(action, waiting.Raise):
            assert isinstance(action.error, InpaintError)
            if isinstance(failure, waiting.TransportFailed) and failure.reached and not idempotent:
                assert type(action.error).__name__ == "SubmitOutcomeUnknownError"
            break
        # Resent: within budget, and never a billed submit that may have arrived.
        assert attempt < policy.submit_retries
        if isinstance(failure, waiting.TransportFailed):
            assert idempotent or not failure.reached
        else:
            assert isinstance(failure, RateLimitedError) or (idempotent and failure.transient)
            if isinstance(failure, RateLimitedError) and failure.retry_after is not None:
                assert action.delay == failure.retry_after
        assert action.delay >= 0


def test_a_submit_that_may_have_arrived_is_never_resent() -> None:
    action = waiting.retry_request(
        0,
        waiting.TransportFailed("timeout", reached=True),
        provider="toy",
        what="submit",
        policy=POLICY,
        idempotent=False,
        jitter=0.0,
        rng=random.Random(0),
    )
    assert isinstance(action, waiting.Raise)
    assert "may have reached" in str(action.error)
