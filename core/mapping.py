"""Many jobs through one client: ``client.map(jobs, provider)`` yields outcomes as they finish.

The point is bounded memory and honest outcomes for large batches:

* ``jobs`` is read lazily, one job each time one of ``concurrency`` places frees up, so a
  manifest of 10,000 lines holds at most ``concurrency`` jobs (their bodies and results) at
  once, plus the outcomes the caller has not taken yet (at most as many again);
* each job ends as one :class:`MapOutcome`, its result or its typed error: one job's failure
  never ends the loop;
* closing the iteration early (leaving ``async with``, ``aclose()``) cancels the jobs in flight,
  each with a :class:`~inpaintkit.errors.JobCancelledError` naming the tasks it had submitted
  (they may be billed); those outcomes are kept in :attr:`JobMap.remaining`.

The jobs run through :meth:`InpaintClient.inpaint <inpaintkit.client.InpaintClient.inpaint>`,
so the provider's rate limits, priorities and retries apply to each exactly as to a single call.
"""

from __future__ import annotations

import asyncio
import inspect
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeAlias

import attrs

from .errors import FieldError, InpaintError, JobCancelledError, ValidationError
from .job import InpaintJob
from .result import InpaintResult
from .settings import SettingsError

if TYPE_CHECKING:
    from .client import InpaintClient, JobHandle

__all__ = ["JobMap", "MapItem", "MapOutcome", "MapSubmitted"]

MapItem: TypeAlias = InpaintJob | tuple[str, InpaintJob]
"""One entry of ``jobs``: a job, or an ``(id, job)`` pair whose id is copied to the outcome."""


@attrs.frozen(eq=False)
class MapSubmitted:
    """What ``map``'s ``on_submitted`` receives once a job's submit returned: store
    ``handle.to_json()`` to resume the job elsewhere (:meth:`InpaintClient.resume`)."""

    index: int
    id: str | None
    handle: JobHandle


@attrs.frozen(eq=False)
class MapOutcome:
    """How one job of a :meth:`~inpaintkit.client.InpaintClient.map` ended.

    ``index`` is the job's position in ``jobs`` (from 0), ``id`` the id given with it (or
    ``None``); exactly one of ``result`` and ``error`` is set.
    """

    index: int
    id: str | None
    provider: str
    result: InpaintResult | None = None
    error: InpaintError | None = None

    @property
    def ok(self) -> bool:
        """Whether the job gave a result."""
        return self.result is not None

    def unwrap(self) -> InpaintResult:
        """The result, or the job's typed error raised."""
        if self.result is None:
            assert self.error is not None
            raise self.error
        return self.result


