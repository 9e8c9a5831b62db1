"""The sans-I/O provider contract.

A provider plugin is data plus pure functions.  Its :class:`ProviderSpec` declares the id, base
URL, authentication, capability table and polling policy; its :class:`ProviderAdapter` turns a
prepared job into an :class:`HttpRequest` description and an :class:`HttpResponse` into a
:data:`TaskState`, and never opens a socket.  The runtime (:mod:`inpaintkit.client`) owns all
I/O, once, for every provider: sending, retrying, polling, downloading, and applying the API key
(adapters never see the key, so it cannot leak into what they build).
"""

from __future__ import annotations

import enum
import functools
import json
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable
from urllib.parse import urlencode, urljoin

import attrs

from .errors import InpaintError

if TYPE_CHECKING:
    from .checking import CheckedRequest
from .job import InpaintJob
from .limits import ImageLimits, Limits
from .ratelimit import RateLimit
from .wiremap import Composite, Custom, Fixed, Wire, WireMapping, field_for_wire, wire_paths

__all__ = [
    "Auth",
    "BasicAuth",
    "BearerAuth",
    "BodyKeyAuth",
    "Capability",
    "CapabilityTable",
    "Done",
    "Failed",
    "Form",
    "FormFile",
    "HostContext",
    "HttpRequest",
    "HttpResponse",
    "ImageHost",
    "ImageTransport",
    "ModelInfo",
    "ModelListAdapter",
    "ModelPage",
    "NoAuth",
    "Pending",
    "PollPolicy",
    "PollingAdapter",
    "PreparedImage",
    "PreparedRequest",
    "ProviderAdapter",
    "ProviderSpec",
    "QueryKeyAuth",
    "RemoteImage",
    "RunEcho",
    "SubmitAdapter",
    "Support",
    "TaskHandle",
    "TaskState",
    "WebhookAdapter",
    "adapter_features",
    "adapter_mode",
    "parsed",
]


# --- capabilities ---------------------------------------------------------------------------


class Support(enum.StrEnum):
    """How a provider honours a neutral field."""

    NATIVE = "native"
    """The provider has a wire field with this meaning."""
    EMULATED = "emulated"
    """The client reproduces the effect faithfully (for example inverting the mask itself)."""
    UNSUPPORTED = "unsupported"
    """Neither: a job that sets the field is rejected (strict) or the field is dropped."""


EMULATABLE_FIELDS = frozenset(
    {
        "mask_options.invert",
        "mask_options.blur",
        "mask_options.masked_only",
        "mask_options.padding",
        "output_format",
        "width",
        "height",
    }
)
"""Fields the core knows how to emulate on the client (num_images splitting is declared with
:attr:`Capability.split_above_maximum`)."""


@attrs.frozen
class Capability:
    """One row of a provider's capability table: a neutral field and what the provider does with it.

    ``field`` is a neutral path: a job field (``"steps"``), a nested one
    (``"mask_options.blur"``), or an item field of a list (``"loras[].strength"``).  The range
    (``minimum``/``maximum``, inclusive), ``choices`` and ``multiple_of`` are the provider's own
    limits in NEUTRAL terms; they are checked before anything is sent.  ``required`` means the
    provider cannot run without the field and has no default.  ``source`` cites where the row was
    transcribed from (a seed document or a section of the wire-facts reference).
    """

    field: str
    support: Support = attrs.field(converter=Support)
    """How the provider honours the field (a :class:`Support` or its value, ``"native"``)."""
    wire: WireMapping | None = None
    """Where the field goes on the wire, as data (:mod:`inpaintkit.wiremap`)."""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] | None = None
    multiple_of: int | None = None
    max_items: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    required: bool = False
    split_above_maximum: bool = False
    default: Any = None
    source: str = ""
    note: str = ""
    fit_when_unset: bool = False
    """Only for native ``width``/``height`` rows: when a job leaves the size unset and the input
    image's own size breaks this row's limits, the core resizes the input (aspect ratio kept,
    :func:`inpaintkit.prepare.fit_to_limits`) and records the field as emulated on the result,
    instead of rejecting the job.  Without it such a job is an error naming the size."""
    _limits: Limits = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        # Built once: every job checks its values against the row's limits.
        limits = Limits(
            minimum=self.minimum,
            maximum=self.maximum,
            choices=self.choices,
            multiple_of=self.multiple_of,
            min_length=self.min_length,
            max_length=self.max_length,
            max_items=self.max_items,
        )
        object.__setattr__(self, "_limits", limits)
        if self.fit_when_unset and (
            self.field not in ("width", "height") or self.support is not Support.NATIVE
        ):
            raise ValueError(f"{self.field}: fit_when_unset is for native width/height rows only")
        if self.wire is not None and not isinstance(self.wire, Wire | Composite | Custom | Fixed):
            raise TypeError(
                f"{self.field}: wire must be a Wire, Composite, Custom or Fixed mapping, "
                f"got {self.wire!r}"
            )
        if self.support is Support.EMULATED and self.field not in EMULATABLE_FIELDS:
            raise ValueError(
                f"{self.field}: the core cannot emulate this field; mark it native or unsupported"
            )

    @property
    def limits(self) -> Limits:
        """The row's bounds as the one :class:`~inpaintkit.limits.Limits` type."""
        return self._limits

    def describe_range(self) -> str:
        """The limits as text, for error messages and the capability matrix."""
        text = self.limits.describe()
        if self.split_above_maximum:
            text = f"{text}; more split over several requests" if text else "split"
        return text


