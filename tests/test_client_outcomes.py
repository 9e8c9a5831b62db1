"""Every public call ends in a result or an InpaintError: close() in flight, bad keys, uploads,
split jobs whose one request fails, plugins that raise something untyped.

The toy provider runs on a loopback aiohttp server (tests/test_client.py's ToyServer); the
StableDiffusionAPI upload cases use a scripted in-memory transport, so no socket at all.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit import InpaintClient, InpaintJob, VirtualClock
from inpaintkit.errors import (
    AuthenticationError,
    ClientClosedError,
    InpaintError,
    ProviderUnavailableError,
    TaskFailedError,
)
from inpaintkit.plugins import ProviderRegistry
from inpaintkit.provider import HttpResponse, TaskHandle, TaskState
from inpaintkit.providers.modelslab import ModelsLabUploadHost
from inpaintkit.transport import OutgoingRequest, TransportError
from test_client import KEY, ToyServer, client, make_job, registry, result_png
from toyprovider import ToyAdapter


@pytest.fixture
async def toy() -> AsyncIterator[tuple[ToyServer, str]]:
    server = ToyServer()
    test_server = TestServer(server.app(), host="127.0.0.1")
    await test_server.start_server()
    try:
        yield server, str(test_server.make_url("/")).rstrip("/")
    finally:
        await test_server.close()


async def until(condition: Callable[[], bool], spins: int = 10_000) -> None:
    """Yield to the loop (never sleeping for real) until ``condition`` holds."""
    for _ in range(spins):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never held")


# --- close() -------------------------------------------------------------------------------


async def test_close_with_jobs_in_flight_ends_them_typed_and_sends_nothing_after(
    toy: tuple[ToyServer, str],
) -> None:
    server, base = toy
    clock = VirtualClock(auto_advance=False)
    c = client(base, clock)
    await c.__aenter__()
    jobs = [asyncio.create_task(c.inpaint(make_job(), "toy")) for _ in range(3)]
    await until(lambda: clock.pending_sleepers == 3)
    sent = (len(server.submits), len(server.polls))
    await c.close()
    outcomes = await asyncio.gather(*jobs, return_exceptions=True)
    assert all(isinstance(o, ClientClosedError) for o in outcomes), outcomes
    assert all(o.task_ids == ("t1",) for o in outcomes if isinstance(o, InpaintError))
    assert "t1" in str(outcomes[0])
    clock.advance(1000.0)
    for _ in range(100):
        await asyncio.sleep(0)
    assert (len(server.submits), len(server.polls)) == sent
    with pytest.raises(ClientClosedError):
        await c.inpaint(make_job(), "toy")
    assert (len(server.submits), len(server.polls)) == sent


async def test_close_can_wait_for_calls_in_flight(toy: tuple[ToyServer, str]) -> None:
    server, base = toy
    server.default_poll = {"state": "done", "id": "t1", "images": []}
    clock = VirtualClock(auto_advance=False)
    c = client(base, clock)
    await c.__aenter__()
    job = asyncio.create_task(c.inpaint(make_job(), "toy"))
    await until(lambda: clock.pending_sleepers == 1)
    closing = asyncio.create_task(c.close(wait=True))
    await until(lambda: clock.pending_sleepers == 1 and not closing.done())
    clock.advance(5.0)
    await closing
    result = await job
    assert result.task_ids == ("t1",)


async def test_a_client_never_opened_raises_a_typed_error() -> None:
    c = InpaintClient(api_keys={"toy": KEY}, registry=registry(), clock=VirtualClock())
    with pytest.raises(ClientClosedError, match="async with"):
        await c.inpaint(make_job(), "toy")


# --- keys ----------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["secret-value\n", "secret\r\nX-Injected: 1", "sec\tret"])
async def test_a_control_character_in_the_key_is_a_typed_error_naming_the_key_not_its_value(
    toy: tuple[ToyServer, str], bad: str
) -> None:
    server, base = toy
    async with InpaintClient(
        api_keys={"toy": bad}, base_url=base, registry=registry(), clock=VirtualClock()
    ) as c:
        with pytest.raises(AuthenticationError) as info:
            await c.inpaint(make_job(), "toy")
    text = f"{info.value} {info.value!r} {info.value.args}"
    assert "api_keys['toy']" in text
    assert bad.strip() not in text
    assert "secret" not in text
    assert server.submits == []


async def test_a_control_character_in_the_environment_key_names_the_variable(
    toy: tuple[ToyServer, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, base = toy
    monkeypatch.setenv("TOY_API_KEY", "from-env\n")
    async with InpaintClient(base_url=base, registry=registry(), clock=VirtualClock()) as c:
        with pytest.raises(AuthenticationError, match="TOY_API_KEY") as info:
            await c.inpaint(make_job(), "toy")
    assert "from-env" not in str(info.value)


# --- split jobs ----------------------------------------------------------------------------


def _by_task(answers: Mapping[str, Any]) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def answer(request: web.Request) -> web.Response:
        return web.json_response(answers[request.match_info["id"]])

    return answer


async def test_a_failed_request_of_a_split_job_cancels_its_siblings_and_lists_every_task(
    toy: tuple[ToyServer, str],
) -> None:
    server, base = toy
    server.submit_script += [{"state": "pending", "id": "a"}, {"state": "pending", "id": "b"}]
    server.default_poll = _by_task(
        {"a": {"state": "failed", "reason": "nsfw"}, "b": {"state": "pending", "id": "b"}}
    )
    async with client(base, VirtualClock()) as c:
        with pytest.raises(TaskFailedError) as info:
            await c.inpaint(make_job(num_images=4), "toy")  # toy takes 2 per request
        polls_of_b = server.polls.count("b")
        for _ in range(200):
            await asyncio.sleep(0)
    assert set(info.value.task_ids) == {"a", "b"}
    assert info.value.task_id == "a"
    assert server.polls.count("b") == polls_of_b  # b was cancelled, not left polling


async def test_a_failed_submit_of_a_split_job_lists_the_sibling_already_submitted(
    toy: tuple[ToyServer, str],
) -> None:
    server, base = toy
    server.submit_script += [
        {"state": "pending", "id": "a"},
        web.json_response({"error": "bad key"}, status=401),
    ]
    async with client(base, VirtualClock()) as c:
        with pytest.raises(AuthenticationError) as info:
            await c.inpaint(make_job(num_images=4), "toy")
    assert info.value.task_ids == ("a",)
    assert server.polls == []


# --- anything untyped becomes typed ---------------------------------------------------------


class BuggyAdapter(ToyAdapter):
    def parse_poll(self, handle: TaskHandle, response: HttpResponse) -> TaskState:
        raise KeyError("images")


async def test_a_plugin_raising_something_untyped_surfaces_as_an_inpaint_error(
    toy: tuple[ToyServer, str],
) -> None:
    _, base = toy
    async with client(base, VirtualClock(), registry=ProviderRegistry([BuggyAdapter()])) as c:
        with pytest.raises(InpaintError, match="KeyError") as info:
            await c.inpaint(make_job(), "toy")
    assert info.value.task_ids == ("t1",)
    assert KEY not in str(info.value)


# --- StableDiffusionAPI uploads, over a scripted transport ----------------------------------


class ScriptedTransport:
    """Answers by URL path: a list of scripted answers per path (a TransportError is raised)."""

    def __init__(self, script: dict[str, list[Any]], default: Any) -> None:
        self.script = script
        self.default = default
        self.paths: list[str] = []

    async def send(self, request: OutgoingRequest, *, timeout: float) -> HttpResponse:
        url = request.url
        path = url.split("://", 1)[1].split("/", 1)[1]
        path = "/" + path.split("?", 1)[0]
        self.paths.append(path)
        queue = self.script.get(path, [])
        item = queue.pop(0) if queue else self.default
        if isinstance(item, Exception):
            raise item
        if isinstance(item, RawAnswer):
            return HttpResponse(item.status, item.body, {})
        status, body = item
        return HttpResponse(status, json.dumps(body).encode(), {})


class RawAnswer:
    def __init__(self, status: int, body: bytes) -> None:
        self.status = status
        self.body = body


UPLOAD = "/api/v6/base64_to_url"
UPLOADED = (200, {"status": "success", "output": ["https://files.example/x.png"]})
LIMITED = (429, {"status": "error", "message": "Rate limit exceeded"})


def sdapi_job() -> InpaintJob:
    image = png_bytes(gradient_image(512, 512))
    mask = png_bytes(rect_mask(512, 512, (100, 100, 300, 300)))
    return InpaintJob(image=image, mask=mask, prompt="a cat")


async def test_a_429_on_the_sdapi_upload_is_retried_like_a_submit_429() -> None:
    transport = ScriptedTransport(
        {UPLOAD: [LIMITED, UPLOADED, UPLOADED]},
        default=(401, {"status": "error", "message": "Invalid API key"}),
    )
    clock = VirtualClock()
    async with InpaintClient(
        api_keys={"stablediffusionapi": "k"},
        base_url="http://mock.invalid",
        image_hosts={"stablediffusionapi": ModelsLabUploadHost(key="ml-k")},
        clock=clock,
        transport=transport,
        retry_jitter=0.0,
    ) as c:
        with pytest.raises(AuthenticationError):  # the submit after the uploads
            await c.inpaint(sdapi_job(), "stablediffusionapi")
    assert transport.paths.count(UPLOAD) == 3
    assert len(clock.sleeps) == 1
    assert clock.sleeps[0] > 0


@pytest.mark.parametrize("reached", [True, False])
async def test_a_transport_failure_on_the_sdapi_upload_is_retried_then_typed(
    reached: bool,
) -> None:
    transport = ScriptedTransport({}, default=TransportError("reset by peer", reached=reached))
    async with InpaintClient(
        api_keys={"stablediffusionapi": "k"},
        base_url="http://mock.invalid",
        image_hosts={"stablediffusionapi": ModelsLabUploadHost(key="ml-k")},
        clock=VirtualClock(),
        transport=transport,
    ) as c:
        with pytest.raises(ProviderUnavailableError) as info:
            await c.inpaint(sdapi_job(), "stablediffusionapi")
    assert "image upload" in str(info.value)
    assert transport.paths.count(UPLOAD) > 1
    assert all(p == UPLOAD for p in transport.paths)


async def test_close_waiting_lets_an_inpaint_between_submit_and_wait_finish(
    toy: tuple[ToyServer, str],
) -> None:
    server, base = toy
    server.default_poll = {"state": "done", "id": "t1", "images": []}
    clock = VirtualClock(auto_advance=False)
    c = client(base, clock)
    await c.__aenter__()
    submitted = asyncio.Event()
    original = c.submit

    async def slow_submit(job: InpaintJob, provider: str) -> Any:
        handle = await original(job, provider)
        submitted.set()
        await asyncio.sleep(0)  # close(wait=True) begins here, between submit and wait
        await asyncio.sleep(0)
        return handle

    c.submit = slow_submit  # type: ignore[method-assign]
    job = asyncio.create_task(c.inpaint(make_job(), "toy"))
    await until(submitted.is_set)  # bounded: a client that never calls submit fails, not hangs
    closing = asyncio.create_task(c.close(wait=True))
    await until(lambda: clock.pending_sleepers == 1)
    clock.advance(5.0)
    await closing
    assert (await job).task_ids == ("t1",)


async def test_a_failed_single_task_job_names_its_task_in_task_ids(
    toy: tuple[ToyServer, str],
) -> None:
    server, base = toy
    server.poll_script.append({"state": "failed", "reason": "nsfw"})
    async with client(base, VirtualClock()) as c:
        with pytest.raises(TaskFailedError) as info:
            await c.inpaint(make_job(), "toy")
    assert info.value.task_id == "t1"
    assert info.value.task_ids == ("t1",)


async def test_a_result_download_is_retried_after_a_5xx_and_a_lost_connection() -> None:
    png = base64.b64decode(result_png())
    done = (200, {"state": "done", "id": "t1", "images": [{"url": "http://files.invalid/r.png"}]})
    transport = ScriptedTransport(
        {
            "/toy/submit": [done],
            "/r.png": [
                (503, {"error": "busy"}),
                TransportError("reset by peer", reached=True),
                RawAnswer(200, png),
            ],
        },
        default=(404, {}),
    )
    clock = VirtualClock()
    async with InpaintClient(
        api_keys={"toy": KEY},
        base_url="http://toy.invalid",
        registry=registry(),
        clock=clock,
        transport=transport,
        retry_jitter=0.0,
    ) as c:
        result = await c.inpaint(make_job(), "toy")
    assert result.images[0].data == png
    assert transport.paths.count("/r.png") == 3
    assert clock.sleeps == [1.0, 2.0]


async def test_an_expired_result_url_is_not_retried() -> None:
    done = (200, {"state": "done", "id": "t1", "images": [{"url": "http://files.invalid/r.png"}]})
    transport = ScriptedTransport({"/toy/submit": [done]}, default=(403, {"error": "expired"}))
    async with InpaintClient(
        api_keys={"toy": KEY},
        base_url="http://toy.invalid",
        registry=registry(),
        clock=VirtualClock(),
        transport=transport,
    ) as c:
        with pytest.raises(InpaintError) as info:
            await c.inpaint(make_job(), "toy")
    assert info.value.status == 403
    assert info.value.provider == "toy"
    assert transport.paths.count("/r.png") == 1
