"""Issue 10, the Novita items: each decision tested on the plugin and the mock, end to end.

* NSFW: the verdict is ``valid and confidence >= 0.8`` and the confidence is on the result; the
  mock flags a prompt with the word ``nsfw`` and only that, so both verdicts go through a client.
* ``Content-Type: application/json`` is required on a submit; the client sends it.
* "16 megapixels" is 16,000,000 pixels on both sides: 4000x4000 passes, 641x24961 (one pixel
  more) does not; the images are 1-bit PNGs compressed row by row, a few kB each.
* ``inpainting_fill`` is a known, checked field of the mock.
* The model list: ``InpaintClient.models`` follows the cursors; ``inpaintkit models``.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit import InpaintClient, InpaintJob, VirtualClock
from inpaintkit.checking import check_request
from inpaintkit.cli import main
from inpaintkit.errors import AuthenticationError, ProviderError, ValidationError
from inpaintkit.job import SafetyCheck
from inpaintkit.matrix import render_matrix
from inpaintkit.mockserver import MockConfig, MockServer
from inpaintkit.plugins import ProviderRegistry, make_plugin_manager
from inpaintkit.provider import (
    HttpResponse,
    ModelListAdapter,
    PreparedImage,
    PreparedRequest,
    adapter_features,
)
from inpaintkit.providers.novita import SPEC, NovitaAdapter
from inpaintkit.providers.novita import models as novita_models
from inpaintkit.providers.novita.results import nsfw_verdict
from inpaintkit.transport import MemoryTransport, OutgoingRequest

MODEL = "realisticVisionV40_v40VAE-inpainting_81543.safetensors"
IMAGE = png_bytes(gradient_image(64, 48))
MASK = png_bytes(rect_mask(64, 48, (8, 8, 40, 32)))
AUTH = {"Authorization": "Bearer test-key"}


def registry() -> ProviderRegistry:
    return ProviderRegistry.from_plugin_manager(make_plugin_manager(entry_points=False))


@pytest.fixture(scope="module")
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture(scope="module")
def mock(clock: VirtualClock) -> Iterator[MockServer]:
    with MockServer(MockConfig(seed=3, novita_images_per_minute=None), clock=clock) as server:
        yield server


def job(**fields: Any) -> InpaintJob:
    base: dict[str, Any] = {"image": IMAGE, "mask": MASK, "prompt": "a red door", "model": MODEL}
    return InpaintJob(**{**base, **fields})


# --- NSFW ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        ({"valid": True, "confidence": 0.93}, (True, 0.93)),
        ({"valid": True, "confidence": 0.8}, (True, 0.8)),
        ({"valid": True, "confidence": 0.79}, (False, 0.79)),
        ({"valid": True, "confidence": 0.0}, (False, 0.0)),  # what the mock used to send
        ({"valid": False, "confidence": 0.99}, (False, 0.99)),
        ({"valid": True, "confidence": "0.9"}, (True, 0.9)),
        ({"valid": True, "confidence": 1.5}, (None, None)),
        ({"valid": True}, (None, None)),
        ({}, (None, None)),
        (None, (None, None)),
    ],
)
def test_nsfw_verdict_is_valid_and_confidence_at_least_0_8(
    result: Any, expected: tuple[bool | None, float | None]
) -> None:
    assert nsfw_verdict(result) == expected


@pytest.mark.parametrize(
    ("prompt", "nsfw", "confidence"),
    [("an NSFW pin-up poster", True, 0.97), ("a red door", False, 0.03)],
)
async def test_nsfw_both_verdicts_end_to_end(
    mock: MockServer, clock: VirtualClock, prompt: str, nsfw: bool, confidence: float
) -> None:
    async with InpaintClient(
        base_url=mock.url, api_keys={"novita": "k"}, registry=registry(), clock=clock
    ) as client:
        result = await client.inpaint(
            job(prompt=prompt, num_images=2, safety=SafetyCheck(enabled=True)), "novita"
        )
    assert [(i.nsfw, i.nsfw_confidence) for i in result.images] == [(nsfw, confidence)] * 2


async def test_without_detection_nothing_is_reported(mock: MockServer, clock: VirtualClock) -> None:
    async with InpaintClient(
        base_url=mock.url, api_keys={"novita": "k"}, registry=registry(), clock=clock
    ) as client:
        result = await client.inpaint(job(prompt="nsfw"), "novita")
    assert [(i.nsfw, i.nsfw_confidence) for i in result.images] == [(None, None)]


# --- the mock over HTTP: Content-Type, 16 megapixels, inpainting_fill ---------------------------


def tiny_png(width: int, height: int) -> bytes:
    """A valid all-black 1-bit PNG, compressed a row at a time (no full-size buffer)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    squash = zlib.compressobj(9)
    row = bytes(1 + (width + 7) // 8)
    parts = [squash.compress(row) for _ in range(height)]
    idat = b"".join(parts) + squash.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def submit_body(image: bytes, mask: bytes, **request: Any) -> dict[str, Any]:
    return {
        "request": {
            "model_name": MODEL,
            "prompt": "a red door",
            "image_num": 1,
            "steps": 20,
            "guidance_scale": 7.5,
            "sampler_name": "Euler a",
            "image_base64": base64.b64encode(image).decode(),
            "mask_image_base64": base64.b64encode(mask).decode(),
            **request,
        }
    }


async def post(mock: MockServer, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{mock.url}/v3/async/inpainting", data=body, headers=headers) as r,
    ):
        return r.status, await r.json(content_type=None)


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
async def test_mock_refuses_a_submit_without_json_content_type(
    mock: MockServer, content_type: str | None
) -> None:
    headers = dict(AUTH)
    if content_type is not None:
        headers["Content-Type"] = content_type
    body = json.dumps(submit_body(IMAGE, MASK)).encode()
    status, answer = await post(mock, body, headers)
    assert status == 400
    assert answer["code"] == 400
    assert answer["reason"] == "INVALID_REQUEST_BODY"
    assert answer["message"].startswith("Content-Type: must be application/json")


async def test_mock_accepts_the_same_submit_with_json_content_type(mock: MockServer) -> None:
    body = json.dumps(submit_body(IMAGE, MASK)).encode()
    headers = {**AUTH, "Content-Type": "application/json; charset=utf-8"}
    status, answer = await post(mock, body, headers)
    assert status == 200, answer
    assert "task_id" in answer


async def test_the_client_sends_json_content_type(mock: MockServer, clock: VirtualClock) -> None:
    async with InpaintClient(
        base_url=mock.url, api_keys={"novita": "k"}, registry=registry(), clock=clock
    ) as client:
        handle = await client.submit(job(), "novita")
    assert handle.task_handles


@pytest.mark.parametrize(
    ("width", "height", "status", "reason"),
    [(4000, 4000, 200, None), (641, 24961, 400, "IMAGE_EXCEEDS_MAX_RESOLUTION")],
)
async def test_mock_sixteen_megapixels_boundary_over_http(
    mock: MockServer, width: int, height: int, status: int, reason: str | None
) -> None:
    assert width * height in (16_000_000, 16_000_001)
    picture = tiny_png(width, height)
    assert len(picture) < 100_000
    body = json.dumps(submit_body(picture, picture)).encode()
    got, answer = await post(mock, body, {**AUTH, "Content-Type": "application/json"})
    assert got == status, answer
    if reason is not None:
        assert answer["reason"] == reason


@pytest.mark.parametrize(
    ("width", "height", "ok"), [(4000, 4000, True), (641, 24961, False), (24961, 641, False)]
)
def test_plugin_sixteen_megapixels_boundary(width: int, height: int, ok: bool) -> None:
    assert SPEC.image_limits.max_pixels == 16_000_000
    picture = tiny_png(width, height)
    request = PreparedRequest(
        job=job(),
        image=PreparedImage(picture, "png", width, height),
        mask=PreparedImage(picture, "png", width, height),
    )
    if ok:
        check_request(request, SPEC)
        return
    with pytest.raises(ValidationError) as caught:
        check_request(request, SPEC)
    assert caught.value.paths == ("$.image",)
    assert "16000000" in str(caught.value).replace(",", "").replace("_", "")


async def test_mock_checks_inpainting_fill(mock: MockServer) -> None:
    headers = {**AUTH, "Content-Type": "application/json"}
    ok, _ = await post(mock, json.dumps(submit_body(IMAGE, MASK, inpainting_fill=2)), headers)
    assert ok == 200
    status, answer = await post(
        mock, json.dumps(submit_body(IMAGE, MASK, inpainting_fill=9)), headers
    )
    assert (status, answer["reason"]) == (400, "INVALID_REQUEST_BODY")
    assert "inpainting_fill" in answer["message"]


# --- the model list -----------------------------------------------------------------------------


def test_novita_implements_the_model_list_protocol() -> None:
    adapter = NovitaAdapter()
    assert isinstance(adapter, ModelListAdapter)
    assert "models" in adapter_features(adapter)
    request = adapter.build_models(inpainting=True, cursor="c_abc")
    assert (request.method, request.path) == ("GET", "/v3/model")
    assert request.query == {
        "filter.types": "checkpoint",
        "filter.is_inpainting": "true",
        "pagination.limit": "100",
        "pagination.cursor": "c_abc",
    }
    assert request.headers["Content-Type"] == "application/json"
    assert "filter.is_inpainting" not in adapter.build_models(inpainting=False, cursor=None).query


async def test_models_end_to_end_follow_every_cursor(
    mock: MockServer, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(novita_models, "PAGE_LIMIT", 1)  # one model a page: three pages
    before = len(mock.journal("request"))
    async with InpaintClient(
        base_url=mock.url, api_keys={"novita": "k"}, registry=registry(), clock=clock
    ) as client:
        models = await client.models("novita")
        everything = await client.models("novita", inpainting=False)
    assert [m.model for m in models] == [
        MODEL,
        "dreamshaper_8Inpainting_131004.safetensors",
        "juggernautXL_v9Inpainting_240840.safetensors",
    ]
    first = models[0]
    assert (first.name, first.base_model, first.inpainting, first.sdxl, first.kind) == (
        "V4.0-inpainting (VAE)",
        "SD 1.5",
        True,
        False,
        "checkpoint",
    )
    assert models[2].sdxl is True
    assert len(everything) == 5
    assert any(m.inpainting is False for m in everything)
    cursors = [
        e["query"].get("pagination.cursor")
        for e in mock.journal("request")[before:]
        if e["path"] == "/v3/model"
    ]
    assert cursors[0] is None  # the first page
    assert cursors[1]  # then each next_cursor
    assert cursors[2]
    assert cursors[1] != cursors[2]


def model_transport(pages: list[dict[str, Any]]) -> MemoryTransport:
    answers = iter(pages)

    def answer(_request: OutgoingRequest) -> HttpResponse:
        return HttpResponse(200, json.dumps(next(answers)).encode(), {})

    return MemoryTransport(answer)


async def test_a_model_list_that_never_ends_is_a_provider_error() -> None:
    page = {"models": [], "pagination": {"next_cursor": "c_same"}}
    transport = model_transport([page] * 5)
    async with InpaintClient(
        api_keys={"novita": "k"}, registry=registry(), transport=transport
    ) as client:
        with pytest.raises(ProviderError, match="did not end"):
            await client.models("novita")
    assert len(transport.requests) == 2  # the repeated cursor stops it


async def test_a_model_list_error_is_typed_and_keyless() -> None:
    def answer(_request: OutgoingRequest) -> HttpResponse:
        body = {"code": 403, "reason": "INVALID_API_KEY", "message": "invalid api-key"}
        return HttpResponse(403, json.dumps(body).encode(), {})

    async with InpaintClient(
        api_keys={"novita": "sk-secret"}, registry=registry(), transport=MemoryTransport(answer)
    ) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.models("novita")
    assert "sk-secret" not in str(caught.value)


async def test_a_provider_without_a_model_list_is_a_validation_error() -> None:
    async with InpaintClient(api_keys={"modelslab": "k"}, registry=registry()) as client:
        with pytest.raises(ValidationError) as caught:
            await client.models("modelslab")
    assert caught.value.paths == ("$.provider",)


def test_cli_models_with_mock(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "-p", "NOVITA", "--mock", "--json"], clock=VirtualClock()) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["model"] == MODEL
    assert all(m["inpainting"] for m in listed)
    assert main(["models", "-p", "novita", "--mock"], clock=VirtualClock()) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["MODEL", "BASE", "NAME"]
    assert table[1].startswith(MODEL)


def test_cli_models_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "-p", "modelslab", "--mock"], clock=VirtualClock()) == 2
    assert "has no model list" in capsys.readouterr().err
    assert main(["models", "-p", "nope"], clock=VirtualClock()) == 2


# --- the decisions are written down once, in the table, and printed in the matrix ---------------


def test_the_matrix_prints_the_novita_decisions() -> None:
    text = render_matrix(registry())
    assert "valid and confidence >= 0.8" in text
    assert "langgenius/dify" in text
    assert "16,000,000 pixels" in text
    assert "Content-Type: application/json" in text
    assert "option `extras.novita.inpainting_fill` (must be in [0, 3])" in text
