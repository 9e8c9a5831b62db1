"""Golden wire tests: the exact request the ModelsLab adapter builds for fixed neutral jobs.

The first three reproduce seed 003's request example field by field (without ``key``, which the
runtime adds): with the seed's own image URLs passed through, with generated images uploaded
through base64_to_url (the default for local images), and with them sent inline because the job
asked for it (``ModelsLabOptions(base64=True)``).
"""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit import images
from inpaintkit.checking import CheckedRequest, check_request
from inpaintkit.errors import ValidationError
from inpaintkit.job import InpaintJob, Lora, MaskOptions, SafetyCheck, SafetyMode, Sampler, Webhook
from inpaintkit.planning import plan_job
from inpaintkit.prepare import prepare_inputs
from inpaintkit.provider import PreparedImage, PreparedRequest, TaskHandle
from inpaintkit.providers.modelslab import (
    SPEC,
    SUPPORTED_SAMPLERS,
    ModelsLabAdapter,
    ModelsLabOptions,
    SafetyCheckerType,
)
from inpaintkit.wiremap import wire_paths
from PIL import Image, ImageOps
from seed_examples import INIT, MASK, SEED_003

SEED_IMAGE = INIT
SEED_MASK = MASK

# seed 003, "Body" example, as transcribed in seed_examples, without "key" (added by the
# runtime, never by the adapter)
SEED_DOCUMENT_BODY: dict[str, Any] = {k: v for k, v in json.loads(SEED_003).items() if k != "key"}
SEED_BODY: dict[str, Any] = {**SEED_DOCUMENT_BODY, "enhance_prompt": "no"}
"""What the seed example's neutral equivalent sends: the seed body plus ``enhance_prompt: "no"``.
The seed page has no enhance_prompt field, but ModelsLab rewrites the prompt by default
(OpenAPI and OLD docs 'default yes', reference 3.2) and a neutral unset enhance_prompt means off
on every provider (issue 10), so the off switch is always sent; no neutral job can omit it."""

IMAGE_PNG = png_bytes(gradient_image(512, 512))
MASK_PNG = png_bytes(rect_mask(512, 512, (128, 128, 384, 384)))
ADAPTER = ModelsLabAdapter()
INLINE = {"modelslab": {"base64": True}}
"""The job's explicit request for inline images (and base64 output)."""
HOSTED_IMAGE = "https://pub-3626123a908346a7a8be8d9295f44e26.r2.dev/temp/image.png"
HOSTED_MASK = "https://pub-3626123a908346a7a8be8d9295f44e26.r2.dev/temp/mask.png"


def seed_job(image: Any = SEED_IMAGE, mask: Any = SEED_MASK, **changes: Any) -> InpaintJob:
    """The neutral job that stands for seed 003's example.

    The seed's scheduler triple (DPMSolverMultistepScheduler, use_karras_sigmas yes,
    algorithm_type sde-dpmsolver++) is exactly DPM++ 2M SDE Karras under our mapping.
    """
    fields: dict[str, Any] = {
        "image": image,
        "mask": mask,
        "prompt": "a cat sitting on a bench",
        "model": "pony_realism",
        "width": 512,
        "height": 512,
        "num_images": 1,
        "steps": 21,
        "safety": SafetyCheck(enabled=False),
        "guidance_scale": 7.5,
        "strength": 0.7,
        "sampler": Sampler.DPMPP_2M_SDE_KARRAS,
        "clip_skip": 2,
    }
    fields.update(changes)
    return InpaintJob(**fields)


def checked(request: PreparedRequest) -> CheckedRequest:
    """The request as the core hands it to the adapter: checked against the table."""
    return check_request(request, SPEC)


def url_request(job: InpaintJob) -> CheckedRequest:
    """As the runtime prepares a job whose images are URLs and need no local change."""
    assert job.image.url is not None
    assert job.mask.url is not None
    return checked(
        PreparedRequest(
            job=job,
            image=PreparedImage(None, None, None, None, url=job.image.url),
            mask=PreparedImage(None, None, None, None, url=job.mask.url),
        )
    )


