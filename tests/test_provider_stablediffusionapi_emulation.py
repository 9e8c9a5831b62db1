"""StableDiffusionAPI v3 through the planner and input preparation, on real generated images.

No network: the image host is a content-addressed fake (the URL is the SHA-256 of the uploaded
bytes), so two requests are equal exactly when the images they would send are equal.
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit import images
from inpaintkit.checking import check_request
from inpaintkit.errors import UnsupportedFieldError, ValidationError
from inpaintkit.job import (
    ImageInput,
    InpaintJob,
    Lora,
    MaskOptions,
    OutputFormat,
    SafetyCheck,
    Sampler,
    Webhook,
)
from inpaintkit.planning import Disposition, plan_job
from inpaintkit.prepare import PreparedInputs, finish_image, prepare_inputs
from inpaintkit.provider import PreparedRequest
from inpaintkit.providers.stablediffusionapi import SPEC, StableDiffusionApiAdapter
from PIL import Image, ImageChops

ADAPTER = StableDiffusionApiAdapter()
W, H = 256, 192
BOX = (96, 64, 160, 128)


class FakeHost:
    """Records uploads; answers a URL derived from the bytes."""

    def __init__(self) -> None:
        self.uploads: dict[str, bytes] = {}

    async def __call__(self, data: bytes, media_type: str) -> str:
        url = f"https://host.example/{hashlib.sha256(data).hexdigest()}.png"
        self.uploads[url] = data
        return url


async def read(image: ImageInput, path: str) -> bytes:
    assert image.data is not None, path
    return image.data


def job_with(mask: Image.Image | None = None, **fields: object) -> InpaintJob:
    return InpaintJob(
        image=png_bytes(gradient_image(W, H)),
        mask=png_bytes(mask if mask is not None else rect_mask(W, H, BOX)),
        prompt="a red door",
        **fields,  # type: ignore[arg-type]
    )


async def wire(
    job: InpaintJob, host: FakeHost | None = None
) -> tuple[dict[str, Any], PreparedInputs]:
    plan = plan_job(job, SPEC)
    inputs = await prepare_inputs(job, plan, SPEC, read=read, host=host or FakeHost())
    checked = check_request(PreparedRequest(plan.job, inputs.image, inputs.mask), SPEC)
    body = ADAPTER.build_submit(checked).json
    return body, inputs


# --- planning against the table ----------------------------------------------------------------


def test_seed_example_job_plans_cleanly() -> None:
    job = job_with(
        steps=30,
        guidance_scale=7.5,
        strength=0.7,
        safety=SafetyCheck(enabled=False),
        enhance_prompt=True,
    )
    plan = plan_job(job, SPEC)
    assert plan.batches == (1,)
    assert plan.emulated == ()
    assert plan.dropped == ()


@pytest.mark.parametrize(
    ("fields", "paths"),
    [
        ({"steps": 52}, ["$.steps"]),
        ({"steps": 0}, None),  # the neutral schema rejects it first
        ({"guidance_scale": 0.5}, ["$.guidance_scale"]),
        ({"guidance_scale": 20.5}, ["$.guidance_scale"]),
        ({"width": 1025, "height": 512}, ["$.width"]),
        ({"width": 512, "height": 2048}, ["$.height"]),
        ({"prompt": ""}, ["$.prompt"]),
    ],
)
def test_values_outside_the_seed_ranges_are_rejected(
    fields: dict[str, object], paths: list[str] | None
) -> None:
    if paths is None:
        with pytest.raises(ValidationError):
            job_with(None, **fields)
        return
    prompt = fields.pop("prompt", "a red door")
    job = InpaintJob(
        image=png_bytes(gradient_image(W, H)),
        mask=png_bytes(rect_mask(W, H, BOX)),
        prompt=prompt,  # type: ignore[arg-type]
        **fields,  # type: ignore[arg-type]
    )
    with pytest.raises(ValidationError) as info:
        plan_job(job, SPEC)
    assert list(info.value.paths) == paths
    assert "stablediffusionapi" in str(info.value)


@pytest.mark.parametrize("steps", [1, 21, 30, 31, 41, 51])
def test_documented_step_values_are_accepted(steps: int) -> None:
    plan_job(job_with(steps=steps), SPEC)


def test_unsupported_fields_raise_in_strict_mode_naming_each() -> None:
    job = job_with(
        model="m",
        sampler=Sampler.DDIM,
        clip_skip=2,
        vae="v",
        initial_noise_multiplier=0.5,
        loras=[Lora(name="l", strength=0.5)],
        safety=SafetyCheck(enabled=True, level=1),
    )
    with pytest.raises(UnsupportedFieldError) as info:
        plan_job(job, SPEC)
    assert set(info.value.paths) >= {
        "$.model",
        "$.sampler",
        "$.clip_skip",
        "$.vae",
        "$.initial_noise_multiplier",
        "$.loras",
        "$.safety.level",
    }


def test_dropped_fields_are_recorded_and_never_reach_the_wire() -> None:
    job = job_with(sampler=Sampler.DDIM, safety=SafetyCheck(enabled=True, level=2))
    plan = plan_job(job, SPEC, unsupported="drop")
    assert set(plan.dropped) == {"sampler", "safety.level"}
    assert plan.job.sampler is None
    assert plan.job.safety == SafetyCheck(enabled=True)
    outcomes = {o.field: o.disposition for o in plan.outcomes}
    assert outcomes["safety.enabled"] is Disposition.NATIVE


def test_six_images_are_split_four_and_two() -> None:
    plan = plan_job(job_with(num_images=6), SPEC)
    assert plan.batches == (4, 2)


def test_webhook_is_native() -> None:
    plan = plan_job(job_with(webhook=Webhook(url="https://h.example/x", track_id="t")), SPEC)
    assert plan.emulated == ()
    assert plan.dropped == ()


# --- emulations on real images ------------------------------------------------------------------


async def test_mask_invert_is_the_same_request_as_inverting_by_hand() -> None:
    mask = rect_mask(W, H, BOX)
    emulated, _ = await wire(job_with(mask, mask_options=MaskOptions(invert=True)))
    by_hand, _ = await wire(job_with(images.invert_mask(mask)))
    assert emulated == by_hand
    assert emulated["mask_image"] != (await wire(job_with(mask)))[0]["mask_image"]


async def test_mask_blur_sends_the_blurred_mask() -> None:
    # A hand-blurred mask cannot be compared by request: the client thresholds input masks to
    # binary first.  Compare the pixels that were sent with blurring the mask by hand instead.
    mask = rect_mask(W, H, BOX)
    host = FakeHost()
    body, _ = await wire(job_with(mask, mask_options=MaskOptions(blur=6)), host)
    sent = Image.open(io.BytesIO(host.uploads[body["mask_image"]])).convert("L")
    expected = images.blur_mask(mask, 6)
    assert ImageChops.difference(sent, expected).getbbox() is None
    assert len(sent.histogram()) - sent.histogram().count(0) > 2  # soft edges were sent


async def test_masked_only_sends_the_padded_crop_and_pastes_back_inside_it() -> None:
    job = job_with(mask_options=MaskOptions(masked_only=True, padding=16))
    host = FakeHost()
    body, inputs = await wire(job, host)
    left, top, right, bottom = BOX[0] - 16, BOX[1] - 16, BOX[2] + 16, BOX[3] + 16
    assert (body["width"], body["height"]) == (str(right - left), str(bottom - top))
    sent = Image.open(io.BytesIO(host.uploads[body["init_image"]]))
    assert sent.size == (right - left, bottom - top)

    # The provider answers a solid image of the crop's size; only the padded box may change.
    generated = Image.new("RGB", sent.size, (255, 0, 0))
    out = Image.open(io.BytesIO(finish_image(png_bytes(generated), inputs, None))).convert("RGB")
    original = gradient_image(W, H)
    assert out.size == original.size
    outside = ImageChops.difference(out, original)
    outside.paste((0, 0, 0), (left, top, right, bottom))
    assert outside.getbbox() is None
    assert out.getpixel(((BOX[0] + BOX[2]) // 2, (BOX[1] + BOX[3]) // 2)) == (255, 0, 0)


async def test_output_format_is_converted_after_the_answer() -> None:
    body, inputs = await wire(job_with(output_format=OutputFormat.WEBP))
    assert "output_format" not in str(body)
    result = finish_image(png_bytes(gradient_image(32, 32)), inputs, "webp")
    assert images.sniff_format(result) == "webp"


async def test_unset_size_is_the_image_size_through_preparation() -> None:
    body, _ = await wire(job_with())
    assert (body["width"], body["height"]) == (str(W), str(H))


async def test_caller_urls_are_passed_through_without_hosting() -> None:
    job = InpaintJob(
        image="https://cdn.example/i.png", mask="https://cdn.example/m.png", prompt="x"
    )
    host = FakeHost()
    body, _ = await wire(job, host)
    assert (body["init_image"], body["mask_image"]) == (
        "https://cdn.example/i.png",
        "https://cdn.example/m.png",
    )
    assert host.uploads == {}
    assert "width" not in body
