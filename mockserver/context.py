"""The shared facilities every mock provider uses, and the plugin seam's two types.

A :class:`MockProvider` (built-in or third-party, registered through the ``register_mocks``
hook) adds its routes in :meth:`MockProvider.setup` and receives a :class:`MockContext`: the
configuration, the clock, seeded randomness and ids, the task store, the file store with expiring
URLs, image synthesis and fill, the journal, fault injection and the webhook dispatcher.  Routes
added through :meth:`MockContext.add_route` get the journal and transport faults for free.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

import aiohttp
import attrs
from aiohttp import web
from PIL import Image
from yarl import URL

from . import imaging
from .config import MockConfig
from .contracts import ErrorKind, Rejection, WireImage
from .faults import ActiveFault, FaultInjector
from .files import FILES_PREFIX, FileStore, StoredFile, file_path, presigned_query
from .generation import Generator, InputImage, OutputJob, output_size
from .journal import Journal
from .outbound import FetchError, admin_path_target, host_allowed, is_loopback, read_limited
from .scheduler import Scheduler
from .seeding import IdFactory, SeededStreams, derive_seed
from .tasks import Task, TaskStore
from .timesource import MockClock
from .webhooks import WebhookDispatcher

__all__ = [
    "IGNORED_FIELD_NOTE",
    "PROVIDER_HOSTS_PREFIX",
    "ErrorSource",
    "GeneratedImage",
    "MockContext",
    "MockProvider",
    "ResolvedImage",
    "RouteInfo",
    "provider_prefix",
]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

IGNORED_FIELD_NOTE = "ignored unknown field "
"""The journal note (followed by the wire path) of a request field the provider ignores as
unknown; written by :meth:`MockContext.note_ignored`, read by the conformance suite."""

REQUEST_NOTES: web.RequestKey[list[str]] = web.RequestKey("inpaintkit_mock_notes", list[str])
REQUEST_FAULTS: web.RequestKey[list[ActiveFault]] = web.RequestKey(
    "inpaintkit_mock_faults", list[ActiveFault]
)
REQUEST_SECRETS: web.RequestKey[list[str]] = web.RequestKey("inpaintkit_mock_secrets", list[str])

_MAX_FETCH_BYTES = 30 * 1024 * 1024
_INLINE_DECODE_CHARS = 256 * 1024
"""Inline images longer than this (base64 characters) are decoded in a worker thread."""


def _input(
    decoded: imaging.DecodedImage | None, role: Literal["image", "mask"]
) -> InputImage | None:
    """A generation input from a decoded request image (``None`` if there is none)."""
    if decoded is None:
        return None
    if decoded.synthetic is not None:
        w, h, seed, _ = decoded.synthetic
        return InputImage.stand_in(w, h, seed, role)
    return InputImage.from_bytes(decoded.raw, role)


class ErrorSource(Protocol):
    """Something that words server-side errors the provider's way (a contract, for built-ins)."""

    def error(
        self, kind: ErrorKind, message: str | None = None, *, retry_after: float | None = None
    ) -> Rejection: ...


@runtime_checkable
class MockProvider(Protocol):
    """A provider emulated by the mock: an id and a ``setup`` that adds its routes.

    Register one from a plugin with::

        @inpaintkit.hookspecs.hookimpl
        def register_mocks(register):
            register(MyMock())
    """

    id: str

    def setup(self, app: web.Application, ctx: MockContext) -> None: ...


@attrs.frozen
class RouteInfo:
    provider_id: str
    errors: ErrorSource | None


@attrs.frozen
class ResolvedImage:
    """An input image after the allow-list: decoded (or not), and where it came from."""

    decoded: imaging.DecodedImage
    source: str  # "inline", "data-url", "file-store", "fetched", "synthetic"


@attrs.frozen
class GeneratedImage:
    data: bytes
    fmt: str
    width: int
    height: int
    seed: int

    @property
    def content_type(self) -> str:
        return imaging.CONTENT_TYPES[self.fmt]


