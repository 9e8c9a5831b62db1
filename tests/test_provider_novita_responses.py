"""The parsed result of every documented Novita response: submit answers, task results, webhook
events and error bodies (seeds 001/004, reference sections 1.3-1.7), plus the tolerant cases."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from inpaintkit.errors import (
    AuthenticationError,
    InpaintError,
    InsufficientCreditsError,
    ProviderError,
    RateLimitedError,
    ServerError,
    TaskFailedError,
    ValidationError,
)
from inpaintkit.provider import Done, Failed, HttpResponse, Pending, TaskHandle
from inpaintkit.providers.novita import REASONS, IgnoredWebhookEvent, NovitaAdapter

ADAPTER = NovitaAdapter()
HANDLE = TaskHandle(provider="novita", task_id="830d9c90-d53f-4c5a-8009-xxx")


def response(status: int, body: Any, headers: dict[str, str] | None = None) -> HttpResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HttpResponse(status=status, body=raw, headers=headers or {})


def submit(status: int, body: Any, headers: dict[str, str] | None = None) -> Any:
    return ADAPTER.parse_submit(None, response(status, body, headers))  # type: ignore[arg-type]


def poll(status: int, body: Any, headers: dict[str, str] | None = None) -> Any:
    return ADAPTER.parse_poll(HANDLE, response(status, body, headers))


def failure(state: Any, cls: type[InpaintError]) -> Any:
    assert isinstance(state, Failed), state
    assert type(state.error) is cls, repr(state.error)
    assert state.error.provider == "novita"
    return state.error


# --- submit (ref 1.3) ---------------------------------------------------------------------------


def test_submit_documented_schema_gives_a_handle() -> None:
    state = submit(200, {"task_id": "270f4fba-2cb0-4a56-8b82-f007284143bd"})
    assert isinstance(state, Pending)
    assert state.handle == TaskHandle(
        provider="novita", task_id="270f4fba-2cb0-4a56-8b82-f007284143bd"
    )
    assert state.eta is None


@pytest.mark.parametrize(
    "task_id",
    ["270f4fba-2cb0-4a56-8b82-xxxx", "270f4fba-2cb0-4a56-8b82-f007284143bd"],  # seeds 001, 004
)
def test_submit_legacy_envelope_of_the_seed_examples_is_tolerated(task_id: str) -> None:
    state = submit(200, {"code": 0, "msg": "", "data": {"task_id": task_id}})
    assert isinstance(state, Pending)
    assert state.handle.task_id == task_id
    assert state.raw == {"code": 0, "msg": "", "data": {"task_id": task_id}}


def test_submit_integer_task_id_becomes_a_string() -> None:
    state = submit(200, {"task_id": 12345, "unknown_field": [1, 2]})
    assert isinstance(state, Pending)
    assert state.handle.task_id == "12345"


def test_submit_without_task_id_is_a_provider_error() -> None:
    error = failure(submit(200, {"something": "else"}), ProviderError)
    assert "task_id" in error.message
    assert error.raw_body == {"something": "else"}


def test_submit_error_body_with_status_200_is_judged_by_its_code() -> None:
    body = {"code": 403, "reason": "INVALID_API_KEY", "message": "invalid api-key"}
    error = failure(submit(200, body), AuthenticationError)
    assert error.status == 403


# --- task result (ref 1.4) ----------------------------------------------------------------------

TASK_RESULT_EXAMPLE = {
    "extra": {
        "seed": "158881667",
        "enable_nsfw_detection": False,
        "debug_info": {
            "request_info": "",
            "submit_time_ms": "",
            "execute_time_ms": "",
            "complete_time_ms": "",
        },
    },
    "task": {
        "task_id": "830d9c90-d53f-4c5a-8009-xxx",
        "status": "TASK_STATUS_SUCCEED",
        "reason": "",
        "task_type": "TXT_TO_IMG",
        "eta": 0,
        "progress_percent": 0,
    },
    "images": [
        {
            "image_url": "https://faas-output-image.s3.ap-southeast-1.amazonaws.com/prod/xxx",
            "image_url_ttl": 3600,
            "image_type": "jpeg",
            "nsfw_detection_result": {},
        }
    ],
    "videos": [],
    "audios": [],
}


def task_result(status: str, **task: Any) -> dict[str, Any]:
    body = json.loads(json.dumps(TASK_RESULT_EXAMPLE))
    body["task"]["status"] = status
    body["task"].update(task)
    if status != "TASK_STATUS_SUCCEED":
        body["images"] = []
    return body


def test_documented_task_result_example_is_done_with_its_image() -> None:
    state = poll(200, TASK_RESULT_EXAMPLE)
    assert isinstance(state, Done)
    assert state.task_id == HANDLE.task_id
    assert state.seed == 158881667
    assert state.generation_time is None  # debug_info timestamps are empty strings
    (image,) = state.images
    assert image.url == "https://faas-output-image.s3.ap-southeast-1.amazonaws.com/prod/xxx"
    assert image.ttl == 3600
    assert image.format == "jpeg"
    assert image.nsfw is None  # {} as in the official example
    assert image.data is None
    assert state.raw == TASK_RESULT_EXAMPLE


@pytest.mark.parametrize("status", ["TASK_STATUS_QUEUED", "TASK_STATUS_PROCESSING"])
def test_queued_and_processing_are_pending_with_eta_and_progress(status: str) -> None:
    state = poll(200, task_result(status, eta=12.5, progress_percent=40))
    assert isinstance(state, Pending)
    assert state.handle == HANDLE
    assert state.eta == 12.5
    assert state.progress == pytest.approx(0.4)


def test_pending_without_estimates_has_none_eta_and_zero_progress() -> None:
    state = poll(200, task_result("TASK_STATUS_QUEUED", eta=0, progress_percent=0))
    assert isinstance(state, Pending)
    assert state.eta is None  # 0 means "no estimate"
    assert state.progress == 0.0


def test_eta_and_progress_as_strings_and_out_of_range_progress_are_tolerated() -> None:
    state = poll(200, task_result("TASK_STATUS_PROCESSING", eta="3.5", progress_percent="250"))
    assert isinstance(state, Pending)
    assert state.eta == 3.5
    assert state.progress == 1.0


def test_unknown_status_of_the_js_sdk_is_pending() -> None:
    state = poll(200, task_result("TASK_STATUS_UNKNOWN"))
    assert isinstance(state, Pending)


def test_an_unrecognised_status_is_a_provider_error_not_an_endless_wait() -> None:
    error = failure(poll(200, task_result("TASK_STATUS_CANCELLED")), ProviderError)
    assert "TASK_STATUS_CANCELLED" in error.message
    assert error.task_id == HANDLE.task_id


def test_failed_task_is_task_failed_with_the_reason() -> None:
    body = task_result("TASK_STATUS_FAILED", reason="NSFW content detected")
    error = failure(poll(200, body), TaskFailedError)
    assert "NSFW content detected" in error.message
    assert error.task_id == HANDLE.task_id
    assert error.raw_body == body


def test_failed_task_without_reason_still_says_so() -> None:
    error = failure(poll(200, task_result("TASK_STATUS_FAILED", reason="")), TaskFailedError)
    assert "no reason given" in error.message


def test_success_details_are_parsed_tolerantly() -> None:
    body = task_result("TASK_STATUS_SUCCEED")
    body["extra"]["seed"] = 42
    body["extra"]["debug_info"] = {
        "execute_time_ms": "1700000000000",
        "complete_time_ms": "1700000002500",
    }
    body["images"] = [
        {"image_url": "https://x.test/1.png", "image_url_ttl": "3600", "image_type": "PNG",
         "nsfw_detection_result": None},
        {"image_url": "https://x.test/2.jpg", "image_url_ttl": "0", "image_type": "jpg",
         "nsfw_detection_result": {"valid": True, "confidence": 0.93}},
        {"image_url": "https://x.test/3.webp", "image_type": "webp", "extra_field": 1,
         "nsfw_detection_result": {"valid": False, "confidence": 0.01}},
    ]  # fmt: skip
    state = poll(200, body)
    assert isinstance(state, Done)
    assert state.seed == 42
    assert state.generation_time == 2.5
    assert [i.url for i in state.images] == [
        "https://x.test/1.png",
        "https://x.test/2.jpg",
        "https://x.test/3.webp",
    ]
    assert [i.ttl for i in state.images] == [3600.0, None, None]
    assert [i.format for i in state.images] == ["png", "jpeg", "webp"]
    assert [i.nsfw for i in state.images] == [None, True, False]


@pytest.mark.parametrize("seed", ["", None, "-1", "abc", 1.5])
def test_unusable_seeds_are_none(seed: Any) -> None:
    body = task_result("TASK_STATUS_SUCCEED")
    body["extra"]["seed"] = seed
    state = poll(200, body)
    assert isinstance(state, Done)
    assert state.seed is None


@pytest.mark.parametrize(
    "images",
    [[], "", None, [{"image_type": "png"}], [{"image_url": ""}], ["https://x.test/a.png"]],
)
def test_success_without_usable_images_is_a_provider_error(images: Any) -> None:
    body = task_result("TASK_STATUS_SUCCEED")
    body["images"] = images
    error = failure(poll(200, body), ProviderError)
    assert error.task_id == HANDLE.task_id


def test_task_result_without_task_object_is_a_provider_error() -> None:
    failure(poll(200, {"images": []}), ProviderError)
    failure(poll(200, b"<html>oops</html>"), ProviderError)


def test_task_result_in_a_legacy_envelope_is_tolerated() -> None:
    state = poll(200, {"code": 0, "msg": "", "data": task_result("TASK_STATUS_PROCESSING")})
    assert isinstance(state, Pending)


def test_task_not_found_is_a_task_failure_with_the_task_id() -> None:
    body = {"code": 404, "reason": "TASK_NOT_FOUND", "message": "task not found", "metadata": {}}
    error = failure(poll(404, body), TaskFailedError)
    assert error.status == 404
    assert error.task_id == HANDLE.task_id
    assert "submit the job again" in error.hint
    assert error.raw_body == body


# --- webhook (ref 1.5) --------------------------------------------------------------------------

WEBHOOK_EXAMPLE = {
    "event_type": "ASYNC_TASK_RESULT",
    "payload": {
        "task": {
            "eta": 0,
            "progress_percent": 0,
            "reason": "",
            "status": "TASK_STATUS_SUCCEED",
            "task_id": "f6aec953-2e81-4e8b-938e-2ceab54d6df9",
            "task_type": "TXT_TO_IMG",
        },
        "extra": {
            "enable_nsfw_detection": False,
            "webhook": {"url": "https://your-webhook-endpoint-url"},
        },
        "images": [
            {
                "image_type": "jpeg",
                "image_url": "https://faas-output-image.s3.ap-southeast-1.amazonaws.com/test_data/"
                "image_01.jpeg?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=3600",
                "image_url_ttl": "3600",
                "nsfw_detection_result": None,
            }
        ],
        "videos": [],
        "audios": [],
    },
}


def test_documented_webhook_event_parses_like_a_poll() -> None:
    state = ADAPTER.parse_webhook(WEBHOOK_EXAMPLE)
    assert isinstance(state, Done)
    assert state.task_id == "f6aec953-2e81-4e8b-938e-2ceab54d6df9"
    (image,) = state.images
    assert image.ttl == 3600.0  # the string "3600" of the webhook example
    assert image.format == "jpeg"
    assert image.nsfw is None
    assert image.url is not None
    assert "X-Amz-Expires=3600" in image.url
    assert state.raw == WEBHOOK_EXAMPLE


def test_webhook_and_poll_of_the_same_result_agree() -> None:
    via_poll = ADAPTER.parse_poll(
        TaskHandle(provider="novita", task_id="f6aec953-2e81-4e8b-938e-2ceab54d6df9"),
        response(200, WEBHOOK_EXAMPLE["payload"]),
    )
    assert via_poll == ADAPTER.parse_webhook(WEBHOOK_EXAMPLE)


def test_failed_webhook_event_of_test_mode_is_a_task_failure() -> None:
    event = json.loads(json.dumps(WEBHOOK_EXAMPLE))
    event["payload"]["task"].update(status="TASK_STATUS_FAILED", reason="mock failure")
    event["payload"]["images"] = []
    state = ADAPTER.parse_webhook(event)
    error = failure(state, TaskFailedError)
    assert error.task_id == "f6aec953-2e81-4e8b-938e-2ceab54d6df9"
    assert "mock failure" in error.message
    assert state.raw == event


def test_other_webhook_events_are_to_be_ignored() -> None:
    with pytest.raises(IgnoredWebhookEvent) as info:
        ADAPTER.parse_webhook({"event_type": "SOMETHING_ELSE", "payload": {}})
    assert isinstance(info.value, ValidationError)
    assert info.value.paths == ("$.event_type",)
    assert "2xx" in info.value.hint


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ([], "$"),
        ({"event_type": "ASYNC_TASK_RESULT"}, "$.payload.task.task_id"),
        ({"event_type": "ASYNC_TASK_RESULT", "payload": {"task": {}}}, "$.payload.task.task_id"),
    ],
)
def test_malformed_webhook_bodies_are_validation_errors(body: Any, path: str) -> None:
    with pytest.raises(ValidationError) as info:
        ADAPTER.parse_webhook(body)
    assert info.value.paths == (path,)
    assert not isinstance(info.value, IgnoredWebhookEvent)


# --- errors (ref 1.6, 1.7) ----------------------------------------------------------------------

# The NV-ERR table: reason, documented HTTP status, expected error class.
ERROR_TABLE = [
    ("INVALID_REQUEST_BODY", 400, ValidationError),
    ("IMAGE_FILE_EXCEEDS_MAX_SIZE", 400, ValidationError),
    ("INVALID_IMAGE_FORMAT", 400, ValidationError),
    ("IMAGE_EXCEEDS_MAX_RESOLUTION", 400, ValidationError),
    ("INVALID_IMAGE_SIZE", 400, ValidationError),
    ("API_NOT_FOUND", 404, ProviderError),
    ("IMAGE_NO_FACE_DETECTED", 400, ValidationError),
    ("INVALID_CUSTOM_OUTPUT_PATH", 400, ValidationError),
    ("ILLEGAL_PROMPT", 400, ValidationError),
    ("ILLEGAL_IMAGE_CONTENT", 400, ValidationError),
    ("INVALID_AUDIO_FILE", 400, ValidationError),
    ("BILLING_FAILED", 500, ServerError),
    ("BILLING_AUTH_FAILED", 403, AuthenticationError),
    ("BILLING_BALANCE_NOT_ENOUGH", 400, InsufficientCreditsError),
    ("MISSING_API_KEY", 400, AuthenticationError),
    ("INVALID_API_KEY", 403, AuthenticationError),
    ("FEATURE_NOT_ALLOWED", 403, AuthenticationError),
    ("API_NOT_ALLOWED", 403, AuthenticationError),
    ("RATE_LIMIT_EXCEEDED", 429, RateLimitedError),
    ("NEED_REAL_NAME_VERIFY", 403, AuthenticationError),
    ("CREATE_TASK_FAILED", 500, ServerError),
    ("TASK_NOT_FOUND", 404, TaskFailedError),
    ("GET_RESULT_FAILED", 500, ServerError),
    ("TASK_FAILED", 500, ServerError),
    ("ANONYMOUS_ACCESS_QUOTA_EXCEEDS", 403, AuthenticationError),  # NV-JS only
]


def test_the_reason_table_covers_every_documented_reason() -> None:
    assert set(REASONS) == {reason for reason, _, _ in ERROR_TABLE}


@pytest.mark.parametrize(("reason", "status", "cls"), ERROR_TABLE)
def test_every_documented_reason_maps_to_its_class_on_submit_and_poll(
    reason: str, status: int, cls: type[InpaintError]
) -> None:
    body = {"code": status, "reason": reason, "message": "some text", "metadata": {"trace_id": "t"}}
    for state in (submit(status, body), poll(status, body)):
        error = failure(state, cls)
        assert error.status == status
        assert error.raw_body == body
        assert state.raw == body


def test_live_probe_invalid_api_key_is_an_authentication_error() -> None:
    body = {"code": 403, "reason": "INVALID_API_KEY", "message": "invalid api-key"}
    error = failure(submit(403, body), AuthenticationError)
    assert "invalid api-key" in error.message
    assert "INVALID_API_KEY" in str(error)


def test_bare_401_is_an_authentication_error() -> None:
    error = failure(submit(401, b""), AuthenticationError)
    assert error.status == 401


def test_402_without_reason_is_insufficient_credits() -> None:
    failure(submit(402, {"message": "pay up"}), InsufficientCreditsError)


def test_balance_error_is_insufficient_credits_whatever_its_status() -> None:
    body = {"code": 403, "reason": "BILLING_BALANCE_NOT_ENOUGH", "message": "balance"}
    failure(submit(403, body), InsufficientCreditsError)


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        ({"Retry-After": "7"}, {"code": 429, "reason": "RATE_LIMIT_EXCEEDED", "message": "x"}, 7.0),
        ({"retry-after": "2.5"}, {}, 2.5),
        ({}, {"reason": "RATE_LIMIT_EXCEEDED", "retry_after": 30}, 30.0),
        ({}, {"reason": "RATE_LIMIT_EXCEEDED", "message": "rate limit exceeded"}, None),
        (
            {
                "Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT",
                "Date": "Wed, 21 Oct 2015 07:28:00 GMT",
            },
            {},
            30.0,
        ),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT"}, {}, None),  # no Date to measure from
        ({"Retry-After": "soon"}, {}, None),
    ],
)
def test_429_is_rate_limited_with_retry_after(
    headers: dict[str, str], body: Any, expected: float | None
) -> None:
    error = failure(submit(429, body, headers), RateLimitedError)
    assert error.retry_after == expected
    assert error.status == 429


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_html_bodies_are_provider_errors_keeping_the_text(status: int) -> None:
    error = failure(submit(status, b"<html><body>Bad Gateway</body></html>"), ServerError)
    assert error.status == status
    assert error.raw_body == "<html><body>Bad Gateway</body></html>"


def test_huge_text_bodies_are_capped_in_raw_body() -> None:
    error = failure(submit(502, b"x" * 100_000), ServerError)
    assert len(error.raw_body) < 5000


def test_invalid_request_body_names_the_wire_fields_the_message_names() -> None:
    body = {
        "code": 400,
        "reason": "INVALID_REQUEST_BODY",
        "message": "request.steps must be in [1, 100]; inpainting_full_res_padding too large",
        "metadata": {},
    }
    error = failure(submit(400, body), ValidationError)
    assert error.paths == ("$.request.steps", "$.request.inpainting_full_res_padding")
    assert "neutral field $.steps" in str(error)
    assert "neutral field $.mask_options.padding" in str(error)


def test_validation_without_a_named_field_points_at_the_whole_request() -> None:
    body = {"code": 400, "reason": "INVALID_REQUEST_BODY", "message": "bad json"}
    error = failure(submit(400, body), ValidationError)
    assert error.paths == ("$",)
    assert "bad json" in str(error)


def test_image_reasons_default_to_the_image_or_the_mask() -> None:
    body = {"code": 400, "reason": "IMAGE_EXCEEDS_MAX_RESOLUTION", "message": "too big"}
    assert failure(submit(400, body), ValidationError).paths == ("$.request.image_base64",)
    body = {"code": 400, "reason": "INVALID_IMAGE_SIZE", "message": "mask too big"}
    assert failure(submit(400, body), ValidationError).paths == ("$.request.mask_image_base64",)
    body = {"code": 400, "reason": "ILLEGAL_PROMPT", "message": "inappropriate"}
    assert failure(submit(400, body), ValidationError).paths == ("$.request.prompt",)


def test_messege_typo_and_object_message_are_read() -> None:
    error = failure(submit(400, {"messege": "model_name is wrong"}), ValidationError)
    assert error.paths == ("$.request.model_name",)
    body = {"reason": "INVALID_REQUEST_BODY", "message": {"steps": ["too big"], "prompt": "empty"}}
    error = failure(submit(400, body), ValidationError)
    assert error.paths == ("$.request.steps", "$.request.prompt")
    assert "too big" in str(error)


def test_unknown_reason_falls_back_to_the_status() -> None:
    body = {"code": 400, "reason": "SOMETHING_NEW", "message": "hm"}
    failure(submit(400, body), ValidationError)
    failure(submit(418, {"reason": "SOMETHING_NEW"}), ProviderError)


# --- properties ---------------------------------------------------------------------------------

statuses = st.sampled_from(
    ["TASK_STATUS_QUEUED", "TASK_STATUS_PROCESSING", "TASK_STATUS_SUCCEED", "TASK_STATUS_FAILED",
     "TASK_STATUS_UNKNOWN", "WHATEVER"]
)  # fmt: skip
numbers = st.one_of(
    st.none(),
    st.integers(-10, 10_000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
)


@settings(max_examples=50)
@given(
    status=statuses, eta=numbers, progress=numbers, ttl=numbers, http=st.sampled_from([200, 201])
)
def test_any_task_result_parses_to_a_well_formed_state(
    status: str, eta: Any, progress: Any, ttl: Any, http: int
) -> None:
    body = task_result(status, eta=eta, progress_percent=progress)
    if status == "TASK_STATUS_SUCCEED":
        body["images"][0]["image_url_ttl"] = ttl
    state = ADAPTER.parse_poll(HANDLE, HttpResponse(http, json.dumps(body).encode()))
    if isinstance(state, Pending):
        assert status in ("TASK_STATUS_QUEUED", "TASK_STATUS_PROCESSING", "TASK_STATUS_UNKNOWN")
        assert state.eta is None or state.eta > 0
        assert state.progress is None or 0.0 <= state.progress <= 1.0
    elif isinstance(state, Done):
        assert status == "TASK_STATUS_SUCCEED"
        assert all(i.ttl is None or i.ttl > 0 for i in state.images)
    else:
        assert isinstance(state, Failed)
        expected = TaskFailedError if status == "TASK_STATUS_FAILED" else ProviderError
        assert type(state.error) is expected


def test_the_drawn_seed_is_echoed_typed() -> None:
    """Issue 10: what ran is on the result typed (Novita reports only the seed)."""
    from inpaintkit.provider import RunEcho

    state = poll(200, TASK_RESULT_EXAMPLE)
    assert isinstance(state, Done)
    assert state.echo == RunEcho(seed=158881667)
