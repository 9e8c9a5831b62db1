"""Retries around submits, uploads and downloads against the mock on a VirtualClock: every wait
stays within the job's deadline, and a 429 on a download is waited out, not final.

The mock runs in this event loop on 127.0.0.1 and shares the clock, so Retry-After costs no
real time.  Downloads are not a provider route (the mock faults none), so a 429 on a download
is played by a transport that answers the first request for a marked URL itself.
"""

from __future__ import annotations

import random
from typing import Any

import aiohttp
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
from inpaintkit.job import ImageInput
from inpaintkit.mockserver import FaultRule, MockConfig, run_mock
from inpaintkit.provider import HttpResponse, PollPolicy
from inpaintkit.providers.modelslab import ModelsLabUploadHost
from inpaintkit.transport import AiohttpTransport, OutgoingRequest, TransportError
from test_client import KEY, result_png
from test_client import make_job as toy_job
from test_client import registry as toy_registry
from toytransport import ScriptedToy, answer

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


class Scripted:
    """aiohttp to the mock, except that the first requests whose URL holds a marker get a
    scripted answer instead (the mock faults provider routes only, not its files)."""

    def __init__(self, script: list[tuple[str, HttpResponse]]) -> None:
        self.script = list(script)
        self.urls: list[str] = []
        self._session: aiohttp.ClientSession | None = None

    async def send(self, request: OutgoingRequest, *, timeout: float) -> HttpResponse:
        self.urls.append(request.url)
        for index, (marker, response) in enumerate(self.script):
            if marker in request.url:
                del self.script[index]
                return response
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return await AiohttpTransport(self._session).send(request, timeout=timeout)

    async def __aenter__(self) -> Scripted:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()


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


# --- a 429 on a download is waited out -------------------------------------------------------


@pytest.mark.parametrize("provider", ["novita", "modelslab"])
async def test_a_429_on_the_result_download_is_retried_after_its_retry_after(
    provider: str,
) -> None:
    clock = VirtualClock()
    slow = answer({"error": "slow down"}, 429, Retry_After="7")
    async with (
        Scripted([("/__mock/files/", slow)]) as transport,
        run_mock(mock_config(), clock=clock) as mock,
        make_client(mock.url, clock, transport=transport) as client,
    ):
        result = await client.inpaint(make_job(provider), provider)
    downloads = [u for u in transport.urls if "/__mock/files/" in u]
    assert len(result.images) == 1
    assert len(downloads) == 2
    assert downloads[0] == downloads[1]
    assert 7.0 in clock.sleeps


async def test_a_429_on_the_jobs_input_url_is_retried_not_a_validation_error() -> None:
    clock = VirtualClock()
    url = "http://127.0.0.1:9/input.png"
    script = [
        ("/input.png", answer({"error": "slow down"}, 429, Retry_After="4")),
        ("/input.png", HttpResponse(200, IMAGE, {"content-type": "image/png"})),
    ]
    async with (
        Scripted(script) as transport,
        run_mock(mock_config(), clock=clock) as mock,
        make_client(mock.url, clock, transport=transport) as client,
    ):
        result = await client.inpaint(make_job("novita", image=ImageInput(url=url)), "novita")
    assert len(result.images) == 1
    assert transport.urls.count(url) == 2
    assert clock.sleeps[0] == 4.0


async def test_a_download_rate_limited_past_the_deadline_raises_naming_the_task() -> None:
    clock = VirtualClock()
    slow = answer({"error": "slow down"}, 429, Retry_After="5000")
    async with (
        Scripted([("/__mock/files/", slow)]) as transport,
        run_mock(mock_config(), clock=clock) as mock,
        make_client(mock.url, clock, transport=transport) as client,
    ):
        with pytest.raises(RateLimitedError) as caught:
            await client.inpaint(make_job("novita"), "novita")
    assert caught.value.retry_after == 5000.0
    assert len(caught.value.task_ids) == 1  # the task ran and may be billed
    assert clock.time() <= DEADLINE


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


# --- lost connections, 5xx and 429s each have their own retry count ---------------------------


async def test_a_submits_429s_after_refused_connections_get_their_own_budget_and_backoff() -> None:
    # Two refused connections (the submit never left), then two 429s without Retry-After: the
    # first 429 waits the first rate-limit delay, not the third, and the second is retried too.
    clock = VirtualClock()
    toy = ScriptedToy()
    toy.submits = [
        TransportError("connection refused", reached=False),
        TransportError("connection refused", reached=False),
        answer({"error": "slow down"}, 429),
        answer({"error": "slow down"}, 429),
    ]
    toy.default_submit = {"state": "done", "id": "s1", "images": [{"b64": result_png()}]}
    policy = toy_registry()["toy"].spec.polling
    async with InpaintClient(
        api_keys={"toy": KEY},
        base_url="http://toy.invalid",
        registry=toy_registry(),
        clock=clock,
        transport=toy.transport,
        retry_jitter=0.0,
    ) as client:
        result = await client.inpaint(toy_job(), "toy")
    assert result.task_ids == ("s1",)
    assert len(toy.requests) == 5
    assert clock.sleeps == [
        policy.retry_delay(0),
        policy.retry_delay(1),
        policy.retry_delay(0, rate_limited=True),
        policy.retry_delay(1, rate_limited=True),
    ]


async def test_a_downloads_429s_after_5xx_answers_get_their_own_budget() -> None:
    clock = VirtualClock()
    busy = answer({"error": "unavailable"}, 503)
    slow = answer({"error": "slow down"}, 429, Retry_After="3")
    files = "/__mock/files/"
    async with (
        Scripted([(files, busy), (files, busy), (files, slow), (files, slow)]) as transport,
        run_mock(mock_config(), clock=clock) as mock,
        make_client(mock.url, clock, transport=transport) as client,
    ):
        result = await client.inpaint(make_job("novita"), "novita")
    assert len(result.images) == 1
    assert len([u for u in transport.urls if files in u]) == 5
    assert clock.sleeps.count(3.0) == 2
