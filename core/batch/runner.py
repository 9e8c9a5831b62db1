"""The batch runner: every job of a manifest through the client, resumable through the ledger.

Fresh jobs go through :meth:`InpaintClient.map <inpaintkit.client.InpaintClient.map>`, one map
per provider, so the provider's job limit and rate limits apply to the batch exactly as to
single calls.  Per job: the dry run (:func:`inpaintkit.dryrun.check_job_data`, the checks
``validate`` makes) as the map reads the job, then ``submitting`` in the ledger just before the
job's first request goes out (an ``http_exchange`` wrapper: not while the job waits for the
provider's rate limit or a job place, when nothing has been sent), the submit, the stored job
in the ledger from map's ``on_submitted`` hook (before any wait), the wait, ``downloaded``, the
images written atomically, ``finished``.  On a later run the ledger
decides: finished jobs are skipped, submitted ones finished with ``client.resume`` (no second
submit, holding one of the provider's job places), and jobs whose submit outcome is unknown are
listed, not resent, unless ``resubmit_unknown`` is set.

Memory follows the concurrency, not the manifest's length: map reads its jobs lazily.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Sequence,
)
from pathlib import Path
from typing import Any

import attrs

from ..client import InpaintClient
from ..dryrun import check_job_data
from ..errors import (
    FieldError,
    InpaintError,
    SubmitOutcomeUnknownError,
    ValidationError,
)
from ..hookspecs import hookimpl
from ..job import InpaintJob
from ..mapping import MapOutcome, MapSubmitted
from ..plugins import ProviderRegistry, UnknownProviderError
from ..progress import Progress
from ..provider import HttpResponse
from ..result import InpaintResult
from ..transport import OutgoingRequest
from .ledger import Ledger, LedgerRow, PlannedJob
from .manifest import ManifestLine, Shard, read_manifest
from .outputs import (
    IMAGES,
    error_row,
    output_names,
    remove_temp_files,
    result_row,
    summary,
    write_atomic,
    write_reports,
)

__all__ = ["BatchOptions", "BatchReport", "run_batch"]


@attrs.frozen
class BatchOptions:
    """What ``inpaintkit batch`` was asked to do."""

    manifest: Path
    out: Path
    provider: str
    """The provider of lines that name none (already resolved against the registry)."""
    concurrency: int | None = None
    """Jobs in flight per provider: ``None`` takes the provider's job limit (else the
    client's concurrency); a larger number is capped at the job limit the client enforces."""
    resubmit_unknown: bool = False
    shard: Shard | None = None
    unsupported: str = "strict"


@attrs.frozen
class BatchReport:
    """The ledger's rows after the run (one per job) and the summary written with them."""

    rows: tuple[LedgerRow, ...]
    summary: dict[str, Any]

    def with_outcome(self, *outcomes: str) -> list[LedgerRow]:
        """The rows whose outcome is one of ``outcomes`` (``pending`` for unfinished ones)."""
        return [r for r in self.rows if (r.outcome or "pending") in outcomes]


async def run_batch(
    client: InpaintClient,
    registry: ProviderRegistry,
    options: BatchOptions,
    *,
    progress: Progress | None = None,
) -> BatchReport:
    """Run (or resume) the batch; raises :class:`~.manifest.ManifestUnreadable` or
    :class:`~.ledger.LedgerError` before any job starts when the run cannot go ahead."""
    started = time.monotonic()
    manifest = options.manifest.resolve()
    lines = read_manifest(manifest)
    if options.shard is not None:
        lines = [line for line in lines if line.id in options.shard]
    out = options.out
    (out / IMAGES).mkdir(parents=True, exist_ok=True)
    with Ledger(out) as ledger:  # the lock first: another run's temporary files are its own
        remove_temp_files(out)
        ledger.check_meta({"shard": str(options.shard or Shard(1, 1))})
        planned = [_planned(line, registry, options.provider) for line in lines]
        ledger.plan(planned)
        batch = _Batch(client, registry, ledger, options, manifest.parent, progress)
        pairs = zip(lines, planned, strict=True)
        # A line broken at planning has no provider to run on (it may name an unknown one).
        await batch.run(
            {line.id: (line, None if job.finished_row else job.provider) for line, job in pairs}
        )
        rows = tuple(ledger.rows())
        shard = str(options.shard) if options.shard is not None else None
        report = summary(rows, seconds=time.monotonic() - started, shard=shard)
        write_reports(out, rows, report)
    return BatchReport(rows, report)


def _planned(line: ManifestLine, registry: ProviderRegistry, default: str) -> PlannedJob:
    """The ledger's record of a line; a line broken before any check is finished at once."""
    error = line.error
    provider: str | None = default
    if error is None and line.provider is not None:
        try:
            provider = registry.resolve(line.provider)
        except UnknownProviderError as exc:
            provider = line.provider
            error = ValidationError([FieldError("$.provider", exc.message, line.provider)])
    if error is None:
        return PlannedJob(line.id, line.line, provider, line.digest)
    row = error_row(line.id, line.line, provider, error, outcome="invalid")
    return PlannedJob(line.id, line.line, provider, line.digest, finished_row=row)