def bytes_request(
    job: InpaintJob, image: bytes = IMAGE_PNG, mask: bytes = MASK_PNG, *, hosted: bool = True
) -> CheckedRequest:
    """As the runtime prepares local images: uploaded (their base64_to_url links beside the
    bytes), or with ``hosted=False`` bytes only, for a job that asked for them inline."""
    w, h = Image.open(io.BytesIO(image)).size
    image_url, mask_url = (HOSTED_IMAGE, HOSTED_MASK) if hosted else (None, None)
    return checked(
        PreparedRequest(
            job=job,
            image=PreparedImage(image, "png", w, h, url=image_url),
            mask=PreparedImage(mask, "png", w, h, url=mask_url),
        )
    )


def data_url(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


# --- the seed example -----------------------------------------------------------------------


def test_seed_example_with_its_urls_field_by_field() -> None:
    request = ADAPTER.build_submit(url_request(seed_job()))
    assert request.method == "POST"
    assert request.path == "/api/v6/images/inpaint"
    assert dict(request.query) == {}
    assert dict(request.headers) == {}
    assert request.json == SEED_BODY
    # The one field beyond the seed document's, and why: see SEED_BODY.
    assert {k: v for k, v in request.json.items() if k not in SEED_DOCUMENT_BODY} == {
        "enhance_prompt": "no"
    }
    # Keys in the table's row order (a stable order derived from the table, not restated).
    order = [p for row in SPEC.capabilities for p in wire_paths(row)]
    assert list(request.json) == [p for p in dict.fromkeys(order) if p in request.json]
    assert request.url(SPEC.base_url) == "https://modelslab.com/api/v6/images/inpaint"


def test_seed_example_with_generated_images_uploaded() -> None:
    """Issue 10 item 3: local images go as base64_to_url links (the seed's documented form),
    and the output does not switch to base64 behind the user's back."""
    request = ADAPTER.build_submit(bytes_request(seed_job(IMAGE_PNG, MASK_PNG)))
    assert request.json == {**SEED_BODY, "init_image": HOSTED_IMAGE, "mask_image": HOSTED_MASK}
    assert "base64" not in request.json


def test_seed_example_with_generated_images_sent_inline_when_asked() -> None:
    job = seed_job(IMAGE_PNG, MASK_PNG, extras=INLINE)
    request = ADAPTER.build_submit(bytes_request(job, hosted=False))
    expected = {
        **SEED_BODY,
        "init_image": data_url(IMAGE_PNG),
        "mask_image": data_url(MASK_PNG),
        # the one difference from the seed: the user's explicit base64 option
        "base64": "yes",
    }
    assert request.json == expected


def test_local_images_neither_hosted_nor_asked_inline_are_a_clear_error() -> None:
    with pytest.raises(ValidationError) as info:
        ADAPTER.build_submit(bytes_request(seed_job(IMAGE_PNG, MASK_PNG), hosted=False))
    assert info.value.paths == ("$.image",)
    assert "base64=true" in str(info.value)


def test_bare_base64_when_the_prefix_is_switched_off() -> None:
    adapter = ModelsLabAdapter(data_url_prefix=False)
    job = seed_job(IMAGE_PNG, MASK_PNG, extras=INLINE)
    body = adapter.build_submit(bytes_request(job, hosted=False)).json
    assert base64.b64decode(body["init_image"], validate=True) == IMAGE_PNG
    assert base64.b64decode(body["mask_image"], validate=True) == MASK_PNG
    assert body["base64"] == "yes"


def test_jpeg_input_gets_its_own_mime_type() -> None:
    jpeg = images.encode_image(gradient_image(512, 512), "jpeg")
    request = PreparedRequest(
        job=seed_job(jpeg, MASK_PNG, extras=INLINE),
        image=PreparedImage(jpeg, "jpeg", 512, 512),
        mask=PreparedImage(MASK_PNG, "png", 512, 512),
    )
    body = ADAPTER.build_submit(checked(request)).json
    assert body["init_image"].startswith("data:image/jpeg;base64,")


# --- other fixed jobs -----------------------------------------------------------------------


def test_minimal_job_sends_the_image_size_and_the_seed_nulls_only() -> None:
    image = png_bytes(gradient_image(768, 512))
    mask = png_bytes(rect_mask(768, 512, (0, 0, 100, 100)))
    job = InpaintJob(image=image, mask=mask, prompt="a red door", model="lazymixv4-inpaint")
    body = ADAPTER.build_submit(bytes_request(job, image, mask)).json
    assert body == {
        "model_id": "lazymixv4-inpaint",
        "prompt": "a red door",
        "negative_prompt": None,
        "init_image": HOSTED_IMAGE,
        "mask_image": HOSTED_MASK,
        "width": "768",  # unset size = the image's own (ModelsLab's default would be 512x512)
        "height": "512",
        "samples": "1",
        # unset means the same on every provider: strength 0.7, no check, no rewrite
        "strength": 0.7,
        "safety_checker": "no",
        "enhance_prompt": "no",
        "seed": None,
        "webhook": None,
        "track_id": None,
    }


def test_url_images_of_unknown_size_leave_the_size_to_the_provider() -> None:
    job = InpaintJob(image=SEED_IMAGE, mask=SEED_MASK, prompt="x", model="m")
    body = ADAPTER.build_submit(url_request(job)).json
    assert "width" not in body
    assert "height" not in body
    assert "base64" not in body


def test_every_native_field() -> None:
    job = seed_job(
        IMAGE_PNG,
        MASK_PNG,
        negative_prompt="blurry",
        num_images=3,
        steps=30,
        guidance_scale=8,
        strength=1.0,
        seed=1343687916,
        sampler=Sampler.EULER_A,
        clip_skip=1,
        loras=(Lora("more_details", 0.6), Lora("add-detail-xl", 1.0)),
        vae="sdxl-vae",
        safety=SafetyCheck(enabled=True, mode=SafetyMode.BLANK),
        enhance_prompt=False,
        webhook=Webhook("https://example.com/hook", track_id="job-42"),
        width=1024,
        height=768,
    )
    body = ADAPTER.build_submit(bytes_request(job)).json
    assert body == {
        "model_id": "pony_realism",
        "prompt": "a cat sitting on a bench",
        "negative_prompt": "blurry",
        "init_image": HOSTED_IMAGE,
        "mask_image": HOSTED_MASK,
        "width": "1024",
        "height": "768",
        "samples": "3",
        "steps": "30",
        "safety_checker": "yes",
        "guidance_scale": 8,
        "strength": 1.0,
        "scheduler": "EulerAncestralDiscreteScheduler",
        "use_karras_sigmas": "no",  # explicit: the seed's default is "yes"
        "clip_skip": "1",
        "lora_model": "more_details,add-detail-xl",
        "lora_strength": "0.6,1",
        "vae": "sdxl-vae",
        "enhance_prompt": "no",
        "seed": 1343687916,
        "webhook": "https://example.com/hook",
        "track_id": "job-42",
    }


def test_plain_dpmpp_2m_overrides_the_seed_default_algorithm() -> None:
    body = ADAPTER.build_submit(url_request(seed_job(sampler=Sampler.DPMPP_2M))).json
    assert body["scheduler"] == "DPMSolverMultistepScheduler"
    assert body["use_karras_sigmas"] == "no"
    assert body["algorithm_type"] == "none"


def test_one_lora_is_still_a_string() -> None:
    body = ADAPTER.build_submit(url_request(seed_job(loras=(Lora("x", 0.75),)))).json
    assert (body["lora_model"], body["lora_strength"]) == ("x", "0.75")


def test_webhook_without_track_id_sends_null_track_id() -> None:
    body = ADAPTER.build_submit(url_request(seed_job(webhook=Webhook("https://h.example/")))).json
    assert (body["webhook"], body["track_id"]) == ("https://h.example/", None)


def test_split_share_goes_into_samples() -> None:
    first = url_request(seed_job(num_images=2))
    request = PreparedRequest(first.job, first.image, first.mask, batch_index=1, batch_count=2)
    assert ADAPTER.build_submit(checked(request)).json["samples"] == "2"


# --- local errors -----------------------------------------------------------------------------


def test_job_without_model_is_rejected_locally() -> None:
    with pytest.raises(ValidationError) as info:
        ADAPTER.build_submit(url_request(seed_job(model=None)))
    assert info.value.paths == ("$.model",)
    assert "model_id" in str(info.value)


def test_unmappable_sampler_is_rejected_locally() -> None:
    with pytest.raises(ValidationError) as info:
        ADAPTER.build_submit(url_request(seed_job(sampler=Sampler.DPMPP_2S_A)))
    assert info.value.paths == ("$.sampler",)
    assert "'DPM++ 2S a'" in str(info.value)


def test_lora_name_with_comma_is_rejected() -> None:
    job = seed_job(loras=(Lora("ok", 0.5), Lora("a,b", 0.5)))
    with pytest.raises(ValidationError) as info:
        ADAPTER.build_submit(url_request(job))
    assert info.value.paths == ("$.loras[1].name",)


def test_image_without_bytes_or_url_is_rejected() -> None:
    job = seed_job()
    request = PreparedRequest(
        job=job,
        image=PreparedImage(None, None, None, None),
        mask=PreparedImage(None, None, None, None, url=SEED_MASK),
    )
    with pytest.raises(ValidationError) as info:
        ADAPTER.build_submit(checked(request))
    assert info.value.paths == ("$.image",)


# --- typed options ---------------------------------------------------------------------------


def test_options_are_sent_as_the_platform_writes_them_for_modelslab_only() -> None:
    job = seed_job(
        extras={
            "modelslab": {"temp": True, "safety_checker_type": "blur", "tomesd": False},
            "novita": {"enterprise_plan": {"enabled": True}},
        }
    )
    body = ADAPTER.build_submit(url_request(job)).json
    assert body == {**SEED_BODY, "temp": "yes", "safety_checker_type": "blur", "tomesd": "no"}


def test_every_option_reaches_the_wire() -> None:
    options = ModelsLabOptions(
        temp=False,
        instant_response=True,
        safety_checker_type=SafetyCheckerType.PIXELATE,
        enhance_style="cinematic",
        tomesd=True,
        upscale=False,
        embeddings_model="easynegative",
    )
    body = ADAPTER.build_submit(url_request(seed_job(extras={"modelslab": options}))).json
    assert {k: v for k, v in body.items() if k not in SEED_BODY} == {
        "temp": "no",
        "instant_response": "yes",
        "safety_checker_type": "pixelate",
        "enhance_style": "cinematic",
        "tomesd": "yes",
        "upscale": "no",
        "embeddings_model": "easynegative",
    }


def test_options_may_not_carry_the_key() -> None:
    job = seed_job(extras={"modelslab": {"key": "sk-secret-value"}})
    with pytest.raises(ValidationError) as info:
        ADAPTER.build_submit(url_request(job))
    assert info.value.paths == ("$.extras.modelslab.key",)


@pytest.mark.parametrize("name", ["steps", "num_inference_steps", "model_id", "seed"])
def test_options_may_not_override_translated_fields(name: str) -> None:
    job = seed_job(extras={"modelslab": {name: 5}})
    with pytest.raises(ValidationError) as info:
        ADAPTER.build_submit(url_request(job))
    assert info.value.paths == (f"$.extras.modelslab.{name}",)


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({"temp": "yes"}, "$.extras.modelslab.temp"),
        ({"safety_checker_type": "green"}, "$.extras.modelslab.safety_checker_type"),
        ({"enhance_style": ""}, "$.extras.modelslab.enhance_style"),
    ],
)
def test_bad_option_values_name_their_path(options: dict[str, Any], path: str) -> None:
    with pytest.raises(ValidationError) as info:
        url_request(seed_job(extras={"modelslab": options}))
    assert info.value.paths == (path,)