class JobMap:
    """The async iterator :meth:`InpaintClient.map <inpaintkit.client.InpaintClient.map>`
    returns; use it as ``async with client.map(...) as outcomes: async for o in outcomes:``."""

    def __init__(
        self,
        client: InpaintClient,
        jobs: Iterable[MapItem] | AsyncIterable[MapItem],
        provider: str,
        *,
        concurrency: int,
        on_submitted: Callable[[MapSubmitted], object] | None = None,
    ) -> None:
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise SettingsError([FieldError("concurrency", "must be an integer >= 1", concurrency)])
        self._client = client
        self._provider = provider
        self._on_submitted = on_submitted
        self.concurrency = concurrency
        self._sync: Iterator[MapItem] | None = None
        self._async: AsyncIterator[MapItem] | None = None
        if isinstance(jobs, AsyncIterable):
            self._async = aiter(jobs)
        else:
            self._sync = iter(jobs)
        self._running: dict[asyncio.Task[InpaintResult], tuple[int, str | None]] = {}
        self._ready: deque[MapOutcome] = deque()
        self._next_index = 0
        self._exhausted = False
        self._closed = False
        self.remaining: list[MapOutcome] = []
        """Outcomes never yielded because the iteration was closed early: mostly
        :class:`~inpaintkit.errors.JobCancelledError` with the tasks that may be billed."""
        self.peak_in_flight = 0
        """The most jobs that were running at once (never above :attr:`concurrency`)."""
        self.pulled = 0
        """How many entries were read from ``jobs`` so far."""

    # --- iteration ----------------------------------------------------------------------------

    def __aiter__(self) -> JobMap:
        return self

    async def __anext__(self) -> MapOutcome:
        if self._closed:
            raise StopAsyncIteration
        await self._fill()
        while not self._ready:
            if not self._running:
                self._closed = True
                raise StopAsyncIteration
            done, _ = await asyncio.wait(self._running, return_when=asyncio.FIRST_COMPLETED)
            for task in sorted(done, key=lambda t: self._running[t][0]):
                self._ready.append(self._outcome(task, *self._running.pop(task)))
            await self._fill()
        return self._ready.popleft()

    async def _fill(self) -> None:
        """Start jobs until ``concurrency`` run or ``jobs`` is exhausted."""
        while not self._exhausted and len(self._running) < self.concurrency:
            try:
                if self._async is not None:
                    item: Any = await anext(self._async)
                else:
                    assert self._sync is not None
                    item = next(self._sync)
            except (StopIteration, StopAsyncIteration):
                self._exhausted = True
                return
            except BaseException:
                await self.aclose()  # the caller's iterable failed: end our jobs, then say so
                raise
            index = self._next_index
            self._next_index += 1
            self.pulled += 1
            self._start(index, item)

    def _start(self, index: int, item: Any) -> None:
        job_id: str | None = None
        job = item
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], InpaintJob):
            job_id, job = str(item[0]), item[1]
        if not isinstance(job, InpaintJob):
            rule = "must be an InpaintJob or an (id, InpaintJob) pair"
            error = ValidationError([FieldError(f"$[{index}]", rule, item)])
            self._ready.append(MapOutcome(index, None, self._provider, error=error))
            return
        task = asyncio.ensure_future(
            self._client._inpaint(job, self._provider, self._submitted_hook(index, job_id))
        )
        self._running[task] = (index, job_id)
        self.peak_in_flight = max(self.peak_in_flight, len(self._running))

    def _submitted_hook(
        self, index: int, job_id: str | None
    ) -> Callable[[JobHandle], object] | None:
        hook = self._on_submitted
        if hook is None:
            return None

        async def submitted(handle: JobHandle) -> None:
            try:
                stored = hook(MapSubmitted(index, job_id, handle))
                if inspect.isawaitable(stored):
                    await stored
            except Exception as exc:
                # The caller's own code failed (its store is down): say so, with its exception
                # as the cause, rather than let it pass for a bug in inpaintkit.
                raise InpaintError(
                    f"on_submitted raised {type(exc).__name__}: {exc}; the job was submitted "
                    "and is not waited for",
                    provider=handle.provider,
                    hint="Its tasks may run and be billed: store them (the error's task_ids) "
                    "or check them at the provider before running the job again.",
                ) from exc

        return submitted

    def _outcome(
        self, task: asyncio.Task[InpaintResult], index: int, job_id: str | None
    ) -> MapOutcome:
        if task.cancelled():  # cancelled before its call began: nothing was sent
            error: BaseException = JobCancelledError(
                "the job was cancelled before it started; nothing was sent",
                provider=self._provider,
            )
        else:
            exc = task.exception()
            if exc is None:
                return MapOutcome(index, job_id, self._provider, result=task.result())
            error = exc
        if not isinstance(error, InpaintError):  # pragma: no cover - inpaint raises typed errors
            error = InpaintError(f"unexpected error ({type(error).__name__}: {error})")
        if error.provider is None and not isinstance(error, ValidationError):
            error = error.evolve(provider=self._provider)
        return MapOutcome(index, job_id, self._provider, error=error)

    # --- closing ------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Stop: read no more jobs, cancel those in flight, keep their outcomes in
        :attr:`remaining` (with the outcomes already finished but not yet yielded)."""
        if self._closed and not self._running:
            return
        self._closed = True
        self._exhausted = True
        running = dict(self._running)
        self._running.clear()
        for task in running:
            if not self._client._cancel_call(task):
                task.cancel()
        if running:
            await asyncio.wait(running)
        self.remaining.extend(self._ready)
        self._ready.clear()
        for task, (index, job_id) in sorted(running.items(), key=lambda kv: kv[1][0]):
            self.remaining.append(self._outcome(task, index, job_id))

    async def __aenter__(self) -> JobMap:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __del__(self) -> None:
        # Dropped without aclose (a loop left without ``async with``): cancel what still runs,
        # so no job goes on submitting for nobody.  Their outcomes have no reader left.
        for task in getattr(self, "_running", {}):
            loop = task.get_loop()
            if not task.done() and not loop.is_closed():
                loop.call_soon_threadsafe(task.cancel)  # collected on any thread