Work = Callable[[], Awaitable[None]]


async def _pool(works: Iterable[Work], concurrency: int) -> None:
    """Run ``works`` with at most ``concurrency`` at a time (workers share one iterator)."""
    source = iter(works)

    async def worker() -> None:
        for work in source:
            await work()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


@attrs.define
class _Flight:
    """A fresh job handed to the map: its manifest line, and its seeds once submitted."""

    line: int
    seeds: tuple[int | None, ...] | None = None
    """``None`` until ``on_submitted``: an error before that is the submit's."""
    id: str = ""
    ledger: Ledger | None = None
    """Set while nothing of the job was sent: its first request marks it "submitting" here."""


_FLIGHT: contextvars.ContextVar[_Flight | None] = contextvars.ContextVar(
    "inpaintkit_batch_flight", default=None
)
"""The fresh job whose call runs in this context.  Set as the map reads the job, so the task
the map starts for it (a copy of the context at that moment) carries it into every request."""


class _SubmitWatch:
    """An ``http_exchange`` wrapper that marks a job "submitting" just before its first request
    (an image upload or the submit itself) is sent, and before nothing else: a job waiting for
    the rate limit or a job place has sent nothing, and a run stopped then sends it again."""

    @hookimpl(wrapper=True)
    def http_exchange(
        self, request: OutgoingRequest, provider: str
    ) -> Generator[None, HttpResponse, HttpResponse]:
        flight = _FLIGHT.get()
        if flight is not None and flight.ledger is not None:
            ledger, flight.ledger = flight.ledger, None
            ledger.submitting(flight.id)  # if this fails, the request is not sent
        return (yield)


