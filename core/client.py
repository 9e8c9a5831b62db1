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
  scrubbed from every body that is kept;
* a submitted job is plain data (:meth:`JobHandle.to_json`, :mod:`inpaintkit.jobstate`) that
  :meth:`InpaintClient.resume` finishes in another process, through the same waiting and
  finishing code as ``inpaint``, so a job outlives the process that submitted it.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import random
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    Awaitable,
    Callable,
    Coroutine,
    Iterable,
    Mapping,
)
from types import TracebackType
from typing import Any, TypeVar, cast

import aiohttp
import attrs

from . import events, images, waiting
from .checking import CheckedRequest, check_built, check_request
from .clock import Clock, SystemClock
from .credentials import Secret, apply_auth, may_hold, redact, resolve_key
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
    RateLimitedError,
    SubmitOutcomeUnknownError,
    ValidationError,
    as_server_error,
    server_error_class,
)
from .exchange import exchange
from .inflight import (
    InFlight,
    in_public_call,
    lost_submits,
    record_lost_submit,
    record_task,
    submitted_task_ids,
)
from .job import ImageInput, InpaintJob
from .jobstate import StoredJob, finishing_inputs, store_job
from .mapping import JobMap, MapItem, MapSubmitted
from .observe import EventCallback, Observer, stream
from .parsing import retry_after_header
from .planning import FieldOutcome, Plan, UnsupportedPolicy, plan_job
from .plugins import ProviderRegistry
from .prepare import (
    PreparedInputs,
    check_emulated_size,
    finish_image_off_loop,
    prepare_inputs,
)
from .provider import (
    Done,
    Failed,
    HostContext,
    HttpRequest,
    HttpResponse,
    ImageHost,
    ModelInfo,
    ModelListAdapter,
    ModelPage,
    Pending,
    PollingAdapter,
    PollPolicy,
    ProviderAdapter,
    ProviderSpec,
    RemoteImage,
    TaskHandle,
    TaskState,
    WebhookAdapter,
    parsed,
)
from .ratelimit import ProviderLimiter, RateLimit
from .result import InpaintResult, ResultImage, Timings
from .settings import (
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_REQUESTS_PER_JOB,
    DEFAULT_RETRY_JITTER,
    SettingsError,
    checked_settings,
)
from .slots import FINISH, START, PrioritySlots
from .transport import AiohttpTransport, OutgoingRequest, Transport, TransportError, outgoing

__all__ = ["InpaintClient", "JobHandle", "WebhookUpdate"]

log = logging.getLogger("inpaintkit")

T = TypeVar("T")

MAX_MODEL_PAGES = 100
"""Pages :meth:`InpaintClient.models` follows at most (a bound, not an expected size)."""

DEFAULT_REQUEST_TIMEOUT = 120.0
"""Seconds one HTTP request may take (uploads of 30 MB images included)."""


@attrs.frozen(eq=False)
class JobHandle:
    """A submitted job: its task handles plus what is needed to finish the result locally.

    It holds the prepared images, so it lives in memory; :meth:`to_json` gives the job as
    plain data (:class:`~inpaintkit.jobstate.StoredJob`) that another process can finish with
    ``client.resume(data)``.  Store it as soon as ``submit`` returns, before waiting: the tasks
    are billed from then on.
    """

    provider: str
    plan: Plan
    inputs: PreparedInputs
    tasks: tuple[TaskState, ...]
    submitted_at: float
    """On the client's clock (the deadline and the timings count from it)."""
    submit_seconds: float
    seeds: tuple[int | None, ...] = ()
    """The seed sent with each request (consecutive when a job was split)."""
    submitted_unix: float = 0.0
    """UNIX time of the submit, the clock-independent form kept in the stored job."""

    @property
    def task_handles(self) -> tuple[TaskHandle, ...]:
        """Handles of the tasks still running at submit time (plain, serialisable data)."""
        return tuple(s.handle for s in self.tasks if isinstance(s, Pending))

    def stored(self, *, include_inputs: bool = False) -> StoredJob:
        """The job as plain data.  Input images given as paths or URLs are stored as those
        references; bytes given inline are stored (base64) only with ``include_inputs``, which
        a masked-only job needs unless the job is passed to ``resume`` again."""
        return store_job(
            provider=self.provider,
            plan=self.plan,
            inputs=self.inputs,
            tasks=self.tasks,
            seeds=self.seeds,
            submitted_at=self.submitted_unix,
            include_inputs=include_inputs,
        )

    def to_json(self, *, include_inputs: bool = False) -> dict[str, Any]:
        """The stored job's JSON form (see :mod:`inpaintkit.jobstate`); never holds the key."""
        return self.stored(include_inputs=include_inputs).to_json()

    def to_json_text(self, *, include_inputs: bool = False, indent: int | None = None) -> str:
        """:meth:`to_json` as text."""
        return self.stored(include_inputs=include_inputs).to_json_text(indent=indent)


@attrs.frozen
class WebhookUpdate:
    """What :meth:`InpaintClient.finish_from_webhook` made of one webhook call.

    ``stored`` is the job with the report applied (store it in place of the old one: a split
    job finishes when its last task has reported); ``result`` is the finished result once every
    task is done, else ``None``; ``changed`` says whether the report told anything new (a
    duplicate or a late progress report does not).
    """

    stored: StoredJob
    result: InpaintResult | None
    changed: bool


