"""ModelsLab's documented base64_to_url as an image host, and which plugin offers it for which
provider (pure functions plus a fake send).  Issue 10 items 2 and 3."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from imagegen import gradient_image, jpeg_bytes, png_bytes
from inpaintkit.errors import (
    AuthenticationError,
    ProviderError,
    RateLimitedError,
    ServerError,
    ValidationError,
)
from inpaintkit.hookspecs import hookimpl
from inpaintkit.plugins import ProviderRegistry, make_plugin_manager
from inpaintkit.provider import HostContext, HttpRequest, HttpResponse
from inpaintkit.providers import stablediffusionapi
from inpaintkit.providers.modelslab import (
    SPEC,
    UPLOAD_MAX_BYTES,
    ModelsLabUploadHost,
    build_upload_request,
    parse_upload_response,
)
from inpaintkit.providers.stablediffusionapi import StableDiffusionApiAdapter

PNG = png_bytes(gradient_image(16, 16))
HOSTED = "https://pub-3626123a908346a7a8be8d9295f44e26.r2.dev/temp/12198578431733221989.png"


def answer(body: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(status, json.dumps(body).encode(), {})


def test_upload_request_is_a_data_url_without_the_key() -> None:
    request = build_upload_request(PNG, "image/png")
    expected = "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert request == HttpRequest("POST", "/api/v6/base64_to_url", json={"base64_string": expected})


@pytest.mark.parametrize("given", ["", "application/octet-stream", "image/"])
def test_media_type_is_sniffed_when_not_an_image_type(given: str) -> None:
    jpeg = jpeg_bytes(gradient_image(16, 16))
    request = build_upload_request(jpeg, given)
    assert request.json["base64_string"].startswith("data:image/jpeg;base64,")


def test_media_type_parameters_are_dropped() -> None:
    request = build_upload_request(PNG, "IMAGE/PNG; charset=binary")
    assert request.json["base64_string"].startswith("data:image/png;base64,")


def test_five_megabytes_is_the_limit() -> None:
    build_upload_request(b"\0" * UPLOAD_MAX_BYTES, "image/png")
    with pytest.raises(ValidationError) as info:
        build_upload_request(b"\0" * (UPLOAD_MAX_BYTES + 1), "image/png")
    error = info.value
    assert error.paths == ("$.image",)
    assert "5 MB" in str(error)
    assert str(UPLOAD_MAX_BYTES) in str(error)
    assert "image host" in str(error)
    assert f"<{UPLOAD_MAX_BYTES + 1} bytes>" in str(error)


def test_upload_success_reference_3_1() -> None:
    body = {"status": "success", "id": 1047, "output": [HOSTED]}
    assert parse_upload_response(answer(body)) == HOSTED


def test_upload_success_with_a_single_string_output() -> None:
    assert parse_upload_response(answer({"status": "success", "output": HOSTED})) == HOSTED


@pytest.mark.parametrize("output", [[], "", None, ["not a url"]])
def test_upload_success_without_a_url(output: Any) -> None:
    with pytest.raises(ProviderError) as info:
        parse_upload_response(answer({"status": "success", "output": output}))
    assert info.value.raw_body["status"] == "success"


@pytest.mark.parametrize(
    ("body", "status", "cls"),
    [
        ({"status": "error", "message": "Invalid Api Key"}, 200, AuthenticationError),
        ({"status": "error", "message": "Invalid Api Key"}, 401, AuthenticationError),
        (
            {"status": "error", "messege": "Rate limit exceeded", "retry_after": 5},
            429,
            RateLimitedError,
        ),
        (
            {"status": "error", "message": "Maximum file size for upload is 5MB"},
            400,
            ValidationError,
        ),
        ({"status": "error", "message": "Internal server error."}, 500, ServerError),
    ],
)
def test_upload_errors_are_typed(body: dict[str, Any], status: int, cls: type[Exception]) -> None:
    with pytest.raises(cls) as info:
        parse_upload_response(answer(body, status))
    assert type(info.value) is cls
    assert info.value.raw_body == body  # type: ignore[attr-defined]


async def test_upload_sends_through_the_context() -> None:
    sent: list[HttpRequest] = []

    async def send(request: HttpRequest) -> HttpResponse:
        sent.append(request)
        return answer({"status": "success", "id": 1, "output": [HOSTED]})

    context = HostContext(provider=SPEC, send=send, base_url="http://127.0.0.1:8123")
    url = await ModelsLabUploadHost().upload(PNG, "image/png", context)
    assert url == HOSTED
    assert [r.url(context.base_url) for r in sent] == ["http://127.0.0.1:8123/api/v6/base64_to_url"]
    assert "key" not in sent[0].json


async def test_for_another_provider_it_uploads_to_modelslab_with_a_modelslab_key() -> None:
    """Item 2: the opt-in host for StableDiffusionAPI never sends to v3's own host."""
    sent: list[tuple[str, HttpRequest, str | None]] = []

    async def own_send(request: HttpRequest) -> HttpResponse:  # pragma: no cover - must not run
        raise AssertionError("sent to stablediffusionapi")

    async def send_to(provider: str, request: HttpRequest, key: str | None) -> HttpResponse:
        sent.append((provider, request, key))
        return answer({"status": "success", "id": 1, "output": [HOSTED]})

    context = HostContext(
        provider=stablediffusionapi.SPEC,
        send=own_send,
        base_url=stablediffusionapi.SPEC.base_url,
        send_to=send_to,
    )
    host = ModelsLabUploadHost(key="ml-secret-key")
    assert await host.upload(PNG, "image/png", context) == HOSTED
    assert [(p, r.path, k) for p, r, k in sent] == [
        ("modelslab", "/api/v6/base64_to_url", "ml-secret-key")
    ]
    assert "ml-secret-key" not in repr(host)


