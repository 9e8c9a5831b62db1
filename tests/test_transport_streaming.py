"""A JSON body holding a big base64 image goes to the socket a piece at a time.

The adapter's request already holds the image's base64 text (1.33x the image); encoding the
whole body into one bytes object beside it would hold the image's base64 twice.  The body is
produced in chunks from the request's JSON instead, with its length known up front (so
Content-Length is sent, never chunked transfer encoding), and anyone asking for
``OutgoingRequest.content`` still gets the exact bytes.  bench/bench_client_memory.py
measures what it saves on a 16-megapixel job.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import sys
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from imagegen import png_bytes, rect_mask
from inpaintkit import InpaintClient, InpaintJob, VirtualClock
from inpaintkit.images import to_base64, to_data_url
from inpaintkit.mockserver import MockConfig, run_mock
from inpaintkit.provider import HttpRequest
from inpaintkit.providers.modelslab import ModelsLabUploadHost
from inpaintkit.transport import AiohttpTransport, OutgoingRequest, encode_json, outgoing
from PIL import Image

IMAGE = random.Random(11).randbytes(3 * 1024 * 1024)
"""Big enough that a copy of its base64 (4 MiB) stands far above everything else allocated."""


def big_request(**extra: Any) -> HttpRequest:
    text = base64.b64encode(IMAGE).decode()
    return HttpRequest(
        "POST",
        "/v3/async/inpainting",
        json={
            "extra": {"response_image_type": "png", **extra},
            "request": {"prompt": 'a "red" bench – café', "image_base64": text, "seed": 1},
        },
        headers={"Authorization": "Bearer k"},
    )


def expected_bytes(request: HttpRequest) -> bytes:
    return json.dumps(request.json, separators=(",", ":"), ensure_ascii=False).encode()


def test_a_big_json_body_is_not_encoded_when_the_wire_request_is_made() -> None:
    request = big_request()
    body_size = len(expected_bytes(request))
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        wire = outgoing(request, "https://api.example.com")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak - before < body_size // 4, peak - before  # today: 1.75x the body
    url = "https://api.example.com/v3/async/inpainting"
    assert repr(wire) == f"OutgoingRequest(POST {url}, <{body_size} bytes>)"


def test_the_content_of_a_streamed_body_is_the_bytes_json_dumps_gives() -> None:
    request = big_request(note="x" * 70_000 + "\n")  # a big string that needs escaping too
    wire = outgoing(request, "https://h")
    assert wire.content == expected_bytes(request) == encode_json(request.json)
    assert wire.headers["Content-Type"] == "application/json"
    assert wire == OutgoingRequest(wire.method, wire.url, wire.headers, expected_bytes(request))
    assert wire != OutgoingRequest(wire.method, wire.url, wire.headers, b"{}")


@pytest.mark.skipif(
    sys.gettrace() is not None,
    reason="a trace function (coverage, a debugger) holds the frame's locals, which stops "
    "CPython from growing the text in place; the text is still right (tested below)",
)
def test_base64_text_is_held_once_while_it_is_made() -> None:
    text_size = len(base64.b64encode(IMAGE))
    tracemalloc.start()
    try:
        text = to_base64(IMAGE)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert text == base64.b64encode(IMAGE).decode()
    assert peak < text_size + text_size // 2, peak  # b64encode().decode(): twice the text
    tracemalloc.start()
    try:
        url = to_data_url(IMAGE, "png")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert url == "data:image/png;base64," + text
    assert peak < text_size + text_size // 2, peak


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 3 * 64 * 1024 - 1, 3 * 64 * 1024 + 1, 600_001])
def test_base64_made_a_slice_at_a_time_is_the_same_text(size: int) -> None:
    data = random.Random(size).randbytes(size)
    assert to_base64(data) == base64.b64encode(data).decode()
    assert to_base64(data, prefix="data:x;base64,") == "data:x;base64," + to_base64(data)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Received:
    """A server that reads bodies as a stream and keeps their digests (a copy of each would
    weigh in the memory measured, in this same process)."""

    def __init__(self) -> None:
        self.bodies: list[str] = []
        self.headers: list[dict[str, str]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.headers.append(dict(request.headers))
        sha = hashlib.sha256()
        async for chunk in request.content.iter_chunked(1 << 16):
            sha.update(chunk)
        self.bodies.append(sha.hexdigest())
        return web.json_response({"task_id": "t1"})


def serve(received: Received) -> TestServer:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/v3/async/inpainting", received.handle)
    return TestServer(app, host="127.0.0.1")


async def test_the_aiohttp_transport_streams_the_body_with_its_content_length() -> None:
    received = Received()
    request = big_request()
    async with serve(received) as server, aiohttp.ClientSession() as session:
        wire = outgoing(request, str(server.make_url("/")))
        transport = AiohttpTransport(session)
        first = await transport.send(wire, timeout=30)
        again = await transport.send(wire, timeout=30)  # a retried submit sends it all again
    assert first.status == again.status == 200
    assert received.bodies == [digest(expected_bytes(request))] * 2
    for headers in received.headers:
        assert headers["Content-Length"] == str(len(expected_bytes(request)))
        assert "Transfer-Encoding" not in headers
        assert headers["Content-Type"] == "application/json"


async def test_a_small_body_in_pieces_goes_out_with_its_headers_in_one_write(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Streaming pays a system call per piece: a body of one chunk or less (every 512x512
    job's) is sent as bytes, which aiohttp writes together with the headers."""
    import asyncio.selector_events

    small = HttpRequest(
        "POST",
        "/v3/async/inpainting",
        json={"request": {"image_base64": "A" * 12_000, "mask_image_base64": "B" * 3_000}},
    )
    received = Received()
    async with serve(received) as server, aiohttp.ClientSession() as session:
        wire = outgoing(small, str(server.make_url("/")))
        assert wire.body is not None
        assert len(wire.body._pieces) > 1  # the body is in pieces: image, mask, the rest
        writes: list[int] = []
        socket_transport: Any = vars(asyncio.selector_events)["_SelectorSocketTransport"]
        original = socket_transport.write

        def counting(self: Any, data: Any) -> None:
            writes.append(len(data))
            original(self, data)

        monkeypatch.setattr(socket_transport, "write", counting)
        answer = await AiohttpTransport(session).send(wire, timeout=30)
        monkeypatch.undo()
    assert answer.status == 200
    assert received.bodies == [digest(expected_bytes(small))]
    client_writes = [n for n in writes if n > len(expected_bytes(small))]
    assert len(client_writes) == 1, writes


