"""Novita's request contract in the mock: the seed examples, the SDK's bodies, every boundary.

The expected ranges are written out here from seed 001 on purpose, rather than read from the
contract table, so a wrong table row fails a test.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from inpaintkit.mockserver.contracts import (
    ErrorKind,
    ImageFacts,
    Rejection,
    S3Target,
    SubmitRequest,
    get_contract,
    validate_model_query,
    validate_task_result_query,
)
from seed_examples import (
    IMAGE_B64,
    MASK_B64,
    SDK_CAPTURE,
)
from seed_examples import (
    NOVITA_KEY as KEY,
)
from seed_examples import (
    novita_seed_body as seed_body,
)

NOVITA = get_contract("novita")


def accepted(body: Any) -> SubmitRequest:
    result = NOVITA.validate_submit(body, KEY)
    assert isinstance(result, SubmitRequest), result
    return result


def rejected(body: Any) -> Rejection:
    result = NOVITA.validate_submit(body, KEY)
    assert isinstance(result, Rejection), result
    assert KEY not in repr(result)
    return result


def with_request(**changes: Any) -> dict[str, Any]:
    body = seed_body()
    body["request"].update(changes)
    return body


def test_seed_001_example_is_accepted_and_normalised() -> None:
    req = accepted(seed_body())
    assert req.provider == "novita"
    assert req.model == "realisticVisionV40_v40VAE-inpainting_81543.safetensors"
    assert (req.image.base64, req.mask.base64) == (IMAGE_B64, MASK_B64)
    assert req.image.url is None
    assert req.prompt == "Leonardo DiCaprio"
    assert (req.num_images, req.steps, req.guidance_scale, req.strength) == (1, 25, 7.5, 0.85)
    assert req.seed is None  # -1 = random
    assert req.sampler == "Euler a"
    assert req.output_format == "jpeg"
    assert (req.masked_only, req.masked_only_padding, req.mask_invert, req.mask_blur) == (
        True,
        32,
        False,
        1,
    )
    assert (req.width, req.height) == (None, None)
    assert req.params["request"]["clip_skip"] == 1
    assert req.params["request"]["initial_noise_multiplier"] == 1.0
    assert req.ignored == ()


@pytest.mark.parametrize("value", [0, 1, 2, 3])
def test_inpainting_fill_of_seeds_000_004_is_a_known_field(value: int) -> None:
    """Seeds 000/004 send inpainting_fill: 1; its range [0, 3] is AUTOMATIC1111's."""
    req = accepted(with_request(inpainting_fill=value))
    assert req.ignored == ()
    if value:  # 0 is the zero value: it reads as unset
        assert req.params["request"]["inpainting_fill"] == value


@pytest.mark.parametrize("value", [-1, 4, "1", 1.5])
def test_inpainting_fill_out_of_range_or_mistyped_is_refused(value: Any) -> None:
    rejection = rejected(with_request(inpainting_fill=value))
    assert (rejection.status, rejection.body["reason"]) == (400, "INVALID_REQUEST_BODY")
    assert rejection.field == "request.inpainting_fill"


def test_a_misspelt_inpainting_fill_is_ignored_as_unknown() -> None:
    """What the conformance suite's "mock ignored unknown field" check looks for."""
    req = accepted(with_request(inpaint_fill=1))
    assert req.ignored == ("request.inpaint_fill",)


@pytest.mark.parametrize(
    "value", ["application/json", "application/json; charset=utf-8", "Application/JSON"]
)
def test_json_content_type_is_accepted(value: str) -> None:
    assert NOVITA.check_content_type({"content-type": value}) is None


@pytest.mark.parametrize("headers", [{}, {"Content-Type": "text/plain"}, {"Content-Type": ""}])
def test_submit_without_json_content_type_is_refused(headers: dict[str, str]) -> None:
    rejection = NOVITA.check_content_type(headers)
    assert rejection is not None
    assert rejection.status == 400
    assert rejection.body["code"] == 400
    assert rejection.body["reason"] == "INVALID_REQUEST_BODY"
    assert rejection.body["metadata"] == {}
    assert rejection.body["message"].startswith("Content-Type: must be application/json")
    assert rejection.field == "Content-Type"


def test_sdk_capture_is_accepted() -> None:
    req = accepted(copy.deepcopy(SDK_CAPTURE))
    assert req.output_format == "jpeg"
    assert req.custom_storage is None
    assert "sd_vae" not in req.params["request"]  # "" reads as not set
    assert req.params["request"]["loras"] == [{"model_name": "x", "strength": 0.5}]
    assert (req.mask_blur, req.masked_only_padding, req.nsfw_detection) == (0, 8, False)


