"""The fault catalogue and the injector that decides, per request, which fault to play.

Faults come from three places, checked in this order:

1. in-band on the request: a header ``X-Mock-Fault: <spec>`` or an API key ``mock-fault:<spec>``
   (a client under test cannot always add headers, but it always sends its key);
2. rules set at start-up (``MockConfig.faults``) or through ``/__mock/faults``, matched by
   provider and path, drawn with their probability from the seeded fault stream, and limited to
   their ``first`` N matches ("fail the first 2").

A spec is ``<name>[:<arg>][:first=N][:p=0.5]``; for in-band specs the ``first`` counter is kept
per distinct spec string, so ``mock-fault:server_error:first=2`` fails twice, then succeeds.

Transport faults (latency, rate_limit, server_error, error, reset, truncated, hang) are played by
the app's middleware; task faults (task_failed, task_stuck, expired_url) are handed to the
provider handler (``ActiveFault.is_task_fault``) and change the task the request creates.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

import attrs

from .config import ConfigError, FaultRule
from .seeding import SeededStreams

__all__ = [
    "FAULTS",
    "FAULT_HEADER",
    "MAGIC_KEY_PREFIX",
    "TASK_FAULTS",
    "ActiveFault",
    "FaultInjector",
    "parse_spec",
]

FAULT_HEADER = "X-Mock-Fault"
MAGIC_KEY_PREFIX = "mock-fault:"

FAULTS: dict[str, str] = {
    "latency": "delay the answer by <arg> mock seconds (default 2)",
    "rate_limit": "answer the provider's 429; <arg> = retry-after seconds (default 30); add "
    "':header', ':body' or ':both' (default) for where the hint goes",
    "server_error": "answer the provider's 5xx error body; <arg> = status (default 500; 503 = "
    "service unavailable)",
    "error": "answer the provider's error body of kind <arg> (an ErrorKind name, e.g. "
    "INSUFFICIENT_CREDITS or INVALID_KEY)",
    "reset": "close the connection without answering",
    "truncated": "send the headers and half of the body, then close the connection",
    "hang": "never answer (until <arg> mock seconds pass, or the server stops)",
    "task_failed": "the created task fails; <arg> = reason",
    "task_stuck": "the created task stays in processing forever",
    "expired_url": "the task's output URLs are already expired when it finishes",
}
TASK_FAULTS = frozenset({"task_failed", "task_stuck", "expired_url"})


@attrs.frozen
class ActiveFault:
    """A fault chosen for one request."""

    name: str
    arg: str | None = None
    extra: tuple[str, ...] = ()
    source: str = "rule"

    @property
    def is_task_fault(self) -> bool:
        return self.name in TASK_FAULTS

    def describe(self) -> str:
        parts = [self.name, *([self.arg] if self.arg is not None else []), *self.extra]
        return ":".join(parts)


@attrs.frozen
class _Spec:
    name: str
    arg: str | None
    extra: tuple[str, ...]
    first: int | None
    probability: float


def parse_spec(spec: str, *, where: str = "fault") -> _Spec:
    """Parse ``name[:arg][:extra...][:first=N][:p=P]``; raise :class:`ConfigError` if invalid."""
    parts = spec.strip().split(":")
    name = parts[0]
    if name not in FAULTS:
        raise ConfigError(f"{where}: must name one of {sorted(FAULTS)}, got {spec!r}")
    positional: list[str] = []
    first: int | None = None
    probability = 1.0
    for part in parts[1:]:
        if part.startswith("first="):
            try:
                first = int(part[6:])
            except ValueError:
                first = 0
            if first < 1:
                raise ConfigError(f"{where}: first= must be an integer >= 1, got {spec!r}")
        elif part.startswith("p="):
            try:
                probability = float(part[2:])
            except ValueError:
                probability = -1.0
            if not 0.0 <= probability <= 1.0:
                raise ConfigError(f"{where}: p= must be a number in [0, 1], got {spec!r}")
        else:
            positional.append(part)
    arg = positional[0] if positional else None
    return _Spec(name, arg, tuple(positional[1:]), first, probability)


def rule_from_spec(spec: str, *, provider: str | None = None, path: str | None = None) -> FaultRule:
    parsed = parse_spec(spec)
    arg = ":".join([parsed.arg, *parsed.extra]) if parsed.arg is not None else None
    return FaultRule(
        fault=parsed.name,
        arg=arg,
        probability=parsed.probability,
        first=parsed.first,
        provider=provider,
        path=path,
    )


class FaultInjector:
    """Decides the faults for each request; thread-safe, seeded, with per-rule match counters."""

    def __init__(self, streams: SeededStreams, rules: Iterable[FaultRule] = ()) -> None:
        self._streams = streams
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = list(rules)
        self._matches: list[int] = [0] * len(self._rules)
        self._inband_counts: dict[str, int] = {}

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def set_rules(self, rules: Sequence[FaultRule]) -> None:
        with self._lock:
            self._rules = list(rules)
            self._matches = [0] * len(self._rules)

    def add_rule(self, rule: FaultRule) -> None:
        with self._lock:
            self._rules.append(rule)
            self._matches.append(0)

    def reset(self, rules: Sequence[FaultRule]) -> None:
        with self._lock:
            self._rules = list(rules)
            self._matches = [0] * len(self._rules)
            self._inband_counts.clear()

    def choose(
        self,
        *,
        provider: str | None,
        path: str,
        header: str | None,
        api_key: str | None,
    ) -> list[ActiveFault]:
        """The faults for one request: in-band ones first, then every matching rule that fires.

        Raises :class:`ConfigError` for a malformed in-band spec (answered as a 400 by the app,
        so a typo in a test is loud rather than silently ignored)."""
        chosen: list[ActiveFault] = []
        for source, spec in (("header", header), ("key", _spec_from_key(api_key))):
            if not spec:
                continue
            parsed = parse_spec(spec, where=f"{source} fault spec")
            if self._inband_fires(spec, parsed):
                chosen.append(ActiveFault(parsed.name, parsed.arg, parsed.extra, source))
        rng = self._streams.stream("faults")
        with self._lock:
            for index, rule in enumerate(self._rules):
                if rule.provider is not None and rule.provider != provider:
                    continue
                if rule.path is not None and not path.startswith(rule.path):
                    continue
                if rule.first is not None and self._matches[index] >= rule.first:
                    continue
                if rule.probability < 1.0 and rng.random() >= rule.probability:
                    continue
                self._matches[index] += 1
                parts = rule.arg.split(":") if rule.arg is not None else []
                arg = parts[0] if parts else None
                chosen.append(ActiveFault(rule.fault, arg, tuple(parts[1:]), "rule"))
        return chosen

    def _inband_fires(self, spec: str, parsed: _Spec) -> bool:
        rng = self._streams.stream("faults.inband")
        with self._lock:
            count = self._inband_counts.get(spec, 0)
            if parsed.first is not None and count >= parsed.first:
                return False
            if parsed.probability < 1.0 and rng.random() >= parsed.probability:
                return False
            if len(self._inband_counts) > 10_000:  # bounded: forget the oldest specs
                self._inband_counts.pop(next(iter(self._inband_counts)))
            self._inband_counts[spec] = count + 1
            return True


def _spec_from_key(api_key: str | None) -> str | None:
    if api_key and api_key.startswith(MAGIC_KEY_PREFIX):
        return api_key[len(MAGIC_KEY_PREFIX) :]
    return None
