"""Hostile or broken peers through the whole client (review 8): a scripted in-memory
transport plays the provider and the file host; nothing leaves the process, and the client's
virtual clock makes every wait instant."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from imagegen import gradient_image, png_bytes
from inpaintkit import InpaintClient, InpaintJob, VirtualClock
from inpaintkit.errors import InpaintError, ProviderError
from inpaintkit.provider import HttpResponse
from inpaintkit.transport import MemoryTransport, OutgoingRequest, TransportError

KEY = "sk-hostile-peer-key-0123456789"
PROVIDERS = ["stablediffusionapi", "modelslab"]
PNG = png_bytes(gradient_image(64, 64))


def job(provider: str) -> InpaintJob:
    extra: dict[str, Any] = {"model": "m"} if provider == "modelslab" else {}
    return InpaintJob(
        image="https://img.test/a.png",
        mask="https://img.test/m.png",
        width=512,
        height=512,
        prompt="a cat",
        **extra,
    )


def answer(status: int, body: Any, **headers: str) -> HttpResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HttpResponse(status, raw, {"content-type": "application/json", **headers})


Answer = HttpResponse | BaseException | Callable[[OutgoingRequest], HttpResponse]


class Peer:
    """The provider's submit and fetch endpoints and the file host, each scripted."""

    def __init__(self, submit: Answer, fetch: Answer, files: Answer) -> None:
        self.routes = {"submit": submit, "fetch": fetch, "files": files}
        self.transport = MemoryTransport(self.handle)

    def handle(self, request: OutgoingRequest) -> HttpResponse:
        url = request.url
        kind = "fetch" if "/fetch/" in url else "submit" if "/inpaint" in url else "files"
        item = self.routes[kind]
        if isinstance(item, BaseException):
            raise item
        return item if isinstance(item, HttpResponse) else item(request)

    def api_requests(self) -> list[OutgoingRequest]:
        """The requests sent to the provider's API (submits and fetches), in order."""
        return [r for r in self.transport.requests if "/api/" in r.url]


async def run(peer: Peer, provider: str, clock: VirtualClock | None = None) -> Any:
    async with InpaintClient(
        api_keys={provider: KEY}, transport=peer.transport, clock=clock or VirtualClock()
    ) as client:
        try:
            return await client.inpaint(job(provider), provider)
        except InpaintError as error:
            return error


def assert_no_key(error: InpaintError) -> None:
    for text in (str(error), repr(error), repr(error.raw_body), repr(error.args)):
        assert KEY not in text, text


# --- secrets ---------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_result_host_echoing_the_key_from_its_url_does_not_leak_it(provider: str) -> None:
    url = f"https://cdn.test/r.png?key={KEY}"
    done = answer(200, {"status": "success", "id": 5, "output": [url]})
    peer = Peer(done, done, HttpResponse(404, f"no such file: {url}".encode()))
    error = await run(peer, provider)
    assert isinstance(error, ProviderError)
    assert error.status == 404
    assert "no such file" in error.raw_body
    assert_no_key(error)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_lost_download_naming_the_url_with_the_key_does_not_leak_it(provider: str) -> None:
    url = f"https://cdn.test/r.png?key={KEY}"
    done = answer(200, {"status": "success", "id": 5, "output": [url]})
    peer = Peer(done, done, TransportError(f"InvalidURL: {url}", reached=True))
    error = await run(peer, provider)
    assert isinstance(error, InpaintError)
    assert "InvalidURL" in str(error)
    assert_no_key(error)


# --- result files that are not what they claim ---------------------------------------------


def _jpeg() -> bytes:
    import io

    buffer = io.BytesIO()
    gradient_image(64, 64).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    ("name", "body", "why"),
    [
        ("html", b"<html>gateway timeout</html>", "must be an image file"),
        ("cut-png", PNG[: len(PNG) // 2], "PNG is truncated"),
        ("cut-jpeg", _jpeg()[:-300], "JPEG is truncated"),
        ("bad-crc", PNG[:-5] + bytes([PNG[-5] ^ 1]) + PNG[-4:], "CRC mismatch"),
    ],
)
async def test_a_broken_result_file_is_the_providers_error_not_the_jobs(
    provider: str, name: str, body: bytes, why: str
) -> None:
    done = answer(200, {"status": "success", "id": 5, "output": ["https://cdn.test/r.png"]})
    peer = Peer(done, done, HttpResponse(200, body, {"content-type": "image/png"}))
    error = await run(peer, provider)
    assert type(error) is ProviderError, error
    assert error.provider == provider
    assert why in str(error)
    assert "invalid job" not in str(error)
    assert error.task_ids == ("5",)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_an_intact_result_file_still_finishes(provider: str) -> None:
    done = answer(200, {"status": "success", "id": 5, "output": ["https://cdn.test/r.png"]})
    peer = Peer(done, done, HttpResponse(200, PNG, {"content-type": "image/png"}))
    result = await run(peer, provider)
    assert not isinstance(result, InpaintError), result
    assert result.images[0].data == PNG


# --- Retry-After -----------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    "retry_after", ["86400000", "99999999999999999999", "1e308", "Wed, 21 Oct 2099 07:28:30 GMT"]
)
async def test_a_submit_retry_after_longer_than_the_job_may_take_is_raised_not_slept(
    provider: str, retry_after: str
) -> None:
    from inpaintkit.errors import RateLimitedError

    body = {"status": "error", "message": "slow down"}
    limited = answer(429, body, **{"retry-after": retry_after})
    peer = Peer(limited, limited, HttpResponse(404))
    clock = VirtualClock()
    start = clock.time()
    error = await run(peer, provider, clock)
    assert isinstance(error, RateLimitedError), error
    assert error.retry_after is not None
    assert error.retry_after > 600
    assert clock.time() - start < 600  # no sleep of days on the client's clock
    assert len(peer.api_requests()) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_short_submit_retry_after_is_still_honoured(provider: str) -> None:
    limited = answer(429, {"status": "error", "message": "slow down"}, **{"retry-after": "30"})
    done = answer(200, {"status": "success", "id": 5, "output": ["https://cdn.test/r.png"]})
    script = [limited, done]
    peer = Peer(lambda request: script.pop(0), done, HttpResponse(200, PNG))
    clock = VirtualClock()
    start = clock.time()
    result = await run(peer, provider, clock)
    assert not isinstance(result, InpaintError), result
    assert clock.time() - start >= 30
    assert len(peer.api_requests()) == 2
