"""Retries around submits and uploads against the mock on a VirtualClock: every wait stays
within the job's deadline.

The mock runs in this event loop on 127.0.0.1 and shares the clock, so Retry-After costs no
real time.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit import InpaintClient, InpaintJob, VirtualClock, waiting
from inpaintkit.errors import (
    InpaintError,
    ProviderUnavailableError,
    RateLimitedError,
    ServerError,
)
from inpaintkit.mockserver import FaultRule, MockConfig, run_mock
from inpaintkit.provider import PollPolicy
from inpaintkit.providers.modelslab import ModelsLabUploadHost

IMAGE = png_bytes(gradient_image(64, 64))
MASK = png_bytes(rect_mask(64, 64, (16, 16, 48, 48)))
MODELS = {"novita": "sd_xl_base_1.0.safetensors", "modelslab": "pony_realism"}
SIZES = {"stablediffusionapi": 512, "modelslab": 512}
SUBMIT_PATHS = {
    "novita": "/v3/async/inpainting",
    "modelslab": "/api/v6/images/inpaint",
    "stablediffusionapi": "/api/v3/inpaint",
}
UPLOAD_PATH = "/api/v6/base64_to_url"
DEADLINE = 600.0


def make_job(provider: str, **changes: Any) -> InpaintJob:
    fields: dict[str, Any] = {
        "image": IMAGE,
        "mask": MASK,
        "prompt": f"a wall for {provider}",
        "model": MODELS.get(provider),
        "seed": 5,
        "width": SIZES.get(provider),
        "height": SIZES.get(provider),
    }
    return InpaintJob(**(fields | changes))


def mock_config(*faults: FaultRule) -> MockConfig:
    return MockConfig(
        seed=3,
        faults=faults,
        sync_mode="processing",
        novita_images_per_minute=None,
        modelslab_max_queued=None,
        sdapi_duplicate_window=None,
    )


def make_client(url: str, clock: VirtualClock, **kwargs: Any) -> InpaintClient:
    kwargs.setdefault("deadline", DEADLINE)
    return InpaintClient(
        api_keys=dict.fromkeys(SUBMIT_PATHS, "retry-key"),
        base_url=url,
        clock=clock,
        random_seed=11,
        image_hosts={"stablediffusionapi": ModelsLabUploadHost()},  # SDAPI takes links only
        rate_limits=dict.fromkeys(SUBMIT_PATHS),
        **kwargs,
    )


# --- a billed submit, and the uploads before it, wait no longer than the deadline -------------


@pytest.mark.parametrize("provider", ["novita", "modelslab", "stablediffusionapi"])
async def test_a_submit_rate_limited_past_the_deadline_is_not_sent_again(provider: str) -> None:
    # Each 429 asks for 500 s: the first wait fits in the 600 s deadline, a second does not.
    # Resending after it would create (and bill) a task at 1000 s that times out unpolled.
    path = SUBMIT_PATHS[provider]
    clock = VirtualClock()
    rule = FaultRule("rate_limit", "500:header", first=2, provider=provider, path=path)
    async with run_mock(mock_config(rule), clock=clock) as mock:
        async with make_client(mock.url, clock) as client:
            with pytest.raises(RateLimitedError) as caught:
                await client.inpaint(make_job(provider), provider)
        submits = mock.journal("request", path=path)
    assert caught.value.retry_after == 500.0
    assert caught.value.task_ids == ()  # nothing was created, so nothing is billed
    assert len(submits) == 2
    assert clock.time() <= DEADLINE


async def test_an_upload_rate_limited_past_the_deadline_submits_nothing() -> None:
    clock = VirtualClock()
    rule = FaultRule("rate_limit", "500:header", first=2, path=UPLOAD_PATH)
    async with run_mock(mock_config(rule), clock=clock) as mock:
        async with make_client(mock.url, clock) as client:
            with pytest.raises(RateLimitedError) as caught:
                await client.inpaint(make_job("stablediffusionapi"), "stablediffusionapi")
        submits = mock.journal("request", path=SUBMIT_PATHS["stablediffusionapi"])
    assert caught.value.retry_after == 500.0
    assert submits == []
    assert clock.time() <= DEADLINE


async def test_an_upload_retry_after_is_capped_by_the_clients_own_deadline() -> None:
    # The policy's deadline is 600 s, the client's 100 s: a 429 asking for 300 s is a refusal.
    clock = VirtualClock()
    rule = FaultRule("rate_limit", "300:header", first=1, path=UPLOAD_PATH)
    async with run_mock(mock_config(rule), clock=clock) as mock:
        async with make_client(mock.url, clock, deadline=100.0) as client:
            with pytest.raises(RateLimitedError):
                await client.inpaint(make_job("stablediffusionapi"), "stablediffusionapi")
        submits = mock.journal("request", path=SUBMIT_PATHS["stablediffusionapi"])
    assert submits == []
    assert clock.time() <= 100.0


async def test_submit_retries_within_the_deadline_still_happen() -> None:
    clock = VirtualClock()
    rule = FaultRule("rate_limit", "20:header", first=2, path=SUBMIT_PATHS["novita"])
    async with run_mock(mock_config(rule), clock=clock) as mock:
        async with make_client(mock.url, clock) as client:
            result = await client.inpaint(make_job("novita"), "novita")
        submits = mock.journal("request", path=SUBMIT_PATHS["novita"])
    assert len(result.images) == 1
    assert len(submits) == 3
    assert clock.sleeps[:2] == [20.0, 20.0]


# --- retry_request never waits past the time left ---------------------------------------------

failures = st.one_of(
    st.builds(waiting.TransportFailed, st.just("boom"), reached=st.booleans()),
    st.builds(
        lambda r: RateLimitedError("slow", status=429, retry_after=r),
        st.none() | st.floats(min_value=0, max_value=900, allow_nan=False),
    ),
    st.builds(lambda s: ServerError("boom", status=s), st.integers(500, 599)),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(failures, min_size=1, max_size=8),
    st.booleans(),
    st.floats(min_value=-5.0, max_value=700.0, allow_nan=False),
    st.integers(0, 2**32),
)
def test_retry_request_never_waits_past_the_time_left(
    sequence: list[Any], idempotent: bool, left: float, seed: int
) -> None:
    policy = PollPolicy(submit_retries=5)
    rng = random.Random(seed)
    for attempt, failure in enumerate(sequence):
        action = waiting.retry_request(
            attempt,
            failure,
            provider="toy",
            what="upload",
            policy=policy,
            idempotent=idempotent,
            jitter=0.5,
            rng=rng,
            deadline=left,
        )
        if isinstance(action, waiting.Raise):
            assert isinstance(action.error, InpaintError)
            if isinstance(failure, InpaintError):
                assert action.error is failure  # typed as it came, retry_after included
            elif not (failure.reached and not idempotent):
                assert isinstance(action.error, ProviderUnavailableError)
            break
        assert 0.0 <= action.delay <= left
        left -= action.delay
