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
* what to do after each poll (wait, poll again, finish, give up) is decided by the pure state
  machine in :mod:`inpaintkit.waiting`; this module only sleeps, sends and parses;
* every public call ends in a result or an :class:`~inpaintkit.errors.InpaintError`, ``close()``
  included (:mod:`inpaintkit.inflight`), and the failure of one request of a split job cancels
  the others and names every task that may be billed;
* the API key is added at the moment of sending, only to the provider's own base URL, and
  scrubbed from every body that is kept.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncGenerator, Awaitable, Callable, Coroutine, Iterable, Mapping
from types import TracebackType
from typing import Any, TypeVar

import aiohttp
import attrs

from . import events, images, waiting
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
    ClientClosedError,
    FieldError,
    InpaintError,
    ProviderError,
    ProviderUnavailableError,
    ValidationError,
    as_server_error,
    server_error_class,
)
from .exchange import exchange
from .inflight import InFlight, record_task, submitted_task_ids
from .job import ImageInput, InpaintJob
from .observe import EventCallback, Observer, stream
from .planning import Plan, UnsupportedPolicy, plan_job
from .plugins import ProviderRegistry
from .prepare import PreparedInputs, check_emulated_size, finish_image, prepare_inputs
from .provider import (
    Done,
    Failed,
    HostContext,
    HttpRequest,
    HttpResponse,
    Pending,
    PollingAdapter,
    PollPolicy,
    ProviderAdapter,
    ProviderSpec,
    RemoteImage,
    TaskHandle,
    TaskState,
    parsed,
)
from .result import InpaintResult, ResultImage, Timings
from .settings import DEFAULT_MAX_REQUESTS_PER_JOB, ClientSettings
from .slots import FINISH, START, PrioritySlots
from .transport import AiohttpTransport, OutgoingRequest, Transport, TransportError, outgoing

__all__ = ["InpaintClient", "JobHandle"]

log = logging.getLogger("inpaintkit")