class _Batch:
    """One run over the ledger's rows (see the module docstring)."""

    def __init__(
        self,
        client: InpaintClient,
        registry: ProviderRegistry,
        ledger: Ledger,
        options: BatchOptions,
        base_dir: Path,
        progress: Progress | None,
    ) -> None:
        self.client = client
        self.registry = registry
        self.ledger = ledger
        self.options = options
        self.base_dir = base_dir
        self.progress = progress
        self.total = 0
        self.done = 0
        self.failed = 0
        self.watch: _SubmitWatch | None = None
        """Registered with the client's plugins while fresh jobs run (see :meth:`watching`)."""

    async def run(self, lines: dict[str, tuple[ManifestLine, str | None]]) -> None:
        resumes: list[Work] = []
        fresh: dict[str, list[ManifestLine]] = {}
        rows = self.ledger.rows()
        self.total = len(rows)
        for row in rows:
            line, provider = lines.get(row.id, (None, row.provider))
            work = self._work_for(row, line, provider)
            if isinstance(work, str):
                self._count(work, report=False)
            elif isinstance(work, tuple):
                fresh.setdefault(work[1], []).append(work[0])
            else:
                resumes.append(work)
        self._report()
        resume_places = self.options.concurrency or self.client.settings.concurrency
        with self.watching():
            await asyncio.gather(
                _pool(resumes, resume_places),
                *(self.fresh(provider, jobs) for provider, jobs in fresh.items()),
            )

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        """The :class:`_SubmitWatch` among the client's plugins for the run, if it has a plugin
        manager (else each job is marked "submitting" as the map reads it, as a fallback)."""
        pm = self.client.registry.plugin_manager
        if pm is None:
            yield
            return
        watch = _SubmitWatch()
        pm.register(watch, name=f"inpaintkit-batch-{id(watch)}")
        self.watch = watch
        try:
            yield
        finally:
            self.watch = None
            pm.unregister(watch)

    def concurrency_for(self, provider: str) -> int | None:
        """``--concurrency`` for ``provider``: capped at the job limit the client enforces
        (more would only wait for a place, marked "submitting"); ``None``: map's default."""
        asked = self.options.concurrency
        limit = self.client.rate_limit_for(provider)
        if asked is None or limit is None or limit.concurrency is None:
            return asked
        return min(asked, limit.concurrency)

    def _work_for(
        self, row: LedgerRow, line: ManifestLine | None, provider: str | None
    ) -> Work | tuple[ManifestLine, str] | str:
        """What to do with a row: a resume, a fresh ``(line, provider)`` for a map, or
        (nothing to do) its outcome."""
        runnable = line is not None and line.data is not None and provider is not None
        if row.state in ("submitted", "downloaded") and row.stored is not None:
            stored = row.stored
            return lambda: self.resume(row, stored)
        fresh = (
            row.state == "planned"
            # Never sent (a missing image, say): checked again, nothing is at stake.
            or (row.state == "finished" and row.outcome == "invalid" and row.stored is None)
            or (row.state in ("submitting", "unknown") and self.options.resubmit_unknown)
        )
        if fresh and runnable:
            assert line is not None
            assert provider is not None
            return (line, provider)
        if row.state == "submitting":  # killed after "submitting", before the stored job
            error = SubmitOutcomeUnknownError(
                "an earlier run was stopped while this job's submit was being sent; it may "
                "have been accepted",
                provider=provider,
                hint="Check the provider (dashboard, webhook) before sending it again; "
                "rerun with --resubmit-unknown to send it again.",
            )
            row_data = error_row(row.id, row.line, provider, error, outcome="unknown")
            self.ledger.unknown(row.id, row_data)
            return "unknown"
        return row.outcome or "pending"

    # --- fresh jobs: one map per provider ------------------------------------------------

    async def fresh(self, provider: str, lines: list[ManifestLine]) -> None:
        """Dry run each line as the map reads it, then submit, store, wait and deliver."""
        flight: dict[str, _Flight] = {}

        def on_submitted(submitted: MapSubmitted) -> None:
            assert submitted.id is not None
            handle = submitted.handle
            # Inline input bytes go into the stored job too: a masked-only job needs them.
            self.ledger.submitted(submitted.id, handle.to_json_text(include_inputs=True))
            flight[submitted.id].seeds = tuple(handle.seeds)

        jobs = self._checked(provider, lines, flight)
        outcomes = self.client.map(
            jobs, provider, concurrency=self.concurrency_for(provider), on_submitted=on_submitted
        )
        async with outcomes:
            async for outcome in outcomes:
                await self._finish(provider, outcome, flight)

    async def _checked(
        self, provider: str, lines: list[ManifestLine], flight: dict[str, _Flight]
    ) -> AsyncIterator[tuple[str, InpaintJob]]:
        """The map's jobs: each line dry-run first (a broken one is finished here, never
        sent), marked "submitting" just before the map takes it."""
        image_host = self.client.host_for(provider) is not None
        for line in lines:
            dry = await check_job_data(
                line.job_data(provider),
                self.registry[provider],
                base_dir=self.base_dir,
                unsupported=self.options.unsupported,
                image_host=image_host,
            )
            error = dry.error()
            if error is not None:
                self._fail(line.id, line.line, provider, error)
                continue
            assert dry.job is not None
            job = flight[line.id] = _Flight(line.line, id=line.id)
            if self.watch is None:
                self.ledger.submitting(line.id)
            else:
                job.ledger = self.ledger  # "submitting" at its first request (_SubmitWatch)
            _FLIGHT.set(job)
            yield (line.id, dry.job)
        _FLIGHT.set(None)

    async def _finish(self, provider: str, outcome: MapOutcome, flight: dict[str, _Flight]) -> None:
        assert outcome.id is not None
        job = flight.pop(outcome.id)
        if outcome.result is not None:
            seeds = job.seeds or ()  # set by on_submitted, which runs before every wait
            await self.deliver(outcome.id, job.line, outcome.result, seeds=seeds, resumed=False)
            return
        error = outcome.error
        assert error is not None
        if job.seeds is None and isinstance(error, SubmitOutcomeUnknownError):
            row = error_row(outcome.id, job.line, provider, error, outcome="unknown")
            self.ledger.unknown(outcome.id, row)
            self._count("unknown")
            return
        self._fail(outcome.id, job.line, provider, error)

    async def resume(self, row: LedgerRow, stored: str) -> None:
        """Finish a job an earlier run submitted: poll, download, never submit (holding one of
        the provider's job places: the provider still counts it)."""
        try:
            if row.provider is None:  # pragma: no cover - a submitted row names its provider
                result = await self.client.resume(stored)
            else:
                async with self.client.limiter(row.provider).job():
                    result = await self.client.resume(stored)
        except InpaintError as exc:
            self._fail(row.id, row.line, row.provider, exc)
            return
        await self.deliver(row.id, row.line, result, seeds=(), resumed=True)

    async def deliver(
        self,
        job_id: str,
        line: int,
        result: InpaintResult,
        *,
        seeds: Sequence[int | None],
        resumed: bool,
    ) -> None:
        names = output_names(job_id, result)
        self.ledger.downloaded(job_id, names)
        out = self.options.out
        for name, image in zip(names, result.images, strict=True):
            await asyncio.to_thread(write_atomic, out / name, image.data)
        row = result_row(job_id, line, result, names, seeds=seeds, resumed=resumed)
        self.ledger.finished(job_id, "ok", row)
        self._count("ok")

    def _fail(self, job_id: str, line: int, provider: str | None, error: InpaintError) -> None:
        outcome = "invalid" if isinstance(error, ValidationError) else "failed"
        row = error_row(job_id, line, provider, error, outcome=outcome)
        self.ledger.finished(job_id, outcome, row)
        self._count(outcome)

    def _count(self, outcome: str, *, report: bool = True) -> None:
        self.done += 1
        if outcome != "ok":
            self.failed += 1
        if report:
            self._report()

    def _report(self) -> None:
        if self.progress is not None:
            self.progress.counts("batch", self.done, self.total, failed=self.failed)