@attrs.frozen
class CapabilityTable:
    """A provider's capabilities as data; fields without a row are unsupported."""

    rows: tuple[Capability, ...]
    notes: tuple[str, ...] = ()
    """Decisions about the provider that belong to no request field (how a response field is
    read, which endpoint lists models), each with its source; printed in the matrix."""
    _index: dict[str, Capability] = attrs.field(init=False, repr=False, eq=False)
    """Rows by field, for :meth:`get` (which every job calls dozens of times)."""

    def __attrs_post_init__(self) -> None:
        seen: dict[str, Capability] = {}
        for row in self.rows:
            if row.field in seen:
                raise ValueError(f"capability table lists {row.field!r} twice")
            seen[row.field] = row
        object.__setattr__(self, "_index", seen)

    def get(self, field: str) -> Capability | None:
        """The row for ``field``, or ``None``."""
        return self._index.get(field)

    def support(self, field: str) -> Support:
        """How the provider honours ``field`` (``UNSUPPORTED`` when it has no row)."""
        row = self.get(field)
        return row.support if row is not None else Support.UNSUPPORTED

    def __iter__(self) -> Iterator[Capability]:
        return iter(self.rows)

    def unmapped_native_rows(self) -> tuple[Capability, ...]:
        """Native rows that say nothing of where they go on the wire.

        A native row needs a wire mapping unless something else carries it: a container
        (``safety``) whose sub-fields have rows, a list item (``loras[].name``) whose list row is
        a :class:`~inpaintkit.wiremap.Composite`, or ``extras`` (provider-only options).
        """
        fields = {row.field for row in self.rows}
        out: list[Capability] = []
        for row in self.rows:
            if row.support is not Support.NATIVE or row.wire is not None or row.field == "extras":
                continue
            if any(f.startswith(row.field + ".") for f in fields):
                continue
            parent = self.get(row.field.split("[]")[0]) if "[]." in row.field else None
            if parent is not None and isinstance(parent.wire, Composite):
                continue
            out.append(row)
        return tuple(out)

    def field_for_wire(self, wire_name: str) -> str | None:
        """The neutral field written to wire field ``wire_name`` (a path or a bare name), for
        mapping a provider's error about ``num_inference_steps`` back to ``$.steps``."""
        return field_for_wire(self.rows, wire_name)


# --- spec -----------------------------------------------------------------------------------


@attrs.frozen
class BearerAuth:
    """The key goes in a header, e.g. ``Authorization: Bearer <key>``."""

    header: str = "Authorization"
    prefix: str = "Bearer "


@attrs.frozen
class BodyKeyAuth:
    """The key goes in the JSON body of every request under ``field`` (SDAPI, ModelsLab)."""

    field: str = "key"


@attrs.frozen
class QueryKeyAuth:
    """The key goes in a query parameter of every request (``?key=<key>``)."""

    param: str = "key"