async def test_sending_a_big_json_body_never_holds_it_whole_beside_its_base64() -> None:
    received = Received()
    request = big_request()
    body_size = len(expected_bytes(request))
    async with serve(received) as server, aiohttp.ClientSession() as session:
        transport = AiohttpTransport(session)
        base = str(server.make_url("/"))
        await transport.send(outgoing(big_request(), base), timeout=30)  # warm the connection
        tracemalloc.start()
        try:
            before, _ = tracemalloc.get_traced_memory()
            await transport.send(outgoing(request, base), timeout=30)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert received.bodies[-1] == digest(expected_bytes(request))
    # Chunks and socket buffers, never the whole body (encoded whole: 2x the body).
    assert peak - before < body_size // 3, peak - before


def chunk_sizes(wire: OutgoingRequest) -> Iterator[int]:
    assert wire.body is not None
    return (len(chunk) for chunk in wire.body.chunks())


@pytest.mark.parametrize("size", [0, 10, 70_000, 3_000_000])
def test_a_body_is_produced_in_bounded_chunks_whose_sizes_add_up(size: int) -> None:
    request = HttpRequest("POST", "/x", json={"a": "b" * size, "c": ["d" * size]})
    wire = outgoing(request, "https://h")
    assert wire.body is not None
    sizes = list(chunk_sizes(wire))
    assert sum(sizes) == len(wire.body) == len(expected_bytes(request))
    assert max(sizes) <= 256 * 1024 + 64


# --- end to end: the client's real transport against the mock ----------------------------------


@pytest.fixture
async def mock() -> AsyncIterator[Any]:
    async with run_mock(MockConfig(seed=5), clock=VirtualClock()) as server:
        yield server


def noisy_job(provider: str) -> InpaintJob:
    """An image whose base64 is several chunks (noise does not compress)."""
    size = 640
    picture = Image.effect_noise((size, size), 60).convert("RGB")
    extras = {"modelslab": {"base64": True}} if provider == "modelslab" else {}
    models = {"novita": "sd_xl_base_1.0.safetensors", "modelslab": "pony_realism"}
    return InpaintJob(
        image=png_bytes(picture),
        mask=png_bytes(rect_mask(size, size, (160, 160, 320, 320))),
        prompt="a red bench",
        model=models.get(provider),
        seed=1,
        extras=extras,
    )


class Recording:
    """The real transport, keeping what it was asked to send."""

    def __init__(self, inner: AiohttpTransport) -> None:
        self.inner = inner
        self.sent: list[OutgoingRequest] = []

    async def send(self, request: OutgoingRequest, *, timeout: float) -> Any:
        self.sent.append(request)
        return await self.inner.send(request, timeout=timeout)


def long_strings(node: Any) -> Iterator[str]:
    if isinstance(node, str) and len(node) > 512:
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from long_strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from long_strings(value)


@pytest.mark.parametrize("provider", ["novita", "modelslab", "stablediffusionapi"])
async def test_a_streamed_submit_reaches_the_mock_whole(mock: Any, provider: str) -> None:
    keys = {"novita": "n-key", "modelslab": "ml-key", "stablediffusionapi": "sd-key"}
    hosts = {"stablediffusionapi": ModelsLabUploadHost()}  # its images go up as base64 JSON
    base_urls = {pid: mock.provider_url(pid) for pid in keys}
    async with aiohttp.ClientSession() as session:
        transport = Recording(AiohttpTransport(session))
        async with InpaintClient(
            api_keys=keys,
            base_urls=base_urls,
            clock=mock.clock,
            image_hosts=hosts,
            transport=transport,
        ) as client:
            result = await client.inpaint(noisy_job(provider), provider)
    assert len(result.images) == 1
    posts = [r for r in transport.sent if r.method == "POST"]
    assert all(r.body is not None and len(r.body) == len(r.content or b"") for r in posts)
    images = [t for r in posts for t in long_strings(json.loads(r.content or b""))]
    assert max(len(t) for t in images) > 3 * 256 * 1024  # the image took several chunks
    # The mock parsed each body as JSON and keeps each long string as its length and digest:
    # every base64 text the client meant to send arrived whole.
    journal = json.dumps([e["body"] for e in mock.journal() if e["method"] == "POST"])
    for text in images:
        assert f"<{len(text)} chars sha256:{digest(text.encode())[:16]}>" in journal
