"""The runtime against a real aiohttp server on loopback, with the toy provider.

Time is a VirtualClock: waits are recorded in ``clock.sleeps`` instead of slept.
"""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit import (
    AuthenticationError,
    InpaintClient,
    InpaintJob,
    InpaintTimeoutError,
    MaskOptions,
    OutputFormat,
    ProviderUnavailableError,
    SubmitOutcomeUnknownError,
    TaskFailedError,
    UnsupportedFieldError,
    VirtualClock,
)
from inpaintkit.credentials import Secret
from inpaintkit.plugins import ProviderRegistry
from inpaintkit.provider import HttpResponse, PollPolicy
from inpaintkit.transport import OutgoingRequest, TransportError
from PIL import Image, ImageChops
from toyprovider import ToyAdapter

KEY = "toy-secret-key-123"

Responder = Callable[[web.Request, dict[str, Any]], web.StreamResponse]


class ToyServer:
    """A scripted toy provider: each queue entry answers one request of that kind."""

    def __init__(self) -> None:
        self.submits: list[dict[str, Any]] = []
        self.polls: list[str] = []
        self.auth_headers: list[str | None] = []
        self.submit_script: list[Any] = []
        self.poll_script: list[Any] = []
        self.default_poll: Any = {"state": "pending", "id": "t1"}
        self.files: dict[str, bytes] = {}

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/toy/submit", self.submit)
        app.router.add_get("/toy/tasks/{id}", self.poll)
        app.router.add_get("/files/{name}", self.file)
        return app

    async def _answer(self, request: web.Request, script: list[Any], default: Any) -> Any:
        item = script.pop(0) if script else default
        if callable(item):
            return await item(request)
        if isinstance(item, web.StreamResponse):
            return item
        return web.json_response(item)

    async def submit(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.submits.append(body)
        self.auth_headers.append(request.headers.get("Authorization"))
        return await self._answer(request, self.submit_script, {"state": "pending", "id": "t1"})

    async def poll(self, request: web.Request) -> web.StreamResponse:
        self.polls.append(request.match_info["id"])
        return await self._answer(request, self.poll_script, self.default_poll)

    async def file(self, request: web.Request) -> web.StreamResponse:
        return web.Response(body=self.files[request.match_info["name"]], content_type="image/png")


@pytest.fixture
async def toy() -> AsyncIterator[tuple[ToyServer, str]]:
    server = ToyServer()
    test_server = TestServer(server.app(), host="127.0.0.1")
    await test_server.start_server()
    try:
        yield server, str(test_server.make_url("/")).rstrip("/")
    finally:
        await test_server.close()


def registry(**kwargs: Any) -> ProviderRegistry:
    return ProviderRegistry([ToyAdapter(**kwargs)])


def make_job(**changes: Any) -> InpaintJob:
    image = png_bytes(gradient_image(64, 48))
    mask = png_bytes(rect_mask(64, 48, (16, 12, 40, 30)))
    return InpaintJob(image=image, mask=mask, prompt="a cat", **changes)


def result_png(color: tuple[int, int, int] = (255, 0, 0), size: tuple[int, int] = (64, 48)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def client(base: str, clock: VirtualClock, **kwargs: Any) -> InpaintClient:
    reg = kwargs.pop("registry", None) or registry()
    kwargs.setdefault("retry_jitter", 0.0)  # exact sleeps below; jitter is tested in test_waiting
    return InpaintClient(api_keys={"toy": KEY}, base_url=base, registry=reg, clock=clock, **kwargs)


async def test_sync_answer_returns_result_without_polling(toy: tuple[ToyServer, str]) -> None:
    server, base = toy
    server.submit_script.append(
        {"state": "done", "id": "s1", "seed": 7, "images": [{"b64": result_png()}]}
    )
    clock = VirtualClock()
    async with client(base, clock) as c:
        result = await c.inpaint(make_job(seed=7), "toy")
    assert server.polls == []
    assert len(result.images) == 1
    assert (result.images[0].width, result.images[0].height) == (64, 48)
    assert result.task_ids == ("s1",)
    assert result.seed == 7
    assert server.auth_headers == [f"Bearer {KEY}"]
    assert clock.sleeps == []


async def test_async_poll_to_success_honours_eta_then_backoff(toy: tuple[ToyServer, str]) -> None:
    server, base = toy
    server.submit_script.append({"state": "pending", "id": "t9", "eta": 5.0})
    server.poll_script += [
        {"state": "pending", "id": "t9"},
        {"state": "pending", "id": "t9"},
        {"state": "done", "id": "t9", "images": [{"b64": result_png()}]},
    ]
    clock = VirtualClock()
    async with client(base, clock) as c:
        result = await c.inpaint(make_job(), "toy")
    assert server.polls == ["t9", "t9", "t9"]
    # eta 5 s first, then interval 2 s growing by 1.5x (policy defaults of the toy).
    assert clock.sleeps == [5.0, 2.0, 3.0]
    assert result.timings.polls == 3
    assert result.task_ids == ("t9",)


async def test_poll_to_failure_raises_task_failed_with_raw_body(toy: tuple[ToyServer, str]) -> None:
    server, base = toy
    server.poll_script.append({"state": "failed", "reason": "GPU on fire"})
    async with client(base, VirtualClock()) as c:
        with pytest.raises(TaskFailedError) as info:
            await c.inpaint(make_job(), "toy")
    assert info.value.raw_body == {"state": "failed", "reason": "GPU on fire"}
    assert info.value.task_id == "t1"
    assert "GPU on fire" in str(info.value)


async def test_deadline_raises_timeout_naming_the_task(toy: tuple[ToyServer, str]) -> None:
    server, base = toy
    clock = VirtualClock()
    async with client(base, clock, deadline=20.0) as c:
        with pytest.raises(InpaintTimeoutError) as info:
            await c.inpaint(make_job(), "toy")
    assert info.value.task_id == "t1"
    assert sum(clock.sleeps) == pytest.approx(20.0)
    assert clock.time() == pytest.approx(20.0)
    assert len(server.polls) == len(clock.sleeps)


async def test_retry_after_on_poll_is_honoured(toy: tuple[ToyServer, str]) -> None:
    server, base = toy
    server.poll_script += [
        web.json_response({"error": "slow"}, status=429, headers={"Retry-After": "30"}),
        {"state": "done", "id": "t1", "images": [{"b64": result_png()}]},
    ]
    clock = VirtualClock()
    async with client(base, clock) as c:
        await c.inpaint(make_job(), "toy")
    assert clock.sleeps == [1.0, 30.0]


async def test_retry_after_on_submit_is_honoured_and_resubmits(toy: tuple[ToyServer, str]) -> None:
    server, base = toy
    server.submit_script += [
        web.json_response({"error": "slow"}, status=429, headers={"Retry-After": "12"}),
        {"state": "done", "id": "s", "images": [{"b64": result_png()}]},
    ]
    clock = VirtualClock()
    async with client(base, clock) as c:
        await c.inpaint(make_job(), "toy")
    assert len(server.submits) == 2  # a 429 was a refusal, so resending cannot duplicate the job
    assert clock.sleeps == [12.0]


async def test_submit_that_lost_its_connection_is_never_resent(toy: tuple[ToyServer, str]) -> None:
    server, base = toy

    async def drop(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.close()  # the provider got the job, the client gets no answer
        return web.Response()

    server.submit_script.append(drop)
    async with client(base, VirtualClock()) as c:
        with pytest.raises(SubmitOutcomeUnknownError) as info:
            await c.inpaint(make_job(), "toy")
    assert len(server.submits) == 1
    assert "not resent" in str(info.value) or "was not resent" in info.value.hint


class TimeoutAfterSend:
    """A transport that delivers the request and then times out waiting for the answer."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def send(self, request: OutgoingRequest, *, timeout: float) -> HttpResponse:
        if request.method == "POST":
            await self.inner.send(request, timeout=timeout)
            raise TransportError("no response before the request timeout", reached=True)
        response: HttpResponse = await self.inner.send(request, timeout=timeout)
        return response


async def test_submit_that_timed_out_is_never_resent(toy: tuple[ToyServer, str]) -> None:
    import aiohttp
    from inpaintkit.transport import AiohttpTransport

    server, base = toy
    async with aiohttp.ClientSession() as session:
        transport = TimeoutAfterSend(AiohttpTransport(session))
        c = client(base, VirtualClock(), transport=transport)
        with pytest.raises(SubmitOutcomeUnknownError):
            await c.inpaint(make_job(), "toy")
    assert len(server.submits) == 1
    assert server.polls == []


async def test_connection_refused_is_retried_within_budget() -> None:
    import socket

    with socket.socket() as s:  # a loopback port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    clock = VirtualClock()
    reg = registry(polling=PollPolicy(submit_retries=2, retry_base_delay=1.0))
    async with client(f"http://127.0.0.1:{port}", clock, registry=reg) as c:
        with pytest.raises(ProviderUnavailableError):
            await c.inpaint(make_job(), "toy")
    assert clock.sleeps == [1.0, 2.0]  # two retries with exponential backoff, then give up


async def test_transient_poll_errors_are_retried(toy: tuple[ToyServer, str]) -> None:
    server, base = toy
    server.poll_script += [
        web.json_response({"error": "boom"}, status=503),
        web.json_response({"error": "boom"}, status=500),
        {"state": "done", "id": "t1", "images": [{"b64": result_png()}]},
    ]
    async with client(base, VirtualClock()) as c:
        result = await c.inpaint(make_job(), "toy")
    assert len(server.polls) == 3
    assert len(result.images) == 1


async def test_cancellation_leaves_nothing_polling(toy: tuple[ToyServer, str]) -> None:
    server, base = toy
    clock = VirtualClock(auto_advance=False)
    async with client(base, clock) as c:
        task = asyncio.create_task(c.inpaint(make_job(), "toy"))
        for _ in range(10_000):  # wait, without real sleeping, until the poll loop is asleep
            if clock.pending_sleepers:
                break
            await asyncio.sleep(0)
        assert clock.pending_sleepers == 1
        clock.advance(1.0)
        for _ in range(10_000):
            if server.polls and clock.pending_sleepers:
                break
            await asyncio.sleep(0)
        assert len(server.polls) == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert clock.pending_sleepers == 0
        clock.advance(1000.0)
        for _ in range(100):
            await asyncio.sleep(0)
    assert len(server.polls) == 1


async def test_split_over_maximum_num_images_with_consecutive_seeds(
    toy: tuple[ToyServer, str],
) -> None:
    server, base = toy

    async def done(request: web.Request) -> web.StreamResponse:
        body = await request.json() if request.can_read_body else {}
        del body
        return web.json_response({"state": "done", "id": "x", "images": [{"b64": result_png()}]})

    server.submit_script += [done, done, done]
    async with client(base, VirtualClock()) as c:
        result = await c.inpaint(make_job(num_images=5, seed=100), "toy")
    assert sorted(s["n"] for s in server.submits) == [1, 2, 2]
    assert sorted(s["seed"] for s in server.submits) == [100, 102, 104]
    assert ("num_images") in result.emulated


async def test_masked_only_emulation_pastes_back_only_inside_the_padded_box(
    toy: tuple[ToyServer, str],
) -> None:
    server, base = toy
    original = gradient_image(64, 48)

    async def paint_red(request: web.Request) -> web.StreamResponse:
        body = server.submits[-1]
        crop = Image.open(io.BytesIO(base64.b64decode(body["image"])))
        return web.json_response(
            {"state": "done", "id": "m", "images": [{"b64": result_png((255, 0, 0), crop.size)}]}
        )

    server.submit_script.append(paint_red)
    job = make_job(mask_options=MaskOptions(masked_only=True, padding=4))
    job = job.with_changes(image=png_bytes(original))
    async with client(base, VirtualClock()) as c:
        result = await c.inpaint(job, "toy")
    sent = Image.open(io.BytesIO(base64.b64decode(server.submits[0]["image"])))
    assert sent.size == (24 + 8, 18 + 8)  # mask box 24x18 plus 4 px padding on each side
    out = Image.open(io.BytesIO(result.images[0].data)).convert("RGB")
    assert out.size == (64, 48)
    diff = ImageChops.difference(out, original.convert("RGB"))
    assert diff.getbbox() is not None
    left, top, right, bottom = diff.getbbox()
    # only pixels inside the mask (16, 12, 40, 30) changed
    assert left >= 16
    assert top >= 12
    assert right <= 40
    assert bottom <= 30
    assert "mask_options.masked_only" in result.emulated


async def test_output_format_is_converted_on_the_client(toy: tuple[ToyServer, str]) -> None:
    server, base = toy
    server.submit_script.append({"state": "done", "id": "f", "images": [{"b64": result_png()}]})
    async with client(base, VirtualClock()) as c:
        result = await c.inpaint(make_job(output_format=OutputFormat.JPEG), "toy")
    assert result.images[0].format == "jpeg"
    assert result.images[0].data[:3] == b"\xff\xd8\xff"


async def test_mask_invert_emulation_sends_the_hand_inverted_mask(
    toy: tuple[ToyServer, str],
) -> None:
    server, base = toy
    done = {"state": "done", "id": "i", "images": [{"b64": result_png()}]}
    server.submit_script += [done, done]
    plain = rect_mask(64, 48, (16, 12, 40, 30))
    by_hand = Image.eval(plain, lambda v: 255 - v)
    image = png_bytes(gradient_image(64, 48))
    async with client(base, VirtualClock()) as c:
        await c.inpaint(
            InpaintJob(
                image=image,
                mask=png_bytes(plain),
                prompt="x",
                mask_options=MaskOptions(invert=True),
            ),
            "toy",
        )
        await c.inpaint(InpaintJob(image=image, mask=png_bytes(by_hand), prompt="x"), "toy")
    assert server.submits[0] == server.submits[1]


async def test_unsupported_field_is_rejected_before_anything_is_sent(
    toy: tuple[ToyServer, str],
) -> None:
    server, base = toy
    async with client(base, VirtualClock()) as c:
        with pytest.raises(UnsupportedFieldError) as info:
            await c.inpaint(make_job(clip_skip=2, guidance_scale=5.0), "toy")
    assert set(info.value.paths) == {"$.clip_skip", "$.guidance_scale"}
    assert server.submits == []


async def test_drop_policy_records_dropped_fields(toy: tuple[ToyServer, str]) -> None:
    server, base = toy
    server.submit_script.append({"state": "done", "id": "d", "images": [{"b64": result_png()}]})
    async with client(base, VirtualClock(), unsupported="drop") as c:
        result = await c.inpaint(make_job(clip_skip=2), "toy")
    assert result.dropped == ("clip_skip",)


async def test_missing_key_and_auth_errors_never_show_the_key(
    toy: tuple[ToyServer, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, base = toy
    monkeypatch.delenv("TOY_API_KEY", raising=False)
    async with InpaintClient(base_url=base, registry=registry(), clock=VirtualClock()) as c:
        with pytest.raises(AuthenticationError, match="TOY_API_KEY"):
            await c.inpaint(make_job(), "toy")
    server.submit_script.append(web.json_response({"error": f"key {KEY} is wrong"}, status=401))
    async with client(base, VirtualClock()) as c:
        assert KEY not in repr(c)
        with pytest.raises(AuthenticationError) as info:
            await c.inpaint(make_job(), "toy")
    assert KEY not in str(info.value) + repr(info.value) + repr(info.value.raw_body)


async def test_key_from_environment(
    toy: tuple[ToyServer, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, base = toy
    monkeypatch.setenv("TOY_API_KEY", "from-env")
    server.submit_script.append({"state": "done", "id": "e", "images": [{"b64": result_png()}]})
    async with InpaintClient(base_url=base, registry=registry(), clock=VirtualClock()) as c:
        await c.inpaint(make_job(), "toy")
    assert server.auth_headers == ["Bearer from-env"]


@pytest.mark.parametrize("empty", ["", Secret("")])
async def test_an_empty_key_is_no_key(
    toy: tuple[ToyServer, str], monkeypatch: pytest.MonkeyPatch, empty: str | Secret
) -> None:
    """An empty key (``Secret("")``, or ``""`` from an unset variable) is never sent: the
    environment variable is used, else the error says no key was given."""
    server, base = toy
    monkeypatch.delenv("TOY_API_KEY", raising=False)
    async with InpaintClient(
        api_keys={"toy": empty}, base_url=base, registry=registry(), clock=VirtualClock()
    ) as c:
        with pytest.raises(AuthenticationError, match="no API key for toy"):
            await c.inpaint(make_job(), "toy")
    assert server.auth_headers == []
    monkeypatch.setenv("TOY_API_KEY", "from-env")
    server.submit_script.append({"state": "done", "id": "e", "images": [{"b64": result_png()}]})
    async with InpaintClient(
        api_keys={"toy": empty}, base_url=base, registry=registry(), clock=VirtualClock()
    ) as c:
        await c.inpaint(make_job(), "toy")
    assert server.auth_headers == ["Bearer from-env"]


async def test_concurrency_limit_bounds_requests_in_flight(toy: tuple[ToyServer, str]) -> None:
    server, base = toy
    in_flight = 0
    peak = 0
    gate = asyncio.Event()

    async def slow(request: web.Request) -> web.StreamResponse:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        if in_flight >= 2:
            gate.set()
        await asyncio.wait_for(gate.wait(), timeout=5)
        in_flight -= 1
        return web.json_response({"state": "done", "id": "c", "images": [{"b64": result_png()}]})

    server.submit_script += [slow] * 4
    async with client(base, VirtualClock(), concurrency=2) as c:
        await asyncio.gather(*(c.inpaint(make_job(), "toy") for _ in range(4)))
    assert peak == 2


async def test_a_repeated_tiny_eta_does_not_turn_polling_into_a_busy_loop(
    toy: tuple[ToyServer, str],
) -> None:
    server, base = toy
    server.submit_script.append({"state": "pending", "id": "t1", "eta": 0.25})
    server.poll_script += [{"state": "pending", "id": "t1", "eta": 0.25}] * 3 + [
        {"state": "done", "id": "t1", "images": [{"b64": result_png()}]}
    ]
    clock = VirtualClock()
    async with client(base, clock) as c:
        await c.inpaint(make_job(), "toy")
    assert clock.sleeps == [0.25, 2.0, 3.0, 4.5]  # eta first, then never faster than backoff


async def test_rate_limit_without_retry_after_waits_like_a_per_minute_limit(
    toy: tuple[ToyServer, str],
) -> None:
    server, base = toy
    server.submit_script += [
        web.json_response({"error": "slow"}, status=429),
        web.json_response({"error": "slow"}, status=429),
        {"state": "done", "id": "s", "images": [{"b64": result_png()}]},
    ]
    clock = VirtualClock()
    async with client(base, clock) as c:
        await c.inpaint(make_job(), "toy")
    assert clock.sleeps == [10.0, 20.0]
    assert len(server.submits) == 3


async def test_result_served_as_base64_text_is_decoded(toy: tuple[ToyServer, str]) -> None:
    server, base = toy
    server.files["out.base64"] = result_png().encode()
    server.submit_script.append(
        {"state": "done", "id": "b", "images": [{"url": f"{base}/files/out.base64", "ttl": 60}]}
    )
    clock = VirtualClock()
    async with client(base, clock) as c:
        result = await c.inpaint(make_job(), "toy")
    image = result.images[0]
    assert image.format == "png"
    assert (image.width, image.height) == (64, 48)
    assert image.url_expires_at == pytest.approx(clock.time() + 60)


async def test_providers_without_auth_need_no_key(
    toy: tuple[ToyServer, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import attrs
    from inpaintkit.provider import NoAuth

    server, base = toy
    monkeypatch.delenv("TOY_API_KEY", raising=False)
    adapter = ToyAdapter()
    object.__setattr__(adapter, "_spec", attrs.evolve(adapter.spec, auth=NoAuth()))
    server.submit_script.append({"state": "done", "id": "n", "images": [{"b64": result_png()}]})
    async with InpaintClient(
        base_url=base, registry=ProviderRegistry([adapter]), clock=VirtualClock()
    ) as c:
        await c.inpaint(make_job(), "toy")
    assert server.auth_headers == [None]


async def test_a_provider_message_echoing_the_key_is_redacted_everywhere_on_the_error(
    toy: tuple[ToyServer, str],
) -> None:
    """A provider that quotes the key back in its failure reason must not leak it through the
    raised error's message, str, repr, args or raw body."""
    server, base = toy
    server.poll_script.append({"state": "failed", "reason": f"bad key {KEY}"})
    async with client(base, VirtualClock()) as c:
        with pytest.raises(TaskFailedError) as info:
            await c.inpaint(make_job(), "toy")
    error = info.value
    shown = " ".join([str(error), repr(error), error.message, repr(error.args)])
    assert KEY not in shown + repr(error.raw_body)
    assert "bad key" in str(error)
