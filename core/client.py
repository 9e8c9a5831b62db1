"""The runtime: one place that performs I/O for every provider.

:class:`InpaintClient` validates a job (the neutral schema, then the provider's capability
table), prepares its images (applying client-side emulations), submits it, and then either takes
the finished result or polls according to the provider's :class:`~inpaintkit.provider.PollPolicy`
on an injectable clock, downloads the images, and returns an
:class:`~inpaintkit.result.InpaintResult`, or raises one typed error.

Safety rules enforced here, not left to plugins:

* a submit is retried only when it provably never reached the provider (connection refused) or
  the provider said 429; a submit that timed out or lost its connection raises
  :class:`~inpaintkit.errors.SubmitOutcomeUnknownError` instead of being resent;
* polls are idempotent and retried within ``max_poll_errors``;
* the API key is added at the moment of sending, only to the provider's own base URL, and
  scrubbed from every body that is kept.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import aiohttp
import attrs

from . import images
from .checking import CheckedRequest, check_built, check_request
from .clock import Clock, SystemClock
from .credentials import Secret, apply_auth, redact, resolve_key
from .dryrun import (
    DryRun,
    check_job,
    effective_size_errors,
    prepared_requests,
    read_local_image,
)
from .errors import (
    InpaintError,
    InpaintTimeoutError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
    SubmitOutcomeUnknownError,
    ValidationError,
)
from .job import ImageInput, InpaintJob
from .planning import Plan, UnsupportedPolicy, plan_job
from .plugins import ProviderRegistry
from .prepare import PreparedInputs, finish_image, prepare_inputs
from .provider import (
    Done,
    Failed,
    HostContext,
    HttpRequest,
    HttpResponse,
    Pending,
    PollingAdapter,
    ProviderAdapter,
    ProviderSpec,
    RemoteImage,
    TaskHandle,
    TaskState,
)
from .result import InpaintResult, ResultImage, Timings
from .transport import AiohttpTransport, OutgoingRequest, Transport, TransportError, outgoing

__all__ = ["InpaintClient", "JobHandle"]

log = logging.getLogger("inpaintkit")

DEFAULT_REQUEST_TIMEOUT = 120.0
"""Seconds one HTTP request may take (uploads of 30 MB images included)."""


@attrs.frozen(eq=False)
class JobHandle:
    """A submitted job: its task handles plus what is needed to finish the result locally."""

    provider: str
    plan: Plan
    inputs: PreparedInputs
    tasks: tuple[TaskState, ...]
    submitted_at: float
    submit_seconds: float

    @property
    def task_handles(self) -> tuple[TaskHandle, ...]:
        """Handles of the tasks still running at submit time (plain, serialisable data)."""
        return tuple(s.handle for s in self.tasks if isinstance(s, Pending))


class InpaintClient:
    """An async client for every installed provider, over one aiohttp session.

    Use as ``async with InpaintClient(...) as client: result = await client.inpaint(job,
    "novita")``.  ``api_keys`` maps provider ids to keys (otherwise each provider's environment
    variable is read); ``base_url`` points every provider at one server (the mock server serves
    all three at their real paths), ``base_urls`` overrides per provider.  ``concurrency``
    bounds requests in flight; ``unsupported`` is the policy for fields a provider cannot honour
    (``"strict"``, ``"warn"`` or ``"drop"``).
    """

    def __init__(
        self,
        *,
        api_keys: Mapping[str, str | Secret] | None = None,
        base_url: str | None = None,
        base_urls: Mapping[str, str] | None = None,
        registry: ProviderRegistry | None = None,
        clock: Clock | None = None,
        concurrency: int = 4,
        unsupported: UnsupportedPolicy | str = UnsupportedPolicy.STRICT,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        deadline: float | None = None,
        transport: Transport | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency: must be >= 1, got {concurrency}")
        self._api_keys = {
            k: v if isinstance(v, Secret) else Secret(v) for k, v in (api_keys or {}).items()
        }
        self._base_url = base_url
        self._base_urls = dict(base_urls or {})
        self._registry = registry
        self.clock: Clock = clock or SystemClock()
        self._semaphore = asyncio.Semaphore(concurrency)
        self._unsupported = UnsupportedPolicy(unsupported)
        self._request_timeout = request_timeout
        self._deadline = deadline
        self._transport = transport
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return (
            f"InpaintClient(providers={sorted(self.registry)!r}, base_url={self._base_url!r}, "
            f"api_keys={{{', '.join(f'{k!r}: ***' for k in self._api_keys)}}})"
        )

    # --- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> InpaintClient:
        if self._transport is None:
            self._session = aiohttp.ClientSession()
            self._transport = AiohttpTransport(self._session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session (the client owns it only if it created it)."""
        if self._session is not None:
            await self._session.close()
            self._session = None
            self._transport = None

    @property
    def registry(self) -> ProviderRegistry:
        """The installed providers (built lazily from a fresh plugin manager)."""
        if self._registry is None:
            self._registry = ProviderRegistry.default()
        return self._registry

    def base_url_for(self, spec: ProviderSpec) -> str:
        """Where requests for ``spec`` go."""
        return self._base_urls.get(spec.id) or self._base_url or spec.base_url

    # --- the public operations ------------------------------------------------------------

    async def inpaint(self, job: InpaintJob, provider: str) -> InpaintResult:
        """Run ``job`` on ``provider`` to the end: a result, or a typed error."""
        handle = await self.submit(job, provider)
        return await self.wait(handle)

    def plan(self, job: InpaintJob, provider: str) -> Plan:
        """Validate ``job`` for ``provider`` without sending anything (a dry run)."""
        adapter = self.registry[provider]
        return plan_job(job, adapter.spec, unsupported=self._unsupported)

    async def check(self, job: InpaintJob, provider: str) -> DryRun:
        """Every check of ``job`` for ``provider`` that needs no request: the table, the images
        as they would be sent, the adapter's backstop (what ``inpaintkit validate`` reports)."""
        adapter = self.registry[provider]
        host = self.registry.image_host(adapter.spec.id) is not None
        return await check_job(job, adapter, unsupported=self._unsupported, image_host=host)

    async def submit(self, job: InpaintJob, provider: str) -> JobHandle:
        """Validate, prepare and submit ``job``; returns once every request was accepted."""
        adapter = self.registry[provider]
        spec = adapter.spec
        plan = plan_job(job, spec, unsupported=self._unsupported)
        key = resolve_key(spec, self._api_keys)
        started = self.clock.time()
        inputs = await prepare_inputs(
            job, plan, spec, read=self._read_image, host=self._image_host(adapter, key)
        )
        size_errors = effective_size_errors(plan, inputs, spec)
        if size_errors:
            raise ValidationError(size_errors, provider=spec.id)
        # Every request is checked and built before the first is sent, so a split job never
        # submits (and bills) its first part only to find its second one invalid.
        checked = [check_request(r, spec) for r in prepared_requests(plan, inputs, spec)]
        built = [self._build_submit(adapter, c) for c in checked]
        states = await asyncio.gather(
            *(self._submit_one(adapter, key, c, b) for c, b in zip(checked, built, strict=True))
        )
        return JobHandle(
            provider=provider,
            plan=plan,
            inputs=inputs,
            tasks=tuple(states),
            submitted_at=started,
            submit_seconds=self.clock.time() - started,
        )

    async def wait(self, handle: JobHandle) -> InpaintResult:
        """Wait for every task of ``handle`` and assemble the result."""
        adapter = self.registry[handle.provider]
        key = resolve_key(adapter.spec, self._api_keys)
        waiting_started = self.clock.time()
        finals = await asyncio.gather(
            *(self._finish(adapter, key, state, handle.submitted_at) for state in handle.tasks)
        )
        waited = self.clock.time() - waiting_started
        download_started = self.clock.time()
        result_images: list[ResultImage] = []
        output_format = handle.plan.emulation.output_format
        for done, _polls in finals:
            for remote in done.images:
                result_images.append(
                    await self._download(remote, handle.inputs, output_format, adapter.spec)
                )
        finished = self.clock.time()
        return InpaintResult(
            images=tuple(result_images),
            provider=handle.provider,
            task_ids=tuple(d.task_id for d, _ in finals if d.task_id is not None),
            seed=next((d.seed for d, _ in finals if d.seed is not None), handle.plan.job.seed),
            timings=Timings(
                total=finished - handle.submitted_at,
                submit=handle.submit_seconds,
                waiting=waited,
                download=finished - download_started,
                polls=sum(p for _, p in finals),
            ),
            outcomes=handle.plan.outcomes,
            raw=tuple(redact(d.raw, (key.reveal(),)) for d, _ in finals),
        )

    async def status(self, handle: TaskHandle) -> TaskState:
        """Ask the provider once for the state of a task."""
        adapter = _poller(self.registry[handle.provider])
        key = resolve_key(adapter.spec, self._api_keys)
        response = await self._send(adapter.spec, key, adapter.build_poll(handle))
        return self._scrub(adapter.parse_poll(handle, response), key)

    async def wait_task(self, handle: TaskHandle, *, started_at: float | None = None) -> Done:
        """Poll a task (for example one resumed from a stored handle) until it is done."""
        adapter = self.registry[handle.provider]
        key = resolve_key(adapter.spec, self._api_keys)
        start = started_at if started_at is not None else self.clock.time()
        done, _ = await self._poll_until_done(adapter, key, Pending(handle), start)
        return done

    # --- submit ---------------------------------------------------------------------------

    @staticmethod
    def _build_submit(adapter: ProviderAdapter, request: CheckedRequest) -> HttpRequest:
        """The adapter's request for ``request``, confirmed against the table."""
        built = adapter.build_submit(request)
        check_built(built, request, adapter.spec)
        return built

    async def _submit_one(
        self, adapter: ProviderAdapter, key: Secret, request: CheckedRequest, wire: HttpRequest
    ) -> TaskState:
        spec = adapter.spec
        attempt = 0
        while True:
            try:
                response = await self._send(spec, key, wire)
            except TransportError as exc:
                if exc.reached:
                    raise SubmitOutcomeUnknownError(
                        f"submit to {spec.id} may have reached the provider but got no answer "
                        f"({exc})",
                        provider=spec.id,
                    ) from None
                if attempt >= spec.polling.submit_retries:
                    raise ProviderUnavailableError(
                        f"{spec.id} unreachable after {attempt + 1} attempts ({exc})",
                        provider=spec.id,
                    ) from None
                await self.clock.sleep(spec.polling.retry_delay(attempt))
                attempt += 1
                continue
            state = self._scrub(adapter.parse_submit(request, response), key)
            if (
                isinstance(state, Failed)
                and isinstance(state.error, RateLimitedError)
                and attempt < spec.polling.submit_retries
            ):
                # A 429 means the provider refused the job: resending cannot duplicate it.
                delay = spec.polling.retry_delay(
                    attempt, retry_after=state.error.retry_after, rate_limited=True
                )
                log.info("%s: rate limited on submit, retrying in %.1f s", spec.id, delay)
                await self.clock.sleep(delay)
                attempt += 1
                continue
            if isinstance(state, Failed):
                raise state.error
            return state

    # --- waiting --------------------------------------------------------------------------

    async def _finish(
        self, adapter: ProviderAdapter, key: Secret, state: TaskState, started: float
    ) -> tuple[Done, int]:
        if isinstance(state, Done):
            return state, 0
        if isinstance(state, Failed):  # pragma: no cover - submit raises these
            raise state.error
        return await self._poll_until_done(adapter, key, state, started)

    def _deadline_for(self, spec: ProviderSpec) -> float:
        return self._deadline if self._deadline is not None else spec.polling.deadline

    async def _poll_until_done(
        self, submitter: ProviderAdapter, key: Secret, pending: Pending, started: float
    ) -> tuple[Done, int]:
        adapter = _poller(submitter)
        spec = adapter.spec
        policy = spec.polling
        deadline_at = started + self._deadline_for(spec)
        handle = pending.handle
        eta = pending.eta
        attempt = 0
        polls = 0
        errors = 0
        retry_after: float | None = None
        while True:
            delay = retry_after if retry_after is not None else policy.poll_delay(attempt, eta=eta)
            now = self.clock.time()
            if now >= deadline_at:
                raise InpaintTimeoutError(
                    f"task {handle.task_id} not finished after {self._deadline_for(spec):g} s",
                    provider=spec.id,
                    task_id=handle.task_id,
                )
            await self.clock.sleep(min(delay, deadline_at - now))
            retry_after = None
            try:
                response = await self._send(spec, key, adapter.build_poll(handle))
            except TransportError as exc:
                errors += 1
                if errors > policy.max_poll_errors:
                    raise ProviderUnavailableError(
                        f"polling task {handle.task_id} failed {errors} times in a row ({exc})",
                        provider=spec.id,
                        task_id=handle.task_id,
                    ) from None
                attempt += 1
                continue
            polls += 1
            state = self._scrub(adapter.parse_poll(handle, response), key)
            if isinstance(state, Done):
                return state, polls
            if isinstance(state, Pending):
                handle = state.handle
                eta = state.eta
                errors = 0
                attempt += 1
                continue
            error = state.error
            transient = isinstance(error, RateLimitedError) or (
                type(error) is ProviderError and (error.status or 0) >= 500
            )
            if transient:
                errors += 1
                if errors > policy.max_poll_errors:
                    raise error
                if isinstance(error, RateLimitedError):
                    retry_after = policy.retry_delay(
                        errors - 1, retry_after=error.retry_after, rate_limited=True
                    )
                attempt += 1
                continue
            if error.task_id is None:
                error.task_id = handle.task_id
            raise error

    # --- I/O helpers ----------------------------------------------------------------------

    async def _send(self, spec: ProviderSpec, key: Secret, request: HttpRequest) -> HttpResponse:
        if self._transport is None:
            raise RuntimeError("use the client as `async with InpaintClient(...) as client:`")
        wire = outgoing(apply_auth(request, spec, key), self.base_url_for(spec))
        log.debug("%s: %s %s", spec.id, request.method, request.path)
        async with self._semaphore:
            return await self._transport.send(wire, timeout=self._request_timeout)

    @staticmethod
    def _scrub(state: TaskState, key: Secret) -> TaskState:
        """Remove the key from any raw body a state or its error carries."""
        secrets = (key.reveal(),)
        if isinstance(state, Failed):
            state.error.raw_body = redact(state.error.raw_body, secrets)
            return attrs.evolve(state, raw=redact(state.raw, secrets))
        return attrs.evolve(state, raw=redact(state.raw, secrets))

    async def _read_image(self, image: ImageInput, path: str) -> bytes:
        data = await read_local_image(image, path)
        if data is not None:
            return data
        assert image.url is not None
        return await self._download_url(image.url, path)

    async def _download_url(self, url: str, path: str) -> bytes:
        if self._transport is None:
            raise RuntimeError("use the client as `async with InpaintClient(...) as client:`")
        try:
            response = await self._transport.send(
                OutgoingRequest("GET", url, {}), timeout=self._request_timeout
            )
        except TransportError as exc:
            raise ProviderUnavailableError(f"cannot download {path} ({exc})") from None
        if response.status != 200:
            raise ProviderError(
                f"downloading {path} answered HTTP {response.status}",
                status=response.status,
                raw_body=response.text()[:500],
            )
        return response.body

    async def _download(
        self,
        remote: RemoteImage,
        inputs: PreparedInputs,
        output_format: str | None,
        spec: ProviderSpec,
    ) -> ResultImage:
        if remote.data is not None:
            data = remote.data
        elif remote.url is not None:
            try:
                data = await self._download_url(remote.url, "result image")
            except InpaintError as exc:
                exc.provider = spec.id
                raise
        else:
            raise ProviderError("a result image has neither a URL nor data", provider=spec.id)
        data = _decode_text_image(data)
        data = finish_image(data, inputs, output_format)
        loaded = images.load_image(data, path="$.result")
        expires = self.clock.time() + remote.ttl if remote.ttl is not None else None
        return ResultImage(
            data=data,
            format=loaded.format,
            width=loaded.width,
            height=loaded.height,
            url=remote.url,
            url_expires_at=expires,
            nsfw=remote.nsfw,
        )

    def _image_host(self, adapter: ProviderAdapter, key: Secret) -> Any:
        spec = adapter.spec
        host = self.registry.image_host(spec.id)
        if host is None:
            return None
        context = HostContext(
            provider=spec,
            send=lambda request: self._send(spec, key, request),
            base_url=self.base_url_for(spec),
        )

        async def upload(data: bytes, media_type: str) -> str:
            return await host.upload(data, media_type, context)

        return upload


def _poller(adapter: ProviderAdapter) -> PollingAdapter:
    """``adapter`` as a :class:`PollingAdapter`, or a typed error when a plugin that cannot poll
    returned a task to poll (a plugin bug: its submit must answer with a result)."""
    if isinstance(adapter, PollingAdapter):
        return adapter
    raise ProviderError(
        f"the {adapter.spec.id} plugin answered with a task to poll but implements no polling",
        provider=adapter.spec.id,
        hint="This is a bug in the provider plugin: a sync provider's submit returns Done.",
    )


def _decode_text_image(data: bytes) -> bytes:
    """Image bytes from a download that may be base64 text (ModelsLab/SDAPI ``.base64`` links).

    With ``base64: "yes"`` these providers may serve the image as a text file of base64 or a
    data URL; anything that already is an image file is returned unchanged.
    """
    if images.sniff_format(data) is not None:
        return data
    try:
        text = data.decode("ascii").strip()
    except UnicodeDecodeError:
        return data
    try:
        decoded = images.from_base64(text, path="$.result")
    except ValidationError:
        return data
    return decoded if images.sniff_format(decoded) is not None else data