@attrs.frozen
class BasicAuth:
    """HTTP Basic auth: the key is ``user:password`` (AUTOMATIC1111 with ``--api-auth``)."""

    header: str = "Authorization"


@attrs.frozen
class NoAuth:
    """The provider takes no credential (a local AUTOMATIC1111 started without ``--api-auth``)."""


Auth = BearerAuth | BodyKeyAuth | QueryKeyAuth | BasicAuth | NoAuth


class ImageTransport(enum.StrEnum):
    """How a provider takes input images."""

    BASE64 = "base64"
    URL = "url"
    URL_OR_BASE64 = "url_or_base64"


@attrs.frozen
class PollPolicy:
    """How to wait for an asynchronous result, as data.

    The first poll waits for the provider's ``eta`` if it gave one (capped at ``max_eta_wait``),
    else ``initial_delay``; later polls wait ``interval`` growing by ``backoff`` up to
    ``max_interval``.  A Retry-After from the provider always wins.  ``deadline`` bounds the whole
    job from submit to result.  ``max_poll_errors`` consecutive transient poll failures are
    tolerated (polls are idempotent).  ``submit_retries`` bounds retries of a submit that provably
    never reached the provider (connection refused, 429), and of an upload or a download, for
    each kind of failure apart (lost connections, 5xx, 429; see
    :func:`inpaintkit.waiting.failure_kind`).
    """

    initial_delay: float = 1.0
    interval: float = 2.0
    backoff: float = 1.5
    max_interval: float = 15.0
    honour_eta: bool = True
    max_eta_wait: float = 60.0
    deadline: float = 600.0
    max_poll_errors: int = 5
    submit_retries: int = 3
    retry_base_delay: float = 1.0
    rate_limit_delay: float = 10.0
    """First wait after a 429 that carries no Retry-After (Novita's has none); doubles per retry,
    up to ``max_rate_limit_delay``.  Rate limits are per minute, so short waits only fail again."""
    max_rate_limit_delay: float = 60.0

    def poll_delay(self, attempt: int, *, eta: float | None = None) -> float:
        """Seconds to wait before poll number ``attempt`` (0-based).

        The first poll waits for the provider's eta when it gave one.  Later polls wait at least
        the backoff schedule even when the provider keeps announcing a tiny eta, so a stuck
        ``eta: 0.25`` cannot turn polling into a busy loop.
        """
        schedule = (
            self.initial_delay
            if attempt == 0
            else min(self.interval * float(self.backoff ** (attempt - 1)), self.max_interval)
        )
        if self.honour_eta and eta is not None and eta > 0:
            eta_wait = min(eta, self.max_eta_wait)
            return eta_wait if attempt == 0 else max(eta_wait, schedule)
        return schedule

    def retry_delay(
        self, attempt: int, *, retry_after: float | None = None, rate_limited: bool = False
    ) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based) of a failed request."""
        if retry_after is not None and retry_after >= 0:
            return retry_after
        if rate_limited:
            return min(self.rate_limit_delay * float(2**attempt), self.max_rate_limit_delay)
        return min(self.retry_base_delay * float(2**attempt), self.max_interval)


def _as_table(rows: CapabilityTable | Iterable[Capability]) -> CapabilityTable:
    return rows if isinstance(rows, CapabilityTable) else CapabilityTable(tuple(rows))


DEFAULT_IMAGE_LIMITS: Final = ImageLimits(max_pixels=16_000_000, max_bytes=30 * 1024 * 1024)
"""A provider's image limits when it states none: the largest any built-in accepts."""


