"""A blocking twin of :class:`~inpaintkit.client.InpaintClient`, for scripts and notebooks.

Like httpx's ``Client`` next to ``AsyncClient``, :class:`SyncInpaintClient` keeps *one* event
loop and one HTTP session across calls, so connections are reused from one job to the next.
The loop runs in a background thread owned by the client, and each call is handed to it with
:func:`asyncio.run_coroutine_threadsafe`; so it works the same whether or not the calling
thread already runs an event loop (a Jupyter notebook does, and ``asyncio.run`` refuses to run
there).  The caller's thread blocks while the call runs, its own loop included: inside async
code, prefer the async client.

Calls run in an empty :mod:`contextvars` context, so nothing from the caller's context (such
as the task ids of an async call it is nested in) leaks into them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import threading
import weakref
from collections.abc import AsyncGenerator, Callable, Coroutine, Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any, TypeVar

from .client import MAX_MODEL_PAGES, InpaintClient, JobHandle, WebhookUpdate
from .dryrun import DryRun
from .errors import ClientClosedError
from .events import Event
from .job import InpaintJob
from .jobstate import StoredJob
from .mapping import JobMap, MapItem, MapOutcome, MapSubmitted
from .planning import Plan
from .plugins import ProviderRegistry
from .provider import Done, ModelInfo, TaskHandle, TaskState
from .result import InpaintResult

__all__ = ["SyncInpaintClient", "SyncJobMap"]

T = TypeVar("T")


class _LoopThread:
    """An event loop running forever in a daemon thread, until :meth:`stop`."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="inpaintkit-sync-client", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        # An empty context: the caller's context variables stay with the caller.
        return contextvars.Context().run(asyncio.run_coroutine_threadsafe, coro, self.loop)

    def stop(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        if threading.current_thread() is not self.thread:
            self.thread.join()


def _shutdown(runner: _LoopThread, client: InpaintClient, wait: bool) -> None:
    """Close the client on its loop, then stop the loop (also run when the twin is collected
    without having been closed, so neither the session nor the thread is leaked)."""
    if runner.loop.is_closed():
        return
    if threading.current_thread() is runner.thread:  # collected on its own loop: cannot wait
        runner.loop.create_task(client.close(wait=wait)).add_done_callback(
            lambda _: runner.loop.stop()
        )
        return
    try:
        runner.submit(client.close(wait=wait)).result()
    finally:
        runner.stop()


class SyncInpaintClient:
    """Blocking versions of the :class:`InpaintClient` calls, over one loop and one session.

    Takes the same keyword arguments as :class:`InpaintClient`.  Use it as a context manager
    (``with SyncInpaintClient() as client: client.inpaint(job, "novita")``) or call
    :meth:`close` when done.  Calls may come from several threads at once; they run
    concurrently on the client's loop.  ``on_event`` callbacks run on the client's thread.
    """

    def __init__(self, **options: Any) -> None:
        self._runner = _LoopThread()
        try:
            self._client = self._runner.submit(_open(options)).result()
        except BaseException:
            self._runner.stop()
            raise
        self._closing = False
        self._finalizer = weakref.finalize(self, _shutdown, self._runner, self._client, False)

    def __repr__(self) -> str:
        return f"Sync{self._client!r}"

    # --- lifecycle --------------------------------------------------------------------------

    def __enter__(self) -> SyncInpaintClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self, *, wait: bool = False) -> None:
        """Close the session and stop the loop thread.

        Calls still running (in other threads) end with
        :class:`~inpaintkit.errors.ClientClosedError`, or with ``wait=True`` first finish.
        Closing twice does nothing.
        """
        if self._closing:
            return
        self._closing = True
        self._finalizer.detach()
        _shutdown(self._runner, self._client, wait)

    @property
    def closed(self) -> bool:
        return self._closing

    @property
    def registry(self) -> ProviderRegistry:
        return self._client.registry

    @property
    def client(self) -> InpaintClient:
        """The async client underneath (its coroutines run on this client's loop only)."""
        return self._client

    # --- the calls ----------------------------------------------------------------------------

    def inpaint(self, job: InpaintJob, provider: str) -> InpaintResult:
        """:meth:`InpaintClient.inpaint`, blocking."""
        return self._call(self._client.inpaint(job, provider))

    def submit(self, job: InpaintJob, provider: str) -> JobHandle:
        """:meth:`InpaintClient.submit`, blocking."""
        return self._call(self._client.submit(job, provider))

    def wait(self, handle: JobHandle) -> InpaintResult:
        """:meth:`InpaintClient.wait`, blocking."""
        return self._call(self._client.wait(handle))

    def resume(
        self,
        stored: StoredJob | JobHandle | Mapping[str, Any] | str | bytes,
        *,
        job: InpaintJob | None = None,
    ) -> InpaintResult:
        """:meth:`InpaintClient.resume`, blocking: finish a stored job."""
        return self._call(self._client.resume(stored, job=job))

    def finish_from_webhook(
        self,
        stored: StoredJob | Mapping[str, Any] | str | bytes,
        payload: Any,
        *,
        job: InpaintJob | None = None,
    ) -> WebhookUpdate:
        """:meth:`InpaintClient.finish_from_webhook`, blocking."""
        return self._call(self._client.finish_from_webhook(stored, payload, job=job))

    def models(
        self, provider: str, *, inpainting: bool = True, max_pages: int = MAX_MODEL_PAGES
    ) -> tuple[ModelInfo, ...]:
        """:meth:`InpaintClient.models`, blocking."""
        return self._call(self._client.models(provider, inpainting=inpainting, max_pages=max_pages))

    def status(self, handle: TaskHandle) -> TaskState:
        """:meth:`InpaintClient.status`, blocking."""
        return self._call(self._client.status(handle))

    def wait_task(self, handle: TaskHandle, *, started_at: float | None = None) -> Done:
        """:meth:`InpaintClient.wait_task`, blocking."""
        return self._call(self._client.wait_task(handle, started_at=started_at))

    def check(self, job: InpaintJob, provider: str) -> DryRun:
        """:meth:`InpaintClient.check`, blocking."""
        return self._call(self._client.check(job, provider))

    def plan(self, job: InpaintJob, provider: str) -> Plan:
        """:meth:`InpaintClient.plan` (no I/O: runs on the caller's thread)."""
        return self._client.plan(job, provider)

    def stream(self, job: InpaintJob, provider: str) -> Iterator[Event]:
        """:meth:`InpaintClient.stream`, as a blocking iterator of events."""
        agen = self._client.stream(job, provider)
        try:
            while True:
                try:
                    yield self._call(_next(agen))
                except StopAsyncIteration:
                    return
        finally:
            if not self._closing:
                self._call(agen.aclose())

    def map(
        self,
        jobs: Iterable[MapItem],
        provider: str,
        *,
        concurrency: int | None = None,
        on_submitted: Callable[[MapSubmitted], object] | None = None,
    ) -> SyncJobMap:
        """:meth:`InpaintClient.map`, as a blocking iterator of the same
        :class:`~inpaintkit.mapping.MapOutcome` records.  ``jobs`` is read on the client's
        loop thread, lazily.  Use ``with client.map(...) as outcomes: for o in outcomes:``;
        leaving the block early cancels the jobs in flight (their outcomes are then in
        ``outcomes.remaining``).  ``on_submitted`` runs on the client's loop thread."""
        jobmap = self._client.map(
            jobs, provider, concurrency=concurrency, on_submitted=on_submitted
        )
        return SyncJobMap(self, jobmap)

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._closing:
            coro.close()
            raise ClientClosedError("the client is closed; nothing was sent")
        if threading.current_thread() is self._runner.thread:
            coro.close()
            raise RuntimeError(
                "a SyncInpaintClient call from its own loop thread (an on_event callback?) "
                "would wait for itself; use the async client there"
            )
        future = self._runner.submit(coro)
        try:
            return future.result()
        except BaseException:
            future.cancel()  # interrupted (Ctrl-C): end the call on the loop too
            raise


