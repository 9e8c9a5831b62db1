"""Chaos: a hundred jobs against the mock with every fault kind, on one injected clock.

Asserts the runtime's promises rather than any one outcome: every job ends in a result or an
InpaintError (never anything untyped), nothing is sent after close, and most jobs survive
transient faults.  The mock runs in this event loop and shares the VirtualClock, so "hang" and
"latency" cost no real time.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit import InpaintClient, InpaintJob, InpaintResult, VirtualClock
from inpaintkit.errors import ClientClosedError, InpaintError, SubmitOutcomeUnknownError
from inpaintkit.mockserver import FaultRule, MockConfig, run_mock

FAULTS = (
    FaultRule("latency", "3", probability=0.05),
    FaultRule("rate_limit", "2", probability=0.05),
    FaultRule("server_error", "503", probability=0.05),
    FaultRule("server_error", "500", probability=0.03),
    FaultRule("reset", probability=0.03),
    FaultRule("truncated", probability=0.03),
    FaultRule("hang", "30", probability=0.01),
    FaultRule("task_failed", "chaos", probability=0.02),
    FaultRule("task_stuck", probability=0.01),
    FaultRule("expired_url", probability=0.01),
)
JOBS = {"novita": 40, "modelslab": 30, "stablediffusionapi": 30}
MODELS = {"novita": "sd_xl_base_1.0.safetensors", "modelslab": "pony_realism"}


IMAGE = png_bytes(gradient_image(64, 64))
MASK = png_bytes(rect_mask(64, 64, (16, 16, 48, 48)))


def job(provider: str, index: int) -> InpaintJob:
    size = None if provider == "novita" else 512  # the others take at least 512 (resized here)
    return InpaintJob(
        image=IMAGE,
        mask=MASK,
        prompt=f"chaos {index}",
        model=MODELS.get(provider),
        seed=index,
        width=size,
        height=size,
    )


async def test_every_job_under_chaos_ends_typed_and_nothing_is_sent_after_close() -> None:
    clock = VirtualClock()
    config = MockConfig(
        seed=7,
        faults=FAULTS,
        novita_images_per_minute=None,
        modelslab_max_queued=None,
        sdapi_duplicate_window=None,
    )
    outcomes: list[InpaintResult | BaseException] = []
    async with run_mock(config, clock=clock) as mock:
        keys = dict.fromkeys(JOBS, "chaos-key")
        async with InpaintClient(
            api_keys=keys,
            base_url=mock.url,
            clock=clock,
            concurrency=8,
            request_timeout=60.0,  # real seconds: never reached; a "hang" ends in mock time
            deadline=600.0,
            random_seed=1,
        ) as client:
            calls = [
                client.inpaint(job(provider, i), provider)
                for provider, count in JOBS.items()
                for i in range(count)
            ]
            outcomes = await asyncio.gather(*calls, return_exceptions=True)
        sent_at_close = len(mock.journal())
        # A late call after close is refused without sending.
        with pytest.raises(ClientClosedError):
            await client.inpaint(job("novita", 0), "novita")
        assert len(mock.journal()) == sent_at_close

    untyped = [o for o in outcomes if not isinstance(o, InpaintResult | InpaintError)]
    assert untyped == []
    kinds = Counter(type(o).__name__ for o in outcomes)
    assert len(outcomes) == sum(JOBS.values())
    # What may end a job under these faults, by design: a submit answered 5xx or left without
    # an answer (never resent blindly), a task the mock failed, stuck past the deadline or whose
    # URLs expired, or a transient fault that outlasted its retry budget.
    allowed = {
        "InpaintResult",
        "ServerError",
        "SubmitOutcomeUnknownError",
        "TaskFailedError",
        "InpaintTimeoutError",
        "ProviderError",
        "ProviderUnavailableError",
    }
    assert set(kinds) <= allowed, kinds
    assert kinds["InpaintResult"] >= 0.6 * len(outcomes), kinds
    for outcome in outcomes:
        if isinstance(outcome, InpaintError) and not isinstance(outcome, SubmitOutcomeUnknownError):
            assert outcome.provider in JOBS, repr(outcome)