# --- polling ---------------------------------------------------------------------------------


def test_fetch_request_is_built_from_the_task_id() -> None:
    request = ADAPTER.build_poll(TaskHandle("modelslab", "134712448"))
    assert request.method == "POST"
    assert request.path == "/api/v6/images/fetch/134712448"
    assert request.json == {}  # only the key, which the runtime adds
    assert (
        request.url("http://127.0.0.1:8080")
        == "http://127.0.0.1:8080/api/v6/images/fetch/134712448"
    )


def test_fetch_path_cannot_be_escaped_by_a_hostile_id() -> None:
    request = ADAPTER.build_poll(TaskHandle("modelslab", "../../v3/x?y=1"))
    assert request.path == "/api/v6/images/fetch/..%2F..%2Fv3%2Fx%3Fy%3D1"


def test_empty_task_id_is_an_error() -> None:
    with pytest.raises(ValidationError):
        ADAPTER.build_poll(TaskHandle("modelslab", "  "))


# --- properties over many jobs ------------------------------------------------------------------

_sizes = st.integers(64, 128).map(lambda n: n * 8)


@settings(max_examples=50, deadline=None)
@given(
    width=_sizes,
    height=_sizes,
    steps=st.none() | st.integers(1, 50),
    samples=st.integers(1, 4),
    clip_skip=st.none() | st.integers(1, 4),
    seed=st.none() | st.integers(0, 2**32 - 1),
    sampler=st.none() | st.sampled_from(SUPPORTED_SAMPLERS),
    guidance=st.none() | st.floats(1, 20),
)
def test_numbers_round_trip_and_no_key_is_ever_sent(
    width: int,
    height: int,
    steps: int | None,
    samples: int,
    clip_skip: int | None,
    seed: int | None,
    sampler: Sampler | None,
    guidance: float | None,
) -> None:
    job = seed_job(
        width=width,
        height=height,
        steps=steps,
        num_images=samples,
        clip_skip=clip_skip,
        seed=seed,
        sampler=sampler,
        guidance_scale=guidance,
    )
    body = ADAPTER.build_submit(url_request(job)).json
    assert "key" not in body
    assert (int(body["width"]), int(body["height"]), int(body["samples"])) == (
        width,
        height,
        samples,
    )
    assert body.get("steps") == (None if steps is None else str(steps))
    assert body.get("clip_skip") == (None if clip_skip is None else str(clip_skip))
    assert body["seed"] == seed
    assert body.get("guidance_scale") == guidance
    assert ("scheduler" in body) is (sampler is not None)
    assert ("use_karras_sigmas" in body) is (sampler is not None)


