"""The ``http_exchange`` wrapper hook: plugins see every HTTP exchange of the runtime.

The toy provider answers from an in-memory script; the plugins are registered on a plugin
manager built by :func:`inpaintkit.plugins.make_plugin_manager`, as an installed plugin would be.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Generator
from typing import Any

import pluggy
import pytest
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit import AuthenticationError, InpaintClient, InpaintJob, VirtualClock, hookimpl
from inpaintkit.errors import InpaintError
from inpaintkit.events import Event, Retried
from inpaintkit.exchange import exchange
from inpaintkit.plugins import ProviderRegistry, make_plugin_manager
from inpaintkit.provider import HttpResponse, ProviderAdapter
from inpaintkit.providers.modelslab import ModelsLabUploadHost
from inpaintkit.transport import MemoryTransport, OutgoingRequest, TransportError
from test_client import KEY, make_job, result_png
from toyprovider import ToyAdapter
from toytransport import ScriptedToy, answer


class ToyPlugin:
    @hookimpl
    def register_providers(self, register: Callable[[ProviderAdapter], None]) -> None:
        register(ToyAdapter())


class Timer:
    """Counts the exchanges and times each one."""

    def __init__(self) -> None:
        self.exchanges: list[tuple[str, str, str, int | None, float]] = []

    @hookimpl(wrapper=True)
    def http_exchange(
        self, request: OutgoingRequest, provider: str
    ) -> Generator[None, HttpResponse, HttpResponse]:
        started = time.perf_counter()
        status: int | None = None
        try:
            response = yield
            status = response.status
            return response
        finally:
            path = request.url.split("toy.invalid", 1)[1]
            elapsed = time.perf_counter() - started
            self.exchanges.append((provider, request.method, path, status, elapsed))


class FailureWatcher:
    """Sees the transport failures (and lets them through)."""

    def __init__(self) -> None:
        self.failures: list[TransportError] = []

    @hookimpl(wrapper=True)
    def http_exchange(
        self, request: OutgoingRequest
    ) -> Generator[None, HttpResponse, HttpResponse]:
        try:
            return (yield)
        except TransportError as exc:
            self.failures.append(exc)
            raise


def toy_client(toy: ScriptedToy, *plugins: object, **kwargs: Any) -> InpaintClient:
    pm = make_plugin_manager(entry_points=False, builtins=False, plugins=[ToyPlugin(), *plugins])
    return InpaintClient(
        api_keys={"toy": KEY},
        base_url="http://toy.invalid",
        registry=ProviderRegistry.from_plugin_manager(pm),
        clock=VirtualClock(),
        transport=toy.transport,
        retry_jitter=0.0,
        **kwargs,
    )


async def test_a_plugin_counts_and_times_every_exchange_submit_polls_and_download() -> None:
    toy = ScriptedToy()
    toy.files["r.png"] = base64.b64decode(result_png())
    toy.polls += [
        {"state": "pending", "id": "t1"},
        {"state": "done", "id": "t1", "images": [{"url": "http://toy.invalid/files/r.png"}]},
    ]
    timer = Timer()
    async with toy_client(toy, timer) as c:
        result = await c.inpaint(make_job(), "toy")
    assert result.images[0].width == 64
    assert [e[:4] for e in timer.exchanges] == [
        ("toy", "POST", "/toy/submit", 200),
        ("toy", "GET", "/toy/tasks/t1", 200),
        ("toy", "GET", "/toy/tasks/t1", 200),
        ("toy", "GET", "/files/r.png", 200),
    ]
    assert all(e[4] >= 0 for e in timer.exchanges)
    assert len(timer.exchanges) == len(toy.requests)  # every request went through the hook


async def test_a_plugin_sees_the_transport_error_and_the_retry_goes_on() -> None:
    toy = ScriptedToy()
    toy.polls += [
        TransportError("connection reset by peer", reached=True),
        {"state": "done", "id": "t1", "images": [{"b64": result_png()}]},
    ]
    watcher, timer = FailureWatcher(), Timer()
    async with toy_client(toy, watcher, timer) as c:
        await c.inpaint(make_job(), "toy")
    assert [str(f) for f in watcher.failures] == ["connection reset by peer"]
    assert [e[3] for e in timer.exchanges] == [200, None, 200]  # the failed one has no status


async def test_wrappers_nest_in_pluggy_order_and_may_replace_the_response() -> None:
    calls: list[str] = []

    class Outer:
        @hookimpl(wrapper=True)
        def http_exchange(self) -> Generator[None, HttpResponse, HttpResponse]:
            calls.append("outer in")
            response = yield
            calls.append(f"outer out {response.status}")
            return response

    class Inner:
        @hookimpl(wrapper=True, trylast=True)
        def http_exchange(self) -> Generator[None, HttpResponse, HttpResponse]:
            calls.append("inner in")
            yield
            calls.append("inner out")
            return HttpResponse(299, b"")

    pm = make_plugin_manager(entry_points=False, builtins=False, plugins=[Outer(), Inner()])
    request = OutgoingRequest("GET", "http://x.invalid/", {})

    async def send() -> HttpResponse:
        calls.append("send")
        return HttpResponse(200, b"")

    response = await exchange(pm, request, "p", send)
    assert response.status == 299
    assert calls == ["outer in", "inner in", "send", "inner out", "outer out 299"]


def test_an_implementation_that_is_not_a_wrapper_is_refused_at_start_up() -> None:
    class Plain:
        @hookimpl
        def http_exchange(self, request: OutgoingRequest) -> None:
            return None

    with pytest.raises(pluggy.PluginValidationError, match="wrapper=True"):
        make_plugin_manager(entry_points=False, builtins=False, plugins=[Plain()])


async def test_a_wrapper_that_yields_twice_is_a_typed_plugin_bug() -> None:
    class Twice:
        @hookimpl(wrapper=True)
        def http_exchange(self) -> Generator[None, HttpResponse, HttpResponse]:
            yield
            yield
            return HttpResponse(200)  # pragma: no cover

    pm = make_plugin_manager(entry_points=False, builtins=False, plugins=[Twice()])

    async def send() -> HttpResponse:
        return HttpResponse(200, b"")

    with pytest.raises(InpaintError, match="yielded twice"):
        await exchange(pm, OutgoingRequest("GET", "http://x.invalid/", {}), "p", send)


async def test_the_request_a_plugin_sees_shows_no_key_in_its_repr() -> None:
    toy = ScriptedToy()
    toy.submits.append({"state": "done", "id": "s", "images": [{"b64": result_png()}]})
    seen: list[str] = []

    class Recorder:
        @hookimpl(wrapper=True)
        def http_exchange(self, request: OutgoingRequest) -> Generator[None, Any, Any]:
            seen.append(repr(request))
            return (yield)

    async with toy_client(toy, Recorder()) as c:
        await c.inpaint(make_job(), "toy")
    size = len(toy.requests[0].content or b"")
    assert seen == [f"OutgoingRequest(POST http://toy.invalid/toy/submit, <{size} bytes>)"]
    assert all(KEY not in s for s in seen)


async def test_image_uploads_go_through_the_hook_and_their_429_is_a_retried_event() -> None:

    upload = "/api/v6/base64_to_url"
    uploads = [
        answer({"status": "error", "message": "Rate limit exceeded"}, 429, Retry_After="3"),
        answer({"status": "success", "output": ["https://files.example/x.png"]}),
        answer({"status": "success", "output": ["https://files.example/y.png"]}),
    ]

    def handle(request: OutgoingRequest) -> HttpResponse:
        if request.url.endswith(upload):
            return uploads.pop(0)
        return answer({"status": "error", "message": "Invalid API key"}, 401)

    seen: list[tuple[str, str]] = []

    class Paths:
        @hookimpl(wrapper=True)
        def http_exchange(
            self, request: OutgoingRequest, provider: str
        ) -> Generator[None, Any, Any]:
            seen.append((provider, request.url.split("mock.invalid", 1)[1]))
            return (yield)

    pm = make_plugin_manager(entry_points=False, mocks=False, plugins=[Paths()])
    events: list[Event] = []
    job = InpaintJob(
        image=png_bytes(gradient_image(512, 512)),
        mask=png_bytes(rect_mask(512, 512, (100, 100, 300, 300))),
        prompt="a cat",
    )
    async with InpaintClient(
        api_keys={"stablediffusionapi": "k"},
        base_url="http://mock.invalid",
        registry=ProviderRegistry.from_plugin_manager(pm),
        clock=VirtualClock(),
        transport=MemoryTransport(handle),
        retry_jitter=0.0,
        on_event=events.append,
        # StableDiffusionAPI takes links only: the opt-in host uploads through ModelsLab's
        # documented base64_to_url, with its own key.
        image_hosts={"stablediffusionapi": ModelsLabUploadHost(key="ml-key")},
    ) as c:
        with pytest.raises(AuthenticationError):  # the submit after the uploads
            await c.inpaint(job, "stablediffusionapi")
    assert [p for _, p in seen].count(upload) == 3
    assert {provider for provider, path in seen if path == upload} == {"modelslab"}
    assert {provider for provider, path in seen if path != upload} == {"stablediffusionapi"}
    retried = [e for e in events if isinstance(e, Retried)]
    assert [(r.what, r.reason, r.delay) for r in retried] == [("image upload", "rate limited", 3.0)]