@attrs.frozen
class ProviderSpec:
    """Everything about a provider that is data rather than behaviour."""

    id: str
    name: str
    base_url: str
    auth: Auth
    env_var: str
    capabilities: CapabilityTable = attrs.field(converter=_as_table)
    """The provider's rows: a :class:`CapabilityTable`, or simply a sequence of rows."""
    polling: PollPolicy = PollPolicy()
    image_transport: ImageTransport = ImageTransport.BASE64
    image_limits: ImageLimits = DEFAULT_IMAGE_LIMITS
    """What the provider accepts as an input image and as an output size: sides, pixels,
    aspect ratio, size multiple, file formats, bytes (checked before anything is sent)."""
    docs_url: str = ""
    options: type | None = None
    """The attrs class of the provider's own options (fields made with
    :func:`inpaintkit.options.option`), given by users under ``extras[<id>]``; ``None`` when
    the provider has none."""
    rate_limit: RateLimit | None = None
    """The provider's documented limits per API key (requests or images per minute, jobs in
    flight), with their source; the client stays under them unless overridden
    (``InpaintClient(rate_limits=...)``).  ``None``: none documented."""
    inline_images_option: str | None = None
    """For :attr:`ImageTransport.URL_OR_BASE64`: the name of the boolean option (in
    :attr:`options`) with which a job asks for its local images inline.  Without it, local
    images go through the provider's image host when one is installed (inline otherwise)."""

    def __attrs_post_init__(self) -> None:
        from .options import option_paths

        row_paths = {p for row in self.capabilities for p in wire_paths(row)}
        clash = sorted(row_paths & set(option_paths(self.options)))
        if clash:
            raise ValueError(f"{self.id}: options write wire paths rows already write: {clash}")

    @property
    def max_image_pixels(self) -> int | None:
        """The pixel limit of :attr:`image_limits` (for the image loader's bomb guard)."""
        return self.image_limits.max_pixels

    @property
    def input_formats(self) -> tuple[str, ...]:
        """Image formats the provider accepts as input (:attr:`ImageLimits.formats`); others
        (GIF, BMP, TIFF) are converted to PNG on the client, or rejected when they cannot be."""
        return self.image_limits.formats


# --- HTTP descriptions -----------------------------------------------------------------------


@attrs.frozen(repr=False)
class FormFile:
    """One file part of a multipart form: its bytes, file name and media type."""

    data: bytes
    filename: str = "file"
    content_type: str = "application/octet-stream"

    def __repr__(self) -> str:
        return f"FormFile({self.filename!r}, {self.content_type}, <{len(self.data)} bytes>)"


@attrs.frozen
class Form:
    """A ``multipart/form-data`` body: text fields and file parts, by field name.

    ``fields`` values are text (a provider's numbers are written as the provider documents
    them); ``files`` maps a field name to a :class:`FormFile` (or a tuple of them for a field
    that takes several files, written as repeated parts in order).
    """

    fields: Mapping[str, str] = attrs.field(factory=dict)
    files: Mapping[str, FormFile | tuple[FormFile, ...]] = attrs.field(factory=dict)

    def parts(self) -> list[tuple[str, str | FormFile]]:
        """Every part in order: text fields first, then files (repeated names expanded)."""
        out: list[tuple[str, str | FormFile]] = list(self.fields.items())
        for name, value in self.files.items():
            for file in value if isinstance(value, tuple) else (value,):
                out.append((name, file))
        return out


@attrs.frozen
class HttpRequest:
    """A request description built by an adapter; the runtime sends it.

    ``path`` is relative to the provider's base URL (``/v3/async/inpainting``).  The body is
    at most one of ``json`` (a JSON document), ``form`` (a multipart form with files) or
    ``content`` (raw bytes, typed by ``content_type``).  The runtime adds the API key according
    to the spec's :data:`Auth`; adapters never include it.
    """

    method: str
    path: str
    json: Any = None
    query: Mapping[str, str] = attrs.field(factory=dict)
    headers: Mapping[str, str] = attrs.field(factory=dict)
    form: Form | None = None
    content: bytes | None = attrs.field(
        default=None, repr=lambda c: "None" if c is None else f"<{len(c)} bytes>"
    )
    content_type: str | None = None

    def __attrs_post_init__(self) -> None:
        given = [n for n in ("json", "form", "content") if getattr(self, n) is not None]
        if len(given) > 1:
            raise ValueError(f"an HttpRequest has one body, got {' and '.join(given)}")

    @property
    def body_kind(self) -> str | None:
        """``"json"``, ``"form"``, ``"bytes"`` or ``None`` (no body)."""
        if self.json is not None:
            return "json"
        if self.form is not None:
            return "form"
        if self.content is not None:
            return "bytes"
        return None

    def url(self, base_url: str) -> str:
        """The absolute URL of this request against ``base_url``."""
        url = _joined(base_url, self.path)
        if self.query:
            url += ("&" if "?" in url else "?") + urlencode(self.query)
        return url


