"""The mock server's configuration: one frozen value, built from Python, a dict or the CLI.

Every knob the mock has lives here, with its meaning in the attribute docstring, so that the
command line, the admin API (``GET/PATCH /__mock/config``), the pytest fixture and
``docs/mockserver.md`` all describe the same thing.  Bad values raise :class:`ConfigError` naming
the option, the value and the rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

__all__ = ["ConfigError", "FaultRule", "MockConfig"]

ClockMode = Literal["real", "manual"]
Timings = Literal["fast", "realistic"]
SyncMode = Literal["instant", "processing", "load"]

_CLOCK_MODES = ("real", "manual")
_TIMINGS = ("fast", "realistic")
_SYNC_MODES = ("instant", "processing", "load")
_S3_RESULTS = ("success", "fail")
_BASE64_STYLES = ("inline", "link")


class ConfigError(ValueError):
    """A configuration option has a value outside its rule."""


def _fail(path: str, value: Any, rule: str) -> ConfigError:
    return ConfigError(f"{path}: {rule}, got {value!r}")


@attrs.frozen
class FaultRule:
    """One fault to inject, and when.

    ``fault`` is a name from the fault catalogue (:data:`inpaintkit.mockserver.faults.FAULTS`),
    ``arg`` its optional argument (e.g. seconds for ``latency``, a status for ``server_error``).
    A rule applies to requests whose provider and path match (``None`` = any), with
    ``probability`` drawn from the seeded fault stream, to at most ``first`` matching requests
    ("fail the first 2" is ``first=2``; ``None`` = unlimited).
    """

    fault: str
    arg: str | None = None
    probability: float = 1.0
    first: int | None = None
    provider: str | None = None
    path: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "fault") -> FaultRule:
        from .faults import FAULTS  # local: faults imports config for FaultRule

        if not isinstance(data, Mapping):
            raise _fail(where, data, "must be an object")
        unknown = set(data) - {f.name for f in attrs.fields(cls)}
        if unknown:
            raise _fail(f"{where}.{sorted(unknown)[0]}", data[sorted(unknown)[0]], "unknown option")
        fault = data.get("fault")
        if fault not in FAULTS:
            raise _fail(f"{where}.fault", fault, f"must be one of {sorted(FAULTS)}")
        probability = data.get("probability", 1.0)
        if (
            isinstance(probability, bool)
            or not isinstance(probability, int | float)
            or not 0.0 <= probability <= 1.0
        ):
            raise _fail(f"{where}.probability", probability, "must be a number in [0, 1]")
        first = data.get("first")
        if first is not None and (
            isinstance(first, bool) or not isinstance(first, int) or first < 1
        ):
            raise _fail(f"{where}.first", first, "must be an integer >= 1 or null")
        arg = data.get("arg")
        for name in ("provider", "path"):
            value = data.get(name)
            if value is not None and not isinstance(value, str):
                raise _fail(f"{where}.{name}", value, "must be a string or null")
        return cls(
            fault=fault,
            arg=None if arg is None else str(arg),
            probability=float(probability),
            first=first,
            provider=data.get("provider"),
            path=data.get("path"),
        )

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


def _positive(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """attrs validator: ``None`` or a number > 0, with the option named in the error."""
    if value is not None and not value > 0:
        raise _fail(attribute.name, value, "must be > 0")


@attrs.frozen(kw_only=True)
class MockConfig:
    """Every option of the mock server.  Defaults give a fast, faithful, offline mock."""

    host: str = "127.0.0.1"
    """Interface to bind.  Loopback by default: the mock is a test tool, not a public service."""
    port: int = 0
    """TCP port; 0 picks a free one (the chosen port is in ``MockServer.url``)."""
    seed: int = 0
    """The one seed behind task ids, etas, output images and fault draws."""

    clock: ClockMode = "real"
    """``real``: real monotonic time times ``time_scale``.  ``manual``: a virtual clock that moves
    only through ``POST /__mock/clock`` or ``MockServer.clock.advance()`` (or the clock object
    passed to :func:`create_app`, which the mock reads on every request and never caches)."""
    time_scale: float = attrs.field(default=1.0, validator=_positive)
    """Speed of mock time against real time in ``real`` clock mode (10 = ten times faster)."""
    timings: Timings = "fast"
    """``fast``: a task takes 0.3-0.9 s of mock time, so demos and SDKs feel immediate.
    ``realistic``: queueing and generation times like the real services (seconds to tens of
    seconds, growing with steps and image count)."""
    task_duration: float | None = attrs.field(default=None, validator=_positive)
    """If set, every task takes exactly this many mock seconds (overrides ``timings``)."""
    finish_after_polls: int | None = attrs.field(default=None, validator=_positive)
    """If set, a task is reported finished on its N-th poll, whatever the clock says."""

    sync_mode: SyncMode = "instant"
    """StableDiffusionAPI and ModelsLab submit answers: ``instant`` = ``success`` at once;
    ``processing`` = always ``processing`` with eta, fetch_result and future_links; ``load`` =
    ``processing`` when at least ``load_threshold`` tasks are already unfinished."""
    load_threshold: int = attrs.field(default=1, validator=_positive)
    """Queue depth at which ``sync_mode = "load"`` starts answering ``processing``."""

    valid_keys: tuple[str, ...] | None = attrs.field(
        default=None, repr=lambda keys: "None" if keys is None else f"<{len(keys)} keys>"
    )
    """API keys accepted by every provider; ``None`` accepts any non-empty key."""

    novita_images_per_minute: int | None = attrs.field(default=10, validator=_positive)
    """Novita inpainting rate limit in images per minute per key (documented default 10);
    ``None`` disables it."""
    modelslab_max_queued: int | None = attrs.field(default=5, validator=_positive)
    """ModelsLab cap on queued (unfinished) requests per key (pay-as-you-go: 5)."""
    modelslab_retry_after: float = 30.0
    """``retry_after`` seconds in ModelsLab's queue-cap 429 body."""
    sdapi_duplicate_window: float | None = attrs.field(default=30.0, validator=_positive)
    """StableDiffusionAPI spam filter: an identical request from the same key within this many
    seconds is refused ("wait for 30 seconds"); ``None`` disables it."""

    novita_url_ttl: int = 3600
    """Lifetime of Novita's presigned output URLs in seconds (``X-Amz-Expires``)."""
    sd_output_ttl: int | None = None
    """Lifetime of StableDiffusionAPI/ModelsLab output links; ``None`` = they do not expire."""
    temp_url_ttl: int = 86400
    """Lifetime of ``base64_to_url`` and ``temp: yes`` links (documented: 24 hours)."""
    base64_output_style: Literal["inline", "link"] = "inline"
    """How ``base64: yes`` outputs are returned: ``inline`` base64 strings in ``output``, or
    ``link`` to a ``.base64`` text file (the exact live shape is unverified)."""

    fetch_allowed_hosts: tuple[str, ...] = ()
    """Hosts (``host`` or ``host:port``) the mock may fetch request image URLs from, besides its
    own file store and ``data:`` URLs."""
    strict_urls: bool = False
    """If true, an image URL outside the allow-list is answered with the provider's
    'Unable to fetch image' error; otherwise a synthetic image stands in for it."""

    webhook_allowed_hosts: tuple[str, ...] = ()
    """Hosts webhooks may be delivered to besides loopback addresses."""
    webhook_timeout: float = attrs.field(default=5.0, validator=_positive)
    """Real seconds to wait for a webhook receiver (Novita documents 5 s)."""
    novita_webhook_attempts: int = attrs.field(default=6, validator=_positive)
    """Deliveries of one Novita webhook: the first and up to five retries ("Novita AI will retry
    up to five times", reference 1.5)."""
    sd_webhook_attempts: int = attrs.field(default=1, validator=_positive)
    """StableDiffusionAPI/ModelsLab generation webhooks are best-effort: one try by default."""
    webhook_retry_delays: tuple[float, ...] = (5.0, 10.0, 20.0, 40.0)
    """Mock-clock seconds before each retry (the last value repeats)."""

    s3_endpoint: str | None = None
    """Base URL of an S3-compatible endpoint for Novita ``custom_storage.aws_s3`` uploads (PUT
    ``{endpoint}/{bucket}/{key}``); must be loopback or in ``webhook_allowed_hosts``.  If unset,
    uploads are only journaled and succeed or fail as ``s3_upload_result`` says."""
    s3_upload_result: Literal["success", "fail"] = "success"
    """Outcome of custom-storage uploads when no ``s3_endpoint`` is set."""

    faults: tuple[FaultRule, ...] = ()
    """Faults active from start-up (the admin API can replace them)."""
    max_hang_seconds: float = attrs.field(default=300.0, validator=_positive)
    """Real-time cap on a ``hang`` fault, so hung handlers cannot pile up forever."""

    max_body_bytes: int = attrs.field(default=48 * 1024 * 1024, validator=_positive)
    """Largest request body accepted: a 30 MB image in base64 is 40 MB, plus the JSON around it."""
    max_tasks: int = attrs.field(default=10_000, validator=_positive)
    """Task store size; the least recently used tasks are evicted beyond it."""
    task_max_age: float = attrs.field(default=86_400.0, validator=_positive)
    """Mock seconds after which a task is evicted."""
    max_file_bytes: int = attrs.field(default=512 * 1024 * 1024, validator=_positive)
    """Total bytes of generated files kept; the oldest are evicted beyond it."""
    journal_size: int = attrs.field(default=2000, validator=_positive)
    """Entries kept in the request journal (oldest dropped first)."""
    max_pending_actions: int = attrs.field(default=10_000, validator=_positive)
    """Cap on scheduled webhook deliveries and uploads."""
    workers: int = attrs.field(default=1, validator=_positive)
    """Processes that render output images.  1 renders in threads of the server process; N > 1
    uses a pool of N processes.  The server itself stays one process, so task state (ids,
    clocks, journals) is consistent whichever client asks; only the CPU-bound rendering spreads
    over cores."""
    generated_cache_bytes: int = attrs.field(default=64 * 1024 * 1024, validator=_positive)
    """Rendered outputs kept for reuse by identical jobs (same inputs, seed, size, options)."""

    def __attrs_post_init__(self) -> None:
        checks: list[tuple[str, Any, tuple[str, ...]]] = [
            ("clock", self.clock, _CLOCK_MODES),
            ("timings", self.timings, _TIMINGS),
            ("sync_mode", self.sync_mode, _SYNC_MODES),
            ("s3_upload_result", self.s3_upload_result, _S3_RESULTS),
            ("base64_output_style", self.base64_output_style, _BASE64_STYLES),
        ]
        for name, value, allowed in checks:
            if value not in allowed:
                raise _fail(name, value, f"must be one of {list(allowed)}")
        if not 0 <= self.port <= 65535:
            raise _fail("port", self.port, "must be in [0, 65535]")
        if not self.webhook_retry_delays or any(d < 0 for d in self.webhook_retry_delays):
            raise _fail("webhook_retry_delays", self.webhook_retry_delays, "must be >= 0 each")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, base: MockConfig | None = None) -> MockConfig:
        """Build a config from JSON-like data (unknown keys are errors), on top of ``base``."""
        if not isinstance(data, Mapping):
            raise _fail("config", data, "must be an object")
        fields = {f.name: f for f in attrs.fields(cls)}
        changes: dict[str, Any] = {}
        for key, value in data.items():
            if key not in fields:
                raise _fail(key, value, "unknown option")
            changes[key] = _coerce(key, value)
        try:
            return attrs.evolve(base or cls(), **changes)
        except TypeError as exc:  # pragma: no cover - guarded by _coerce
            raise ConfigError(str(exc)) from exc

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what ``GET /__mock/config`` answers)."""
        data = attrs.asdict(self, recurse=False)
        data["faults"] = [rule.to_dict() for rule in self.faults]
        for key in ("valid_keys",):
            if data[key] is not None:
                data[key] = ["<redacted>"] * len(data[key])
        for key, value in data.items():
            if isinstance(value, tuple):
                data[key] = list(value)
        return data


_INT_OPTIONS = {
    "port",
    "seed",
    "finish_after_polls",
    "load_threshold",
    "novita_images_per_minute",
    "modelslab_max_queued",
    "novita_url_ttl",
    "sd_output_ttl",
    "temp_url_ttl",
    "novita_webhook_attempts",
    "sd_webhook_attempts",
    "max_body_bytes",
    "max_tasks",
    "max_file_bytes",
    "journal_size",
    "max_pending_actions",
    "workers",
    "generated_cache_bytes",
}
_FLOAT_OPTIONS = {
    "time_scale",
    "task_duration",
    "modelslab_retry_after",
    "sdapi_duplicate_window",
    "webhook_timeout",
    "max_hang_seconds",
    "task_max_age",
}
_TUPLE_OPTIONS = {"valid_keys", "fetch_allowed_hosts", "webhook_allowed_hosts"}


def _coerce(key: str, value: Any) -> Any:
    """Check one option's JSON type strictly (no silent ``"30"`` -> 30)."""
    if value is None:
        return None
    if key in _INT_OPTIONS:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(key, value, "must be an integer")
        return value
    if key in _FLOAT_OPTIONS:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _fail(key, value, "must be a number")
        return float(value)
    if key in _TUPLE_OPTIONS:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise _fail(key, value, "must be a list of strings")
        return tuple(value)
    if key == "webhook_retry_delays":
        if not isinstance(value, list | tuple) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in value
        ):
            raise _fail(key, value, "must be a list of numbers")
        return tuple(float(v) for v in value)
    if key == "strict_urls":
        if not isinstance(value, bool):
            raise _fail(key, value, "must be a boolean")
        return value
    if key == "faults":
        if not isinstance(value, list | tuple):
            raise _fail(key, value, "must be a list of fault rules")
        return tuple(
            v if isinstance(v, FaultRule) else FaultRule.from_dict(v, where=f"faults[{i}]")
            for i, v in enumerate(value)
        )
    if not isinstance(value, str):
        raise _fail(key, value, "must be a string")
    return value
