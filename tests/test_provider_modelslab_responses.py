"""Every documented ModelsLab response example, parsed into task states.

Bodies are copied from seed 003 and the wire-facts reference (3.3 responses, 3.4 errors,
3.5 webhooks); placeholders such as ``"<string>"`` are filled with plausible URLs.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from imagegen import gradient_image, png_bytes
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
from inpaintkit.job import InpaintJob, Sampler
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
from inpaintkit.providers.modelslab import ModelsLabAdapter, parse_meta
from inpaintkit.providers.modelslab.adapter import ModelsLabAdapter as AdapterClass
from PIL import Image

ADAPTER = ModelsLabAdapter()
REQUEST = PreparedRequest(
    job=InpaintJob(image="https://x/i.png", mask="https://x/m.png", prompt="p", model="m"),
    image=PreparedImage(None, None, None, None, url="https://x/i.png"),
    mask=PreparedImage(None, None, None, None, url="https://x/m.png"),
)
HANDLE = TaskHandle(
    "modelslab",
    "134712448",
    # as remembered from the documented processing answer below
    {
        "future_links": [
            "https://pub-3626123a908346a7a8be8d9295f44e26.r2.dev/generations/"
            "0-0fbc4579-9fa8-4561-a9ae-30a19685573c.jpg"
        ]
    },
)


def response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HttpResponse(status, raw, headers or {})


def submit(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> TaskState:
    return ADAPTER.parse_submit(REQUEST, response(body, status, headers))


def poll(body: Any, status: int = 200, handle: TaskHandle = HANDLE) -> TaskState:
    return ADAPTER.parse_poll(handle, response(body, status))


def failed(state: TaskState, cls: type[InpaintError]) -> Any:
    assert isinstance(state, Failed), state
    assert type(state.error) is cls, repr(state.error)
    assert state.error.provider == "modelslab"
    return state.error


# --- success ----------------------------------------------------------------------------------


def test_seed_success_schema_example_without_status() -> None:
    # seed 003's response example, verbatim apart from filled placeholders: it has no "status"
    body = {
        "generationTime": 123,
        "id": 123,
        "output": ["https://pub.r2.dev/generations/out-0.png"],
        "proxy_links": ["https://proxy.example/out-0.png"],
        "meta": {},
        "nsfw_content_detected": True,
        "webhook_status": "<string>",
        "tip": "<string>",
    }
    state = submit(body)
    assert isinstance(state, Done)
    assert state.task_id == "123"
    assert state.generation_time == 123
    assert [i.url for i in state.images] == ["https://pub.r2.dev/generations/out-0.png"]
    assert state.images[0].format == "png"
    assert state.images[0].nsfw is True
    assert state.raw == body


OLD_SUCCESS = json.loads(
    """{  "status": "success",  "generationTime": 20.970642805099487,  "id": 13446970,  "output": [    "https://pub-8b49af329fae499aa563997f5d4068a4.r2.dev/generations/dc639bd6-d605-42c7-950e-48c531124d0d-0.png"  ],  "meta": {    "prompt": " a cat sitting on a bench DSLR photography, ...",    "model_id": "midjourney-v4-painta",    "scheduler": "PNDMScheduler",    "safetychecker": "no",    "negative_prompt": " ((out of frame)), ...",    "W": 512,    "H": 512,    "guidance_scale": 7.5,    "init_image": "https://raw.githubusercontent.com/CompVis/stable-diffusion/main/data/inpainting_examples/overture-creations-5sI6fQgYIuo.png",    "mask_image": "https://raw.githubusercontent.com/CompVis/stable-diffusion/main/data/inpainting_examples/overture-creations-5sI6fQgYIuo_mask.png",    "steps": 21,    "n_samples": 1,    "full_url": "no",    "upscale": "no",    "seed": 1343687916,    "outdir": "out",    "file_prefix": "dc639bd6-d605-42c7-950e-48c531124d0d"  }}"""  # noqa: E501
)


def test_old_docs_inpaint_success() -> None:
    state = submit(OLD_SUCCESS)
    assert isinstance(state, Done)
    assert state.task_id == "13446970"
    assert state.seed == 1343687916
    assert state.generation_time == pytest.approx(20.970642805099487)
    assert len(state.images) == 1
    image = state.images[0]
    assert image.url == OLD_SUCCESS["output"][0]
    assert (image.format, image.ttl, image.nsfw, image.data) == ("png", None, None, None)


def test_meta_echo_of_the_old_success() -> None:
    echo = parse_meta(OLD_SUCCESS["meta"])
    assert (echo.width, echo.height, echo.steps, echo.num_images) == (512, 512, 21, 1)
    assert echo.seed == 1343687916
    assert echo.model == "midjourney-v4-painta"
    assert echo.scheduler == "PNDMScheduler"
    assert echo.sampler is Sampler.PLMS


OLD_PROCESSING = json.loads(
    """{    "status": "processing",    "tip": "Get 20x faster image generation using enterprise plan. Click here : https://modelslab.com/enterprise",    "tip_1": "Your image is processing in background, you can get this image using fetch API: here is link for fetch api : https://docs.modelslab.com/image-generation/community-models/dreamboothfetchqueimg",    "eta": 0.25,    "messege": "Try to fetch request after seconds estimated",    "webhook_status": "",    "fetch_result": "https://modelslab.com/api/v6/images/fetch/134712448",    "id": 134712448,    "output": [],    "meta": {        "prompt": " anxiaozhi, a cute white robot with a blue screen face wearing a pink dress, in a flower garden.",        "model_id": "realistic-vision-51",        "scheduler": "DDPMScheduler",        "safety_checker": "no",        "negative_prompt": "bad quality,bad anatomy,blurry,hazy",        "W": 1024,        "H": 1024,        "guidance_scale": 7.5,        "init_image": "https://gitlab.com//-/project/50380374/uploads/990f9affc05324a5c467b4990e5167eb/image.png",        "mask_image": "https://gitlab.com//-/project/50380374/uploads/990f9affc05324a5c467b4990e5167eb/image.png",        "strength": 0.8,        "use_karras_sigmas": "yes",        "algorithm_type": "no",        "safety_checker_type": "sensitive_content_text",        "instant_response": "no",        "vae": null,        "steps": 31,        "n_samples": 4,        "ip_adapter_id": null,        "ip_adapter_scale": 0.6,        "enhance_prompt": "no",        "ip_adapter_image": null,        "lora": null,        "lora_strength": 1,        "upscale": "no",        "seed": 681162,        "outdir": "out",        "watermark": "no",        "temp": "no",        "clip_skip": 1,        "base64": "no",        "webhook": null,        "track_id": null,        "id": "134712448",        "file_prefix": "0fbc4579-9fa8-4561-a9ae-30a19685573c.jpg",        "is_sdxl": false,        "output": [            "https://pub-3626123a908346a7a8be8d9295f44e26.r2.dev/generations/0-0fbc4579-9fa8-4561-a9ae-30a19685573c.jpg"        ]    },    "future_links": [        "https://pub-3626123a908346a7a8be8d9295f44e26.r2.dev/generations/0-0fbc4579-9fa8-4561-a9ae-30a19685573c.jpg"    ]}"""  # noqa: E501
)
FUTURE = OLD_PROCESSING["future_links"][0]
assert HANDLE.data["future_links"] == [FUTURE]


def test_old_docs_inpaint_processing() -> None:
    state = submit(OLD_PROCESSING)
    assert isinstance(state, Pending)
    assert state.handle.provider == "modelslab"
    assert state.handle.task_id == "134712448"  # int at the top level, kept as a string
    assert state.eta == 0.25
    assert state.progress is None
    assert state.handle.data["future_links"] == [FUTURE]
    # the handle is plain data (it may be stored and resumed later)
    assert json.loads(json.dumps(dict(state.handle.data))) == dict(state.handle.data)
    # and the poll it leads to is built from the id, not from fetch_result
    assert ADAPTER.build_poll(state.handle).path == "/api/v6/images/fetch/134712448"


def test_meta_echo_of_the_old_processing() -> None:
    echo = parse_meta(OLD_PROCESSING["meta"])
    assert (echo.width, echo.height, echo.steps, echo.num_images) == (1024, 1024, 31, 4)
    assert (echo.seed, echo.clip_skip, echo.strength) == (681162, 1, 0.8)
    assert echo.scheduler == "DDPMScheduler"
    assert echo.sampler is None  # DDPM has no A1111 name


def test_meta_echo_of_the_seed_triple() -> None:
    meta = {
        "scheduler": "DPMSolverMultistepScheduler",
        "use_karras_sigmas": "yes",
        "algorithm_type": "sde-dpmsolver++",
        "num_inference_steps": "21",
        "seed": "123",
    }
    echo = parse_meta(meta)
    assert echo.sampler is Sampler.DPMPP_2M_SDE_KARRAS
    assert (echo.steps, echo.seed) == (21, 123)
    assert parse_meta(None) == parse_meta("garbage") == parse_meta({})


def test_processing_id_falls_back_to_meta_id() -> None:
    body = {**OLD_PROCESSING}
    del body["id"]
    state = submit(body)
    assert isinstance(state, Pending)
    assert state.handle.task_id == "134712448"


def test_oas_processing_shape_with_message() -> None:
    body = {
        "status": "processing",
        "tip": "t",
        "tip_1": "t1",
        "eta": 12.5,
        "message": "Try to fetch request after seconds estimated",
        "webhook_status": "",
        "fetch_result": "https://modelslab.com/api/v6/images/fetch/99",
        "id": 99,
        "output": [],
        "meta": {},
        "future_links": ["https://pub.r2.dev/generations/99.png"],
    }
    state = submit(body)
    assert isinstance(state, Pending)
    assert (state.handle.task_id, state.eta) == ("99", 12.5)


def test_quickstart_processing_with_string_id() -> None:
    body = {
        "status": "processing",
        "id": "abc123-def456",
        "eta": 15,
        "message": "Your request is being processed",
    }
    state = submit(body)
    assert isinstance(state, Pending)
    assert (state.handle.task_id, state.eta) == ("abc123-def456", 15.0)
    assert dict(state.handle.data) == {}


@pytest.mark.parametrize(
    ("eta", "expected"), [("12.5", 12.5), (-1, None), ("soon", None), (None, None)]
)
def test_eta_is_tolerant(eta: Any, expected: float | None) -> None:
    state = submit({"status": "processing", "id": 1, "eta": eta})
    assert isinstance(state, Pending)
    assert state.eta == expected


def test_processing_without_any_id_is_a_provider_error() -> None:
    error = failed(submit({"status": "processing", "eta": 3}), ProviderError)
    assert "task id" in error.message


# --- fetch ----------------------------------------------------------------------------------


def test_old_docs_fetch_success() -> None:
    body = json.loads(
        """{  "status": "success",  "id": 13443927,  "output": [    "https://pub-8b49af329fae499aa563997f5d4068a4.r2.dev/generations/6ef3f81f-14e1-4835-b07a-e00dbe80b6ff-0.png"  ]}"""  # noqa: E501
    )
    state = poll(body)
    assert isinstance(state, Done)
    assert state.task_id == "13443927"
    assert [i.url for i in state.images] == body["output"]


def test_old_docs_fetch_processing_keeps_the_handle() -> None:
    body = json.loads(
        """{    "status": "processing",    "messege": "try again later.",    "output": "",    "tip": "Get 20x faster image generation using enterprise plan. Click here : https://modelslab.com/enterprise"}"""  # noqa: E501
    )
    state = poll(body)
    assert isinstance(state, Pending)
    assert state.handle.task_id == "134712448"
    assert state.handle.data["future_links"] == [FUTURE]
    assert state.eta is None


def test_old_docs_fetch_error() -> None:
    error = failed(poll({"status": "error", "messege": "Error message"}), ProviderError)
    assert error.message == "Error message"
    assert error.raw_body == {"status": "error", "messege": "Error message"}
    assert error.task_id == "134712448"


def test_fetch_failed_is_a_task_failure() -> None:
    body = {"status": "failed", "id": 134712448, "message": "Generation failed"}
    error = failed(poll(body), TaskFailedError)
    assert (error.message, error.task_id, error.status) == ("Generation failed", "134712448", 200)


def test_success_without_output_uses_the_remembered_future_links() -> None:
    for output in ([], ""):
        state = poll({"status": "success", "id": 134712448, "output": output})
        assert isinstance(state, Done)
        assert [i.url for i in state.images] == [FUTURE]
        assert state.images[0].format == "jpeg"


def test_success_without_output_uses_its_own_future_then_proxy_links() -> None:
    own = poll({"status": "success", "output": [], "future_links": ["https://a/own.webp"]})
    assert isinstance(own, Done)
    assert [i.url for i in own.images] == ["https://a/own.webp"]
    assert own.images[0].format == "webp"
    bare = TaskHandle("modelslab", "5")
    proxy = poll(
        {"status": "success", "output": "", "proxy_links": ["https://p/x.png"]}, handle=bare
    )
    assert isinstance(proxy, Done)
    assert [i.url for i in proxy.images] == ["https://p/x.png"]
    assert proxy.task_id == "5"


def test_success_without_any_image_is_a_provider_error() -> None:
    error = failed(
        poll({"status": "success", "output": []}, handle=TaskHandle("modelslab", "5")),
        ProviderError,
    )
    assert "without any image" in error.message


# --- base64 output (base64: "yes") ----------------------------------------------------------

PNG = png_bytes(gradient_image(16, 16))


@pytest.mark.parametrize(
    "item",
    [
        base64.b64encode(PNG).decode(),
        "data:image/png;base64," + base64.b64encode(PNG).decode(),
        base64.b64encode(PNG).decode().rstrip("="),  # missing padding tolerated
    ],
    ids=["plain", "data-url", "unpadded"],
)
def test_inline_base64_output_is_decoded(item: str) -> None:
    state = submit({"status": "success", "id": 1, "output": [item]})
    assert isinstance(state, Done)
    assert state.images[0].data == PNG
    assert state.images[0].format == "png"
    assert state.images[0].url is None


def test_inline_output_is_not_kept_twice_in_raw() -> None:
    """The bytes are in the images; raw notes the text's length instead of holding a second
    (larger) copy of every image for as long as the result lives."""
    big = png_bytes(Image.effect_noise((96, 96), 64).convert("RGB"))  # noise: a large file
    item = base64.b64encode(big).decode()
    link = "https://pub.r2.dev/generations/out-1.png"
    body = {"status": "success", "id": 1, "output": [item, link], "meta": {"seed": 3}}
    state = submit(body)
    assert isinstance(state, Done)
    assert state.images[0].data == big
    assert state.raw["output"] == [f"<base64 image: {len(item)} characters>", link]
    assert state.raw["meta"] == {"seed": 3}
    assert body["output"] == [item, link]  # the answer itself is not changed


def test_base64_output_as_a_link_to_a_file_is_left_to_download() -> None:
    link = "https://pub.r2.dev/generations/abc.base64"
    state = submit({"status": "success", "id": 1, "output": [link]})
    assert isinstance(state, Done)
    assert (state.images[0].url, state.images[0].format) == (link, None)


@pytest.mark.parametrize(
    "item", ["not an image!", base64.b64encode(b"plain text, not an image").decode()]
)
def test_output_that_is_neither_url_nor_image_is_a_provider_error(item: str) -> None:
    error = failed(submit({"status": "success", "id": 1, "output": [item]}), ProviderError)
    assert error.raw_body == {"status": "success", "id": 1, "output": [item]}


# --- errors (reference 3.4) -----------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 400])
def test_inpaint_error_with_messege(status: int) -> None:
    body = {"status": "error", "messege": "Error message"}
    cls = ProviderError if status == 200 else ValidationError
    error = failed(submit(body, status), cls)
    assert error.raw_body == body
    assert error.status == status


@pytest.mark.parametrize("status", [200, 401])
@pytest.mark.parametrize("message", ["Invalid API key", "API key required"])
def test_authentication_errors(status: int, message: str) -> None:
    body = {"status": "error", "message": message}
    error = failed(submit(body, status), AuthenticationError)
    assert (error.message, error.status, error.raw_body) == (message, status, body)


@pytest.mark.parametrize("status", [200, 402])
def test_insufficient_credits(status: int) -> None:
    body = {
        "status": "error",
        "message": "Insufficient credits. Please add more credits to continue.",
    }
    error = failed(submit(body, status), InsufficientCreditsError)
    assert error.raw_body == body


@pytest.mark.parametrize("status", [200, 403])
def test_premium_feature_is_a_plan_limit_not_a_key_problem(status: int) -> None:
    # Platform decision (reference 3.4 documents 403 only for this message): the recovery is
    # paying for a higher plan, so InsufficientCreditsError; ModelsLab said Authentication.
    body = {"status": "error", "message": "This feature requires a premium subscription"}
    error = failed(submit(body, status), InsufficientCreditsError)
    assert "subscription" in error.hint


def test_rate_limit_with_retry_after_in_the_body() -> None:
    body = {
        "status": "error",
        "message": "Rate limit exceeded. Maximum 5 queued requests allowed.",
        "retry_after": 30,
    }
    for status in (429, 200):
        error = failed(submit(body, status), RateLimitedError)
        assert error.retry_after == 30
        assert error.raw_body == body
        assert error.status == status


def test_rate_limit_header_wins_and_bad_hints_are_ignored() -> None:
    body = {"status": "error", "message": "Rate limit exceeded.", "retry_after": 30}
    error = failed(submit(body, 429, {"Retry-After": "12"}), RateLimitedError)
    assert error.retry_after == 12
    no_hint = {"status": "error", "message": "Rate limit exceeded."}
    error = failed(submit(no_hint, 429, {"Retry-After": "soon"}), RateLimitedError)
    assert error.retry_after is None
    # An HTTP date in the past (RFC 9110: delay-seconds or HTTP-date) means retry now.
    date = "Wed, 21 Oct 2015 07:28:00 GMT"
    error = failed(submit(no_hint, 429, {"Retry-After": date}), RateLimitedError)
    assert error.retry_after == 0.0


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (500, "Internal server error. Please try again."),
        (503, "Service temporarily unavailable. Please try again later."),
    ],
)
def test_server_errors(status: int, message: str) -> None:
    body = {"status": "error", "message": message}
    error = failed(submit(body, status), ServerError)
    assert (error.message, error.status) == (message, status)


def test_server_error_that_is_not_json() -> None:
    state = submit(b"<html>502 Bad Gateway</html>", 502)
    error = failed(state, ServerError)
    assert error.raw_body == "<html>502 Bad Gateway</html>"
    assert error.status == 502


def test_ok_status_with_a_body_that_is_not_json() -> None:
    error = failed(submit(b"oops", 200), ProviderError)
    assert "not JSON" in error.message


@pytest.mark.parametrize("status", [200, 400, 404])
def test_model_not_found_points_at_model(status: int) -> None:
    body = {"status": "error", "message": "Model not found: invalid_model_name"}
    error = failed(submit(body, status), ValidationError)
    assert error.paths == ("$.model",)
    assert "invalid_model_name" in str(error)


@pytest.mark.parametrize("status", [200, 400])
def test_unfetchable_image_points_at_image(status: int) -> None:
    body = {"status": "error", "message": "Unable to fetch image from provided URL"}
    error = failed(submit(body, status), ValidationError)
    assert error.paths == ("$.image",)


@pytest.mark.parametrize(
    ("message", "path"),
    [
        ("prompt is required", "$.prompt"),
        ("width must be between 256 and 1024", "$.width"),
        ("height must be divisible by 8", "$.height"),
        ("samples must be between 1 and 4", "$.num_images"),
        ("guidance_scale must be between 1 and 20", "$.guidance_scale"),
    ],
)
def test_documented_validation_messages_name_the_field(message: str, path: str) -> None:
    for status in (200, 400):
        error = failed(submit({"status": "error", "message": message}, status), ValidationError)
        assert error.paths == (path,)
        assert message in str(error)


def test_object_message_becomes_field_errors_with_wire_names() -> None:
    body = {
        "status": "error",
        "message": {
            "width": ["The width must be between 256 and 1024."],
            "model_id": ["The model id field is required."],
            "num_inference_steps": "must be at most 50",
            "mystery": ["?"],
        },
    }
    error = failed(submit(body, 400), ValidationError)
    # Names come from the table: ModelsLab sends "steps", so the OpenAPI's alias is not mapped.
    assert error.paths == ("$.width", "$.model", "$.num_inference_steps", "$.mystery")
    text = str(error)
    for wire in ("'width'", "'model_id'", "'num_inference_steps'", "'mystery'"):
        assert wire in text
    assert error.raw_body == body


def test_list_message_becomes_field_errors() -> None:
    body = {"status": "error", "messege": [{"seed": "must be an integer"}, "something else"]}
    error = failed(submit(body, 422), ValidationError)
    assert error.paths == ("$.seed", "$")


def test_unknown_status_is_a_provider_error() -> None:
    error = failed(submit({"status": "weird", "id": 1}), ProviderError)
    assert "weird" in error.message
    assert failed(submit([1, 2, 3]), ProviderError).raw_body == [1, 2, 3]


def test_unknown_fields_are_ignored() -> None:
    state = submit({**OLD_SUCCESS, "brand_new_field": {"x": 1}, "nsfw_content_detected": None})
    assert isinstance(state, Done)
    assert state.images[0].nsfw is None


# --- webhooks (reference 3.5) -----------------------------------------------------------------


def test_webhook_success_payload() -> None:
    body = {
        "status": "success",
        "id": "abc123-def456",
        "output": ["https://pub-3626123a908346a7a8be8d9295f44e26.r2.dev/generations/abc123.mp4"],
        "generationTime": 45.2,
        "track_id": "video_001",
        "meta": {
            "prompt": "A spaceship flying through an asteroid field",
            "model_id": "cogvideox",
            "width": 512,
            "height": 512,
        },
    }
    state = ADAPTER.parse_webhook(body)
    assert isinstance(state, Done)
    assert state.task_id == "abc123-def456"
    assert state.generation_time == 45.2
    assert [i.url for i in state.images] == body["output"]
    assert state.raw["track_id"] == "video_001"
    echo = parse_meta(body["meta"])
    assert (echo.width, echo.height, echo.model) == (512, 512, "cogvideox")


def test_webhook_failure_payload() -> None:
    body = {
        "status": "failed",
        "id": "abc123-def456",
        "message": "Processing failed: Invalid input dimensions",
        "track_id": "video_001",
    }
    error = failed(ADAPTER.parse_webhook(body), TaskFailedError)
    assert error.message == "Processing failed: Invalid input dimensions"
    assert error.task_id == "abc123-def456"
    assert error.raw_body == body
    assert error.status is None


def test_webhook_processing_and_garbage() -> None:
    state = ADAPTER.parse_webhook({"status": "processing", "id": 7, "track_id": "t-1"})
    assert isinstance(state, Pending)
    assert state.handle.data["track_id"] == "t-1"
    failed(ADAPTER.parse_webhook("not an object"), ProviderError)


def test_adapter_is_the_exported_class() -> None:
    assert AdapterClass is ModelsLabAdapter
    assert "data_url_prefix=True" in repr(ADAPTER)