PROVIDER_HOSTS_PREFIX = "/_hosts"


def provider_prefix(provider_id: str) -> str:
    """The path prefix standing for ``provider_id``'s own host on the one mock server."""
    return f"{PROVIDER_HOSTS_PREFIX}/{provider_id}"


class MockContext:
    """Facilities shared by every mock provider of one app.  One per :func:`create_app` call."""

    def __init__(self, config: MockConfig, clock: MockClock) -> None:
        self.config = config
        self.clock = clock
        self.streams = SeededStreams(config.seed)
        self.ids = IdFactory(self.streams)
        self.tasks = TaskStore(config.max_tasks, config.task_max_age)
        self.files = FileStore(clock.time, config.max_file_bytes)
        self.journal = Journal(config.journal_size)
        self.faults = FaultInjector(self.streams, config.faults)
        self.scheduler = Scheduler(clock.time, config.max_pending_actions)
        self.generator = Generator(workers=config.workers, cache_bytes=config.generated_cache_bytes)
        self._session: aiohttp.ClientSession | None = None
        self.webhooks = WebhookDispatcher(
            scheduler=self.scheduler,
            journal=self.journal,
            now=clock.time,
            session=self.http,
            allowed_hosts=config.webhook_allowed_hosts,
            timeout=config.webhook_timeout,
            retry_delays=config.webhook_retry_delays,
        )
        self.routes: dict[tuple[str, str], RouteInfo] = {}
        self.providers: dict[str, MockProvider] = {}
        self.shutdown = asyncio.Event()
        self.hung_requests = 0
        """Requests currently held by a ``hang`` fault."""
        self.state: dict[str, Any] = {}
        """Free space for providers' own state (rate-limit windows...), cleared by reset."""
        self.url_secret = derive_seed(config.seed, "url-signing").to_bytes(8, "big")

    # -- time and randomness -------------------------------------------------------------

    def now(self) -> float:
        """Mock time in seconds, read afresh (never cache it across awaits)."""
        return self.clock.time()

    def rng(self, stream: str) -> random.Random:
        """The seeded random stream ``stream`` (independent of every other stream)."""
        return self.streams.stream(stream)

    # -- configuration and reset ---------------------------------------------------------

    def apply_config(self, config: MockConfig) -> None:
        """Take a new configuration at run time (clock mode, faults, limits, behaviours)."""
        old = self.config
        self.config = config
        if (config.clock, config.time_scale) != (old.clock, old.time_scale):
            self.clock.set_source(MockClock.for_mode(config.clock, time_scale=config.time_scale))
        if config.faults != old.faults:
            self.faults.set_rules(config.faults)
        if config.seed != old.seed:
            self.streams.reset(config.seed)
            self.ids.reset()
        self.webhooks.allowed_hosts = config.webhook_allowed_hosts
        self.webhooks.timeout = config.webhook_timeout
        self.webhooks.retry_delays = config.webhook_retry_delays

    def reset(self) -> None:
        """Forget every task, file, journal entry, pending action, counter and fault rule
        added at run time; rewind the random streams.  The clock keeps its time."""
        self.tasks.clear()
        self.files.clear()
        self.journal.clear()
        self.scheduler.clear()
        self.streams.reset()
        self.ids.reset()
        self.faults.reset(self.config.faults)
        self.state.clear()

    # -- routes --------------------------------------------------------------------------

    def add_route(
        self,
        app: web.Application,
        method: str,
        path: str,
        handler: Handler,
        *,
        provider_id: str,
        errors: ErrorSource | None = None,
    ) -> None:
        """Add a provider route; it is journaled and subject to transport faults, which are
        worded by ``errors`` (the provider's contract) or a generic JSON body if ``None``.

        The route is served twice: at its real path (every provider on one host, as before) and
        under the provider's own host prefix, :func:`provider_prefix` (``/_hosts/<id>``).  A
        client given ``<mock>/_hosts/<id>`` as one provider's base URL reaches only that
        provider's routes, so a plugin calling another provider's endpoint on its own host
        (StableDiffusionAPI uploading to ModelsLab's base64_to_url) gets a 404 as it would live.
        """
        for full in (path, provider_prefix(provider_id) + path):
            route = app.router.add_route(method, full, handler)
            self.routes[(route.method, route.resource.canonical if route.resource else full)] = (
                RouteInfo(provider_id, errors)
            )

    def route_info(self, request: web.Request) -> RouteInfo | None:
        route = request.match_info.route
        resource = route.resource
        if resource is None:
            return None
        return self.routes.get((route.method, resource.canonical))

    # -- request helpers for handlers -----------------------------------------------------

    @staticmethod
    def base_url(request: web.Request) -> str:
        """The mock's own base URL as the client reached it (for fetch_result, future_links)."""
        return f"{request.scheme}://{request.host}"

    @staticmethod
    def note(request: web.Request, text: str) -> None:
        """Add a line to this request's journal entry."""
        request.setdefault(REQUEST_NOTES, []).append(text)

    @classmethod
    def note_ignored(cls, request: web.Request, name: str) -> None:
        """Journal that the provider ignores the request's field ``name`` (a dotted wire path)
        as unknown.  The conformance suite reads this note: a plugin that sends a field the
        provider does not know fails its meaning check, which a mock without the note cannot
        tell from a field that was used."""
        cls.note(request, IGNORED_FIELD_NOTE + name)

    @staticmethod
    def request_faults(request: web.Request) -> list[ActiveFault]:
        """The task faults (task_failed, task_stuck, expired_url) chosen for this request."""
        faults: list[ActiveFault] = request.get(REQUEST_FAULTS, [])
        return [f for f in faults if f.is_task_fault]

    @staticmethod
    def add_secret(request: web.Request, secret: str) -> None:
        """Scrub ``secret`` from this request's journal entry (keys found by a handler)."""
        request[REQUEST_SECRETS].append(secret)

    def valid_keys_for(self, api_key: str | None) -> tuple[str, ...] | None:
        """``MockConfig.valid_keys``, except that magic fault keys are always accepted."""
        if api_key and api_key.startswith("mock-fault:"):
            return None
        return self.config.valid_keys

    @staticmethod
    def owner_of(api_key: str) -> str:
        """A stable, non-reversible owner id for a key (tasks are private to their key)."""
        return hashlib.sha256(api_key.encode("utf-8", "surrogatepass")).hexdigest()[:16]

    # -- files ---------------------------------------------------------------------------

    def file_url(
        self, request: web.Request, stored: StoredFile, *, presigned_ttl: int | None = None
    ) -> str:
        """The URL of a stored file as reached through ``request``'s host."""
        return self.file_url_for(self.base_url(request), stored, presigned_ttl=presigned_ttl)

    def file_url_for(
        self, base: str, stored: StoredFile, *, presigned_ttl: int | None = None
    ) -> str:
        """The URL of a stored file under ``base`` (presigned-S3-looking if ``presigned_ttl``)."""
        url = base + file_path(stored)
        if presigned_ttl is not None:
            url += "?" + presigned_query(stored, secret=self.url_secret, ttl=presigned_ttl)
        return url

    # -- input images through the allow-list ---------------------------------------------

    def http(self) -> aiohttp.ClientSession:
        """The one outbound client session (created lazily, closed with the app)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        self.shutdown.set()
        if self._session is not None:
            await self._session.close()
        self.generator.close()

    async def resolve_image(
        self,
        request: web.Request,
        wire: WireImage,
        *,
        role: str,
        size: tuple[int, int],
        errors: ErrorSource,
    ) -> ResolvedImage | Rejection:
        """Decode an inline image or fetch a URL, honouring the allow-list.

        Own file-store URLs are read directly; ``fetch_allowed_hosts`` are fetched (no
        redirects, 30 MB cap); any other URL is never contacted: a synthetic image of ``size``
        stands in (journaled), or in ``strict_urls`` mode the provider's fetch error answers.
        """
        if wire.base64 is not None:
            source = "data-url" if wire.base64.startswith("data:") else "inline"
            text = wire.base64
            if len(text) < _INLINE_DECODE_CHARS:
                return ResolvedImage(imaging.decode_base64_image(text), source)
            loop = asyncio.get_running_loop()  # large: decode off the event loop
            decoded = await loop.run_in_executor(None, imaging.decode_base64_image, text)
            return ResolvedImage(decoded, source)
        url = wire.url or ""

        def record_fetch(outcome: str, **facts: Any) -> None:
            secrets = request.get(REQUEST_SECRETS, [])
            self.journal.record(
                "fetch", secrets=secrets, role=role, url=url, outcome=outcome, **facts
            )

        own = self._own_file_key(request, url)
        if own is not None:
            status, stored = self.files.lookup(own)
            if status != "ok" or stored is None:
                self.note(request, f"{role}: own file-store URL is {status}")
                return errors.error(ErrorKind.IMAGE_FETCH_FAILED)
            return ResolvedImage(imaging.decode_image(await self.file_data(stored)), "file-store")
        if host_allowed(url, self.config.fetch_allowed_hosts, loopback=False):
            if admin_path_target(url):
                record_fetch(outcome="refused: the mock's own admin path")
                self.note(request, f"{role}: URL names the mock's admin API, refused")
                return errors.error(ErrorKind.IMAGE_FETCH_FAILED)
            try:
                raw = await read_limited(self.http(), url, max_bytes=_MAX_FETCH_BYTES, timeout=30)
            except FetchError as exc:
                record_fetch(outcome=str(exc))
                return errors.error(ErrorKind.IMAGE_FETCH_FAILED)
            record_fetch(outcome="fetched", bytes=len(raw))
            return ResolvedImage(imaging.decode_image(raw), "fetched")
        if self.config.strict_urls:
            record_fetch(outcome="refused (strict)")
            self.note(request, f"{role}: URL not in the allow-list, refused (strict mode)")
            return errors.error(ErrorKind.IMAGE_FETCH_FAILED)
        record_fetch(outcome="replaced by synthetic image")
        self.note(request, f"{role}: URL not in the allow-list, replaced by a synthetic image")
        seed = derive_seed(self.streams.seed, "synthetic", url)
        kind = "mask" if role.startswith("mask") else "image"
        stand_in = imaging.DecodedImage(
            b"", None, "png", header_size=size, synthetic=(*size, seed, kind)
        )
        return ResolvedImage(stand_in, "synthetic")

    def _own_file_key(self, request: web.Request, url: str) -> str | None:
        """The file-store key if ``url`` is one of this mock's own file links."""
        try:
            parsed = URL(url)
        except (ValueError, TypeError):
            return None
        if not parsed.path.startswith(FILES_PREFIX + "/"):
            return None
        if parsed.host is None or not (
            is_loopback(parsed.host) or parsed.raw_authority == request.host
        ):
            return None
        parts = parsed.path[len(FILES_PREFIX) + 1 :].split("/")
        return parts[0] or None

    def poll(self, task: Task) -> None:
        """Count a poll of ``task``; in finish-after-N-polls mode the N-th poll finishes it,
        making its files available and its webhooks due at once."""
        now = self.now()
        if self.tasks.poll(task, now):
            # The outputs, and their ``.base64`` text copies when those are served as links.
            for key in (*task.file_keys, *task.data.get("base64_keys", ())):
                self.files.set_available(key, now)
            self.scheduler.reschedule(task.id, now)
            self.scheduler.reschedule(f"upload:{task.id}", now)

    # -- output images -------------------------------------------------------------------

    def draw_seed(self, requested: int | None) -> int:
        """The seed a task uses: the requested one, or a fresh draw for "random" (None or < 0)."""
        if requested is not None and requested >= 0:
            return requested
        return self.rng("seeds").randint(0, 2**32 - 1)

    def output_jobs(
        self,
        image: imaging.DecodedImage | None,
        mask: imaging.DecodedImage | None,
        *,
        count: int,
        seed: int,
        fmt: str,
        size: tuple[int, int] | None = None,
        prompt: str = "",
        mask_invert: bool = False,
        mask_blur: int = 0,
    ) -> list[OutputJob]:
        """Describe ``count`` deterministic outputs (image ``i`` uses ``seed + i``) without
        rendering them: store them with :meth:`store_jobs`, render with :meth:`render`."""
        source = _input(image, "image") or InputImage.stand_in(*(size or (512, 512)), seed)
        hole = _input(mask, "mask")
        return [
            OutputJob(
                image=source,
                mask=hole,
                seed=(seed + index) % 2**32,
                fmt=fmt,
                size=size,
                prompt=prompt,
                mask_invert=mask_invert,
                mask_blur=mask_blur,
            )
            for index in range(count)
        ]

    @staticmethod
    def output_size(job: OutputJob, image: imaging.DecodedImage | None) -> tuple[int, int]:
        """The size ``job`` will render at (known without rendering)."""
        return output_size(job, (image.width, image.height) if image is not None else (None, None))

    async def render(self, job: OutputJob) -> bytes:
        """The bytes of ``job`` (rendered on the worker pool once, then cached)."""
        return await self.generator.render(job)

    async def generate(
        self,
        image: Image.Image | None,
        mask: Image.Image | None,
        *,
        count: int,
        seed: int,
        fmt: str,
        size: tuple[int, int] | None = None,
        prompt: str = "",
        mask_invert: bool = False,
        mask_blur: int = 0,
    ) -> list[GeneratedImage]:
        """``count`` deterministic inpainting outputs rendered now (image ``i`` uses
        ``seed + i``), on the worker pool.  Built-in providers defer rendering to the first
        download instead (:meth:`output_jobs`, :meth:`store_jobs`); this stays for mocks that
        want the bytes at once."""
        decoded = [
            None
            if pixels is None
            else imaging.DecodedImage(
                imaging.encode_image(pixels, "png"),
                None,
                "png",
                header_size=pixels.size,
                loadable=True,
            )
            for pixels in (image, mask)
        ]
        jobs = self.output_jobs(
            decoded[0],
            decoded[1],
            count=count,
            seed=seed,
            fmt=fmt,
            size=size,
            prompt=prompt,
            mask_invert=mask_invert,
            mask_blur=mask_blur,
        )
        out = []
        for job in jobs:
            data = await self.render(job)
            width, height = self.output_size(job, decoded[0])
            out.append(GeneratedImage(data, fmt, width, height, job.seed))
        return out

    def store_jobs(
        self,
        jobs: Sequence[OutputJob],
        *,
        names: Sequence[str],
        ttl: float | None,
        available_at: float,
        expired: bool = False,
    ) -> list[StoredFile]:
        """Put outputs in the file store as recipes, rendered on first download."""
        return [
            self.files.put(
                None,
                job=job,
                name=name,
                content_type=job.content_type,
                ttl=0.0 if expired else ttl,
                available_at=available_at,
            )
            for job, name in zip(jobs, names, strict=True)
        ]

    async def file_data(self, stored: StoredFile) -> bytes:
        """A stored file's bytes, rendering its recipe on first use."""
        if stored.data is not None:
            return stored.data
        if stored.job is None:
            return b""
        data = await self.render(stored.job)
        self.files.fill_in(stored, data)
        return data

    def store_outputs(
        self,
        images: Sequence[GeneratedImage],
        *,
        names: Sequence[str],
        ttl: float | None,
        available_at: float,
        expired: bool = False,
    ) -> list[StoredFile]:
        """Put outputs in the file store (``expired`` = the expired_url fault: TTL zero)."""
        stored = []
        for image, name in zip(images, names, strict=True):
            stored.append(
                self.files.put(
                    image.data,
                    name=name,
                    content_type=image.content_type,
                    ttl=0.0 if expired else ttl,
                    available_at=available_at,
                )
            )
        return stored
