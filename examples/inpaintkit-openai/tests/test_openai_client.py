"""End to end: InpaintClient -> this plugin -> the mock server with this plugin's mock."""

from __future__ import annotations

import io
from typing import Any

import pytest
from inpaintkit import InpaintClient
from inpaintkit.clock import VirtualClock
from inpaintkit.errors import AuthenticationError, UnsupportedFieldError, ValidationError
from inpaintkit.job import InpaintJob, MaskOptions, OutputFormat
from inpaintkit.mockserver import AsyncMock
from inpaintkit.plugins import ProviderRegistry
from inpaintkit.provider import adapter_mode
from openai_testdata import HOLE, KEY, SIZE, image_png, mask_png
from PIL import Image, ImageChops

IMAGE = image_png()
MASK = mask_png()


def job(**changes: Any) -> InpaintJob:
    return InpaintJob(image=IMAGE, mask=MASK, prompt="green moss", **changes)


def client(
    mock: AsyncMock, registry: ProviderRegistry, clock: VirtualClock, key: str = KEY
) -> InpaintClient:
    return InpaintClient(
        api_keys={"openai": key}, base_url=mock.url, registry=registry, clock=clock
    )


def changed_area(result_png: bytes) -> tuple[int, int, int, int] | None:
    """The bounding box of the pixels the provider changed."""
    original = Image.open(io.BytesIO(IMAGE)).convert("RGB")
    out = Image.open(io.BytesIO(result_png)).convert("RGB")
    assert out.size == original.size
    return ImageChops.difference(out, original).getbbox()


def test_the_adapter_is_sync_because_it_implements_submit_only(
    registry: ProviderRegistry,
) -> None:
    assert adapter_mode(registry["openai"]) == "sync"


async def test_a_job_runs_end_to_end_and_only_the_white_area_changes(
    mock: AsyncMock, registry: ProviderRegistry, clock: VirtualClock
) -> None:
    async with client(mock, registry, clock) as c:
        result = await c.inpaint(job(num_images=2), "openai")
    assert len(result.images) == 2
    assert result.timings.polls == 0
    box = changed_area(result.images[0].data)
    assert box is not None
    left, top, right, bottom = box
    assert left >= HOLE[0]
    assert top >= HOLE[1]
    assert right <= HOLE[2]
    assert bottom <= HOLE[3]
    sent = mock.journal("request", provider="openai")
    assert len(sent) == 1
    assert sent[0]["status"] == 200
    assert KEY not in str(sent[0]["headers"])  # redacted in the journal


async def test_invert_is_emulated_so_the_black_area_changes(
    mock: AsyncMock, registry: ProviderRegistry, clock: VirtualClock
) -> None:
    async with client(mock, registry, clock) as c:
        result = await c.inpaint(job(mask_options=MaskOptions(invert=True)), "openai")
    box = changed_area(result.images[0].data)
    assert box is not None
    assert box == (0, 0, *SIZE)  # everything around the hole is repainted


async def test_more_than_ten_images_are_split(
    mock: AsyncMock, registry: ProviderRegistry, clock: VirtualClock
) -> None:
    async with client(mock, registry, clock) as c:
        result = await c.inpaint(job(num_images=12), "openai")
    assert len(result.images) == 12
    sent = mock.journal("request", provider="openai")
    assert sorted(e["status"] for e in sent) == [200, 200]


async def test_output_format_is_converted_on_the_client(
    mock: AsyncMock, registry: ProviderRegistry, clock: VirtualClock
) -> None:
    async with client(mock, registry, clock) as c:
        result = await c.inpaint(job(output_format=OutputFormat.JPEG), "openai")
    assert result.images[0].data[:3] == b"\xff\xd8\xff"


async def test_a_size_the_image_limits_refuse_is_never_sent(
    mock: AsyncMock, registry: ProviderRegistry, clock: VirtualClock
) -> None:
    wide = InpaintJob(image=image_png((512, 256)), mask=mask_png((512, 256)), prompt="moss")
    async with client(mock, registry, clock) as c:
        with pytest.raises(ValidationError) as caught:
            await c.inpaint(wide, "openai")
    assert "must be one of the sizes 256x256, 512x512, 1024x1024" in str(caught.value)
    assert mock.journal("request", provider="openai") == []


async def test_width_and_height_resize_the_input_on_the_client(
    mock: AsyncMock, registry: ProviderRegistry, clock: VirtualClock
) -> None:
    async with client(mock, registry, clock) as c:
        result = await c.inpaint(job(width=512, height=512), "openai")
    assert Image.open(io.BytesIO(result.images[0].data)).size == (512, 512)


async def test_unsupported_fields_are_refused_before_sending(
    mock: AsyncMock, registry: ProviderRegistry, clock: VirtualClock
) -> None:
    async with client(mock, registry, clock) as c:
        with pytest.raises(UnsupportedFieldError) as caught:
            await c.inpaint(job(steps=30, seed=1), "openai")
    assert set(caught.value.paths) == {"$.steps", "$.seed"}
    assert mock.journal("request", provider="openai") == []


async def test_a_wrong_key_is_an_authentication_error_without_the_key(
    mock: AsyncMock, registry: ProviderRegistry, clock: VirtualClock
) -> None:
    async with client(mock, registry, clock, key="sk-wrong-key-0042") as c:
        with pytest.raises(AuthenticationError) as caught:
            await c.inpaint(job(), "openai")
    assert caught.value.status == 401
    assert "sk-wrong-key-0042" not in str(caught.value) + repr(caught.value.raw_body)


def square_768() -> InpaintJob:
    return InpaintJob(image=image_png((768, 768)), mask=mask_png((768, 768)), prompt="moss")


async def test_a_768_square_is_refused_before_sending(
    mock: AsyncMock, registry: ProviderRegistry, clock: VirtualClock
) -> None:
    """768x768 is a multiple of 256 inside [256, 1024] but not one of dall-e-2's sizes."""
    async with client(mock, registry, clock) as c:
        with pytest.raises(ValidationError) as caught:
            await c.inpaint(square_768(), "openai")
    assert "must be one of the sizes 256x256, 512x512, 1024x1024" in str(caught.value)
    assert mock.journal("request", provider="openai") == []
