"""Every documented StableDiffusionAPI v3 answer (and the shared ModelsLab ones), parsed.

The bodies are copied from seed 002 and the wire-facts reference (sections 2.3, 2.4, 3.3, 3.4,
3.5); each test asserts the state type, ids, eta, image URLs and, for errors, the class, the
retry hint and the raw body.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit.errors import (
    AuthenticationError,
    InsufficientCreditsError,
    ProviderError,
    RateLimitedError,
    ServerError,
    TaskFailedError,
    ValidationError,
)
from inpaintkit.job import InpaintJob
from inpaintkit.provider import (
    Done,
    Failed,
    HttpResponse,
    Pending,
    PreparedImage,
    PreparedRequest,
    TaskHandle,
    TaskState,
)
from inpaintkit.providers._platform import retry_after_of
from inpaintkit.providers.stablediffusionapi import StableDiffusionApiAdapter

ADAPTER = StableDiffusionApiAdapter()
SEED_OUTPUT = (
    "https://pub-8b49af329fae499aa563997f5d4068a4.r2.dev/generations/"
    "e67183ee-73c1-45c4-84e7-0dec6f657d33-0.png"
)


def request() -> PreparedRequest:
    image = png_bytes(gradient_image(64, 64))
    mask = png_bytes(rect_mask(64, 64, (8, 8, 32, 32)))
    return PreparedRequest(
        job=InpaintJob(image=image, mask=mask, prompt="a cat"),
        image=PreparedImage(image, "png", 64, 64, url="https://host.example/i.png"),
        mask=PreparedImage(mask, "png", 64, 64, url="https://host.example/m.png"),
    )


def response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HttpResponse(status, raw, headers or {})


def submit(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> TaskState:
    return ADAPTER.parse_submit(request(), response(body, status, headers))


def poll(
    body: Any, handle: TaskHandle | None = None, status: int = 200, **headers: str
) -> TaskState:
    handle = handle or TaskHandle("stablediffusionapi", "134712448")
    return ADAPTER.parse_poll(handle, response(body, status, headers))


def failed(state: TaskState, cls: type[Exception]) -> Any:
    assert isinstance(state, Failed), state
    assert type(state.error) is cls, state.error
    assert state.error.provider == "stablediffusionapi"
    return state.error


# --- success ----------------------------------------------------------------------------------

# Seed 002, "Example Response" (negative prompt and prompt shortened).
SEED_SUCCESS = {
    "status": "success",
    "generationTime": 1.9110066890716553,
    "id": 12384052,
    "output": [SEED_OUTPUT],
    "meta": {
        "H": 512,
        "W": 512,
        "file_prefix": "e67183ee-73c1-45c4-84e7-0dec6f657d33",
        "guidance_scale": 7.5,
        "n_samples": 1,
        "negative_prompt": " ((out of frame)), ((extra fingers))",
        "outdir": "out",
        "prompt": "a cat sitting on a bench DSLR photography, sharp focus",
        "safetychecker": "no",
        "seed": 3163825381,
        "steps": 20,
        "strength": 0.7,
    },
}


def test_seed_success_is_done_at_once() -> None:
    state = submit(SEED_SUCCESS)
    assert isinstance(state, Done)
    assert state.task_id == "12384052"
    assert state.seed == 3163825381
    assert state.generation_time == pytest.approx(1.9110066890716553)
    assert [(i.url, i.format, i.data) for i in state.images] == [(SEED_OUTPUT, "png", None)]
    assert state.raw == SEED_SUCCESS


def test_fetch_success_reference_2_3() -> None:
    url = (
        "https://pub-8b49af329fae499aa563997f5d4068a4.r2.dev/generations/"
        "e5cd86d3-7305-47fc-82c1-7d1a3b130fa4-0.png"
    )
    body = {"status": "success", "id": 12202888, "output": [url]}
    state = poll(body, TaskHandle("stablediffusionapi", "12202888"))
    assert isinstance(state, Done)
    assert state.task_id == "12202888"
    assert [i.url for i in state.images] == [url]
    assert state.seed is None


def test_modelslab_inpaint_success_reference_3_3_with_unknown_meta_fields() -> None:
    url = (
        "https://pub-8b49af329fae499aa563997f5d4068a4.r2.dev/generations/"
        "dc639bd6-d605-42c7-950e-48c531124d0d-0.png"
    )
    body = {
        "status": "success",
        "generationTime": 20.970642805099487,
        "id": 13446970,
        "output": [url],
        "meta": {"model_id": "midjourney-v4-painta", "seed": 1343687916, "full_url": "no"},
        "webhook_status": "",
        "tip": "anything",
    }
    state = submit(body)
    assert isinstance(state, Done)
    assert (state.task_id, state.seed) == ("13446970", 1343687916)
    assert [i.url for i in state.images] == [url]


def test_several_outputs_and_formats_from_urls() -> None:
    body = {
        "status": "success",
        "id": "7",
        "output": [
            "https://x.example/a.PNG",
            "https://x.example/b.jpg?sig=1",
            "https://x.example/c",
        ],
        "nsfw_content_detected": True,
    }
    state = submit(body)
    assert isinstance(state, Done)
    assert [i.format for i in state.images] == ["png", "jpeg", None]
    assert all(i.nsfw is True for i in state.images)


# --- processing -------------------------------------------------------------------------------

# Reference 2.3: a live v3 processing answer (meta shortened).
V3_PROCESSING = {
    "status": "processing",
    "tip": "for faster speed, keep resolution upto 512x512",
    "eta": 35.941116006399994,
    "messege": "Try to fetch request after given estimated time",
    "fetch_result": "https://stablediffusionapi.com/api/v3/fetch/10684517",
    "id": 10684517,
    "output": [],
    "meta": {"H": 512, "W": 512, "n_samples": 1},
}

FUTURE = (
    "https://pub-3626123a908346a7a8be8d9295f44e26.r2.dev/generations/"
    "0-0fbc4579-9fa8-4561-a9ae-30a19685573c.jpg"
)

# Reference 3.3: ModelsLab's processing answer with future_links (meta shortened).
ML_PROCESSING = {
    "status": "processing",
    "tip": "Get 20x faster image generation using enterprise plan.",
    "tip_1": "Your image is processing in background",
    "eta": 0.25,
    "messege": "Try to fetch request after seconds estimated",
    "webhook_status": "",
    "fetch_result": "https://modelslab.com/api/v6/images/fetch/134712448",
    "id": 134712448,
    "output": [],
    "meta": {"id": "134712448", "seed": 681162, "output": [FUTURE]},
    "future_links": [FUTURE],
}


def test_v3_processing_is_pending_with_eta_and_id() -> None:
    state = submit(V3_PROCESSING)
    assert isinstance(state, Pending)
    assert state.handle.provider == "stablediffusionapi"
    assert state.handle.task_id == "10684517"
    assert state.eta == pytest.approx(35.941116006399994)
    assert dict(state.handle.data) == {"meta": {"H": 512, "W": 512}}  # for the echo
    assert ADAPTER.build_poll(state.handle).path == "/api/v3/fetch/10684517"


def test_processing_keeps_future_links_on_the_handle() -> None:
    state = submit(ML_PROCESSING)
    assert isinstance(state, Pending)
    assert state.handle.task_id == "134712448"
    assert state.eta == pytest.approx(0.25)
    assert state.handle.data["future_links"] == [FUTURE]


def test_processing_with_string_id_and_message_quickstart() -> None:
    body = {
        "status": "processing",
        "id": "abc123-def456",
        "eta": 15,
        "message": "Your request is being processed",
    }
    state = submit(body)
    assert isinstance(state, Pending)
    assert (state.handle.task_id, state.eta) == ("abc123-def456", 15.0)


def test_processing_with_output_empty_string_and_eta_string() -> None:
    body = {"status": "processing", "id": 5, "eta": "12.5", "output": "", "future_links": ""}
    state = submit(body)
    assert isinstance(state, Pending)
    assert state.eta == 12.5
    assert dict(state.handle.data) == {}


def test_processing_without_id_takes_it_from_fetch_result() -> None:
    body = {
        "status": "processing",
        "fetch_result": "https://stablediffusionapi.com/api/v3/fetch/99",
    }
    state = submit(body)
    assert isinstance(state, Pending)
    assert state.handle.task_id == "99"


def test_processing_without_any_id_is_a_provider_error() -> None:
    error = failed(submit({"status": "processing", "eta": 3}), ProviderError)
    assert "id" in error.message


def test_fetch_processing_reference_3_3_keeps_the_handle() -> None:
    handle = TaskHandle("stablediffusionapi", "134712448", {"future_links": [FUTURE]})
    body = {
        "status": "processing",
        "messege": "try again later.",
        "output": "",
        "tip": "Get 20x faster image generation using enterprise plan.",
    }
    state = poll(body, handle)
    assert isinstance(state, Pending)
    assert state.handle == handle
    assert state.eta is None


# --- success without output -> future_links ---------------------------------------------------


@pytest.mark.parametrize("output", [[], "", None])
def test_fetch_success_without_output_uses_the_handles_future_links(output: Any) -> None:
    handle = TaskHandle("stablediffusionapi", "134712448", {"future_links": [FUTURE]})
    body = {"status": "success", "id": 134712448, "output": output}
    state = poll(body, handle)
    assert isinstance(state, Done)
    assert [(i.url, i.format) for i in state.images] == [(FUTURE, "jpeg")]
    assert state.task_id == "134712448"


def test_submit_success_without_output_uses_its_own_future_links() -> None:
    state = submit({"status": "success", "id": 1, "output": "", "future_links": [FUTURE]})
    assert isinstance(state, Done)
    assert [i.url for i in state.images] == [FUTURE]


def test_success_with_no_images_anywhere_is_a_provider_error() -> None:
    state = poll({"status": "success", "id": 1, "output": ""})
    failed(state, ProviderError)


# --- base64 output ----------------------------------------------------------------------------

PNG = png_bytes(gradient_image(8, 8))


@pytest.mark.parametrize(
    "item",
    [
        "data:image/png;base64," + base64.b64encode(PNG).decode(),
        base64.b64encode(PNG).decode(),
        "\n" + base64.b64encode(PNG).decode() + "\n",
    ],
    ids=["data-url", "plain", "whitespace"],
)
def test_base64_output_is_decoded_inline(item: str) -> None:
    state = submit({"status": "success", "id": 3, "output": [item]})
    assert isinstance(state, Done)
    (image,) = state.images
    assert (image.url, image.data, image.format) == (None, PNG, "png")


def test_base64_output_as_link_to_a_base64_file_stays_a_url() -> None:
    url = "https://pub-3626123a908346a7a8be8d9295f44e26.r2.dev/generations/abc-0.base64"
    state = submit({"status": "success", "id": 3, "output": [url]})
    assert isinstance(state, Done)
    assert [(i.url, i.data, i.format) for i in state.images] == [(url, None, None)]


@pytest.mark.parametrize(
    "item", ["not base64 at all!", base64.b64encode(b"plain text").decode(), 7]
)
def test_garbage_output_is_a_provider_error(item: Any) -> None:
    failed(submit({"status": "success", "id": 3, "output": [item]}), ProviderError)


# --- errors with HTTP 200 and with HTTP error statuses ------------------------------------------

RATE_LIMIT = {
    "status": "error",
    "messege": "Rate limit exceeded",
    "tips": "you are sending same request multiple times, spam filter is enabled, please wait "
    "for 30 seconds and try again",
}
INVALID_KEY = {
    "status": "error",
    "message": "Invalid Api Key",
    "tip": "1. Make sure you are passing Content-Type: application/json in header.",
}
FAILED = {"status": "failed", "id": "", "message": "Failed, Try Again", "output": ""}
FIELD_ERRORS = {"status": "error", "message": {"prompt": ["The prompt field is required."]}}
MODEL_NOT_FOUND = {"status": "error", "message": "Model id not found"}


@pytest.mark.parametrize("status", [200, 429])
def test_rate_limit_with_messege_and_30_seconds_in_tips(status: int) -> None:
    error = failed(submit(RATE_LIMIT, status), RateLimitedError)
    assert error.retry_after == 30.0
    assert error.raw_body == RATE_LIMIT
    assert error.status == status
    assert "Rate limit exceeded" in error.message


def test_rate_limit_429_with_retry_after_body_field() -> None:
    body = {
        "status": "error",
        "message": "Rate limit exceeded. Maximum 5 queued requests allowed.",
        "retry_after": 30,
    }
    error = failed(submit(body, 429), RateLimitedError)
    assert error.retry_after == 30.0
    assert error.raw_body == body


def test_retry_after_header_wins_over_the_body() -> None:
    error = failed(submit(RATE_LIMIT, 429, {"Retry-After": "7"}), RateLimitedError)
    assert error.retry_after == 7.0


def test_429_without_any_hint_has_no_retry_after() -> None:
    error = failed(
        submit({"status": "error", "message": "Too many requests"}, 429), RateLimitedError
    )
    assert error.retry_after is None


@pytest.mark.parametrize("status", [200, 401])
def test_invalid_api_key(status: int) -> None:
    error = failed(submit(INVALID_KEY, status), AuthenticationError)
    assert error.raw_body == INVALID_KEY
    assert "Invalid Api Key" in error.message


def test_api_key_required_401() -> None:
    body = {"status": "error", "message": "API key required"}
    assert failed(submit(body, 401), AuthenticationError).raw_body == body


def test_failed_try_again_is_a_task_failure() -> None:
    error = failed(submit(FAILED), TaskFailedError)
    assert error.message == "Failed, Try Again"
    assert error.raw_body == FAILED


def test_failed_while_polling_carries_the_task_id() -> None:
    error = failed(poll(FAILED, TaskHandle("stablediffusionapi", "55")), TaskFailedError)
    assert error.task_id == "55"


@pytest.mark.parametrize("status", [200, 400, 422])
def test_message_object_becomes_field_errors(status: int) -> None:
    error = failed(submit(FIELD_ERRORS, status), ValidationError)
    assert error.paths == ("$.prompt",)
    assert "The prompt field is required." in str(error)
    assert error.raw_body == FIELD_ERRORS


def test_field_errors_use_neutral_paths_for_renamed_wire_fields() -> None:
    body = {
        "status": "error",
        "message": {
            "num_inference_steps": ["must be at most 51"],
            "samples": ["too many", "must be an integer"],
            "key": ["The key field is required."],
        },
    }
    error = failed(submit(body), ValidationError)
    assert error.paths == ("$.steps", "$.num_images", "$.num_images", "$.key")
    assert "num_inference_steps" in str(error)


@pytest.mark.parametrize("status", [200, 400])
def test_model_id_not_found(status: int) -> None:
    error = failed(submit(MODEL_NOT_FOUND, status), ValidationError)
    assert error.paths == ("$.model",)
    assert error.raw_body == MODEL_NOT_FOUND


def test_400_prompt_is_required_names_the_field() -> None:
    error = failed(
        submit({"status": "error", "message": "prompt is required"}, 400), ValidationError
    )
    assert error.paths == ("$.prompt",)


def test_unable_to_fetch_image() -> None:
    body = {"status": "error", "message": "Unable to fetch image from provided URL"}
    error = failed(submit(body, 400), ValidationError)
    assert error.paths == ("$.image",)


def test_other_400_is_a_validation_error_on_the_request() -> None:
    body = {"status": "error", "message": "Something about the request"}
    error = failed(submit(body, 400), ValidationError)
    assert error.paths == ("$",)


def test_402_insufficient_credits() -> None:
    body = {
        "status": "error",
        "message": "Insufficient credits. Please add more credits to continue.",
    }
    error = failed(submit(body, 402), InsufficientCreditsError)
    assert error.raw_body == body


def test_credits_message_with_http_200() -> None:
    body = {
        "status": "error",
        "message": "Insufficient credits. Please add more credits to continue.",
    }
    failed(submit(body), InsufficientCreditsError)


def test_403_premium_subscription_is_about_the_plan() -> None:
    body = {"status": "error", "message": "This feature requires a premium subscription"}
    error = failed(submit(body, 403), InsufficientCreditsError)
    assert "subscription" in error.hint


def test_403_otherwise_is_authentication() -> None:
    failed(submit({"status": "error", "message": "Forbidden"}, 403), AuthenticationError)


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (500, "Internal server error. Please try again."),
        (503, "Service temporarily unavailable. Please try again later."),
    ],
)
def test_5xx_are_provider_errors(status: int, message: str) -> None:
    body = {"status": "error", "message": message}
    error = failed(submit(body, status), ServerError)
    assert (error.status, error.message, error.raw_body) == (status, message, body)


def test_5xx_with_html_body_keeps_the_text() -> None:
    error = failed(submit(b"<html>Bad Gateway</html>", 502), ServerError)
    assert error.raw_body == "<html>Bad Gateway</html>"
    assert error.status == 502


def test_generic_error_with_messege() -> None:
    # Reference 3.3: {"status": "error", "messege": "Error message"}.
    body = {"status": "error", "messege": "Error message"}
    error = failed(submit(body), ProviderError)
    assert error.message == "Error message"


def test_poll_404_is_a_lost_task() -> None:
    body = {"status": "error", "message": "Request not found"}
    error = failed(poll(body, TaskHandle("stablediffusionapi", "404404"), 404), TaskFailedError)
    assert error.task_id == "404404"


def test_submit_404_is_a_provider_error() -> None:
    failed(submit({"status": "error", "message": "Not found"}, 404), ProviderError)


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'"text"'])
def test_non_object_200_is_a_provider_error(body: bytes) -> None:
    failed(submit(body), ProviderError)


def test_unknown_status_is_a_provider_error() -> None:
    error = failed(submit({"status": "weird", "id": 1}), ProviderError)
    assert "weird" in error.message


@pytest.mark.parametrize("status", ["queued", "PROCESSING", "pending"])
def test_queued_like_statuses_are_pending(status: str) -> None:
    state = submit({"status": status, "id": 1})
    assert isinstance(state, Pending)


# --- webhooks (reference 3.5) ------------------------------------------------------------------


def test_webhook_success() -> None:
    body = {
        "status": "success",
        "id": "abc123-def456",
        "output": ["https://pub-3626123a908346a7a8be8d9295f44e26.r2.dev/generations/abc123.png"],
        "generationTime": 45.2,
        "track_id": "video_001",
        "meta": {"prompt": "A spaceship", "width": 512, "height": 512},
    }
    state = ADAPTER.parse_webhook(body)
    assert isinstance(state, Done)
    assert state.task_id == "abc123-def456"
    assert state.generation_time == 45.2
    assert [i.format for i in state.images] == ["png"]
    assert state.raw["track_id"] == "video_001"


def test_webhook_failure() -> None:
    body = {
        "status": "failed",
        "id": "abc123-def456",
        "message": "Processing failed: Invalid input dimensions",
        "track_id": "video_001",
    }
    state = ADAPTER.parse_webhook(body)
    error = failed(state, TaskFailedError)
    assert error.task_id == "abc123-def456"
    assert error.message == "Processing failed: Invalid input dimensions"
    assert error.raw_body == body


def test_webhook_error_status() -> None:
    failed(ADAPTER.parse_webhook({"status": "error", "messege": "Error message"}), ProviderError)


def test_webhook_that_is_not_an_object() -> None:
    failed(ADAPTER.parse_webhook(["x"]), ProviderError)


def test_webhook_and_fetch_agree() -> None:
    body = {"status": "success", "id": 12202888, "output": [SEED_OUTPUT]}
    from_webhook = ADAPTER.parse_webhook(body)
    from_fetch = poll(body, TaskHandle("stablediffusionapi", "12202888"))
    assert from_webhook == from_fetch


def test_retry_after_header_as_http_date() -> None:
    headers = {"retry-after": "Wed, 21 Oct 2015 07:28:30 GMT"}
    assert retry_after_of({}, headers, now=1445412480.0) == 30.0
    assert retry_after_of({}, headers, now=1445412600.0) == 0.0
