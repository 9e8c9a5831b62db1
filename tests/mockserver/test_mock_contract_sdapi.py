"""StableDiffusionAPI v3's request contract in the mock (seed 002, reference 2.2-2.4)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from inpaintkit.mockserver.contracts import (
    ContractOptions,
    ErrorKind,
    FetchRequest,
    ImageFacts,
    Rejection,
    SubmitRequest,
    get_contract,
    make_contract,
    validate_fetch,
)
from seed_examples import (
    SDAPI_KEY as KEY,
)
from seed_examples import (
    SEED_002,
)
from seed_examples import (
    sdapi_seed_body as seed_body,
)

SDAPI = get_contract("stablediffusionapi")


def accepted(body: Any) -> SubmitRequest:
    result = SDAPI.validate_submit(body, KEY)
    assert isinstance(result, SubmitRequest), result
    return result


def rejected(body: Any) -> Rejection:
    result = SDAPI.validate_submit(body, KEY)
    assert isinstance(result, Rejection), result
    assert KEY not in repr(result)
    return result


def changed(**changes: Any) -> dict[str, Any]:
    body = seed_body()
    body.update(changes)
    return body


def test_seed_body_as_written_is_not_json_and_gets_the_invalid_key_answer() -> None:
    with pytest.raises(json.JSONDecodeError):
        json.loads(SEED_002)
    rejection = SDAPI.error(ErrorKind.BODY_NOT_JSON)
    assert rejection.body["message"] == "Invalid Api Key"
    assert "valid JSON" in rejection.body["tip"]


def test_seed_example_is_accepted_and_normalised() -> None:
    req = accepted(seed_body())
    assert (req.width, req.height, req.num_images, req.steps) == (512, 512, 1, 30)
    assert (req.guidance_scale, req.strength, req.seed) == (7.5, 0.7, None)
    assert req.image.url is not None
    assert req.image.url.endswith("overture-creations-5sI6fQgYIuo.png")
    assert req.mask.url is not None
    assert req.mask.url.endswith("_mask.png")
    assert (req.nsfw_detection, req.base64_output) == (False, False)
    assert req.params["enhance_prompt"] is True
    assert req.params["width"] == 512
    assert "key" not in req.params
    assert req.model is None
    assert KEY not in repr(req)


RANGES = [
    ("width", 1, 1024, True),
    ("height", 1, 1024, True),
    ("samples", 1, 4, True),
    ("num_inference_steps", 1, 51, True),
    ("guidance_scale", 1, 20, False),
    ("strength", 0, 1, False),
]

MESSAGES = {
    "width": "The width must be between 1 and 1024.",
    "samples": "The samples must be between 1 and 4.",
    "num_inference_steps": "The num inference steps must be between 1 and 51.",
    "guidance_scale": "The guidance scale must be between 1 and 20.",
}


@pytest.mark.parametrize(("name", "lo", "hi", "integer"), RANGES)
def test_range_boundaries_as_numbers_and_strings(
    name: str, lo: float, hi: float, integer: bool
) -> None:
    step = 1 if integer else 0.01
    for ok in (lo, hi, str(lo), str(hi)):
        assert accepted(changed(**{name: ok})).params[name] == float(ok)
    for bad in (lo - step, hi + step, str(hi + step)):
        rejection = rejected(changed(**{name: bad}))
        assert rejection.status == 400
        assert rejection.field == name
        assert list(rejection.body["message"]) == [name]
        assert rejection.body["status"] == "error"
        if name in MESSAGES:
            assert rejection.body["message"][name] == [MESSAGES[name]]


@pytest.mark.parametrize("steps", ["21", "31", "41", "51", 30])
def test_listed_step_values_and_the_examples_30(steps: Any) -> None:
    assert accepted(changed(num_inference_steps=steps)).steps == int(steps)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("width", "512px", "The width must be an integer."),
        ("width", 512.5, "The width must be an integer."),
        ("guidance_scale", "high", "The guidance scale must be a number."),
        ("safety_checker", "maybe", "The selected safety checker is invalid."),
        ("base64", 1, "The selected base64 is invalid."),
        ("init_image", "not a url", "The init image must be a valid URL."),
        ("webhook", "hook.example/x", "The webhook must be a valid URL."),
        ("prompt", 5, "The prompt must be a string."),
    ],
)
def test_wrong_values_get_laravel_messages(name: str, value: Any, message: str) -> None:
    rejection = rejected(changed(**{name: value}))
    assert rejection.body == {"status": "error", "message": {name: [message]}}
    assert rejection.field == name


@pytest.mark.parametrize("name", ["prompt", "init_image", "mask_image"])
def test_required_fields(name: str) -> None:
    for absent in (None, ""):
        rejection = rejected(changed(**{name: absent}))
        expected = f"The {name.replace('_', ' ')} field is required."
        assert rejection.body["message"] == {name: [expected]}


def test_yes_no_and_booleans() -> None:
    req = accepted(changed(safety_checker="yes", base64=True, enhance_prompt=False))
    assert (req.nsfw_detection, req.base64_output, req.params["enhance_prompt"]) == (
        True,
        True,
        False,
    )


def test_data_url_images_are_inline() -> None:
    req = accepted(changed(init_image="data:image/png;base64,iVBORw0KGgo="))
    assert req.image.base64 == "data:image/png;base64,iVBORw0KGgo="
    assert req.image.url is None


def test_webhook_track_id_and_unknown_fields() -> None:
    req = accepted(changed(webhook="https://hook.example/cb", track_id="t-1", model_id="x"))
    assert (req.webhook_url, req.track_id) == ("https://hook.example/cb", "t-1")
    assert req.ignored == ("model_id",)


def test_authentication() -> None:
    assert SDAPI.authenticate({"key": KEY}, {}, valid_keys=None) == KEY
    for body in ({}, {"key": ""}, {"key": 5}, [KEY], None):
        missing = SDAPI.authenticate(body, {}, valid_keys=None)
        assert isinstance(missing, Rejection)
        assert missing.status == 401
        assert missing.body["message"] == "Invalid Api Key"
    invalid = SDAPI.authenticate({"key": "wrong"}, {}, valid_keys=[KEY])
    assert isinstance(invalid, Rejection)
    assert invalid.body["status"] == "error"
    assert "wrong" not in repr(invalid)


def test_errors_as_http_200_option() -> None:
    contract = make_contract("stablediffusionapi", ContractOptions(errors_as_http_200=True))
    rejection = contract.validate_submit(changed(width=2000), KEY)
    assert isinstance(rejection, Rejection)
    assert rejection.status == 200
    assert rejection.body["status"] == "error"
    assert contract.error(ErrorKind.RATE_LIMITED).status == 200
    assert SDAPI.error(ErrorKind.RATE_LIMITED).status == 429


def test_rate_limit_body_uses_messege() -> None:
    body = SDAPI.error(ErrorKind.RATE_LIMITED, retry_after=12.5).body
    assert body["status"] == "error"
    assert body["messege"] == "Rate limit exceeded"
    assert "message" not in body
    assert "wait for 13 seconds" in body["tips"]
    assert "wait for 30 seconds" in SDAPI.error(ErrorKind.RATE_LIMITED).body["tips"]


def test_documented_error_statuses() -> None:
    statuses = {kind: SDAPI.error(kind).status for kind in ErrorKind}
    assert statuses[ErrorKind.INSUFFICIENT_CREDITS] == 402
    assert statuses[ErrorKind.SERVER_ERROR] == 500
    assert statuses[ErrorKind.SERVICE_UNAVAILABLE] == 503
    assert SDAPI.error(ErrorKind.TASK_FAILED).body == {
        "status": "failed",
        "id": "",
        "message": "Failed, Try Again",
        "output": "",
    }
    assert SDAPI.error(ErrorKind.MODEL_NOT_FOUND).body["message"] == "Model id not found"


def test_images_that_do_not_decode_were_not_fetched() -> None:
    req = accepted(seed_body())
    ok = ImageFacts(512, 512, 1000, "PNG")
    assert SDAPI.check_images(req, ok, ok) is None
    rejection = SDAPI.check_images(req, ok, ImageFacts(None, None, 10, None))
    assert rejection is not None
    assert rejection.field == "mask_image"
    assert rejection.body["message"] == "Unable to fetch image from provided URL"


def test_fetch() -> None:
    fetched = validate_fetch("stablediffusionapi", {"key": KEY}, path_id="12384052")
    assert fetched == FetchRequest("stablediffusionapi", KEY, "12384052")
    assert KEY not in repr(fetched)
    rejection = validate_fetch("stablediffusionapi", {}, path_id="1")
    assert isinstance(rejection, Rejection)
    assert rejection.status == 401
    with pytest.raises(ValueError, match="no fetch endpoint"):
        validate_fetch("novita", {"key": KEY}, path_id="1")
