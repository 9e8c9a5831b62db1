"""ModelsLab v6's request contract in the mock (seed 003, reference 3.1-3.6)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from inpaintkit.mockserver.contracts import (
    Base64Upload,
    ContractOptions,
    ErrorKind,
    FetchRequest,
    Rejection,
    SubmitRequest,
    get_contract,
    make_contract,
    validate_base64_to_url,
    validate_fetch,
)
from seed_examples import (
    HEAD_EXAMPLE,
    INIT,
    MASK,
    MODELSLAB_PY,
)
from seed_examples import (
    MODELSLAB_KEY as KEY,
)
from seed_examples import (
    modelslab_seed_body as seed_body,
)

ML = get_contract("modelslab")


def accepted(body: Any) -> SubmitRequest:
    result = ML.validate_submit(body, KEY)
    assert isinstance(result, SubmitRequest), result
    return result


def rejected(body: Any) -> Rejection:
    result = ML.validate_submit(body, KEY)
    assert isinstance(result, Rejection), result
    assert KEY not in repr(result)
    return result


def changed(**changes: Any) -> dict[str, Any]:
    body = seed_body()
    body.update(changes)
    return body


def test_seed_example_is_accepted_and_normalised() -> None:
    req = accepted(seed_body())
    assert (req.model, req.width, req.height, req.num_images, req.steps) == (
        "pony_realism",
        512,
        512,
        1,
        21,
    )
    assert req.params["clip_skip"] == 2
    assert req.params["use_karras_sigmas"] is True
    assert req.params["algorithm_type"] == "sde-dpmsolver++"
    assert (req.sampler, req.guidance_scale, req.strength, req.seed) == (
        "DPMSolverMultistepScheduler",
        7.5,
        0.7,
        None,
    )
    assert req.nsfw_detection is False
    assert (req.image.url, req.mask.url) == (INIT, MASK)


def test_head_example_is_accepted() -> None:
    req = accepted(dict(HEAD_EXAMPLE, key=KEY))
    assert req.sampler == "UniPCMultistepScheduler"
    assert "lora_strength" not in req.params
    assert req.nsfw_detection is False


def test_modelslab_py_capture_is_accepted() -> None:
    req = accepted(dict(MODELSLAB_PY))
    assert (req.steps, req.seed, req.base64_output, req.strength) == (21, 1, False, 0.7)
    assert req.params["num_inference_steps"] == 21
    without_strength = dict(MODELSLAB_PY)
    del without_strength["strength"]
    assert accepted(without_strength).strength == 0.7  # the seed's default


def test_steps_wins_over_num_inference_steps() -> None:
    assert accepted(changed(steps="30", num_inference_steps=40)).steps == 30
    assert rejected(changed(num_inference_steps=51)).field == "num_inference_steps"


def test_errors_carry_a_string_message() -> None:
    """Issue 10 item 6: error-codes.mdx shows ``message`` as a string, not Laravel's lists."""
    rejection = rejected(changed(width=2000))
    message = "width must be between 512 and 1024"
    assert rejection.body == {"status": "error", "message": message}
    missing = seed_body()
    del missing["model_id"]
    assert rejected(missing).body == {"status": "error", "message": "model_id is required"}


def test_webhooks_must_use_https() -> None:
    """Issue 10 item 8: 'Your webhook URL must use HTTPS' (reference 3.5); loopback is allowed."""
    rejection = rejected(changed(webhook="http://example.com/hook"))
    assert (rejection.status, rejection.field) == (400, "webhook")
    assert rejection.body == {"status": "error", "message": "Your webhook URL must use HTTPS"}
    assert accepted(changed(webhook="https://example.com/hook")).webhook_url
    assert accepted(changed(webhook="http://127.0.0.1:9/hook")).webhook_url


def test_defaults_from_the_seed() -> None:
    body = {"key": KEY, "model_id": "m", "init_image": INIT, "mask_image": MASK}
    req = accepted(body)
    assert (req.width, req.height, req.num_images, req.steps, req.guidance_scale) == (
        512,
        512,
        1,
        21,
        7.5,
    )
    assert (req.sampler, req.nsfw_detection, req.prompt) == (
        "DPMSolverMultistepScheduler",
        True,
        None,
    )


RANGES = [
    ("width", 512, 1024, True),
    ("height", 512, 1024, True),
    ("samples", 1, 4, True),
    ("steps", 1, 50, True),
    ("guidance_scale", 1, 20, False),
    ("strength", 0, 1, False),
    ("clip_skip", 1, 4, True),
]


@pytest.mark.parametrize(("name", "lo", "hi", "integer"), RANGES)
def test_range_boundaries(name: str, lo: float, hi: float, integer: bool) -> None:
    step = 8 if name in ("width", "height") else 1 if integer else 0.01
    for ok in (lo, hi, str(lo), str(hi)):
        assert accepted(changed(**{name: ok})).params[name] == float(ok)
    for bad in (lo - step, hi + step, str(lo - step)):
        rejection = rejected(changed(**{name: bad}))
        assert rejection.status == 400
        assert rejection.field == name
        assert rejection.body == {
            "status": "error",
            "message": f"{name} must be between {lo} and {hi}",
        }


def test_width_and_height_must_be_divisible_by_8() -> None:
    for name in ("width", "height"):
        rejection = rejected(changed(**{name: 516}))
        assert rejection.body["message"] == f"{name} must be a multiple of 8"
        assert accepted(changed(**{name: "768"})).params[name] == 768