T = TypeVar("T")

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

    ``deadline`` (seconds from submit to result) and ``request_timeout`` must be finite and
    positive; ``max_requests_per_job`` caps how many requests one job may be split into (a job
    over it is rejected before anything is sent); ``retry_jitter`` stretches retry delays by up
    to that fraction, drawn from a generator seeded with ``random_seed`` (fixed seed, same
    delays).  Out-of-range settings raise :class:`~inpaintkit.settings.SettingsError`.

    ``on_event`` receives every progress event (:mod:`inpaintkit.events`) of every call;
    :meth:`stream` gives the events of one job as an async iterator.  Both are also logged to
    the ``inpaintkit`` logger with structured ``extra`` fields.
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
        max_requests_per_job: int = DEFAULT_MAX_REQUESTS_PER_JOB,
        retry_jitter: float = 0.1,
        random_seed: int | None = None,
        on_event: EventCallback | None = None,
    ) -> None:
        self.settings = ClientSettings(
            concurrency=concurrency,
            request_timeout=request_timeout,
            deadline=deadline,
            max_requests_per_job=max_requests_per_job,
            retry_jitter=retry_jitter,
        )
        self._api_keys = {
            k: v if isinstance(v, Secret) else Secret(v) for k, v in (api_keys or {}).items()
        }
        self._base_url = base_url
        self._base_urls = dict(base_urls or {})
        self._registry = registry
        self.clock: Clock = clock or SystemClock()
        self._slots = PrioritySlots(concurrency)
        """Requests in flight, polls and downloads first (see :mod:`inpaintkit.slots`)."""
        self._job_slots = asyncio.Semaphore(concurrency)
        """Jobs being prepared and submitted: taken before a job's images are read and its
        body built, so memory follows the concurrency, not the number of jobs."""
        self._unsupported = UnsupportedPolicy(unsupported)
        self._request_timeout = float(request_timeout)
        self._deadline = deadline
        self._max_requests_per_job = max_requests_per_job
        self._retry_jitter = float(retry_jitter)
        self._rng = random.Random(random_seed)
        self._transport = transport
        self._session: aiohttp.ClientSession | None = None
        self._inflight = InFlight()
        self._used_keys: set[Secret] = set()
        self._observer = Observer(on_event, self._secrets)
        """Progress events (:mod:`inpaintkit.events`) to ``on_event``, streams and logging."""

    def __repr__(self) -> str:
        return (
            f"InpaintClient(providers={sorted(self.registry)!r}, base_url={self._base_url!r}, "
            f"api_keys={{{', '.join(f'{k!r}: ***' for k in self._api_keys)}}})"
        )

    # --- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> InpaintClient:
        self._inflight = InFlight()
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

    async def close(self, *, wait: bool = False) -> None:
        """Close the client: no request is sent after this.

        Calls still in flight end with :class:`~inpaintkit.errors.ClientClosedError` (listing
        the tasks they had submitted), or, with ``wait=True``, are first allowed to finish.
        The HTTP session is closed if the client created it.
        """
        await self._inflight.close(wait=wait)
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
    # Each runs inside InFlight.run: whatever escapes is an InpaintError, close() included.

    async def inpaint(self, job: InpaintJob, provider: str) -> InpaintResult:
        """Run ``job`` on ``provider`` to the end: a result, or a typed error."""

        async def call() -> InpaintResult:
            handle = await self.submit(job, provider)
            return await self.wait(handle)

        return await self._run(call)

    def stream(self, job: InpaintJob, provider: str) -> AsyncGenerator[events.Event, None]:
        """Run ``job`` like :meth:`inpaint`, yielding its progress events as they happen.

        The last event is :class:`~inpaintkit.events.Finished` (``event.result``) or
        :class:`~inpaintkit.events.Failed` (``event.error``, the typed error; nothing is
        raised).  Leaving the loop early cancels the job (at once inside
        ``async with contextlib.aclosing(client.stream(...))``, otherwise when the iterator is
        collected).
        """
        return stream(lambda: self.inpaint(job, provider))

    def plan(self, job: InpaintJob, provider: str) -> Plan:
        """Validate ``job`` for ``provider`` without sending anything (a dry run)."""
        adapter = self.registry[provider]
        plan = plan_job(job, adapter.spec, unsupported=self._unsupported)
        self._check_request_count(plan, adapter.spec)
        check_emulated_size(plan, adapter.spec)
        return plan

    async def check(self, job: InpaintJob, provider: str) -> DryRun:
        """Every check of ``job`` for ``provider`` that needs no request: the table, the images
        as they would be sent, the adapter's backstop (what ``inpaintkit validate`` reports)."""
        adapter = self.registry[provider]
        host = self.registry.image_host(adapter.spec.id) is not None
        return await check_job(job, adapter, unsupported=self._unsupported, image_host=host)

    async def submit(self, job: InpaintJob, provider: str) -> JobHandle:
        """Validate, prepare and submit ``job``; returns once every request was accepted.

        When one request of a split job fails, the others are cancelled and the error's
        ``task_ids`` lists every task already submitted (they may be billed).
        """
        return await self._run(lambda: self._submit(job, provider))

    async def wait(self, handle: JobHandle) -> InpaintResult:
        """Wait for every task of ``handle`` and assemble the result."""
        return await self._run(lambda: self._wait(handle), known=_task_ids(handle.tasks))

    async def status(self, handle: TaskHandle) -> TaskState:
        """Ask the provider once for the state of a task."""

        async def call() -> TaskState:
            adapter = _poller(self.registry[handle.provider])
            key = self._key(adapter.spec)
            response = await self._send(adapter.spec, key, adapter.build_poll(handle))
            return self._scrub(parsed(adapter.parse_poll, handle, response), key)

        return await self._run(call, known=(handle.task_id,))

    async def wait_task(self, handle: TaskHandle, *, started_at: float | None = None) -> Done:
        """Poll a task (for example one resumed from a stored handle) until it is done."""

        async def call() -> Done:
            adapter = self.registry[handle.provider]
            key = self._key(adapter.spec)
            start = started_at if started_at is not None else self.clock.time()
            done, _ = await self._poll_until_done(adapter, key, Pending(handle), start)
            return done

        return await self._run(call, known=(handle.task_id,))

    async def _run(self, call: Callable[[], Awaitable[T]], *, known: Iterable[str] = ()) -> T:
        return await self._observer.outermost(
            lambda: self._inflight.run(call, known=known, secrets=self._secrets), self.clock.time
        )

    def _secrets(self) -> tuple[str, ...]:
        return tuple(k.reveal() for k in (*self._api_keys.values(), *self._used_keys))

    def _key(self, spec: ProviderSpec) -> Secret:
        key = resolve_key(spec, self._api_keys)
        self._used_keys.add(key)
        return key

    # --- submit ---------------------------------------------------------------------------

    async def _submit(self, job: InpaintJob, provider: str) -> JobHandle:
        adapter = self.registry[provider]
        spec = adapter.spec
        plan = plan_job(job, spec, unsupported=self._unsupported)
        self._check_request_count(plan, spec)
        check_emulated_size(plan, spec)
        key = self._key(spec)
        self._observer.emit(
            events.Planned(spec.id, self.clock.time(), len(plan.batches), plan.job.num_images)
        )
        async with self._job_slots:
            return await self._prepare_and_submit(adapter, plan, job, key)

    async def _prepare_and_submit(
        self, adapter: ProviderAdapter, plan: Plan, job: InpaintJob, key: Secret
    ) -> JobHandle:
        spec = adapter.spec
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
        states = await _all_or_cancel(
            [self._submit_one(adapter, key, c, b) for c, b in zip(checked, built, strict=True)]
        )
        now = self.clock.time()
        finished = sum(isinstance(s, Done) for s in states)
        self._observer.emit(
            events.Submitted(spec.id, now, _task_ids(states), finished, now - started)
        )
        return JobHandle(
            provider=spec.id,
            plan=plan,
            inputs=inputs,
            tasks=tuple(states),
            submitted_at=started,
            submit_seconds=self.clock.time() - started,
        )

    async def _wait(self, handle: JobHandle) -> InpaintResult:
        adapter = self.registry[handle.provider]
        key = self._key(adapter.spec)
        waiting_started = self.clock.time()
        finals = await _all_or_cancel(
            [self._finish(adapter, key, state, handle.submitted_at) for state in handle.tasks]
        )
        waited = self.clock.time() - waiting_started
        download_started = self.clock.time()
        result_images: list[ResultImage] = []
        output_format = handle.plan.emulation.output_format
        for done, _polls in finals:
            for remote in done.images:
                image = await self._download(remote, handle.inputs, output_format, adapter.spec)
                self._observer.emit(
                    events.Downloaded(
                        handle.provider,
                        self.clock.time(),
                        len(result_images),
                        len(image.data),
                        image.width,
                        image.height,
                        done.task_id,
                    )
                )
                result_images.append(image)
        finished = self.clock.time()
        result = InpaintResult(
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
        self._observer.emit(
            events.Finished(
                handle.provider,
                finished,
                result.task_ids,
                len(result.images),
                result.timings.total,
                result,
            )
        )
        return result

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
            failure: InpaintError | waiting.TransportFailed
            try:
                response = await self._send(spec, key, wire, priority=START)
            except TransportError as exc:
                failure = waiting.TransportFailed(str(exc), reached=exc.reached)
            else:
                state = self._scrub(parsed(adapter.parse_submit, request, response), key)
                if isinstance(state, Pending):
                    record_task(state.handle.task_id)
                elif isinstance(state, Done):
                    record_task(state.task_id)
                if not isinstance(state, Failed):
                    return state
                failure = state.error
            action = waiting.retry_request(
                attempt,
                failure,
                provider=spec.id,
                what="submit",
                policy=spec.polling,
                idempotent=False,
                jitter=self._retry_jitter,
                rng=self._rng,
            )
            if isinstance(action, waiting.Raise):
                raise action.error from None
            self._observer.emit(
                events.Retried(
                    spec.id, self.clock.time(), "submit", action.reason, action.delay, attempt + 1
                )
            )
            await self.clock.sleep(action.delay)
            attempt += 1

    def _check_request_count(self, plan: Plan, spec: ProviderSpec) -> None:
        """Refuse a job that would be split into more requests than the client allows."""
        if len(plan.batches) <= self._max_requests_per_job:
            return
        rule = (
            f"needs {len(plan.batches)} requests to {spec.id} (at most "
            f"{max(plan.batches)} images each), more than the client's max_requests_per_job "
            f"({self._max_requests_per_job}); lower num_images or raise the setting"
        )
        raise ValidationError(
            [FieldError("$.num_images", rule, plan.job.num_images)], provider=spec.id
        )

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
        """Drive :func:`inpaintkit.waiting.step` until it finishes or raises (the policy is
        there; this loop only sleeps, sends and parses)."""
        adapter = _poller(submitter)
        spec = adapter.spec
        state = waiting.start(
            pending,
            provider=spec.id,
            policy=spec.polling,
            budgets=waiting.Budgets.from_policy(spec.polling, jitter=self._retry_jitter),
            started=started,
            deadline=self._deadline_for(spec),
        )
        observation: waiting.Observation = pending
        while True:
            state, action = waiting.step(state, observation, self.clock.time(), self._rng)
            answer = events.polled(
                spec.id, self.clock.time(), state.task_id, state.polls, observation
            )
            if answer is not None and observation is not pending:
                self._observer.emit(answer)
            if isinstance(action, waiting.Finish):
                return action.done, state.polls
            if isinstance(action, waiting.Raise):
                raise action.error
            if action.reason != "pending":
                failures = state.transport_failures + state.server_errors + state.rate_limits
                self._observer.emit(
                    events.Retried(
                        spec.id,
                        self.clock.time(),
                        "poll",
                        action.reason,
                        action.delay,
                        failures,
                        state.task_id,
                    )
                )
            await self.clock.sleep(action.delay)
            try:
                response = await self._send(spec, key, adapter.build_poll(state.handle))
            except TransportError as exc:
                observation = waiting.TransportFailed(str(exc))
                continue
            observation = self._scrub(parsed(adapter.parse_poll, state.handle, response), key)

    # --- I/O helpers ----------------------------------------------------------------------

    async def _send(
        self, spec: ProviderSpec, key: Secret, request: HttpRequest, *, priority: int = FINISH
    ) -> HttpResponse:
        self._check_open()
        wire = outgoing(apply_auth(request, spec, key), self.base_url_for(spec))
        log.debug("%s: %s %s", spec.id, request.method, request.path)
        async with self._slots.take(priority):
            self._check_open()
            transport = self._transport
            assert transport is not None
            return await exchange(
                self.registry.plugin_manager,
                wire,
                spec.id,
                lambda: transport.send(wire, timeout=self._request_timeout),
            )

    @staticmethod
    def _scrub(state: TaskState, key: Secret) -> TaskState:
        """Remove the key from any raw body a state or its error carries."""
        secrets = (key.reveal(),)
        if isinstance(state, Failed):
            error = as_server_error(state.error).evolve(
                raw_body=redact(state.error.raw_body, secrets)
            )
            return attrs.evolve(state, error=error, raw=redact(state.raw, secrets))
        return attrs.evolve(state, raw=redact(state.raw, secrets))

    async def _read_image(self, image: ImageInput, path: str) -> bytes:
        data = await read_local_image(image, path)
        if data is not None:
            return data
        assert image.url is not None
        if image.url[:5].lower() == "data:":
            return images.from_base64(image.url, path=path)
        url = image.url
        return await self._retrying(
            None, f"download of {path}", lambda: self._download_url(url, path, priority=START)
        )

    def _check_open(self) -> None:
        if self._inflight.closed:
            raise ClientClosedError("the client is closed; nothing more is sent")
        if self._transport is None:
            raise ClientClosedError(
                "the client is not open: use it as `async with InpaintClient(...) as client:`"
            )

    async def _download_url(
        self, url: str, path: str, *, priority: int = FINISH, provider: str = ""
    ) -> bytes:
        self._check_open()
        try:
            async with self._slots.take(priority):
                self._check_open()
                transport = self._transport
                assert transport is not None
                wire = OutgoingRequest("GET", url, {})
                response = await exchange(
                    self.registry.plugin_manager,
                    wire,
                    provider,
                    lambda: transport.send(wire, timeout=self._request_timeout),
                )
        except TransportError as exc:
            raise ProviderUnavailableError(f"cannot download {path} ({exc})") from None
        if response.status != 200:
            error_class = server_error_class(ProviderError, response.status)
            raise error_class(
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
            url = remote.url
            try:
                data = await self._retrying(
                    spec,
                    "result download",
                    lambda: self._download_url(url, "result image", provider=spec.id),
                )
            except InpaintError as exc:
                raise exc.evolve(provider=spec.id) from None
        else:
            raise ProviderError("a result image has neither a URL nor data", provider=spec.id)
        data = _decode_text_image(data)
        data = finish_image(data, inputs, output_format)
        loaded = images.probe_header(data, path="$.result")  # the header is enough to describe it
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

    async def _retrying(
        self, spec: ProviderSpec | None, what: str, attempt: Callable[[], Awaitable[T]]
    ) -> T:
        """Run an idempotent request (an upload, a download), resending it after transient
        failures as :func:`inpaintkit.waiting.retry_request` decides."""
        policy = spec.polling if spec is not None else PollPolicy()
        provider = spec.id if spec is not None else "the image host"
        tries = 0
        while True:
            failure: InpaintError | waiting.TransportFailed
            try:
                return await attempt()
            except TransportError as exc:
                failure = waiting.TransportFailed(str(exc), reached=exc.reached)
            except InpaintError as exc:
                failure = exc
            action = waiting.retry_request(
                tries,
                failure,
                provider=provider,
                what=what,
                policy=policy,
                idempotent=True,
                jitter=self._retry_jitter,
                rng=self._rng,
            )
            if isinstance(action, waiting.Raise):
                raise action.error from None
            self._observer.emit(
                events.Retried(
                    provider, self.clock.time(), what, action.reason, action.delay, tries + 1
                )
            )
            await self.clock.sleep(action.delay)
            tries += 1

    def _image_host(self, adapter: ProviderAdapter, key: Secret) -> Any:
        spec = adapter.spec
        host = self.registry.image_host(spec.id)
        if host is None:
            return None
        context = HostContext(
            provider=spec,
            send=lambda request: self._send(spec, key, request, priority=START),
            base_url=self.base_url_for(spec),
        )

        async def upload(data: bytes, media_type: str) -> str:
            # Uploads are idempotent (a second copy costs nothing), so lost connections, 5xx
            # and 429 are all retried like a submit's 429; what is left is typed.
            async def attempt() -> str:
                try:
                    return await host.upload(data, media_type, context)
                except InpaintError as exc:
                    raise exc.evolve(raw_body=redact(exc.raw_body, (key.reveal(),))) from None

            return await self._retrying(spec, "image upload", attempt)

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


async def _all_or_cancel(coros: list[Coroutine[Any, Any, T]]) -> list[T]:
    """Run the requests of one job together; the first failure cancels the rest.

    ``asyncio.gather`` would leave the siblings of a failed request running (and billing) with
    nobody waiting for them.  Here they are cancelled and awaited, and the error raised is a
    copy of the first failure whose ``task_ids`` lists every task the call submitted.
    """
    if len(coros) == 1:
        return [await coros[0]]
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            if isinstance(error, InpaintError):
                ids = submitted_task_ids()
                raise error.evolve(task_ids=ids) from error.__cause__
            assert error is not None
            raise error
    return [task.result() for task in tasks]


def _task_ids(states: Iterable[TaskState]) -> tuple[str, ...]:
    """The provider's ids of submitted tasks (running or done)."""
    ids: list[str] = []
    for state in states:
        if isinstance(state, Pending):
            ids.append(state.handle.task_id)
        elif isinstance(state, Done) and state.task_id is not None:
            ids.append(state.task_id)
    return tuple(ids)
