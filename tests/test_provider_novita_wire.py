"""Golden tests of the exact wire requests the Novita adapter builds, and of the checks before.

Requests are built as the client builds them: :func:`inpaintkit.checking.check_request` (the
table and options checks, and the table-built fields), the adapter's ``build_submit``, then
:func:`inpaintkit.checking.check_built` (the adapter kept every field the table encodes).
The first golden job reproduces the request example of seed 001 field by field (images replaced
by generated ones; the key is not in the body because the runtime adds the Bearer header).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit.checking import CheckedRequest, check_built, check_request
from inpaintkit.errors import UnsupportedFieldError, ValidationError
from inpaintkit.job import (
    Embedding,
    InpaintJob,
    Lora,
    MaskOptions,
    OutputFormat,
    S3Storage,
    SafetyCheck,
    Sampler,
    Webhook,
)
from inpaintkit.provider import HttpRequest, PreparedImage, PreparedRequest, TaskHandle
from inpaintkit.providers.novita import SPEC, NovitaAdapter, NovitaOptions, WebhookTestStatus
from seed_examples import SEED_001
from seed_examples import SEED_001_NEGATIVE_PROMPT as SEED_NEGATIVE_PROMPT

ADAPTER = NovitaAdapter()
W, H = 96, 64
IMAGE = png_bytes(gradient_image(W, H))
MASK = png_bytes(rect_mask(W, H, (16, 8, 64, 48)))
IMAGE_B64 = base64.b64encode(IMAGE).decode("ascii")
MASK_B64 = base64.b64encode(MASK).decode("ascii")

SEED_MODEL = "realisticVisionV40_v40VAE-inpainting_81543.safetensors"


def seed_body(**request_changes: Any) -> dict[str, Any]:
    """Seed 001's request example, with this module's images in place of its placeholders."""
    body: dict[str, Any] = json.loads(SEED_001)
    request = body["request"]
    request["image_base64"] = IMAGE_B64
    request["mask_image_base64"] = MASK_B64
    request.update(request_changes)
    return body


def prepared(job: InpaintJob, *, batch_index: int = 0, batch_count: int = 1) -> PreparedRequest:
    return PreparedRequest(
        job=job,
        image=PreparedImage(IMAGE, "png", W, H),
        mask=PreparedImage(MASK, "png", W, H),
        batch_index=batch_index,
        batch_count=batch_count,
    )


def checked(j: InpaintJob, *, batch_index: int = 0, batch_count: int = 1) -> CheckedRequest:
    return check_request(prepared(j, batch_index=batch_index, batch_count=batch_count), SPEC)


def build(j: InpaintJob, **batch: int) -> HttpRequest:
    """The submit request exactly as the client would send it (or the error it raises)."""
    request = checked(j, **batch)
    built = ADAPTER.build_submit(request)
    check_built(built, request, SPEC)
    return built


def job(**fields: Any) -> InpaintJob:
    base: dict[str, Any] = {"image": IMAGE, "mask": MASK, "prompt": "a red door", "model": "m.ckpt"}
    base.update(fields)
    return InpaintJob(**base)


def seed_001_job(**changes: Any) -> InpaintJob:
    return job(
        prompt="Leonardo DiCaprio",
        negative_prompt=SEED_NEGATIVE_PROMPT,
        model=SEED_MODEL,
        num_images=1,
        steps=25,
        clip_skip=1,
        guidance_scale=7.5,
        sampler=Sampler.EULER_A,
        mask_options=MaskOptions(blur=1, invert=False, masked_only=True, padding=32),
        initial_noise_multiplier=1.0,
        strength=0.85,
        output_format=OutputFormat.JPEG,
        **changes,
    )


def submit_body(j: InpaintJob) -> Any:
    return build(j).json


# --- golden: the seed examples -------------------------------------------------------------------


def test_seed_001_request_example_is_reproduced_field_by_field() -> None:
    request = build(seed_001_job())
    assert request.method == "POST"
    assert request.path == "/v3/async/inpainting"
    assert dict(request.query) == {}
    assert request.headers["Content-Type"] == "application/json"
    expected = seed_body()
    assert request.json == expected
    # Field by field, so a failure names the field; and no field beyond the seed's.
    for part in ("extra", "request"):
        assert set(request.json[part]) == set(expected[part])
        for key, value in expected[part].items():
            assert request.json[part][key] == value, f"{part}.{key}"
    # The wire types follow the seed: ints stay ints, 0/1 flags are ints, not booleans.
    # (initial_noise_multiplier is a neutral float, so it is sent as 1.0 where the seed has 1;
    # both are the JSON number one.)
    wire = request.json["request"]
    for key in ("image_num", "steps", "seed", "clip_skip", "mask_blur", "inpainting_full_res"):
        assert type(wire[key]) is int, key
    assert type(wire["inpainting_mask_invert"]) is int


def test_seed_004_example_adds_inpainting_fill_through_extras() -> None:
    # Seed 004 (and 000) carry "inpainting_fill": 1, which seed 001 does not document.
    body = submit_body(seed_001_job(extras={"novita": {"inpainting_fill": 1}}))
    assert body == seed_body(inpainting_fill=1)


def test_the_key_is_never_in_the_request() -> None:
    request = build(seed_001_job())
    assert "authorization" not in {h.lower() for h in request.headers}
    assert "key" not in request.json
    assert "key" not in request.json["request"]
    assert "key" not in request.json["extra"]


def test_images_are_plain_base64_of_the_prepared_bytes() -> None:
    wire = submit_body(job())["request"]
    assert not wire["image_base64"].startswith("data:")
    assert base64.b64decode(wire["image_base64"], validate=True) == IMAGE
    assert base64.b64decode(wire["mask_image_base64"], validate=True) == MASK


# --- golden: defaults and every translated field ----------------------------------------------


def test_minimal_job_gets_the_tables_wire_defaults() -> None:
    assert submit_body(job()) == {
        "request": {
            "model_name": "m.ckpt",
            "image_base64": IMAGE_B64,
            "mask_image_base64": MASK_B64,
            "prompt": "a red door",
            "image_num": 1,
            "steps": 20,
            "guidance_scale": 7.5,
            "sampler_name": "Euler a",
            "seed": -1,
            "inpainting_full_res": 0,
            "inpainting_mask_invert": 0,
        }
    }


def test_every_native_field_lands_on_its_wire_field() -> None:
    full = job(
        negative_prompt="blurry",
        num_images=4,
        steps=30,
        guidance_scale=12.5,
        strength=0.6,
        seed=4_294_967_295,
        sampler=Sampler.DPMPP_2M_KARRAS,
        clip_skip=2,
        mask_options=MaskOptions(blur=8, invert=True, masked_only=True, padding=256),
        initial_noise_multiplier=1.5,
        loras=(Lora("add_detail", 0.7), Lora("film", 0.0)),
        embeddings=(Embedding("EasyNegative"),),
        vae="customVAE.safetensors",
        output_format=OutputFormat.WEBP,
        safety=SafetyCheck(enabled=True, level=2),
        webhook=Webhook("https://example.test/hook"),
        storage=S3Storage(region="us-east-1", bucket="b", path="out/", save_to_path_directly=True),
        extras={"novita": {"enterprise_plan": True}},
    )
    assert submit_body(full) == {
        "extra": {
            "response_image_type": "webp",
            "webhook": {"url": "https://example.test/hook"},
            "custom_storage": {
                "aws_s3": {
                    "region": "us-east-1",
                    "bucket": "b",
                    "path": "out/",
                    "save_to_path_directly": True,
                }
            },
            "enable_nsfw_detection": True,
            "nsfw_detection_level": 2,
            "enterprise_plan": {"enabled": True},
        },
        "request": {
            "model_name": "m.ckpt",
            "image_base64": IMAGE_B64,
            "mask_image_base64": MASK_B64,
            "prompt": "a red door",
            "negative_prompt": "blurry",
            "image_num": 4,
            "steps": 30,
            "guidance_scale": 12.5,
            "sampler_name": "DPM++ 2M Karras",
            "seed": 4_294_967_295,
            "sd_vae": "customVAE.safetensors",
            "clip_skip": 2,
            "strength": 0.6,
            "initial_noise_multiplier": 1.5,
            "mask_blur": 8,
            "loras": [
                {"model_name": "add_detail", "strength": 0.7},
                {"model_name": "film", "strength": 0.0},
            ],
            "embeddings": [{"model_name": "EasyNegative"}],
            "inpainting_full_res": 1,
            "inpainting_full_res_padding": 256,
            "inpainting_mask_invert": 1,
        },
    }


def test_safety_disabled_and_level_unset_send_only_the_flag() -> None:
    extra = submit_body(job(safety=SafetyCheck(enabled=False)))["extra"]
    assert extra == {"enable_nsfw_detection": False}


def test_an_empty_negative_prompt_means_none_and_is_not_sent() -> None:
    assert "negative_prompt" not in submit_body(job(negative_prompt=""))["request"]


def test_padding_without_masked_only_is_neither_sent_nor_checked() -> None:
    wire = submit_body(job(mask_options=MaskOptions(padding=400)))["request"]
    assert wire["inpainting_full_res"] == 0
    assert "inpainting_full_res_padding" not in wire


def test_webhook_test_mode_goes_inside_the_webhook_object() -> None:
    body = submit_body(
        job(
            webhook=Webhook("https://example.test/hook"),
            extras={"novita": {"webhook_test_mode": "TASK_STATUS_FAILED"}, "modelslab": {"a": 1}},
        )
    )
    test_mode = {"enabled": True, "return_task_status": "TASK_STATUS_FAILED"}
    assert body["extra"] == {
        "webhook": {"url": "https://example.test/hook", "test_mode": test_mode}
    }


def test_options_may_be_given_as_the_typed_class() -> None:
    options = NovitaOptions(
        enterprise_plan=False,
        webhook_test_mode=WebhookTestStatus.SUCCEED,
        inpainting_fill=3,
    )
    body = submit_body(job(webhook=Webhook("https://example.test/h"), extras={"novita": options}))
    assert body["extra"]["enterprise_plan"] == {"enabled": False}
    assert body["extra"]["webhook"]["test_mode"] == {
        "enabled": True,
        "return_task_status": "TASK_STATUS_SUCCEED",
    }
    assert body["request"]["inpainting_fill"] == 3


def test_a_split_batch_sends_its_own_share() -> None:
    request = build(job(num_images=3), batch_index=1, batch_count=2)
    assert request.json["request"]["image_num"] == 3


def test_width_and_height_already_applied_by_the_client_are_accepted() -> None:
    body = submit_body(job(width=W, height=H))
    assert "width" not in body["request"]
    assert "height" not in body["request"]


def test_the_poll_request_is_built_from_the_task_id_only() -> None:
    handle = TaskHandle(provider="novita", task_id="830d9c90-d53f-4c5a-8009-xxx")
    assert ADAPTER.build_poll(handle) == HttpRequest(
        method="GET",
        path="/v3/async/task-result",
        query={"task_id": "830d9c90-d53f-4c5a-8009-xxx"},
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    url = ADAPTER.build_poll(handle).url(ADAPTER.spec.base_url)
    assert url == "https://api.novita.ai/v3/async/task-result?task_id=830d9c90-d53f-4c5a-8009-xxx"


# --- local rejections ------------------------------------------------------------------------


def rejection(j: InpaintJob) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        build(j)
    return info.value


def test_a_job_without_model_is_rejected_locally_with_a_clear_error() -> None:
    error = rejection(job(model=None))
    assert error.paths == ("$.model",)
    assert error.provider == "novita"
    assert "request.model_name" in str(error)
    assert "is required" in str(error)


@pytest.mark.parametrize("sampler", [Sampler.DPMPP_2M_SDE, Sampler.DPMPP_2M_SDE_KARRAS])
def test_samplers_novita_lacks_are_rejected(sampler: Sampler) -> None:
    error = rejection(job(sampler=sampler))
    assert error.paths == ("$.sampler",)
    assert sampler.value in str(error)


@pytest.mark.parametrize(
    ("changes", "path", "words"),
    [
        ({"steps": 101}, "$.steps", "[1, 100]"),
        ({"num_images": 9}, "$.num_images", "[1, 8]"),
        ({"guidance_scale": 0.5}, "$.guidance_scale", "[1, 30]"),
        ({"clip_skip": 13}, "$.clip_skip", "[1, 12]"),
        ({"initial_noise_multiplier": 1.6}, "$.initial_noise_multiplier", "[0, 1.5]"),
        ({"mask_options": MaskOptions(blur=65)}, "$.mask_options.blur", "[0, 64]"),
        (
            {"mask_options": MaskOptions(masked_only=True, padding=257)},
            "$.mask_options.padding",
            "[0, 256]",
        ),
        ({"prompt": ""}, "$.prompt", "[1, 1024]"),
        ({"prompt": "x" * 1025}, "$.prompt", "length 1025"),
        ({"negative_prompt": "n" * 1025}, "$.negative_prompt", "length 1025"),
        ({"loras": (Lora("a", 1.5),)}, "$.loras[0].strength", "[0, 1]"),
        ({"loras": tuple(Lora(f"l{i}", 0.5) for i in range(6))}, "$.loras", "at most 5"),
        ({"embeddings": tuple(Embedding(f"e{i}") for i in range(6))}, "$.embeddings", "at most 5"),
    ],
)
def test_values_outside_novitas_limits_name_path_value_and_rule(
    changes: dict[str, Any], path: str, words: str
) -> None:
    error = rejection(job(**changes))
    assert error.paths == (path,)
    assert words in str(error)


def test_boundary_values_are_accepted() -> None:
    body = submit_body(
        job(
            steps=100,
            num_images=8,
            guidance_scale=30.0,
            clip_skip=12,
            prompt="p" * 1024,
            initial_noise_multiplier=0.0,
            loras=tuple(Lora(f"l{i}", 1.0) for i in range(5)),
        )
    )
    assert body["request"]["steps"] == 100
    assert body["request"]["image_num"] == 8
    assert len(body["request"]["loras"]) == 5


def test_all_problems_are_reported_together() -> None:
    error = rejection(job(model=None, steps=500, sampler=Sampler.DPMPP_2M_SDE, clip_skip=40))
    assert set(error.paths) == {"$.model", "$.steps", "$.sampler", "$.clip_skip"}


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"webhook": Webhook("https://example.test/h", track_id="t-1")}, "$.webhook.track_id"),
        ({"enhance_prompt": True}, "$.enhance_prompt"),
        ({"width": W * 2, "height": H * 2}, "$.width"),
    ],
)
def test_unsupported_or_unapplied_fields_that_reach_the_adapter_raise(
    changes: dict[str, Any], path: str
) -> None:
    with pytest.raises(UnsupportedFieldError) as info:
        build(job(**changes))
    assert path in info.value.paths


@pytest.mark.parametrize(
    ("extras", "path", "words"),
    [
        ({"novita": {"custom_field": 1}}, "$.extras.novita.custom_field", "not a field"),
        ({"novita": {"enterprise_plan": "yes"}}, "$.extras.novita.enterprise_plan", "boolean"),
        # the pre-options object form is no longer accepted: the option is the flag itself
        (
            {"novita": {"enterprise_plan": {"enabled": True}}},
            "$.extras.novita.enterprise_plan",
            "boolean",
        ),
        ({"novita": {"inpainting_fill": 4}}, "$.extras.novita.inpainting_fill", "[0, 3]"),
        ({"novita": {"inpainting_fill": True}}, "$.extras.novita.inpainting_fill", "integer"),
        (
            {"novita": {"webhook_test_mode": "TASK_STATUS_QUEUED"}},
            "$.extras.novita.webhook_test_mode",
            "TASK_STATUS_SUCCEED",
        ),
        (
            {"novita": NovitaOptions(inpainting_fill=9)},
            "$.extras.novita.inpainting_fill",
            "[0, 3]",
        ),
    ],
)
def test_bad_novita_options_are_rejected_with_their_path(
    extras: dict[str, Any], path: str, words: str
) -> None:
    error = rejection(job(extras=extras))
    assert error.paths == (path,)
    assert words in str(error)


def test_the_webhook_test_mode_without_a_webhook_is_rejected_before_building() -> None:
    request = checked(job(extras={"novita": {"webhook_test_mode": "TASK_STATUS_SUCCEED"}}))
    with pytest.raises(ValidationError) as info:
        ADAPTER.build_submit(request)
    assert info.value.paths == ("$.extras.novita.webhook_test_mode",)
    assert "needs $.webhook" in str(info.value)
    assert "TASK_STATUS_SUCCEED" in str(info.value)


def test_an_image_without_bytes_is_rejected_since_novita_takes_base64_only() -> None:
    request = PreparedRequest(
        job=job(),
        image=PreparedImage(None, None, None, None, url="https://example.test/a.png"),
        mask=PreparedImage(MASK, "png", W, H),
    )
    with pytest.raises(ValidationError) as info:
        ADAPTER.build_submit(check_request(request, SPEC))
    assert info.value.paths == ("$.image",)