# --- emulations through the real core preparation --------------------------------------------


async def _read(image: Any, path: str) -> bytes:
    assert image.data is not None, path
    return bytes(image.data)


async def _body_via_core(job: InpaintJob) -> dict[str, Any]:
    """The body for ``job`` sent inline (so the test can read the pixels sent)."""
    plan = plan_job(attrs.evolve(job, extras=INLINE), SPEC)
    inputs = await prepare_inputs(plan.job, plan, SPEC, read=_read, host=None)
    request = PreparedRequest(job=plan.job, image=inputs.image, mask=inputs.mask)
    return dict(ADAPTER.build_submit(checked(request)).json)


async def test_emulated_invert_sends_the_same_request_as_a_hand_inverted_mask() -> None:
    mask_img = rect_mask(512, 512, (100, 120, 300, 360))
    emulated = await _body_via_core(
        seed_job(IMAGE_PNG, png_bytes(mask_img), mask_options=MaskOptions(invert=True))
    )
    by_hand = await _body_via_core(seed_job(IMAGE_PNG, png_bytes(ImageOps.invert(mask_img))))
    assert emulated == by_hand
    assert "invert" not in str(sorted(emulated))  # no wire field for it


async def test_emulated_blur_sends_a_soft_mask_and_no_wire_field() -> None:
    mask_img = rect_mask(512, 512, (100, 120, 300, 360))
    body = await _body_via_core(
        seed_job(IMAGE_PNG, png_bytes(mask_img), mask_options=MaskOptions(blur=6))
    )
    sent = images.from_base64(body["mask_image"], path="$.mask")
    levels = [count for count in Image.open(io.BytesIO(sent)).convert("L").histogram() if count]
    assert len(levels) > 2  # intermediate grey levels: the blur happened on the client
    assert set(body) == set(SEED_BODY) | {"base64"}


async def test_emulated_masked_only_sends_the_crop_scaled_to_modelslab_limits() -> None:
    job = seed_job(
        IMAGE_PNG,
        png_bytes(rect_mask(512, 512, (200, 200, 264, 264))),
        mask_options=MaskOptions(masked_only=True, padding=16),
        width=None,
        height=None,
    )
    body = await _body_via_core(job)
    sent = images.from_base64(body["init_image"], path="$.image")
    crop = Image.open(io.BytesIO(sent))
    # The 96x96 padded crop is below ModelsLab's 512 minimum: the runtime scales it up (like
    # A1111's "inpaint at full resolution") and the body announces the size actually sent.
    assert (body["width"], body["height"]) == (str(crop.width), str(crop.height))
    assert (crop.width, crop.height) == (512, 512)
