"""Client-side emulations fitted to a provider's limits."""

from __future__ import annotations

import io

import pytest
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit import InpaintJob, MaskOptions
from inpaintkit.planning import plan_job
from inpaintkit.prepare import finish_image, fit_to_limits, prepare_inputs
from inpaintkit.provider import (
    BearerAuth,
    Capability,
    CapabilityTable,
    ImageTransport,
    ProviderSpec,
    Support,
)
from PIL import Image, ImageChops

N, E = Support.NATIVE, Support.EMULATED


def spec(width: Capability, height: Capability) -> ProviderSpec:
    return ProviderSpec(
        id="fit",
        name="Fit",
        base_url="http://fit.invalid",
        auth=BearerAuth(),
        env_var="FIT_KEY",
        capabilities=CapabilityTable(
            rows=(
                width,
                height,
                Capability("mask_options.masked_only", E),
                Capability("mask_options.padding", E),
            )
        ),
        image_transport=ImageTransport.BASE64,
    )


LIMITED = spec(
    Capability("width", N, minimum=512, maximum=1024, multiple_of=8),
    Capability("height", N, minimum=512, maximum=1024, multiple_of=8),
)


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((100, 50), (1024, 512)),  # scaled up to the minimum, capped by the maximum width
        ((300, 300), (512, 512)),
        ((600, 520), None),  # already within limits and multiples of 8
        ((601, 520), (600, 520)),
        ((2048, 1024), (1024, 512)),
    ],
)
def test_fit_to_limits(size: tuple[int, int], expected: tuple[int, int] | None) -> None:
    assert fit_to_limits(size, LIMITED) == expected


def test_fit_needs_native_width_and_height() -> None:
    emulated = spec(Capability("width", E), Capability("height", E))
    assert fit_to_limits((10, 10), emulated) is None


async def test_masked_only_crop_is_scaled_to_the_minimum_and_pasted_back() -> None:
    original = gradient_image(640, 640)
    job = InpaintJob(
        image=png_bytes(original),
        mask=png_bytes(rect_mask(640, 640, (300, 300, 340, 330))),
        prompt="x",
        mask_options=MaskOptions(masked_only=True, padding=10),
    )
    plan = plan_job(job, LIMITED)

    async def read(image: object, path: str) -> bytes:
        data = getattr(image, "data", None)
        assert isinstance(data, bytes)
        return data

    inputs = await prepare_inputs(job, plan, LIMITED, read=read, host=None)
    assert (inputs.image.width, inputs.image.height) == (
        616,
        512,
    )  # 60x50 crop x10.24, snapped to 8
    assert inputs.crop is not None
    assert inputs.crop.box == (290, 290, 350, 340)
    generated = png_bytes(Image.new("RGB", (616, 512), (255, 0, 0)))
    out = Image.open(io.BytesIO(finish_image(generated, inputs, None))).convert("RGB")
    assert out.size == (640, 640)
    changed = ImageChops.difference(out, original.convert("RGB")).getbbox()
    assert changed is not None
    assert changed[0] >= 300
    assert changed[1] >= 300
    assert changed[2] <= 340
    assert changed[3] <= 330
