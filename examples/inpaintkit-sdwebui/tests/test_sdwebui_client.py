"""End to end: InpaintClient -> this plugin -> the mock server with this plugin's mock."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from inpaintkit import InpaintClient
from inpaintkit.clock import VirtualClock
from inpaintkit.errors import AuthenticationError, ProviderError, ValidationError
from inpaintkit.hookspecs import hookimpl
from inpaintkit.job import InpaintJob, MaskOptions, OutputFormat, Sampler
from inpaintkit.mockserver import AsyncMock, MockConfig, run_mock
from inpaintkit.plugins import ProviderRegistry
from inpaintkit_sdwebui import NO_AUTH, basic_credential
from inpaintkit_sdwebui.mock import SdWebUiMock
from PIL import Image
from sdwebui_testdata import HOLE, SIZE, image_png, mask_png, plugin_manager

IMAGE = image_png()
MASK = mask_png()


def job(**changes: Any) -> InpaintJob:
    return InpaintJob(image=IMAGE, mask=MASK, prompt="green moss", **changes)


def client(
    mock: AsyncMock, registry: ProviderRegistry, clock: VirtualClock, key: str = NO_AUTH
) -> InpaintClient:
    return InpaintClient(
        api_keys={"sdwebui": key}, base_url=mock.url, registry=registry, clock=clock
    )


async def test_a_job_runs_end_to_end_and_keeps_the_unmasked_area(
    mock: AsyncMock, registry: ProviderRegistry, clock: VirtualClock
) -> None:
    async with client(mock, registry, clock) as c:
        result = await c.inpaint(
            job(seed=42, num_images=2, steps=12, sampler=Sampler.EULER_A), "sdwebui"
        )
    assert result.seed == 42
    assert len(result.images) == 2
    original = Image.open(io.BytesIO(IMAGE)).convert("RGB")
    out = Image.open(io.BytesIO(result.images[0].data)).convert("RGB")
    assert out.size == SIZE
    assert out.getpixel((0, 0)) == original.getpixel((0, 0))
    assert out.getpixel((HOLE[0] + 4, HOLE[1] + 4)) != original.getpixel((HOLE[0] + 4, HOLE[1] + 4))
    sent = mock.journal("request", provider="sdwebui")
    assert len(sent) == 1
    wire = sent[0]["body"]
    assert (wire["steps"], wire["sampler_name"], wire["batch_size"]) == (12, "Euler a", 2)
    assert sent[0]["headers"]["Authorization"] == "<redacted>"


async def test_more_than_eight_images_are_split_with_consecutive_seeds(
    mock: AsyncMock, registry: ProviderRegistry, clock: VirtualClock
) -> None:
    async with client(mock, registry, clock) as c:
        result = await c.inpaint(job(seed=10, num_images=10), "sdwebui")
    assert len(result.images) == 10
    bodies = [entry["body"] for entry in mock.journal("request", provider="sdwebui")]
    assert sorted((b["batch_size"], b["seed"]) for b in bodies) == [(2, 18), (8, 10)]


async def test_output_format_is_converted_on_the_client(
    mock: AsyncMock, registry: ProviderRegistry, clock: VirtualClock
) -> None:
    async with client(mock, registry, clock) as c:
        result = await c.inpaint(job(output_format=OutputFormat.JPEG), "sdwebui")
    assert result.images[0].format == "jpeg"
    assert "output_format" in [o.field for o in result.outcomes if o.disposition == "emulated"]


async def test_a_random_seed_comes_back_from_info(
    mock: AsyncMock, registry: ProviderRegistry, clock: VirtualClock
) -> None:
    async with client(mock, registry, clock) as c:
        result = await c.inpaint(job(mask_options=MaskOptions(masked_only=True)), "sdwebui")
    entry = mock.journal("request", provider="sdwebui")[0]
    assert "seed" not in entry["body"]
    assert entry["body"]["inpaint_full_res_padding"] == 32
    assert result.seed is not None
    assert result.seed == json.loads(result.raw[0]["info"])["seed"]


async def test_typed_options_reach_the_server_and_bad_ones_never_leave(
    mock: AsyncMock, registry: ProviderRegistry, clock: VirtualClock
) -> None:
    async with client(mock, registry, clock) as c:
        await c.inpaint(job(extras={"sdwebui": {"inpainting_fill": 2}}), "sdwebui")
        await c.inpaint(job(), "sdwebui")
        with pytest.raises(ValidationError) as caught:
            await c.inpaint(job(extras={"sdwebui": {"inpainting_fill": "noise"}}), "sdwebui")
    assert caught.value.paths == ("$.extras.sdwebui.inpainting_fill",)
    sent = [entry["body"]["inpainting_fill"] for entry in mock.journal("request")]
    assert sent == [2, 1]  # the option, then its default ("original")


async def test_server_faults_surface_as_typed_errors(
    mock: AsyncMock, registry: ProviderRegistry, clock: VirtualClock
) -> None:
    mock.set_fault("server_error", provider="sdwebui")
    async with client(mock, registry, clock) as c:
        with pytest.raises(ProviderError) as caught:
            await c.inpaint(job(), "sdwebui")
    assert caught.value.status == 500
    assert caught.value.provider == "sdwebui"


async def test_local_limits_stop_a_job_before_anything_is_sent(
    mock: AsyncMock, registry: ProviderRegistry, clock: VirtualClock
) -> None:
    async with client(mock, registry, clock) as c:
        with pytest.raises(ValidationError) as caught:
            await c.inpaint(job(clip_skip=13), "sdwebui")
    assert caught.value.paths == ("$.clip_skip",)
    assert mock.journal("request", provider="sdwebui") == []


class _AuthMock:
    @hookimpl
    def register_mocks(self, register: Any) -> None:
        register(SdWebUiMock(api_auth="ann:s3cret"))


async def test_basic_auth_against_a_server_with_api_auth(
    registry: ProviderRegistry, clock: VirtualClock
) -> None:
    async with run_mock(MockConfig(seed=1), plugin_manager=plugin_manager(_AuthMock())) as mock:
        async with client(mock, registry, clock, key=basic_credential("ann", "s3cret")) as c:
            result = await c.inpaint(job(seed=1), "sdwebui")
        assert len(result.images) == 1
        async with client(mock, registry, clock) as c:
            with pytest.raises(AuthenticationError) as caught:
                await c.inpaint(job(), "sdwebui")
    assert "Invalid authentication credentials" in str(caught.value)
    assert "--api-auth" in caught.value.hint


async def test_an_image_off_the_latent_grid_is_fitted_to_multiples_of_8_before_sending(
    mock: AsyncMock, registry: ProviderRegistry, clock: VirtualClock
) -> None:
    """The server fails a masked whole-picture inpainting whose sides are not multiples of 8
    ("images do not match"), so the image's own 100x60 is resized to the nearest multiples
    of 8 on the client and that size is sent."""
    odd = InpaintJob(image=image_png((100, 60)), mask=mask_png((100, 60)), prompt="moss")
    async with client(mock, registry, clock) as c:
        result = await c.inpaint(odd, "sdwebui")
    sent = mock.journal("request", provider="sdwebui")
    assert [e["status"] for e in sent] == [200]
    size = (sent[0]["body"]["width"], sent[0]["body"]["height"])
    assert size[0] % 8 == 0
    assert size[1] % 8 == 0
    assert abs(size[0] - 100) <= 4
    assert abs(size[1] - 60) <= 4
    assert Image.open(io.BytesIO(result.images[0].data)).size == size
    emulated = {o.field for o in result.outcomes if o.disposition == "emulated"}
    assert {"width", "height"} <= emulated


async def test_a_size_off_the_latent_grid_is_refused_before_sending(
    mock: AsyncMock, registry: ProviderRegistry, clock: VirtualClock
) -> None:
    async with client(mock, registry, clock) as c:
        with pytest.raises(ValidationError) as caught:
            await c.inpaint(job(width=100, height=64), "sdwebui")
    assert caught.value.paths == ("$.width",)
    assert mock.journal("request", provider="sdwebui") == []