async def test_upload_does_not_send_an_oversized_image() -> None:
    async def send(request: HttpRequest) -> HttpResponse:  # pragma: no cover - must not run
        raise AssertionError("sent")

    context = HostContext(provider=SPEC, send=send, base_url=SPEC.base_url)
    with pytest.raises(ValidationError):
        await ModelsLabUploadHost().upload(b"\0" * (UPLOAD_MAX_BYTES + 1), "image/png", context)


# --- hooks ------------------------------------------------------------------------------------


def test_only_modelslab_gets_a_host_by_default() -> None:
    """Item 2: StableDiffusionAPI documents no upload, so no plugin offers it one unasked;
    item 3: ModelsLab's own local images go through its documented upload."""
    registry = ProviderRegistry.from_plugin_manager(make_plugin_manager(entry_points=False))
    assert isinstance(registry["stablediffusionapi"], StableDiffusionApiAdapter)
    assert registry.image_host("stablediffusionapi") is None
    assert isinstance(registry.image_host("modelslab"), ModelsLabUploadHost)
    assert registry.image_host("some-other-provider") is None


def test_the_host_is_a_plugin_for_the_providers_it_names() -> None:
    pm = make_plugin_manager(entry_points=False, plugins=[ModelsLabUploadHost(key="k")])
    registry = ProviderRegistry.from_plugin_manager(pm)
    assert isinstance(registry.image_host("stablediffusionapi"), ModelsLabUploadHost)


class OwnStorage:
    """A user's host for their own storage."""

    async def upload(self, data: bytes, media_type: str, context: HostContext) -> str:
        return "https://cdn.example/uploaded.png"


class OwnStoragePlugin:
    @hookimpl
    def image_host(self, provider_id: str) -> OwnStorage | None:
        return OwnStorage() if provider_id == "stablediffusionapi" else None


def test_a_users_image_host_plugin_takes_precedence() -> None:
    pm = make_plugin_manager(entry_points=False, plugins=[OwnStoragePlugin()])
    registry = ProviderRegistry.from_plugin_manager(pm)
    assert isinstance(registry.image_host("stablediffusionapi"), OwnStorage)