def test_sdk_raw_request_defaults_are_accepted() -> None:
    """InpaintingRequest defaults: booleans for 0/1, clip_skip 0, "" prompt, extra null."""
    body = copy.deepcopy(SDK_CAPTURE)
    body["extra"] = None
    body["request"].update(
        inpainting_full_res=False,
        inpainting_mask_invert=True,
        clip_skip=0,
        strength=1.0,
        negative_prompt="",
    )
    req = accepted(body)
    assert req.masked_only is False
    assert req.mask_invert is True
    assert "clip_skip" not in req.params["request"]
    assert req.negative_prompt is None
    assert req.strength == 1.0
    assert req.output_format == "png"  # the API default when extra is absent


RANGES = [
    # (field, min, max, integer?) from seed 001
    ("image_num", 1, 8, True),
    ("steps", 1, 100, True),
    ("guidance_scale", 1, 30, False),
    ("mask_blur", 0, 64, True),
    ("clip_skip", 1, 12, True),
    ("strength", 0, 1, False),
    ("inpainting_full_res_padding", 0, 256, True),
    ("initial_noise_multiplier", 0, 1.5, False),
]


@pytest.mark.parametrize(("name", "lo", "hi", "integer"), RANGES)
def test_range_boundaries(name: str, lo: float, hi: float, integer: bool) -> None:
    step = 1 if integer else 0.01
    accepted(with_request(**{name: lo}))
    accepted(with_request(**{name: hi}))
    below = lo - step
    if not (name == "clip_skip" and below == 0):  # 0 reads as unset; tested below
        rejection = rejected(with_request(**{name: below}))
        assert rejection.status == 400
        assert rejection.field == f"request.{name}"
        assert rejection.body["reason"] == "INVALID_REQUEST_BODY"
        assert rejection.body["code"] == 400
        assert rejection.body["metadata"] == {}
        assert f"request.{name}" in rejection.body["message"]
    rejection = rejected(with_request(**{name: hi + step}))
    assert rejection.field == f"request.{name}"
    assert rejection.rule == f"must be in [{lo}, {hi}]"
    assert str(hi + step) in rejection.body["message"]


def test_seed_minimum_is_minus_one() -> None:
    assert accepted(with_request(seed=-1)).seed is None
    assert accepted(with_request(seed=2**32)).seed == 2**32
    assert rejected(with_request(seed=-2)).field == "request.seed"


def test_clip_skip_zero_reads_as_unset_but_minus_one_is_rejected() -> None:
    assert "clip_skip" not in accepted(with_request(clip_skip=0)).params["request"]
    assert rejected(with_request(clip_skip=-1)).field == "request.clip_skip"


def test_prompt_length() -> None:
    accepted(with_request(prompt="x" * 1024))
    assert rejected(with_request(prompt="x" * 1025)).rule == "length must be in [1, 1024]"
    assert rejected(with_request(prompt="")).rule == "is required"


@pytest.mark.parametrize(
    "name",
    [
        "model_name",
        "image_base64",
        "mask_image_base64",
        "prompt",
        "image_num",
        "steps",
        "guidance_scale",
        "sampler_name",
    ],
)
def test_missing_required_field(name: str) -> None:
    body = seed_body()
    del body["request"][name]
    rejection = rejected(body)
    assert rejection.field == f"request.{name}"
    assert rejection.body["message"] == f"request.{name}: is required"
    body["request"][name] = None
    assert rejected(body).field == f"request.{name}"


def test_request_object_is_required_and_body_must_be_an_object() -> None:
    assert rejected({"extra": {}}).field == "request"
    assert rejected([1, 2]).field == "$"
    assert rejected({"request": "x"}).rule == "must be an object"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("request.sampler_name", "Euler b"),
        ("request.inpainting_full_res", 2),
        ("request.inpainting_mask_invert", -1),
        ("extra.response_image_type", "gif"),
        ("extra.nsfw_detection_level", 3),
        ("extra.webhook.test_mode.return_task_status", "TASK_STATUS_QUEUED"),
    ],
)
def test_off_enum_values(path: str, value: Any) -> None:
    body = seed_body()
    body["extra"]["webhook"] = {
        "url": "https://hook.example/x",
        "test_mode": {"enabled": True, "return_task_status": "TASK_STATUS_SUCCEED"},
    }
    accepted(copy.deepcopy(body))
    target = body
    *parents, leaf = path.split(".")
    for part in parents:
        target = target[part]
    target[leaf] = value
    rejection = rejected(body)
    assert rejection.field == path
    assert rejection.rule.startswith("must be one of")