class InpaintClient:
    """An async client for every installed provider, over one aiohttp session.

    Use as ``async with InpaintClient(...) as client: result = await client.inpaint(job,
    "novita")``.  ``api_keys`` maps provider ids to keys (otherwise each provider's environment
    variable is read); ``base_url`` points every provider at one server (the mock server serves
    all three at their real paths), ``base_urls`` overrides per provider.  ``concurrency``
    bounds requests in flight; ``unsupported`` is the policy for fields a provider cannot honour
    (``"strict"``, ``"warn"`` or ``"drop"``).

    ``submit`` returns a :class:`JobHandle` that can be stored (``handle.to_json()``) and
    finished later, here or in another process, with :meth:`resume`.

    ``deadline`` (seconds from submit to result) and ``request_timeout`` must be finite and
    positive; ``max_requests_per_job`` caps how many requests one job may be split into (a job
    over it is rejected before anything is sent); ``retry_jitter`` stretches retry delays by up
    to that fraction, drawn from a generator seeded with ``random_seed`` (fixed seed, same
    delays).  Out-of-range settings raise :class:`~inpaintkit.settings.SettingsError`.

    ``on_event`` receives every progress event (:mod:`inpaintkit.events`) of every call;
    :meth:`stream` gives the events of one job as an async iterator.  Both are also logged to
    the ``inpaintkit`` logger with structured ``extra`` fields.
    ``image_hosts`` maps provider ids to :class:`~inpaintkit.provider.ImageHost` objects that
    upload local images for providers taking links (they win over ``image_host`` plugins).

    Each provider's documented limits (:attr:`ProviderSpec.rate_limit
    <inpaintkit.provider.ProviderSpec.rate_limit>`) are enforced per client
    (:mod:`inpaintkit.ratelimit`); ``rate_limits`` replaces them per provider id
    (``{"novita": RateLimit(images_per_minute=60)}``, or ``None`` for no limit).
    :meth:`map` runs many jobs, yielding outcomes as they finish.
    """

    def __init__(
        self,
        *,
        api_keys: Mapping[str, str | Secret] | None = None,
        base_url: str | None = None,
        base_urls: Mapping[str, str] | None = None,
        registry: ProviderRegistry | None = None,
        clock: Clock | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        unsupported: UnsupportedPolicy | str = UnsupportedPolicy.STRICT,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        deadline: float | None = None,
        transport: Transport | None = None,
        max_requests_per_job: int = DEFAULT_MAX_REQUESTS_PER_JOB,
        retry_jitter: float = DEFAULT_RETRY_JITTER,
        random_seed: int | None = None,
        on_event: EventCallback | None = None,
        image_hosts: Mapping[str, ImageHost] | None = None,
        rate_limits: Mapping[str, RateLimit | None] | None = None,
    ) -> None:
        self.settings = checked_settings(
            concurrency=concurrency,
            request_timeout=request_timeout,
            deadline=deadline,
            max_requests_per_job=max_requests_per_job,
            retry_jitter=retry_jitter,
            unsupported=unsupported,
            api_keys=api_keys,
            base_url=base_url,
            base_urls=base_urls,
            clock=clock,
            on_event=on_event,
            transport=transport,
            random_seed=random_seed,
            image_hosts=image_hosts,
        )
        self._api_keys = {
            k: v if isinstance(v, Secret) else Secret(v) for k, v in (api_keys or {}).items()
        }
        self._base_url = base_url
        self._base_urls = dict(base_urls or {})
        self._image_hosts = dict(image_hosts or {})
        self._plugin_hosts: dict[str, ImageHost | None] = {}
        self._registry = registry
        self.clock: Clock = clock or SystemClock()
        self._slots = PrioritySlots(concurrency)
        """Requests in flight, polls and downloads first (see :mod:`inpaintkit.slots`)."""
        self._job_slots: dict[str, asyncio.Semaphore] = {}
        """Jobs being prepared and submitted, per provider: taken before a job's images are
        read and its body built, so memory follows the concurrency, not the number of jobs.
        Per provider, since a submit holds its slot while waiting for its provider's rate
        limit: jobs for a provider that is free are not queued behind them."""
        self._unsupported = UnsupportedPolicy(unsupported)
        self._request_timeout = float(request_timeout)
        self._deadline = deadline
        self._max_requests_per_job = max_requests_per_job
        self._retry_jitter = float(retry_jitter)
        self._task_budgets: dict[str, tuple[PollPolicy, waiting.Budgets]] = {}
        self._rng = random.Random(random_seed)
        """Retry jitter."""
        self._seed_rng = random.Random(None if random_seed is None else f"seeds-{random_seed}")
        """Seeds drawn for split jobs without one: a stream of its own, so that with
        ``random_seed`` they do not shift with other jobs' retries."""
        self._transport = transport
        self._session: aiohttp.ClientSession | None = None
        self._inflight = InFlight()
        self._used_keys: set[Secret] = set()
        self._observer = Observer(on_event, self._secrets)
        """Progress events (:mod:`inpaintkit.events`) to ``on_event``, streams and logging."""
        self._rate_overrides = _checked_overrides(rate_limits)
        self._limiters: dict[str, ProviderLimiter] = {}

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
        A submit already on its way is let answer first (within ``request_timeout``), so
        that the task it created is among those listed.
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
        return await self._run(lambda: self._submit_and_wait(job, provider, None))

    async def _inpaint(
        self,
        job: InpaintJob,
        provider: str,
        on_submitted: Callable[[JobHandle], object] | None = None,
    ) -> InpaintResult:
        """``inpaint``, calling ``on_submitted(handle)`` (awaited if it returns an awaitable)
        between submit and wait: where :meth:`map`'s caller stores the handle."""
        return await self._run(lambda: self._submit_and_wait(job, provider, on_submitted))

    async def _submit_and_wait(
        self,
        job: InpaintJob,
        provider: str,
        on_submitted: Callable[[JobHandle], object] | None,
    ) -> InpaintResult:
        # Through the public submit and wait (a subclass or a test may wrap them); inside this
        # call's run they add no run of their own (see _run).
        async with self.limiter(provider).job():
            handle = await self.submit(job, provider)
            if on_submitted is not None:
                stored = on_submitted(handle)
                if inspect.isawaitable(stored):
                    await stored
            return await self.wait(handle)

    def map(
        self,
        jobs: Iterable[MapItem] | AsyncIterable[MapItem],
        provider: str,
        *,
        concurrency: int | None = None,
        on_submitted: Callable[[MapSubmitted], object] | None = None,
    ) -> JobMap:
        """Run many jobs on ``provider``, yielding a :class:`~inpaintkit.mapping.MapOutcome`
        per job as each finishes (its index and id, and its result or typed error; one job's
        failure never ends the loop).

        ``jobs`` (an iterable or async iterable of :class:`InpaintJob`, or of ``(id, job)``
        pairs) is read lazily, one job each time one of ``concurrency`` places frees up
        (default: the provider's job limit, else the client's ``concurrency``), so a manifest
        of 10,000 jobs never holds more than that many jobs, bodies or results at once.  Use
        ``async with client.map(...) as outcomes: async for outcome in outcomes:``; leaving
        the block early cancels the jobs in flight, whose typed outcomes
        (:class:`~inpaintkit.errors.JobCancelledError` with the task ids that may be billed)
        are then in ``outcomes.cancelled``.
        """
        if concurrency is None:
            limit = self.rate_limit_for(provider)
            concurrency = (
                limit.concurrency
                if limit is not None and limit.concurrency is not None
                else self.settings.concurrency
            )
        return JobMap(self, jobs, provider, concurrency=concurrency, on_submitted=on_submitted)

    def _cancel_call(self, task: asyncio.Task[Any]) -> bool:
        """Cancel the public call running in ``task`` with a typed
        :class:`~inpaintkit.errors.JobCancelledError` (used by :meth:`map`)."""
        return self._inflight.cancel(task)

    def rate_limit_for(self, provider: str) -> RateLimit | None:
        """The limits this client enforces for ``provider``: its override, else the spec's."""
        spec = self.registry[provider].spec
        if spec.id in self._rate_overrides:
            return self._rate_overrides[spec.id]
        return spec.rate_limit

    def limiter(self, provider: str) -> ProviderLimiter:
        """The rate limiter this client uses for ``provider`` (one per provider and client)."""
        spec = self.registry[provider].spec
        limiter = self._limiters.get(spec.id)
        if limiter is None:
            unknown = sorted(set(self._rate_overrides) - set(self.registry))
            if unknown:
                known = ", ".join(sorted(self.registry))
                rule = f"is not an installed provider (installed: {known})"
                raise SettingsError([FieldError(f"rate_limits[{k!r}]", rule, k) for k in unknown])
            limiter = ProviderLimiter(self.rate_limit_for(spec.id), self.clock)
            self._limiters[spec.id] = limiter
        return limiter

    def _throttle(self, spec: ProviderSpec, action: waiting.Action) -> None:
        """A request to ``spec`` was answered 429: every request to it waits as long."""
        if isinstance(action, waiting.Poll) and action.reason == "rate limited":
            self.limiter(spec.id).pause(action.delay)

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
        host = self.host_for(adapter.spec.id) is not None
        return await check_job(job, adapter, unsupported=self._unsupported, image_host=host)

    def host_for(self, provider_id: str) -> ImageHost | None:
        """The image host for ``provider_id``: the client's own, else an ``image_host`` plugin's
        (asked once per provider: the plugins are those of the client's registry, fixed when
        it was made, and every job would otherwise call the hook again)."""
        own = self._image_hosts.get(provider_id)
        if own is not None:
            return own
        if provider_id not in self._plugin_hosts:
            self._plugin_hosts[provider_id] = self.registry.image_host(provider_id)
        return self._plugin_hosts[provider_id]

    async def submit(self, job: InpaintJob, provider: str) -> JobHandle:
        """Validate, prepare and submit ``job``; returns once every request was accepted.

        When one request of a split job fails, the others are cancelled and the error's
        ``task_ids`` lists every task already submitted (they may be billed).
        """
        return await self._run(lambda: self._submit(job, provider))

    async def wait(self, handle: JobHandle) -> InpaintResult:
        """Wait for every task of ``handle`` and assemble the result."""
        return await self._run(lambda: self._wait(handle), known=_task_ids(handle.tasks))

    async def resume(
        self,
        stored: StoredJob | JobHandle | Mapping[str, Any] | str | bytes,
        *,
        job: InpaintJob | None = None,
    ) -> InpaintResult:
        """Finish a job submitted earlier, possibly by another process: the same result, byte
        for byte, as an uninterrupted ``inpaint``.

        ``stored`` is what :meth:`JobHandle.to_json` (or ``to_json_text``) wrote, a
        :class:`~inpaintkit.jobstate.StoredJob`, or a live :class:`JobHandle`.  Running tasks
        are polled (the deadline counts from this call, since the submitting process's clock
        is gone), results downloaded, a masked-only crop pasted back and the format converted.
        Nothing is submitted again.  The result's timings count from this call.

        The paste-back needs the original image and mask: from ``job`` when given, else from
        the stored references; either must match the stored SHA-256 digests, or a
        :class:`~inpaintkit.jobstate.StoredJobError` is raised before any request.
        """
        if isinstance(stored, JobHandle):
            return await self.wait(stored)
        record = stored if isinstance(stored, StoredJob) else StoredJob.from_json(stored)
        return await self._run(lambda: self._resume(record, job), known=record.task_ids)

    async def finish_from_webhook(
        self,
        stored: StoredJob | Mapping[str, Any] | str | bytes,
        payload: Any,
        *,
        job: InpaintJob | None = None,
    ) -> WebhookUpdate:
        """Apply a provider's webhook call (``payload``: its JSON body, parsed or as text) to
        a stored job, and finish the job when every task is done.

        Idempotent: a progress report or a duplicate delivery changes nothing, a late one
        after the result cannot undo it, and a second ``Done`` gives the same result.  A
        failed task raises its typed error; a call about another job's task is a
        :class:`~inpaintkit.jobstate.StoredJobError`.  Only for providers that send webhooks.
        """
        record = stored if isinstance(stored, StoredJob) else StoredJob.from_json(stored)

        async def call() -> WebhookUpdate:
            adapter = self.registry[record.provider]
            if not isinstance(adapter, WebhookAdapter):
                raise ProviderError(
                    f"{record.provider} sends no webhooks (its plugin has no parse_webhook)",
                    provider=record.provider,
                    hint="Use client.resume(stored) to poll the job to its end instead.",
                )
            body = payload
            if isinstance(body, bytes | bytearray | str):
                try:
                    body = json.loads(body)
                except (ValueError, RecursionError):
                    error = FieldError("$", "is not a JSON webhook body", payload)
                    raise ValidationError([error], provider=record.provider) from None
            key = self._key(adapter.spec)
            state = self._scrub(parsed(adapter.parse_webhook, body), key)
            updated = record.apply(state)
            changed = updated != record
            if not updated.finished:
                return WebhookUpdate(updated, None, changed)
            return WebhookUpdate(updated, await self._resume(updated, job), changed)

        return await self._run(call, known=record.task_ids)

    async def status(self, handle: TaskHandle) -> TaskState:
        """Ask the provider once for the state of a task."""

        async def call() -> TaskState:
            adapter = _poller(self.registry[_checked_handle(handle).provider])
            key = self._key(adapter.spec)
            response = await self._send(adapter.spec, key, adapter.build_poll(handle))
            # The caller's handle may hold anything: the state is scrubbed whatever the body.
            return self._scrub(parsed(adapter.parse_poll, handle, response), key)

        return await self._run(call, known=_handle_ids(handle))

    async def models(
        self, provider: str, *, inpainting: bool = True, max_pages: int = MAX_MODEL_PAGES
    ) -> tuple[ModelInfo, ...]:
        """The models ``provider`` offers (only inpainting ones unless ``inpainting=False``),
        every page followed; the provider's plugin must implement
        :class:`~inpaintkit.provider.ModelListAdapter`.

        A provider without a model list is a :class:`~inpaintkit.errors.ValidationError` at
        ``$.provider``; a list that does not end within ``max_pages`` pages (or repeats a
        cursor) is a :class:`~inpaintkit.errors.ProviderError`, never an endless loop.
        """

        async def call() -> tuple[ModelInfo, ...]:
            adapter = self.registry[provider]
            spec = adapter.spec
            if not isinstance(adapter, ModelListAdapter):
                rule = "has no model list (its plugin implements no ModelListAdapter)"
                raise ValidationError([FieldError("$.provider", rule, spec.id)], provider=spec.id)
            lister: ModelListAdapter = adapter
            key = self._key(spec)
            found: list[ModelInfo] = []
            cursor: str | None = None
            seen: set[str] = set()
            for _ in range(max_pages):
                request = lister.build_models(inpainting=inpainting, cursor=cursor)

                async def fetch(request: HttpRequest = request) -> ModelPage:
                    response = await self._send(spec, key, request)
                    try:
                        return lister.parse_models(response)
                    except InpaintError as exc:  # keep the key out of a kept body
                        raise exc.evolve(raw_body=redact(exc.raw_body, (key.reveal(),))) from None

                # A list page is idempotent: lost connections, 5xx and 429 are retried.
                page = await self._retrying(spec, "model list", fetch)
                found.extend(page.models)
                cursor = page.next_cursor
                if cursor is None:
                    return tuple(found)
                if cursor in seen:
                    break
                seen.add(cursor)
            raise ProviderError(
                f"{spec.id}'s model list did not end within {max_pages} pages "
                "(or repeated a cursor)",
                provider=spec.id,
            )

        return await self._run(call)

    async def wait_task(self, handle: TaskHandle, *, started_at: float | None = None) -> Done:
        """Poll one task until it is done, and return the provider's answer as it is.

        The low-level call: the images are not downloaded, pasted back or converted.  To
        finish a stored job into the result ``inpaint`` would have given, use :meth:`resume`.
        """

        async def call() -> Done:
            adapter = self.registry[_checked_handle(handle).provider]
            key = self._key(adapter.spec)
            start = started_at if started_at is not None else self.clock.time()
            done, _ = await self._poll_until_done(adapter, key, Pending(handle), start)
            return done

        return await self._run(call, known=_handle_ids(handle))

    async def _run(self, call: Callable[[], Awaitable[T]], *, known: Iterable[str] = ()) -> T:
        if in_public_call():
            # Part of a running public call (inpaint runs submit and wait), whose own run
            # already types its errors and reports its failure: only the tasks are noted.  Two
            # coroutine frames fewer for each of thousands of calls waiting for a place.
            for task_id in known:
                record_task(task_id)
            return await call()
        return await self._observer.outermost(
            lambda: self._inflight.run(
                call, known=known, secrets=self._secrets, on_cancelled=self._cancelled
            ),
            self.clock.time,
        )

    def _cancelled(self, error: InpaintError) -> None:
        """A call was cancelled by its caller: its end, and its tasks, still get reported."""
        self._observer.emit(events.Failed(None, self.clock.time(), error, error.task_ids))

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
        key = self._key(spec)
        slots = self._job_slots.get(spec.id)
        if slots is None:
            slots = self._job_slots[spec.id] = asyncio.Semaphore(self.settings.concurrency)
        async with slots:
            # Planned inside the slot: a batch of 1,000 jobs plans one at a time as slots free
            # up, so the first result does not wait for every job's checks.
            plan = plan_job(job, spec, unsupported=self._unsupported)
            self._check_request_count(plan, spec)
            check_emulated_size(plan, spec)
            if self._observer.watched():
                self._observer.emit(
                    events.Planned(
                        spec.id, self.clock.time(), len(plan.batches), plan.job.num_images
                    )
                )
            return await self._prepare_and_submit(adapter, plan, job, key)

    async def _prepare_and_submit(
        self, adapter: ProviderAdapter, plan: Plan, job: InpaintJob, key: Secret
    ) -> JobHandle:
        spec = adapter.spec
        started = self.clock.time()
        submitted_unix = time.time()
        until = started + self._deadline_for(spec)  # no retry of this job waits past it

        async def read(image: ImageInput, path: str) -> bytes:
            return await self._read_image(image, path, until=until)

        inputs = await prepare_inputs(
            job, plan, spec, read=read, host=self._image_host(adapter, key, until)
        )
        size_errors = effective_size_errors(plan, inputs, spec)
        if size_errors:
            raise ValidationError(size_errors, provider=spec.id)
        # Every request is checked and built before the first is sent, so a split job never
        # submits (and bills) its first part only to find its second one invalid.
        requests = prepared_requests(plan, inputs, spec, rng=self._seed_rng)
        checked = [check_request(r, spec, plan=plan) for r in requests]
        built = [self._build_submit(adapter, c) for c in checked]
        states = await _all_or_cancel(
            [
                self._submit_one(adapter, key, c, b, until)
                for c, b in zip(checked, built, strict=True)
            ]
        )
        now = self.clock.time()
        finished = sum(isinstance(s, Done) for s in states)
        if self._observer.watched():
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
            seeds=tuple(r.job.seed for r in requests),
            submitted_unix=submitted_unix,
        )

    async def _wait(self, handle: JobHandle) -> InpaintResult:
        return await self._complete(
            self.registry[handle.provider],
            handle.tasks,
            _Finishing(
                inputs=handle.inputs,
                output_format=handle.plan.emulation.output_format,
                outcomes=handle.plan.outcomes,
                seed=handle.plan.job.seed,
                submitted_at=handle.submitted_at,
                submit_seconds=handle.submit_seconds,
            ),
        )

    async def _resume(self, record: StoredJob, job: InpaintJob | None) -> InpaintResult:
        adapter = self.registry[record.provider]
        inputs = await finishing_inputs(record, job, adapter.spec, read=self._read_image)
        return await self._complete(
            adapter,
            tuple(task.state() for task in record.tasks),
            _Finishing(
                inputs=inputs,
                output_format=record.finish.output_format,
                outcomes=record.outcomes,
                seed=record.seed,
                submitted_at=self.clock.time(),
                submit_seconds=0.0,
            ),
        )

    async def _complete(
        self, adapter: ProviderAdapter, tasks: tuple[TaskState, ...], how: _Finishing
    ) -> InpaintResult:
        """Wait for every task, download, paste back, convert: the one way a job finishes,
        whether it was submitted by this client (``wait``) or stored (``resume``)."""
        key = self._key(adapter.spec)
        waiting_started = self.clock.time()
        finals = await _all_or_cancel(
            [self._finish(adapter, key, state, how.submitted_at) for state in tasks]
        )
        waited = self.clock.time() - waiting_started
        download_started = self.clock.time()
        until = how.submitted_at + self._deadline_for(adapter.spec)
        result_images: list[ResultImage] = []
        for done, _polls in finals:
            for remote in done.images:
                image = await self._download(
                    remote, how.inputs, how.output_format, adapter.spec, until
                )
                if self._observer.watched():
                    self._observer.emit(
                        events.Downloaded(
                            adapter.spec.id,
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
            provider=adapter.spec.id,
            task_ids=tuple(d.task_id for d, _ in finals if d.task_id is not None),
            seed=next((d.seed for d, _ in finals if d.seed is not None), how.seed),
            timings=Timings(
                total=finished - how.submitted_at,
                submit=how.submit_seconds,
                waiting=waited,
                download=finished - download_started,
                polls=sum(p for _, p in finals),
            ),
            outcomes=(*how.outcomes, *how.inputs.outcomes),
            raw=tuple(redact(d.raw, (key.reveal(),)) for d, _ in finals),
            echoes=tuple(d.echo for d, _ in finals),
        )
        if self._observer.watched():
            self._observer.emit(
                events.Finished(
                    adapter.spec.id,
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
        self,
        adapter: ProviderAdapter,
        key: Secret,
        request: CheckedRequest,
        wire: HttpRequest,
        until: float,
    ) -> TaskState:
        spec = adapter.spec
        attempts: dict[str, int] = {}  # failures so far of each kind (waiting.failure_kind)
        while True:
            failure: InpaintError | waiting.TransportFailed

            def answer(response: HttpResponse) -> TaskState:
                state = self._scrub(parsed(adapter.parse_submit, request, response), key, response)
                record_task(_task_id(state))
                return state

            try:
                response = await self._send(
                    spec,
                    key,
                    wire,
                    priority=START,
                    on_cancelled=answer,
                    images=request.job.num_images,
                )
            except TransportError as exc:
                failure = waiting.TransportFailed(str(exc), reached=exc.reached)
            else:
                state = answer(response)
                if not isinstance(state, Failed):
                    return state
                failure = state.error
            kind = waiting.failure_kind(failure)
            attempt = attempts.get(kind, 0)
            action = waiting.retry_request(
                attempt,
                failure,
                provider=spec.id,
                what="submit",
                policy=spec.polling,
                idempotent=False,
                jitter=self._retry_jitter,
                rng=self._rng,
                deadline=until - self.clock.time(),
            )
            if isinstance(action, waiting.Raise):
                raise action.error from None
            self._throttle(spec, action)
            attempts[kind] = attempt + 1
            retries = sum(attempts.values())
            self._observer.emit(
                events.Retried(
                    spec.id, self.clock.time(), "submit", action.reason, action.delay, retries
                )
            )
            await self.clock.sleep(action.delay)

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

    def _budgets(self, spec: ProviderSpec) -> waiting.Budgets:
        """The retry budgets of a task of ``spec``: the same for each of its tasks, so made
        (and validated) once per provider and client rather than once per task."""
        budgets = self._task_budgets.get(spec.id)
        if budgets is None or budgets[0] is not spec.polling:
            budgets = (
                spec.polling,
                waiting.Budgets.from_policy(spec.polling, jitter=self._retry_jitter),
            )
            self._task_budgets[spec.id] = budgets
        return budgets[1]

    def _deadline_for(self, spec: ProviderSpec) -> float:
        return self._deadline if self._deadline is not None else spec.polling.deadline

    async def _poll_until_done(
        self, submitter: ProviderAdapter, key: Secret, pending: Pending, started: float
    ) -> tuple[Done, int]:
        """Drive :func:`inpaintkit.waiting.step` until it finishes or raises (the policy is
        there; this loop only sleeps, sends and parses)."""
        adapter = _poller(submitter)
        spec = adapter.spec
        # The handle may come from a stored job or a caller: scrubbed here once, so that each
        # poll's state need only be checked against its own answer (see _scrub).
        scrubbed = self._scrub(pending, key)
        assert isinstance(scrubbed, Pending)
        pending = scrubbed
        state = waiting.start(
            pending,
            provider=spec.id,
            policy=spec.polling,
            budgets=self._budgets(spec),
            started=started,
            deadline=self._deadline_for(spec),
        )
        observation: waiting.Observation = pending
        while True:
            state, action = waiting.step(state, observation, self.clock.time(), self._rng)
            if observation is not pending and self._observer.watched():
                answer = events.polled(
                    spec.id, self.clock.time(), state.task_id, state.polls, observation
                )
                if answer is not None:
                    self._observer.emit(answer)
            if isinstance(action, waiting.Finish):
                return action.done, state.polls
            if isinstance(action, waiting.Raise):
                raise action.error
            self._throttle(spec, action)
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
            observation = self._scrub(
                parsed(adapter.parse_poll, state.handle, response), key, response
            )

    # --- I/O helpers ----------------------------------------------------------------------

    async def _send(
        self,
        spec: ProviderSpec,
        key: Secret,
        request: HttpRequest,
        *,
        priority: int = FINISH,
        on_cancelled: Callable[[HttpResponse], object] | None = None,
        images: int | None = None,
    ) -> HttpResponse:
        """Send ``request`` once a slot is free.

        With ``on_cancelled`` (a billed submit), a cancellation that arrives once the request
        is on its way does not abandon it: the answer is awaited (within ``request_timeout``)
        and handed to ``on_cancelled``, so the task it created is known and reported, and then
        the cancellation goes on.  Cancelled while still waiting for a slot, nothing is sent.

        With ``images`` (a submit of that many), the provider's rate budgets are spent once the
        slot is held, just before sending, and waited for without one: spent before a wait for
        a slot, submits spread over a minute would leave together when slots free up.
        """
        self._check_open()
        limiter = self.limiter(spec.id)
        wire = outgoing(apply_auth(request, spec, key), self.base_url_for(spec))
        log.debug("%s: %s %s", spec.id, request.method, request.path)
        while True:
            moving = True
            if images is not None:
                moving = await limiter.ready_for(images)
            elif limiter.paused():
                await limiter.wait_pause()
            async with self._slots.take(priority):
                self._check_open()
                if images is not None and not limiter.try_submit(images, force=not moving):
                    continue  # another submit spent the budget first: wait again, slot freed
                transport = self._transport
                assert transport is not None
                if on_cancelled is None:
                    return await self._exchange(transport, wire, spec.id)
                what = f"a submit to {spec.id}"
                sending = self._exchange(transport, wire, spec.id)
                return await _finish_if_cancelled(sending, on_cancelled, what)

    async def _exchange(
        self, transport: Transport, wire: OutgoingRequest, provider: str
    ) -> HttpResponse:
        """One request through the plugins' ``http_exchange`` wrappers and the transport."""
        self._check_open()  # run as a task (a submit), this starts a loop turn later
        return await exchange(
            self.registry.plugin_manager,
            wire,
            provider,
            lambda: transport.send(wire, timeout=self._request_timeout),
        )

    @staticmethod
    def _scrub(state: TaskState, key: Secret, response: HttpResponse | None = None) -> TaskState:
        """Remove the key from any raw body a state or its error carries (and make a plugin's
        plain 5xx error the transient :class:`ServerError`).

        With the ``response`` the state was parsed from, a body that cannot hold the key
        (:func:`~inpaintkit.credentials.may_hold`) settles it: an adapter never sees the key,
        so its state holds nothing the body (or the handle, scrubbed when it was made) did
        not.  A big body (a sync answer with its images inline) is not scanned: the state
        parsed from it keeps no inline image text (adapters note its length), so walking the
        state costs less than searching the body's every byte for the key.
        """
        secrets = (key.reveal(),)
        clean = (
            response is not None
            and len(response.body) <= _SCAN_BODY_UP_TO
            and not may_hold(response.body, secrets)
        )
        if isinstance(state, Failed):
            error = as_server_error(state.error)  # a plugin's plain 5xx becomes transient
            if clean:
                return state if error is state.error else attrs.evolve(state, error=error)
            return attrs.evolve(
                state, error=error.redacted(secrets), raw=redact(state.raw, secrets)
            )
        if clean:
            return state
        raw = redact(state.raw, secrets)
        if isinstance(state, Pending):
            # A handle is stored as it is (jobstate): it must not carry the key either.
            plain = dict(state.handle.data)
            data = redact(plain, secrets)
            if data is not plain:
                state = attrs.evolve(state, handle=attrs.evolve(state.handle, data=data))
        # redact() returns the very value when it holds no key: then there is nothing to copy
        return state if raw is state.raw else attrs.evolve(state, raw=raw)

    async def _read_image(
        self, image: ImageInput, path: str, *, until: float | None = None
    ) -> bytes:
        data = await read_local_image(image, path)
        if data is not None:
            return data
        assert image.url is not None
        if image.url[:5].lower() == "data:":
            return images.from_base64(image.url, path=path)
        url = image.url
        try:
            return await self._retrying(
                None,
                f"download of {path}",
                lambda: self._download_url(url, path, priority=START),
                until=until,
            )
        except ProviderError as exc:
            if exc.status is None or not 400 <= exc.status < 500:
                raise
            # The job's own URL refused (gone, forbidden): the job's input is wrong, and
            # asking again will not help.
            rule = f"could not be downloaded: the URL answered HTTP {exc.status}"
            raise ValidationError([FieldError(f"{path}.url", rule, url)]) from None

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
        if response.status == 429:  # rate limited: transient, asked again after Retry-After
            raise RateLimitedError(
                f"downloading {path} answered HTTP 429",
                status=429,
                retry_after=retry_after_header(response.headers, now=time.time()),
                raw_body=response.text()[:500],
            )
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
        until: float | None = None,
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
                    until=until,
                )
            except InpaintError as exc:
                raise exc.evolve(provider=spec.id) from None
        else:
            raise ProviderError("a result image has neither a URL nor data", provider=spec.id)
        try:
            data = _decode_text_image(data)
            data = await finish_image_off_loop(data, inputs, output_format)
            loaded = images.probe_header(data, path="$.result")  # the header describes it
        except ValidationError as exc:  # the provider's file, not the job, is at fault
            rule = exc.errors[0].rule if exc.errors else str(exc)
            message = f"{spec.id} returned a result image that is unusable: it {rule}"
            raise ProviderError(message, provider=spec.id) from None
        expires = self.clock.time() + remote.ttl if remote.ttl is not None else None
        return ResultImage(
            data=data,
            format=loaded.format,
            width=loaded.width,
            height=loaded.height,
            url=remote.url,
            url_expires_at=expires,
            nsfw=remote.nsfw,
            nsfw_confidence=remote.nsfw_confidence,
        )

    async def _retrying(
        self,
        spec: ProviderSpec | None,
        what: str,
        attempt: Callable[[], Awaitable[T]],
        *,
        until: float | None = None,
    ) -> T:
        """Run an idempotent request (an upload, a download), resending it after transient
        failures as :func:`inpaintkit.waiting.retry_request` decides; no wait ends after
        ``until`` (the job's deadline on the client's clock), when given."""
        policy = spec.polling if spec is not None else PollPolicy()
        provider = spec.id if spec is not None else "the image host"
        tries: dict[str, int] = {}  # failures so far of each kind (waiting.failure_kind)
        while True:
            failure: InpaintError | waiting.TransportFailed
            try:
                return await attempt()
            except TransportError as exc:
                failure = waiting.TransportFailed(str(exc), reached=exc.reached)
            except InpaintError as exc:
                failure = exc
            kind = waiting.failure_kind(failure)
            action = waiting.retry_request(
                tries.get(kind, 0),
                failure,
                provider=provider,
                what=what,
                policy=policy,
                idempotent=True,
                jitter=self._retry_jitter,
                rng=self._rng,
                deadline=None if until is None else until - self.clock.time(),
            )
            if isinstance(action, waiting.Raise):
                raise action.error from None
            if spec is not None:
                self._throttle(spec, action)
            tries[kind] = tries.get(kind, 0) + 1
            self._observer.emit(
                events.Retried(
                    provider,
                    self.clock.time(),
                    what,
                    action.reason,
                    action.delay,
                    sum(tries.values()),
                )
            )
            await self.clock.sleep(action.delay)

    def _image_host(self, adapter: ProviderAdapter, key: Secret, until: float | None = None) -> Any:
        spec = adapter.spec
        host = self.host_for(spec.id)
        if host is None:
            return None

        async def send_to(provider_id: str, request: HttpRequest, own: str | None) -> HttpResponse:
            other = self.registry[provider_id].spec
            other_key = Secret(own) if own is not None else self._key(other)
            self._used_keys.add(other_key)
            return await self._send(other, other_key, request, priority=START)

        context = HostContext(
            provider=spec,
            send=lambda request: self._send(spec, key, request, priority=START),
            base_url=self.base_url_for(spec),
            send_to=send_to,
        )

        async def upload(data: bytes, media_type: str) -> str:
            # Uploads are idempotent (a second copy costs nothing), so lost connections, 5xx
            # and 429 are all retried like a submit's 429; what is left is typed.
            async def attempt() -> str:
                try:
                    return await host.upload(data, media_type, context)
                except InpaintError as exc:
                    secrets = self._secrets()
                    raise exc.evolve(raw_body=redact(exc.raw_body, secrets)) from None

            return await self._retrying(spec, "image upload", attempt, until=until)

        return upload


@attrs.frozen(eq=False)
class _Finishing:
    """How the tasks of one job become its result (from a live handle or a stored job)."""

    inputs: PreparedInputs
    output_format: str | None
    outcomes: tuple[FieldOutcome, ...]
    seed: int | None
    submitted_at: float
    submit_seconds: float


_POLLERS: set[type] = set()


def _poller(adapter: ProviderAdapter) -> PollingAdapter:
    """``adapter`` as a :class:`PollingAdapter`, or a typed error when a plugin that cannot poll
    returned a task to poll (a plugin bug: its submit must answer with a result)."""
    if type(adapter) in _POLLERS:  # a runtime Protocol check costs ~0.1 ms: once per class
        return cast(PollingAdapter, adapter)
    if isinstance(adapter, PollingAdapter):
        _POLLERS.add(type(adapter))
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
    nobody waiting for them.  Here they are cancelled and awaited (a submit already under way
    is let finish, so that the task it created is known), and the error raised is a copy of
    the first failure, or of a submit whose outcome is unknown if there is one, whose
    ``task_ids`` lists every task the call submitted.
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
    failures = [t.exception() for t in tasks if not t.cancelled() and t.exception() is not None]
    # A submit whose answer was lost may have created a task nobody can name: that is what
    # the caller most needs to hear, so it wins over the failure that came first.
    unknown = [e for e in failures if isinstance(e, SubmitOutcomeUnknownError)]
    lost = lost_submits()
    for error in unknown or failures:
        if isinstance(error, InpaintError):
            ids = submitted_task_ids()
            if lost and not unknown:  # lost while being cancelled after this failure
                raise SubmitOutcomeUnknownError(
                    f"{lost[0]}; the job was stopped because another of its requests "
                    f"failed: {error.message}",
                    provider=error.provider,
                    task_ids=ids,
                ) from error
            raise error.evolve(task_ids=ids) from error.__cause__
        assert error is not None
        raise error
    return [task.result() for task in tasks]


def _checked_overrides(
    overrides: Mapping[str, RateLimit | None] | None,
) -> dict[str, RateLimit | None]:
    """``rate_limits`` as given, checked for its types (provider ids are checked on first use,
    since the registry is built lazily)."""
    errors = [
        FieldError(f"rate_limits[{k!r}]", "must be a RateLimit or None", v)
        for k, v in (overrides or {}).items()
        if v is not None and not isinstance(v, RateLimit)
    ]
    if errors:
        raise SettingsError(errors)
    return dict(overrides or {})


async def _finish_if_cancelled(
    sending: Coroutine[Any, Any, HttpResponse],
    on_cancelled: Callable[[HttpResponse], object],
    what: str,
) -> HttpResponse:
    """Await ``sending``; if the caller is cancelled meanwhile, still wait for the answer
    (a submit under way may create a billed task) and pass it to ``on_cancelled`` before
    the cancellation goes on; an answer lost on the way is noted
    (:func:`~inpaintkit.inflight.record_lost_submit`).  The send is bounded by the request
    timeout."""
    inner = asyncio.ensure_future(sending)
    try:
        return await asyncio.shield(inner)
    except asyncio.CancelledError:
        while not inner.done():
            try:
                await asyncio.shield(inner)
            except asyncio.CancelledError:
                continue  # cancelled again: the answer is still what makes the task known
            except BaseException:  # looked at below
                break
        if inner.done() and not inner.cancelled():
            error = inner.exception()
            if error is None:
                with contextlib.suppress(InpaintError):  # an unparsable answer names no task
                    on_cancelled(inner.result())
            elif isinstance(error, TransportError) and error.reached:
                record_lost_submit(f"{what} may have reached the provider but got no answer")
        raise


_SCAN_BODY_UP_TO = 16 * 1024
"""Response bodies up to this size are searched for the key (:func:`may_hold`, a few
microseconds); a bigger one is an answer with inline images, whose parsed state is walked
instead (searching 35 KB of base64 for the key costs 13 us, 5 MB costs 2 ms)."""


def _task_id(state: TaskState) -> str | None:
    """The provider's id of a submitted task (running, done or failed), if it gave one."""
    if isinstance(state, Pending):
        return state.handle.task_id
    if isinstance(state, Done):
        return state.task_id
    return state.error.task_id


def _handle_ids(handle: TaskHandle) -> tuple[str, ...]:
    """``handle``'s task id, for the run of a call about it (nothing for a value that is not a
    handle: the call then fails inside its run, typed, at :func:`_checked_handle`)."""
    return (handle.task_id,) if isinstance(handle, TaskHandle) else ()


def _checked_handle(handle: TaskHandle) -> TaskHandle:
    if not isinstance(handle, TaskHandle):
        rule = "must be a TaskHandle (as in JobHandle.task_handles)"
        raise ValidationError([FieldError("handle", rule, handle)])
    return handle


def _task_ids(states: Iterable[TaskState]) -> tuple[str, ...]:
    """The provider's ids of submitted tasks (running or done)."""
    ids: list[str] = []
    for state in states:
        if isinstance(state, Pending):
            ids.append(state.handle.task_id)
        elif isinstance(state, Done) and state.task_id is not None:
            ids.append(state.task_id)
    return tuple(ids)