@functools.lru_cache(maxsize=256)
def _joined(base_url: str, path: str) -> str:
    """``path`` against ``base_url``: the same few pairs for every request of a provider (a
    task's own fetch URL is absolute), so joined once each rather than parsed per request."""
    return urljoin(base_url.rstrip("/") + "/", path.lstrip("/"))


MAX_JSON_DEPTH: Final = 64
"""How deeply a provider's JSON answer may nest; a deeper one is read as not JSON."""


def _depth_within(value: Any, limit: int) -> bool:
    """Whether JSON ``value`` nests at most ``limit`` containers deep (walked without
    recursion, so a hostile document cannot exhaust the stack here either)."""
    stack = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return False
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return True


@attrs.frozen(repr=False)
class HttpResponse:
    """A response as the runtime received it (status, lower-cased headers, body bytes)."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = attrs.field(factory=dict)

    @property
    def content_type(self) -> str:
        """The media type without parameters (``"image/png"``), lower-cased; empty if absent."""
        return (self.header("content-type") or "").split(";", 1)[0].strip().lower()

    @property
    def is_image(self) -> bool:
        """Whether the body is an image file (by its Content-Type, else by its magic bytes)."""
        if self.content_type.startswith("image/"):
            return True
        return self.body[:8].startswith((b"\x89PNG", b"\xff\xd8\xff")) or (
            self.body[:4] == b"RIFF" and self.body[8:12] == b"WEBP"
        )

    def json(self) -> Any:
        """The body parsed as JSON, or ``None`` if it is not JSON (or is nested more than
        :data:`MAX_JSON_DEPTH` deep: no provider answer is, and the readers that walk it
        recurse)."""
        try:
            parsed = json.loads(self.body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return None
        body = self.body
        if len(body) <= 8192 and body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
            # Too few brackets to nest that deep: no walk.  (Counting is the cheaper check on
            # a small answer; on a big one, whose bulk is a few long strings, the walk is.)
            return parsed
        return parsed if _depth_within(parsed, MAX_JSON_DEPTH) else None

    def text(self) -> str:
        """The body as text (undecodable bytes replaced)."""
        return self.body.decode("utf-8", errors="replace")

    def header(self, name: str) -> str | None:
        """A header by case-insensitive name."""
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return None

    def __repr__(self) -> str:
        return f"HttpResponse(status={self.status}, body=<{len(self.body)} bytes>)"


# --- prepared jobs ---------------------------------------------------------------------------


@attrs.frozen(repr=False)
class PreparedImage:
    """An input image ready for the wire: its bytes, and a URL where it can be fetched.

    ``data`` is ``None`` only when the job gave a URL that is passed through untouched;
    ``url`` is set for URL-taking providers (the job's own URL, or one from an image host).
    """

    data: bytes | None
    format: str | None
    width: int | None
    height: int | None
    url: str | None = None

    def base64(self) -> str:
        """The bytes as plain base64 (no ``data:`` prefix), for providers that take images
        inline; a :class:`~inpaintkit.errors.PluginContractError` when there are no bytes (the
        spec's ``image_transport`` says URLs are accepted, so the core passed one through)."""
        from .images import to_base64

        if self.data is None:
            from .errors import PluginContractError

            raise PluginContractError(
                "a plugin asked for base64 of an image given as a URL: its spec must not "
                "accept URLs (image_transport) if it sends images inline"
            )
        return to_base64(self.data)

    def __repr__(self) -> str:
        size = f"{self.width}x{self.height}" if self.width else "?"
        body = f"<{len(self.data)} bytes>" if self.data is not None else "no data"
        return f"PreparedImage({size}, {self.format}, {body}, url={self.url!r})"


@attrs.frozen
class PreparedRequest:
    """What an adapter translates: the job as the provider should see it, and its images.

    ``job`` has emulated and dropped fields already cleared (for example ``mask_options.invert``
    is False when the client inverted the mask itself), and ``num_images`` is this request's
    share when a job was split over several requests (``batch_index`` of ``batch_count``).
    """

    job: InpaintJob
    image: PreparedImage
    mask: PreparedImage
    batch_index: int = 0
    batch_count: int = 1


# --- task states -----------------------------------------------------------------------------


@attrs.frozen
class TaskHandle:
    """A reference to a running task, enough to poll it later (it is plain data, serialisable)."""

    provider: str
    task_id: str
    data: Mapping[str, Any] = attrs.field(factory=dict)
    """Adapter-specific facts needed to poll or finish (for example ``future_links``).  JSON
    values only: a handle is stored as JSON and read back in another process
    (:mod:`inpaintkit.jobstate`), and the adapter must poll from what it reads back."""


@attrs.frozen(repr=False)
class RemoteImage:
    """A result image as the provider reported it: a URL to download, or inline bytes."""

    url: str | None = None
    data: bytes | None = None
    format: str | None = None
    ttl: float | None = None
    nsfw: bool | None = None
    nsfw_confidence: float | None = None
    """The provider's NSFW score in [0, 1] when it reports one; ``nsfw`` is the plugin's verdict
    from it, by the rule its capability table's notes state."""

    @classmethod
    def from_base64(cls, text: Any, *, path: str = "$.images[0]") -> RemoteImage:
        """An inline result given as base64 (plain or a ``data:`` URL, line breaks and missing
        padding tolerated); a :class:`~inpaintkit.errors.ValidationError` at ``path`` if it is
        not base64."""
        from .images import from_base64

        return cls(data=from_base64(text, path=path))

    def __repr__(self) -> str:
        body = f"<{len(self.data)} bytes>" if self.data is not None else None
        return (
            f"RemoteImage(url={self.url!r}, data={body}, format={self.format!r}, ttl={self.ttl!r})"
        )


@attrs.frozen
class Pending:
    """The task is queued or running; ``eta`` in seconds and ``progress`` in [0, 1] when known."""

    handle: TaskHandle
    eta: float | None = None
    progress: float | None = None
    raw: Any = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class RunEcho:
    """What the provider says it actually ran, where that can differ from the request: steps
    after a server-side cap, the drawn seed, the prompt after enhancement, the sampler.  Every
    field is ``None`` when the provider did not report it."""

    steps: int | None = None
    seed: int | None = None
    prompt: str | None = None
    sampler: str | None = None
    """The neutral sampler name, or the provider's own name when it has no neutral one."""
    width: int | None = None
    height: int | None = None


@attrs.frozen
class Done:
    """The task succeeded."""

    images: tuple[RemoteImage, ...]
    task_id: str | None = None
    seed: int | None = None
    generation_time: float | None = None
    raw: Any = attrs.field(default=None, eq=False, repr=False)
    echo: RunEcho | None = None
    """The provider's echo of what ran (its ``meta``), typed; ``None`` when it sends none."""


@attrs.frozen
class Failed:
    """The request or task failed with a typed error."""

    error: InpaintError
    raw: Any = attrs.field(default=None, eq=False, repr=False)


TaskState = Pending | Done | Failed


# --- the adapter -----------------------------------------------------------------------------


@runtime_checkable
class SubmitAdapter(Protocol):
    """What every provider plugin implements: the pure translation of a submit. No I/O.

    ``build_submit`` receives a :class:`~inpaintkit.checking.CheckedRequest` (the core has
    checked it against the capability table and built the table's plain wire fields, see
    ``request.body()``); ``parse_submit`` turns the answer into a finished result
    (:class:`Done`), a task to poll (:class:`Pending`, only for a :class:`PollingAdapter`) or a
    :class:`Failed` with the matching :mod:`inpaintkit.errors` class and the raw body.
    """

    @property
    def spec(self) -> ProviderSpec:
        """The provider's data."""
        ...

    def build_submit(self, request: CheckedRequest) -> HttpRequest:
        """The wire request that submits ``request``."""
        ...

    def parse_submit(self, request: CheckedRequest, response: HttpResponse) -> TaskState:
        """Interpret the submit response: a finished result, a handle to poll, or a failure
        (returned as :class:`Failed`, or raised as the :class:`InpaintError` itself)."""
        ...


@runtime_checkable
class PollingAdapter(SubmitAdapter, Protocol):
    """A provider whose submit may answer with a task to poll (Novita; the SDAPI platform's
    ``processing`` answers)."""

    def build_poll(self, handle: TaskHandle) -> HttpRequest:
        """The wire request that asks for the state of a task."""
        ...

    def parse_poll(self, handle: TaskHandle, response: HttpResponse) -> TaskState:
        """Interpret a poll response."""
        ...


@runtime_checkable
class WebhookAdapter(Protocol):
    """A provider that posts results to a webhook the job names."""

    def parse_webhook(self, body: Any) -> TaskState:
        """Interpret a webhook payload (already JSON-decoded) as the same states as a poll."""
        ...


@attrs.frozen
class ModelInfo:
    """One model a provider offers, as its model list describes it.

    ``model`` is the value to put in :attr:`InpaintJob.model <inpaintkit.job.InpaintJob.model>`
    (Novita's ``sd_name``); ``name`` is the display name.  ``None`` means the list did not say.
    """

    model: str
    name: str
    base_model: str | None = None
    inpainting: bool | None = None
    sdxl: bool | None = None
    kind: str | None = None
    """The provider's model type (``checkpoint``, ``lora``, ...)."""
    raw: Any = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class ModelPage:
    """One page of a model list; ``next_cursor`` is ``None`` on the last page."""

    models: tuple[ModelInfo, ...]
    next_cursor: str | None = None


@runtime_checkable
class ModelListAdapter(Protocol):
    """A provider that lists its models (optional; Novita's ``GET /v3/model``).

    Pure like the other protocols: ``build_models`` describes the request for one page
    (``cursor`` ``None`` = the first), ``parse_models`` reads it or raises the matching
    :class:`~inpaintkit.errors.InpaintError`.  The client follows the cursors.
    """

    def build_models(self, *, inpainting: bool, cursor: str | None) -> HttpRequest:
        """The request for one page; ``inpainting`` keeps only inpainting models."""
        ...

    def parse_models(self, response: HttpResponse) -> ModelPage:
        """The page in ``response``, or a typed error raised."""
        ...


ProviderAdapter = SubmitAdapter
"""Every adapter is a :class:`SubmitAdapter`; polling and webhooks are optional protocols."""


def parsed(parse: Callable[..., TaskState], *args: Any) -> TaskState:
    """Call one of an adapter's ``parse_*`` methods: it may return :class:`Failed` or simply
    raise the :class:`~inpaintkit.errors.InpaintError`, which becomes the same ``Failed``."""
    try:
        return parse(*args)
    except InpaintError as error:
        return Failed(error, raw=error.raw_body)


def adapter_mode(adapter: SubmitAdapter) -> str:
    """``"polling"`` for adapters that can poll a task (whether every submit is a task, as on
    Novita, or only slow ones, as on the SDAPI platform), ``"sync"`` for those that cannot.

    Derived from what the adapter implements, never declared beside it, so it cannot drift.
    """
    return "polling" if isinstance(adapter, PollingAdapter) else "sync"


def adapter_features(adapter: SubmitAdapter) -> tuple[str, ...]:
    """What an adapter implements beyond submit: ``"poll"``, ``"webhook"``, ``"models"``."""
    features: list[str] = []
    if isinstance(adapter, PollingAdapter):
        features.append("poll")
    if isinstance(adapter, WebhookAdapter):
        features.append("webhook")
    if isinstance(adapter, ModelListAdapter):
        features.append("models")
    return tuple(features)


# --- image hosting ---------------------------------------------------------------------------


@attrs.frozen
class HostContext:
    """What an :class:`ImageHost` may use: the provider and a way to send authenticated requests."""

    provider: ProviderSpec
    send: Callable[[HttpRequest], Awaitable[HttpResponse]]
    base_url: str
    send_to: Callable[[str, HttpRequest, str | None], Awaitable[HttpResponse]] | None = None
    """``send_to(provider_id, request, key)`` sends to another installed provider (its base URL
    as the client configures it, its auth) with ``key``, or the client's key for it when
    ``None``: for a host that uploads through a different provider's documented endpoint."""


@runtime_checkable
class ImageHost(Protocol):
    """Uploads image bytes somewhere a URL-only provider can fetch them."""

    async def upload(self, data: bytes, media_type: str, context: HostContext) -> str:
        """Upload ``data`` and return its URL."""
        ...