def test_all_twenty_samplers_are_accepted() -> None:
    samplers = "Euler a,Euler,LMS,Heun,DPM2,DPM2 a,DPM++ 2S a,DPM++ 2M,DPM++ SDE,DPM fast,"
    samplers += "DPM adaptive,LMS Karras,DPM2 Karras,DPM2 a Karras,DPM++ 2S a Karras,"
    samplers += "DPM++ 2M Karras,DPM++ SDE Karras,DDIM,PLMS,UniPC"
    for name in samplers.split(","):
        assert accepted(with_request(sampler_name=name)).sampler == name


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("steps", "25"),  # Novita takes JSON numbers; strings are SDAPI/ModelsLab's habit
        ("steps", 25.5),
        ("steps", True),
        ("guidance_scale", "7.5"),
        ("prompt", 42),
        ("strength", {}),  # the docs' curl placeholder for number|null
        ("loras", {"model_name": "x"}),
    ],
)
def test_wrong_types(name: str, value: Any) -> None:
    rejection = rejected(with_request(**{name: value}))
    assert rejection.field == f"request.{name}"
    assert rejection.rule.startswith("must be")


def test_integral_float_is_an_integer() -> None:
    assert accepted(with_request(steps=25.0)).steps == 25


def test_loras_and_embeddings() -> None:
    five = [{"model_name": f"l{i}", "strength": 0.5} for i in range(5)]
    assert len(accepted(with_request(loras=five)).params["request"]["loras"]) == 5
    assert rejected(with_request(loras=[*five, five[0]])).field == "request.loras"
    rejection = rejected(with_request(loras=[{"model_name": "a", "strength": 1.5}]))
    assert rejection.field == "request.loras[0].strength"
    assert rejected(with_request(loras=[{"strength": 0.5}])).field == "request.loras[0].model_name"
    embeddings = [{"model_name": f"e{i}"} for i in range(6)]
    assert rejected(with_request(embeddings=embeddings)).field == "request.embeddings"


def test_webhook_and_test_mode() -> None:
    body = seed_body()
    body["extra"]["webhook"] = {}
    assert rejected(body).field == "extra.webhook.url"
    body["extra"]["webhook"] = {
        "url": "https://hook.example/x",
        "test_mode": {"enabled": True, "return_task_status": "TASK_STATUS_FAILED"},
    }
    req = accepted(body)
    assert req.webhook_url == "https://hook.example/x"
    assert req.webhook_test_status == "TASK_STATUS_FAILED"
    body["extra"]["webhook"]["test_mode"]["enabled"] = False
    assert accepted(body).webhook_test_status is None


def test_custom_storage() -> None:
    body = seed_body()
    body["extra"]["custom_storage"] = {"aws_s3": {"region": "us-east-1", "bucket": "b"}}
    assert rejected(body).field == "extra.custom_storage.aws_s3.path"
    body["extra"]["custom_storage"]["aws_s3"]["path"] = "out/"
    assert accepted(body).custom_storage == S3Target("us-east-1", "b", "out/", False)
    body["extra"]["enterprise_plan"] = {"enabled": True}
    accepted(body)


def test_key_is_not_in_repr() -> None:
    req = accepted(seed_body())
    assert KEY not in repr(req)
    assert req.api_key == KEY
    assert IMAGE_B64 not in repr(req)


def test_authentication() -> None:
    assert NOVITA.authenticate(None, {"Authorization": f"Bearer {KEY}"}, valid_keys=None) == KEY
    assert NOVITA.authenticate(None, {"authorization": KEY}, valid_keys=[KEY]) == KEY  # JS SDK
    missing = NOVITA.authenticate(None, {}, valid_keys=None)
    assert isinstance(missing, Rejection)
    assert (missing.status, missing.body["reason"]) == (400, "MISSING_API_KEY")
    assert isinstance(
        NOVITA.authenticate(None, {"Authorization": "Bearer "}, valid_keys=None), Rejection
    )
    invalid = NOVITA.authenticate(None, {"Authorization": "Bearer nope"}, valid_keys=[KEY])
    assert isinstance(invalid, Rejection)
    assert invalid.status == 403
    assert invalid.body == {"code": 403, "reason": "INVALID_API_KEY", "message": "invalid api-key"}


def facts(
    width: int | None, height: int | None, size: int = 1000, fmt: str | None = "PNG"
) -> ImageFacts:
    return ImageFacts(width, height, size, fmt)


@pytest.mark.parametrize(
    ("size", "ok"),
    [((4000, 4000), True), ((641, 24961), False), ((24961, 641), False), ((1, 16_000_000), True)],
)
def test_sixteen_megapixels_is_sixteen_million(size: tuple[int, int], ok: bool) -> None:
    """Seed 001's "16 megapixels" is 16,000,000 pixels: 641 x 24961 is one pixel more."""
    req = accepted(seed_body())
    rejection = NOVITA.check_images(req, facts(*size), facts(*size))
    if ok:
        assert rejection is None
    else:
        assert rejection is not None
        assert rejection.body["reason"] == "IMAGE_EXCEEDS_MAX_RESOLUTION"
        assert rejection.rule == "must be at most 16000000 pixels"


