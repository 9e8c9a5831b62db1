"""Chaos: hundreds of jobs against the mock with every fault kind, on one injected clock.

Asserts the runtime's promises (issue 11) rather than any one outcome, from two sides: what
the caller got back and what the mock's journal says reached the provider.

* **an outcome for every job**: exactly one result or :class:`InpaintError` per job, never
  anything untyped, and never a hang (each job ends within its virtual deadline plus the
  bounded retries around it);
* **no duplicate submit**: each submit body (unique per job and per split part: the prompt
  names the job, the seed differs per part) reached the provider at most once; a resend is
  allowed only after a 429, the one answer that proves the first copy was refused;
* **no request after close**: every request carries a sequence number stamped by an
  ``http_exchange`` wrapper; a client closed mid-run sends nothing numbered after the close,
  and its calls in flight end with :class:`ClientClosedError` naming their tasks;
* **no orphan task**: every task the mock created is in the result of its job or in the
  ``task_ids`` of the error its job raised; the only task nobody can name is one whose submit
  answer was cut off (``truncated``), and that job says so (:class:`SubmitOutcomeUnknownError`,
  or :class:`ClientClosedError` when closing cut it short).  Synchronous providers (sdwebui,
  openai) create no tasks, so for them there is nothing to name.

The mock runs in this event loop and shares the :class:`VirtualClock`, so latency, hangs,
Retry-After and deadlines cost no real time.  Fault draws are seeded (``MockConfig.seed``), the
client's jitter too (``random_seed``), and so are the jobs and their variants; the draws are
handed out in the order requests reach the mock over real loopback sockets, so which request
gets which fault (and the outcome counts, by a few) can differ between runs.  The promises
hold for every order, which is what is asserted.  The survival rate under transient faults
only (429, 5xx and resets on polls, latency) is computed and printed (``pytest -s``); it is
asserted only as a floor.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from collections.abc import Generator, Iterator, MutableMapping
from typing import Any, cast

import attrs
import pytest
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit import InpaintClient, InpaintJob, InpaintResult, VirtualClock, hookimpl
from inpaintkit.errors import ClientClosedError, InpaintError, SubmitOutcomeUnknownError
from inpaintkit.events import Event, Submitted
from inpaintkit.job import ImageInput, S3Storage, Webhook
from inpaintkit.mockserver import AsyncMock, FaultRule, MockConfig, run_mock
from inpaintkit.mockserver.faults import FAULTS
from inpaintkit.plugins import ProviderRegistry, make_plugin_manager
from inpaintkit.provider import HttpResponse
from inpaintkit.providers.modelslab import ModelsLabUploadHost
from inpaintkit.transport import OutgoingRequest

SEQ_HEADER = "X-Chaos-Seq"
DEADLINE = 600.0
SLACK = 400.0
"""Virtual seconds a job may take beyond its deadline: submit retries (at most 3, each waiting
a Retry-After of a few seconds), uploads and downloads with their own bounded retries, and
hangs of 30 s ended by the mock."""

NOVITA_POLL = "/v3/async/task-result"
SDAPI_POLL = "/api/v3/fetch"
MODELSLAB_POLL = "/api/v6/images/fetch"
POLL_PATHS = (NOVITA_POLL, SDAPI_POLL, MODELSLAB_POLL)

#: Every fault of the mock's catalogue (``mockserver/faults.py``), each spelling of the
#: rate-limit hint and each error kind a provider can answer with.  Roughly one request in four
#: is faulted.
ALL_FAULTS = (
    FaultRule("latency", "3", probability=0.04),
    FaultRule("rate_limit", "2", probability=0.02),
    FaultRule("rate_limit", "1:header", probability=0.02),
    FaultRule("rate_limit", "4:body", probability=0.02),
    FaultRule("server_error", "503", probability=0.02),
    FaultRule("server_error", "500", probability=0.02),
    FaultRule("server_error", "502", probability=0.01),
    FaultRule("error", "INSUFFICIENT_CREDITS", probability=0.005),
    FaultRule("error", "INVALID_KEY", probability=0.005),
    FaultRule("error", "RATE_LIMITED", probability=0.01),
    FaultRule("error", "SERVICE_UNAVAILABLE", probability=0.01),
    FaultRule("error", "SERVER_ERROR", probability=0.005),
    FaultRule("error", "TASK_NOT_FOUND", probability=0.005),
    FaultRule("error", "MODEL_NOT_FOUND", probability=0.005),
    FaultRule("reset", probability=0.02),
    FaultRule("truncated", probability=0.02),
    FaultRule("hang", "30", probability=0.01),
    FaultRule("task_failed", "chaos", probability=0.02),
    FaultRule("task_stuck", probability=0.01),
    FaultRule("expired_url", probability=0.02),
)

#: Faults a client is expected to ride out: 429s anywhere, 5xx and lost connections on polls
#: (idempotent), latency.
TRANSIENT_FAULTS = (
    FaultRule("latency", "3", probability=0.05),
    FaultRule("rate_limit", "2", probability=0.05),
    FaultRule("rate_limit", "1:header", probability=0.03),
    *(FaultRule("server_error", "503", probability=0.06, path=p) for p in POLL_PATHS),
    *(FaultRule("server_error", "500", probability=0.04, path=p) for p in POLL_PATHS),
    *(FaultRule("reset", probability=0.05, path=p) for p in POLL_PATHS),
)

MODELS = {"novita": "sd_xl_base_1.0.safetensors", "modelslab": "pony_realism"}
SIZES = {"stablediffusionapi": 512, "modelslab": 512, "openai": 256}
"""Sizes the providers accept (the 64x64 input is resized on the client); None: as given."""
MAX_PER_REQUEST = {"novita": 8, "stablediffusionapi": 4, "modelslab": 4, "sdwebui": 8, "openai": 10}
TASKLESS = frozenset({"sdwebui", "openai"})
"""Synchronous providers: an answer is the images, there is no task id to report."""
UNSEEDED = frozenset({"openai"})
"""Providers without a seed (dall-e-2)."""
VARIANTS = frozenset({"novita", "stablediffusionapi", "modelslab"})
"""Providers that take webhooks and image URLs (and, Novita, S3 storage)."""

IMAGE = png_bytes(gradient_image(64, 64))
MASK = png_bytes(rect_mask(64, 64, (16, 16, 48, 48)))


def providers(scale: float = 1.0) -> dict[str, int]:
    """Jobs per provider: the three built-ins, and the example plugins when installed."""
    installed = set(ProviderRegistry.default())
    jobs = {"novita": 90, "stablediffusionapi": 70, "modelslab": 70, "sdwebui": 35, "openai": 35}
    return {p: round(n * scale) for p, n in jobs.items() if p in installed}


# --- the client side: stamping each request, closing at a chosen moment ----------------------


@attrs.define
class Stamp:
    """An ``http_exchange`` wrapper numbering every request the client sends (in a header the
    mock journals), and noting any sent once :attr:`closed_at` is set."""

    seq: int = 0
    closed_at: int | None = None
    after_close: list[str] = attrs.Factory(list)

    @hookimpl(wrapper=True)
    def http_exchange(
        self, request: OutgoingRequest, provider: str
    ) -> Generator[None, HttpResponse, HttpResponse]:
        self.seq += 1
        cast(MutableMapping[str, str], request.headers)[SEQ_HEADER] = str(self.seq)
        if self.closed_at is not None:
            self.after_close.append(f"{request.method} {request.url.split('?', 1)[0]}")
        return (yield)


def stamped_registry(stamp: Stamp) -> ProviderRegistry:
    return ProviderRegistry.from_plugin_manager(make_plugin_manager(mocks=False, plugins=(stamp,)))


@attrs.frozen
class Outcome:
    job: str
    provider: str
    value: InpaintResult | BaseException
    seconds: float
    """Virtual seconds from the call to its outcome."""


def marker(phase: str, index: int) -> str:
    return f"chaos-{phase}-{index:04d}"


def make_jobs(
    phase: str, counts: dict[str, int], mock: AsyncMock, rng: random.Random, *, variants: bool
) -> list[tuple[str, str, InpaintJob]]:
    """(marker, provider, job): a unique prompt per job, a seed per job (split parts get
    consecutive seeds, so every part's body differs), one job in five split over several
    requests; with ``variants``, some jobs post a webhook to a dead endpoint, read their
    image from a URL that answers 404, or save to S3 (an upload the mock fails).  (The client
    reads an input URL itself, so the mock's own image fetch is never reached.)"""
    jobs = []
    index = 0
    for provider, count in counts.items():
        size = SIZES.get(provider)
        for _ in range(count):
            name = marker(phase, index)
            changes: dict[str, Any] = {}
            if rng.random() < 0.2:  # a split job: 2 or 3 requests (parts of distinct sizes
                # where the provider takes no seed, so that no two parts send the same body)
                parts = 1 if provider in UNSEEDED else rng.choice((1, 2))
                changes["num_images"] = MAX_PER_REQUEST[provider] * parts + 1
            if variants and provider in VARIANTS:
                draw = rng.random()
                if draw < 0.08:
                    changes["webhook"] = Webhook(url=f"{mock.url}/chaos-dead-hook/{name}")
                elif draw < 0.14:
                    changes["image"] = ImageInput(url=f"{mock.url}/chaos-missing/{name}.png")
                elif draw < 0.2 and provider == "novita":
                    changes["storage"] = S3Storage(region="us-east-1", bucket="b", path=name)
            job = InpaintJob(
                image=changes.pop("image", IMAGE),
                mask=MASK,
                prompt=f"a wall, {name}",
                model=MODELS.get(provider),
                seed=None if provider in UNSEEDED else index * 100,
                width=size,
                height=size,
                **changes,
            )
            jobs.append((name, provider, job))
            index += 1
    return jobs


async def run_jobs(
    client: InpaintClient, clock: VirtualClock, jobs: list[tuple[str, str, InpaintJob]]
) -> list[Outcome]:
    async def one(name: str, provider: str, job: InpaintJob) -> Outcome:
        started = clock.time()
        value: InpaintResult | BaseException
        try:
            value = await client.inpaint(job, provider)
        except BaseException as exc:
            value = exc
        return Outcome(name, provider, value, clock.time() - started)

    async with asyncio.timeout(60):  # real seconds: a hang fails the test instead of the suite
        return await asyncio.gather(*(one(*j) for j in jobs))


def chaos_client(
    mock: AsyncMock, clock: VirtualClock, registry: ProviderRegistry, **kw: Any
) -> InpaintClient:
    return InpaintClient(
        api_keys=dict.fromkeys(MAX_PER_REQUEST, "chaos-key"),
        base_url=mock.url,
        registry=registry,
        clock=clock,
        concurrency=8,
        request_timeout=60.0,  # real seconds: never reached; a "hang" ends in mock time
        deadline=DEADLINE,
        random_seed=1,
        # StableDiffusionAPI takes links only: its local images go through ModelsLab's
        # documented upload (faults included), as a user would configure it.
        image_hosts={"stablediffusionapi": ModelsLabUploadHost()},
        # Every job must end within the deadline counted from its start; the documented rate
        # limits (Novita: 10 images a minute) would queue 300 jobs for longer than that.  The
        # mock's own limits and 429 faults still play; client-side limits: test_ratelimit.py.
        rate_limits=dict.fromkeys(MAX_PER_REQUEST),
        **kw,
    )


def mock_config(faults: tuple[FaultRule, ...]) -> MockConfig:
    return MockConfig(
        seed=7,
        faults=faults,
        sync_mode="load",  # SDAPI/ModelsLab: some answers at once, some to poll
        load_threshold=3,
        novita_images_per_minute=None,
        modelslab_max_queued=None,
        sdapi_duplicate_window=None,
        s3_upload_result="fail",  # a Novita custom_storage upload fails its task
        journal_size=100_000,
    )


# --- reading the journal -----------------------------------------------------------------------


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def job_of(entry: dict[str, Any], prefix: str) -> str | None:
    """The job marker a request body carries (only submits carry the prompt)."""
    for text in strings(entry.get("body")):
        at = text.find(prefix)
        if at >= 0:
            return text[at : at + len(prefix) + 4]
    return None


def seq_of(entry: dict[str, Any]) -> int | None:
    for name, value in (entry.get("headers") or {}).items():
        if name.lower() == SEQ_HEADER.lower():
            return int(value)
    return None


def refused(entry: dict[str, Any]) -> bool:
    """The provider provably never took this submit: it answered 429 (a refusal)."""
    return entry.get("status") == 429


def created_task(entry: dict[str, Any]) -> str | None:
    """The task id a submit's answer names (Novita ``task_id``, SDAPI/ModelsLab ``id``)."""
    response = entry.get("response")
    if not isinstance(response, dict) or entry.get("status") != 200:
        return None
    for field in ("task_id", "id"):
        value = response.get(field)
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)
    return None


# --- the promises --------------------------------------------------------------------------


def check_outcomes(outcomes: list[Outcome], expected: int) -> Counter[str]:
    """Exactly one typed outcome per job, within the virtual deadline."""
    assert len(outcomes) == expected
    assert len({o.job for o in outcomes}) == expected
    untyped = [o for o in outcomes if not isinstance(o.value, InpaintResult | InpaintError)]
    assert untyped == [], [f"{o.job} {o.provider}: {o.value!r}" for o in untyped]
    slow = [o for o in outcomes if o.seconds > DEADLINE + SLACK]
    assert slow == [], [f"{o.job} {o.provider}: {o.seconds:.0f} s {o.value!r}" for o in slow]
    for o in outcomes:
        if isinstance(o.value, InpaintError) and not isinstance(o.value, ClientClosedError):
            # An input read from a URL fails at its own host, which is no provider.
            host = o.value.provider is None and (
                "downloading $.image" in str(o.value) or "$.image.url" in str(o.value)
            )
            # StableDiffusionAPI's images are uploaded through ModelsLab (its image host):
            # a failed upload is ModelsLab's answer, and says so.
            upload = o.provider == "stablediffusionapi" and o.value.provider == "modelslab"
            assert o.value.provider == o.provider or host or upload, (o.job, repr(o.value))
    return Counter(type(o.value).__name__ for o in outcomes)


def check_no_duplicate_submit(mock: AsyncMock, prefix: str) -> int:
    """Each submit body reached the provider at most once (429 refusals aside)."""
    reached: Counter[str] = Counter()
    submits = 0
    for entry in mock.journal("request"):
        if job_of(entry, prefix) is None:
            continue
        submits += 1
        if not refused(entry):
            body = json.dumps(entry.get("body"), sort_keys=True)
            reached[f"{entry['provider']} {entry['path']} {body}"] += 1
    twice = {body[:160]: n for body, n in reached.items() if n > 1}
    assert twice == {}, twice
    return submits


def check_no_orphan(mock: AsyncMock, outcomes: list[Outcome], prefix: str) -> int:
    """Every task the mock created for these jobs is reported to the caller."""
    by_job = {o.job: o for o in outcomes}
    told: dict[str, set[str]] = {}
    for o in outcomes:
        ids = o.value.task_ids if isinstance(o.value, InpaintResult | InpaintError) else ()
        told[o.job] = {str(i) for i in ids}
    created = {task.id for task in mock.ctx.tasks}
    linked: dict[str, str] = {}
    cut_off: list[str] = []
    for entry in mock.journal("request"):
        name = job_of(entry, prefix)
        if name is None:
            continue
        task_id = created_task(entry)
        if task_id is not None and task_id in created:
            linked[task_id] = name
        elif entry.get("status") == 200 and "truncated" in entry.get("faults", []):
            cut_off.append(name)
    orphans = [
        f"{name}: task {task_id} not in {by_job[name].value!r}"
        for task_id, name in sorted(linked.items())
        if task_id not in told[name]
    ]
    assert orphans == [], orphans
    for name in cut_off:  # the one task nobody can name: the caller is told it may exist
        assert isinstance(by_job[name].value, SubmitOutcomeUnknownError | ClientClosedError), (
            name,
            repr(by_job[name].value),
        )
    return len(linked)


def check_nothing_after(mock: AsyncMock, stamp: Stamp, closed_at: int) -> None:
    """No request numbered after ``closed_at`` reached the mock (or was sent at all)."""
    late = []
    for entry in mock.journal("request"):
        seq = seq_of(entry)
        if seq is None or seq > closed_at:
            late.append(f"{entry['method']} {entry['path']} seq={seq}")
    assert late == []
    assert stamp.after_close == []


# --- the runs ---------------------------------------------------------------------------------


def played(mock: AsyncMock) -> Counter[str]:
    """What the mock did: each fault played on a request, and its other journal entries
    (``webhook`` attempts, S3 ``upload``s, image ``fetch``es) by kind and outcome."""
    seen: Counter[str] = Counter()
    for entry in mock.journal():
        if entry["kind"] == "request":
            seen.update(f.split(":", 1)[0] for f in entry.get("faults", []))
        else:
            seen[f"{entry['kind']} {entry.get('outcome')}"] += 1
    return seen


async def chaos_run(
    faults: tuple[FaultRule, ...], phase: str, *, variants: bool, scale: float = 1.0
) -> tuple[list[Outcome], Counter[str], Counter[str]]:
    """Every job run to its end under ``faults``; every promise checked; the outcomes, their
    kinds and what the mock played."""
    clock = VirtualClock()
    stamp = Stamp()
    counts = providers(scale)
    rng = random.Random(f"{phase}-11")
    async with run_mock(mock_config(faults), clock=clock) as mock:
        jobs = make_jobs(phase, counts, mock, rng, variants=variants)
        async with chaos_client(mock, clock, stamped_registry(stamp)) as client:
            outcomes = await run_jobs(client, clock, jobs)
        closed_at = stamp.seq
        stamp.closed_at = closed_at
        # A late call is refused without sending.
        with pytest.raises(ClientClosedError):
            await client.inpaint(jobs[0][2], jobs[0][1])
        kinds = check_outcomes(outcomes, len(jobs))
        check_no_duplicate_submit(mock, f"chaos-{phase}-")
        check_no_orphan(mock, outcomes, f"chaos-{phase}-")
        check_nothing_after(mock, stamp, closed_at)
        return outcomes, kinds, played(mock)


async def test_every_fault_kind_ends_every_job_typed_once_with_every_task_reported() -> None:
    outcomes, kinds, seen = await chaos_run(ALL_FAULTS, "all", variants=True)
    assert len(outcomes) >= 300
    assert set(FAULTS) <= set(seen), seen  # every fault kind of the catalogue was played
    assert seen["webhook failed"] > 0, seen  # webhooks to a dead endpoint
    assert seen["upload fail"] > 0, seen  # S3 uploads the mock fails (their tasks fail)
    splits = sum(
        1
        for o in outcomes
        if isinstance(o.value, InpaintResult) and len(o.value.images) > MAX_PER_REQUEST[o.provider]
    )
    assert splits > 0, kinds  # split jobs ran through, so orphans could occur
    # What may end a job under these faults, by design.
    allowed = {
        "InpaintResult",
        "ServerError",
        "SubmitOutcomeUnknownError",
        "TaskFailedError",
        "InpaintTimeoutError",
        "ProviderError",
        "ProviderUnavailableError",
        "RateLimitedError",
        "AuthenticationError",
        "InsufficientCreditsError",
        "ValidationError",
        "TaskNotFoundError",
        "ModelNotFoundError",
    }
    assert set(kinds) <= allowed, kinds
    assert kinds["InpaintResult"] >= 0.5 * len(outcomes), kinds
    longest = max(o.seconds for o in outcomes)
    print(f"\nchaos, every fault kind: {dict(sorted(kinds.items()))}; longest {longest:.0f} s")


async def test_transient_faults_only_most_jobs_survive() -> None:
    outcomes, kinds, _ = await chaos_run(TRANSIENT_FAULTS, "transient", variants=False, scale=0.5)
    survived = kinds["InpaintResult"] / len(outcomes)
    by_provider = {
        p: sum(isinstance(o.value, InpaintResult) for o in outcomes if o.provider == p)
        / sum(o.provider == p for o in outcomes)
        for p in providers(0.5)
    }
    print(
        f"\nsurvival under transient faults only: {survived:.1%} of {len(outcomes)} jobs; "
        f"{ {p: f'{r:.1%}' for p, r in by_provider.items()} }; {dict(sorted(kinds.items()))}"
    )
    assert survived >= 0.9, kinds


async def test_close_mid_run_sends_nothing_after_and_names_the_tasks_in_flight() -> None:
    """A client closed while jobs are in flight (its own session, as users run it): every
    call ends (a result or a typed error, the ones cut short with ClientClosedError naming
    their tasks), nothing is sent after the close, and no task is left unreported."""
    clock = VirtualClock()
    stamp = Stamp()
    counts = {p: max(8, n // 4) for p, n in providers().items()}
    closing: list[asyncio.Task[None]] = []
    submitted = 0

    async def close_now(client: InpaintClient) -> None:
        stamp.closed_at = stamp.seq  # nothing below awaits before close() refuses to send
        await client.close()

    def on_event(event: Event) -> None:
        nonlocal submitted
        if isinstance(event, Submitted):
            submitted += 1
            if submitted == 40 and not closing:
                closing.append(asyncio.get_running_loop().create_task(close_now(client)))

    async with run_mock(mock_config(ALL_FAULTS), clock=clock) as mock:
        jobs = make_jobs("close", counts, mock, random.Random(5), variants=True)
        client = chaos_client(mock, clock, stamped_registry(stamp), on_event=on_event)
        async with client:
            outcomes = await run_jobs(client, clock, jobs)
        assert closing, "the close was never triggered"
        await closing[0]
        assert stamp.closed_at is not None
        kinds = check_outcomes(outcomes, len(jobs))
        closed = [o.value for o in outcomes if isinstance(o.value, ClientClosedError)]
        print(f"\nchaos, closed mid-run: {dict(sorted(kinds.items()))}")
        assert len(closed) >= 10, kinds  # the close cut work short
        assert any(e.task_ids for e in closed), closed  # and named the tasks it left running
        for error in closed:
            assert all(i in str(error) for i in error.task_ids), error
        check_no_duplicate_submit(mock, "chaos-close-")
        check_no_orphan(mock, outcomes, "chaos-close-")
        check_nothing_after(mock, stamp, stamp.closed_at)