async def _next(agen: AsyncGenerator[Event, None]) -> Event:
    return await agen.__anext__()


class SyncJobMap:
    """The blocking iterator :meth:`SyncInpaintClient.map` returns (a :class:`JobMap` run on
    the client's loop)."""

    def __init__(self, client: SyncInpaintClient, jobs: JobMap) -> None:
        self._client = client
        self._jobs = jobs

    @property
    def remaining(self) -> list[MapOutcome]:
        """See :attr:`JobMap.remaining <inpaintkit.mapping.JobMap.remaining>`."""
        return self._jobs.remaining

    @property
    def peak_in_flight(self) -> int:
        return self._jobs.peak_in_flight

    @property
    def pulled(self) -> int:
        return self._jobs.pulled

    def __iter__(self) -> SyncJobMap:
        return self

    def __next__(self) -> MapOutcome:
        try:
            return self._client._call(self._jobs.__anext__())
        except StopAsyncIteration:
            raise StopIteration from None

    def close(self) -> None:
        """Stop early: cancel the jobs in flight (see :meth:`JobMap.aclose`)."""
        if not self._client.closed:
            self._client._call(self._jobs.aclose())

    def __enter__(self) -> SyncJobMap:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


async def _open(options: dict[str, Any]) -> InpaintClient:
    """The async client, created and opened on the loop it will run on."""
    client = InpaintClient(**options)
    return await client.__aenter__()
