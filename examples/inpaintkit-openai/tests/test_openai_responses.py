"""OpenAI's answers and error bodies -> task states and typed errors."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from inpaintkit.errors import (
    AuthenticationError,
    InsufficientCreditsError,
    ProviderError,
    RateLimitedError,
    ServerError,
    ValidationError,
)
from inpaintkit.provider import Done, Failed, HttpResponse, parsed
from inpaintkit_openai.responses import URL_TTL, parse_edit
from openai_testdata import image_png

PNG = image_png((8, 8))


def answer(status: int, body: Any, **headers: str) -> HttpResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HttpResponse(status, raw, {"content-type": "application/json", **headers})


def error(status: int, message: str, param: Any = None, code: Any = None, **kw: str) -> Any:
    body = {
        "error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}
    }
    state = parsed(parse_edit, answer(status, body, **kw))
    assert isinstance(state, Failed)
    assert state.error.raw_body == body
    assert state.error.status == status
    assert state.error.provider == "openai"
    return state.error


def test_b64_json_images_are_decoded() -> None:
    encoded = base64.b64encode(PNG).decode()
    state = parsed(parse_edit, answer(200, {"created": 1, "data": [{"b64_json": encoded}] * 2}))
    assert isinstance(state, Done)
    assert [i.data for i in state.images] == [PNG, PNG]
    assert state.raw["data"][0]["b64_json"] == f"<{len(encoded)} chars>"


def test_url_images_are_kept_with_their_sixty_minutes() -> None:
    url = "https://oaidalleapiprodscus.blob.core.windows.net/private/img.png"
    state = parsed(parse_edit, answer(200, {"created": 1, "data": [{"url": url}]}))
    assert isinstance(state, Done)
    assert (state.images[0].url, state.images[0].data, state.images[0].ttl) == (url, None, URL_TTL)


@pytest.mark.parametrize(
    "body",
    [
        {"created": 1, "data": []},
        {"created": 1},
        {"created": 1, "data": [{"b64_json": "not base64!"}]},
        {"created": 1, "data": [{"revised_prompt": "x"}]},
        b"<html>bad gateway</html>",
    ],
)
def test_an_answer_without_images_is_a_provider_error(body: Any) -> None:
    state = parsed(parse_edit, answer(200, body))
    assert isinstance(state, Failed)
    assert isinstance(state.error, ProviderError)


@pytest.mark.parametrize(
    ("param", "code", "path"),
    [
        ("n", "integer_above_max_value", "$.num_images"),
        ("prompt", "string_above_max_length", "$.prompt"),
        ("size", "invalid_value", "$.width"),
        ("mask", "invalid_image", "$.mask"),
        ("image", "invalid_image_file", "$.image"),
        ("model", "invalid_value", "$.model"),
        ("quality", "unknown_parameter", "$"),
        (None, None, "$"),
    ],
)
def test_a_400_names_the_neutral_field_through_the_table(
    param: str | None, code: str | None, path: str
) -> None:
    exc = error(400, "Invalid value.", param, code)
    assert isinstance(exc, ValidationError)
    assert exc.paths == (path,)
    if param is not None:
        assert f"wire field {param}" in exc.errors[0].rule


def test_model_not_found_blames_the_model_even_without_param() -> None:
    exc = error(404, "The model does not exist.", None, "model_not_found")
    assert isinstance(exc, ValidationError)
    assert exc.paths == ("$.model",)


@pytest.mark.parametrize("status", [401, 403])
def test_key_problems_are_authentication_errors(status: int) -> None:
    assert isinstance(error(status, "Incorrect API key provided."), AuthenticationError)


def test_a_spent_quota_is_insufficient_credits_not_a_rate_limit() -> None:
    exc = error(429, "You exceeded your current quota.", None, "insufficient_quota")
    assert isinstance(exc, InsufficientCreditsError)
    assert not isinstance(exc, RateLimitedError)


def test_a_billing_hard_limit_is_insufficient_credits_not_a_field_error() -> None:
    # The image endpoints answer a reached billing limit with a 400 of this code.
    exc = error(400, "Billing hard limit has been reached", None, "billing_hard_limit_reached")
    assert isinstance(exc, InsufficientCreditsError)
    assert not isinstance(exc, ValidationError)


def test_a_rate_limit_carries_the_retry_after_header() -> None:
    exc = error(429, "Rate limit reached.", None, "rate_limit_exceeded", **{"retry-after": "7"})
    assert isinstance(exc, RateLimitedError)
    assert exc.retry_after == 7.0


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient_server_errors(status: int) -> None:
    exc = error(status, "The server had an error.")
    assert type(exc) is ServerError


def test_a_non_json_error_keeps_its_text() -> None:
    state = parsed(parse_edit, answer(502, b"Bad Gateway"))
    assert isinstance(state, Failed)
    assert type(state.error) is ServerError
    assert state.error.raw_body == "Bad Gateway"
