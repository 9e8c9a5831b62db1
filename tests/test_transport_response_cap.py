"""The default transport reads at most ``max_response_bytes`` of an answer.

It read every body whole: a broken or hostile peer (an endless chunked stream, a gzip bomb, a
multi-gigabyte "image") could exhaust the process's memory.  An answer above the cap is now a
:class:`TransportError` naming the size, before it is read (its Content-Length) or as soon as
the bytes read pass the cap (chunked, or compressed: the cap counts decoded bytes).
"""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from inpaintkit.transport import (
    DEFAULT_MAX_RESPONSE_BYTES,
    AiohttpTransport,
    OutgoingRequest,
    TransportError,
)

CAP = 64 * 1024


async def _sized(request: web.Request) -> web.Response:
    return web.Response(body=b"x" * int(request.query["n"]))


async def _chunked(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    response.enable_chunked_encoding()
    await response.prepare(request)
    for _ in range(int(request.query["chunks"])):
        await response.write(b"y" * 16 * 1024)
    await response.write_eof()
    return response


async def _bomb(request: web.Request) -> web.Response:
    packed = gzip.compress(b"\0" * (4 * CAP))  # a few hundred bytes on the wire
    return web.Response(body=packed, headers={"Content-Encoding": "gzip"})


@pytest.fixture
async def base() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/sized", _sized)
    app.router.add_get("/chunked", _chunked)
    app.router.add_get("/bomb", _bomb)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def _get(url: str, cap: int = CAP) -> bytes:
    async with aiohttp.ClientSession() as session:
        transport = AiohttpTransport(session, max_response_bytes=cap)
        response = await transport.send(OutgoingRequest("GET", url, {}), timeout=30)
        return response.body


async def test_an_answer_within_the_cap_is_read_whole(base: str) -> None:
    assert await _get(f"{base}/sized?n={CAP}") == b"x" * CAP
    assert await _get(f"{base}/chunked?chunks=4") == b"y" * CAP


@pytest.mark.parametrize(
    "path", ["/sized?n=65537", "/chunked?chunks=5", "/bomb"], ids=["length", "chunked", "gzip"]
)
async def test_an_answer_above_the_cap_is_a_transport_error(base: str, path: str) -> None:
    with pytest.raises(TransportError, match=r"more than the 65536 bytes") as info:
        await _get(base + path)
    assert info.value.reached  # the request was received: a submit's outcome is unknown


def test_the_default_cap_leaves_room_for_real_answers() -> None:
    # Four 16-megapixel PNGs inline as base64 are about 130 MB.
    assert DEFAULT_MAX_RESPONSE_BYTES >= 256 * 1024 * 1024


def test_the_cap_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_response_bytes"):
        AiohttpTransport(None, max_response_bytes=0)  # type: ignore[arg-type]