def test_image_rules() -> None:
    req = accepted(seed_body())
    assert NOVITA.check_images(req, facts(4000, 4000), facts(4000, 4000)) is None
    big = NOVITA.check_images(req, facts(4096, 4096), facts(4096, 4096))
    assert big is not None
    assert (big.status, big.body["reason"], big.field) == (
        400,
        "IMAGE_EXCEEDS_MAX_RESOLUTION",
        "request.image_base64",
    )
    heavy = NOVITA.check_images(req, facts(64, 48), facts(64, 48, size=30 * 2**20 + 1))
    assert heavy is not None
    assert (heavy.body["reason"], heavy.field) == (
        "IMAGE_FILE_EXCEEDS_MAX_SIZE",
        "request.mask_image_base64",
    )
    assert NOVITA.check_images(req, facts(64, 48, size=30 * 2**20), facts(64, 48)) is None
    mismatch = NOVITA.check_images(req, facts(64, 48), facts(48, 64))
    assert mismatch is not None
    assert mismatch.field == "request.mask_image_base64"
    assert "64x48" in mismatch.body["message"]
    for bad in (facts(None, None, fmt=None), facts(64, 48, fmt="GIF")):
        rejection = NOVITA.check_images(req, bad, facts(64, 48))
        assert rejection is not None
        assert rejection.body["reason"] == "INVALID_IMAGE_FORMAT"
    assert NOVITA.check_images(req, facts(64, 48, fmt="WEBP"), facts(64, 48, fmt="jpeg")) is None


@pytest.mark.parametrize(
    ("kind", "status", "reason"),
    [
        (ErrorKind.MISSING_KEY, 400, "MISSING_API_KEY"),
        (ErrorKind.INVALID_KEY, 403, "INVALID_API_KEY"),
        (ErrorKind.RATE_LIMITED, 429, "RATE_LIMIT_EXCEEDED"),
        (ErrorKind.INSUFFICIENT_CREDITS, 400, "BILLING_BALANCE_NOT_ENOUGH"),
        (ErrorKind.TASK_NOT_FOUND, 404, "TASK_NOT_FOUND"),
        (ErrorKind.BODY_NOT_JSON, 400, "INVALID_REQUEST_BODY"),
        (ErrorKind.TASK_FAILED, 500, "TASK_FAILED"),
    ],
)
def test_error_bodies(kind: ErrorKind, status: int, reason: str) -> None:
    rejection = NOVITA.error(kind)
    assert rejection.status == status
    assert rejection.body["code"] == status
    assert rejection.body["reason"] == reason
    assert isinstance(rejection.body["message"], str)
    assert NOVITA.error(kind, "custom").body["message"] == "custom"


def test_model_query() -> None:
    query = validate_model_query(
        {
            "filter.visibility": "public",
            "filter.types": "checkpoint",
            "filter.is_inpainting": "true",
            "filter.is_sdxl": "False",  # what the Python SDK sends
            "filter.type": "",
            "pagination.limit": "100",
            "pagination.cursor": "c_WzgwNDY2NiwiNTUxOTkiXQ==",
        }
    )
    assert not isinstance(query, Rejection)
    assert (query.visibility, query.types, query.is_inpainting, query.is_sdxl) == (
        "public",
        "checkpoint",
        True,
        False,
    )
    assert (query.limit, query.cursor, query.ignored) == (
        100,
        "c_WzgwNDY2NiwiNTUxOTkiXQ==",
        ("filter.type",),
    )
    assert not isinstance(validate_model_query({"pagination.limit": "1"}), Rejection)
    for bad, field in [
        ({"pagination.limit": "0"}, "pagination.limit"),
        ({"pagination.limit": "101"}, "pagination.limit"),
        ({"pagination.limit": "ten"}, "pagination.limit"),
        ({"filter.types": "checkpoints"}, "filter.types"),
        ({"filter.visibility": "all"}, "filter.visibility"),
        ({"filter.is_inpainting": "yes"}, "filter.is_inpainting"),
    ]:
        rejection = validate_model_query(bad)
        assert isinstance(rejection, Rejection), bad
        assert (rejection.status, rejection.field) == (400, field)
        assert rejection.body["reason"] == "INVALID_REQUEST_BODY"


def test_task_result_query() -> None:
    assert validate_task_result_query({"task_id": "abc"}) == "abc"
    rejection = validate_task_result_query({})
    assert isinstance(rejection, Rejection)
    assert (rejection.status, rejection.field) == (400, "task_id")
