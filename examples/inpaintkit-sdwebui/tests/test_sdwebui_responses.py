"""Parsing the web UI's answers: success with its ``info`` JSON string, and every error shape."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from inpaintkit.errors import (
    AuthenticationError,
    ProviderError,
    RateLimitedError,
    ValidationError,
)
from inpaintkit.provider import Done, Failed, HttpResponse
from inpaintkit_sdwebui.responses import parse_img2img
from sdwebui_testdata import image_png

PNG = image_png((8, 8))


def answer(status: int, body: Any, headers: dict[str, str] | None = None) -> HttpResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HttpResponse(status=status, body=raw, headers=headers or {})


def success(**overrides: Any) -> dict[str, Any]:
    info = {"seed": 3141, "all_seeds": [3141, 3142], "sampler_name": "Euler a", "steps": 20}
    body: dict[str, Any] = {
        "images": [base64.b64encode(PNG).decode(), base64.b64encode(PNG).decode()],
        "parameters": {"prompt": "x", "init_images": None, "mask": None},
        "info": json.dumps(info),
    }
    body.update(overrides)
    return body


def failed(response: HttpResponse) -> Any:
    state = parse_img2img(response)
    assert isinstance(state, Failed)
    return state.error


def test_success_gives_inline_images_and_the_seed_from_info() -> None:
    state = parse_img2img(answer(200, success()))
    assert isinstance(state, Done)
    assert [image.data for image in state.images] == [PNG, PNG]
    assert state.seed == 3141
    assert state.raw["images"] == "<2 images>"  # raw keeps the facts, not megabytes of base64


@pytest.mark.parametrize("info", ["not json", json.dumps([1, 2]), json.dumps({"seed": -1}), None])
def test_an_unreadable_info_costs_only_the_seed(info: Any) -> None:
    state = parse_img2img(answer(200, success(info=info)))
    assert isinstance(state, Done)
    assert state.seed is None
    assert len(state.images) == 2


def test_info_given_as_an_object_is_tolerated() -> None:
    state = parse_img2img(answer(200, success(info={"seed": 9})))
    assert isinstance(state, Done)
    assert state.seed == 9


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (success(images=[]), "no images"),
        (success(images=None), "no images"),
        (success(images=["%%%"]), "images[0] is not base64"),
        ([1, 2], "not a JSON object"),
    ],
)
def test_a_success_without_usable_images_is_a_provider_error(body: Any, words: str) -> None:
    error = failed(answer(200, body))
    assert type(error) is ProviderError
    assert words in str(error)


def test_fastapi_422_names_every_field_with_its_neutral_name() -> None:
    def item(loc: list[Any], msg: str, kind: str) -> dict[str, Any]:
        return {"loc": ["body", *loc], "msg": msg, "type": kind}

    body = {
        "detail": [
            item(["steps"], "value is not a valid integer", "type_error.integer"),
            item(["inpaint_full_res"], "value could not be parsed to a boolean", "type_error.bool"),
            item(["init_images", 0], "str type expected", "type_error.str"),
        ]
    }
    error = failed(answer(422, body))
    assert isinstance(error, ValidationError)
    assert error.paths == ("$.steps", "$.inpaint_full_res", "$.init_images[0]")
    text = str(error)
    assert "value is not a valid integer [type_error.integer] (neutral field $.steps)" in text
    assert "(neutral field $.mask_options.masked_only)" in text
    assert "str type expected [type_error.str] (neutral field $.image)" in text
    assert error.raw_body == body
    assert error.status == 422


@pytest.mark.parametrize(
    ("status", "detail", "path"),
    [
        (404, "Init image not found", "$.init_images"),
        (404, "Sampler not found", "$.sampler_name"),
        (400, "Sampler not found", "$.sampler_name"),
        (500, "Invalid encoded image", "$.init_images"),
        (404, "Model not found", "$.override_settings.sd_model_checkpoint"),
    ],
)
def test_web_ui_errors_that_blame_the_request_are_validation_errors(
    status: int, detail: str, path: str
) -> None:
    body = {"error": "HTTPException", "detail": detail, "body": "", "errors": f"{status}: {detail}"}
    error = failed(answer(status, body))
    assert isinstance(error, ValidationError)
    assert error.paths == (path,)
    assert detail in str(error)


def test_fastapis_own_404_means_the_api_is_not_enabled() -> None:
    error = failed(answer(404, {"detail": "Not Found"}))
    assert type(error) is ProviderError
    assert "--api" in error.hint
    assert error.status == 404


def test_a_500_from_the_pipeline_is_a_provider_error_with_the_exception() -> None:
    body = {"error": "OutOfMemoryError", "detail": "", "body": "", "errors": "CUDA out of memory"}
    error = failed(answer(500, body))
    assert type(error) is ProviderError
    assert "OutOfMemoryError: CUDA out of memory" in str(error)
    assert error.status == 500


@pytest.mark.parametrize("detail", ["Not authenticated", "Incorrect username or password"])
def test_401_is_an_authentication_error_that_explains_basic_auth(detail: str) -> None:
    error = failed(
        answer(401, {"error": "HTTPException", "detail": detail, "body": "", "errors": ""})
    )
    assert isinstance(error, AuthenticationError)
    assert detail in str(error)
    assert "--api-auth" in error.hint


def test_429_from_a_proxy_carries_retry_after() -> None:
    error = failed(answer(429, {"detail": "Too Many Requests"}, {"Retry-After": "12"}))
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 12.0


def test_a_non_json_error_page_is_kept_as_text() -> None:
    error = failed(answer(502, b"<html>Bad Gateway</html>"))
    assert type(error) is ProviderError
    assert error.raw_body == "<html>Bad Gateway</html>"
    assert "Bad Gateway" in str(error)