def test_scheduler_and_algorithm_type_enums() -> None:
    for scheduler in ("DDIMScheduler", "LCMScheduler", "KDPM2AncestralDiscreteScheduler"):
        assert accepted(changed(scheduler=scheduler)).sampler == scheduler
    message = rejected(changed(scheduler="Euler a")).body["message"]
    assert message == "scheduler: The selected scheduler is invalid"
    for algorithm in ("sde-dpmsolver++", "none", "dpmsolver+++"):
        accepted(changed(algorithm_type=algorithm))
    assert rejected(changed(algorithm_type="dpmsolver")).field == "algorithm_type"


@pytest.mark.parametrize("name", ["key", "model_id", "init_image", "mask_image"])
def test_required_fields(name: str) -> None:
    body = seed_body()
    del body[name]
    rejection = rejected(body)
    assert rejection.body["message"] == f"{name} is required"


def test_inline_base64_images_need_the_base64_flag() -> None:
    plain = base64.b64encode(b"\x89PNG fake").decode()
    rejection = rejected(changed(init_image=plain))
    assert rejection.body["message"] == "init_image must be a valid URL"
    for flag in ("yes", True):
        req = accepted(changed(init_image=plain, mask_image=plain, base64=flag))
        assert req.image.base64 == plain
        assert req.base64_output is True
    data_url = "data:image/png;base64," + plain
    assert accepted(changed(init_image=data_url)).image.base64 == data_url


def test_lora_strength() -> None:
    req = accepted(changed(lora_model="a,b", lora_strength="0.5, 0.7"))
    assert req.params["lora_strength"] == [0.5, 0.7]
    assert accepted(changed(lora_strength=1)).params["lora_strength"] == [1.0]
    assert rejected(changed(lora_strength="0.05")).field == "lora_strength"
    assert rejected(changed(lora_strength="a,b")).field == "lora_strength"


def test_yes_no_fields() -> None:
    for name in ("use_karras_sigmas", "safety_checker", "enhance_prompt", "base64", "temp"):
        assert accepted(changed(**{name: "no"})).params[name] is False
        assert rejected(changed(**{name: "true"})).field == name


def test_authentication_and_errors() -> None:
    missing = ML.authenticate({"model_id": "m"}, {}, valid_keys=None)
    assert isinstance(missing, Rejection)
    assert (missing.status, missing.body) == (
        401,
        {"status": "error", "message": "API key required"},
    )
    invalid = ML.authenticate({"key": "nope"}, {}, valid_keys=[KEY])
    assert isinstance(invalid, Rejection)
    assert invalid.body == {"status": "error", "message": "Invalid API key"}
    assert ML.error(ErrorKind.RATE_LIMITED).body == {
        "status": "error",
        "message": "Rate limit exceeded. Maximum 5 queued requests allowed.",
        "retry_after": 30,
    }
    assert ML.error(ErrorKind.RATE_LIMITED).status == 429
    assert ML.error(ErrorKind.RATE_LIMITED, retry_after=4.2).body["retry_after"] == 5
    expected = {
        ErrorKind.INSUFFICIENT_CREDITS: 402,
        ErrorKind.SERVER_ERROR: 500,
        ErrorKind.SERVICE_UNAVAILABLE: 503,
        ErrorKind.IMAGE_FETCH_FAILED: 400,
        ErrorKind.TASK_NOT_FOUND: 404,
    }
    for kind, status in expected.items():
        assert ML.error(kind).status == status
        assert ML.error(kind).body["status"] == "error"
    lenient = make_contract("modelslab", ContractOptions(errors_as_http_200=True))
    assert lenient.error(ErrorKind.INSUFFICIENT_CREDITS).status == 200
    model = ML.error(ErrorKind.MODEL_NOT_FOUND, "Model not found: invalid_model_name")
    assert model.body["message"] == "Model not found: invalid_model_name"


def test_fetch_forms() -> None:
    by_body = validate_fetch("modelslab", {"key": KEY, "request_id": 134712448})
    assert by_body == FetchRequest("modelslab", KEY, "134712448")
    by_path = validate_fetch("modelslab", {"key": KEY}, path_id="134712448")
    assert by_path == by_body
    rejection = validate_fetch("modelslab", {"key": KEY})
    assert isinstance(rejection, Rejection)
    assert rejection.body["message"] == "request_id is required"


def test_base64_to_url() -> None:
    payload = b"\x89PNG" + bytes(100)
    encoded = base64.b64encode(payload).decode()
    upload = validate_base64_to_url(
        {"key": KEY, "base64_string": "data:image/png;base64," + encoded}
    )
    assert isinstance(upload, Base64Upload)
    assert (upload.data, upload.media_type) == (payload, "image/png")
    assert KEY not in repr(upload)
    plain = validate_base64_to_url({"key": KEY, "base64_string": encoded})
    assert isinstance(plain, Base64Upload)
    assert plain.media_type is None
    five_mb = base64.b64encode(bytes(5 * 2**20)).decode()
    assert isinstance(validate_base64_to_url({"key": KEY, "base64_string": five_mb}), Base64Upload)
    too_big = base64.b64encode(bytes(5 * 2**20 + 1)).decode()
    rejection = validate_base64_to_url({"key": KEY, "base64_string": too_big})
    assert isinstance(rejection, Rejection)
    assert rejection.field == "base64_string"
    assert rejection.body["status"] == "error"
    bad = validate_base64_to_url({"key": KEY, "base64_string": "not base64!"})
    assert isinstance(bad, Rejection)
    assert bad.body["message"] == "base64_string format is invalid"
    missing = validate_base64_to_url({"key": KEY})
    assert isinstance(missing, Rejection)
    assert missing.field == "base64_string"
