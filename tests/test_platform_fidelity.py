"""Issue 10, StableDiffusionAPI and ModelsLab: end to end against the mock, each test failing on
the code before the fix (the client, the core's emulations and the mock together)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit import InpaintClient, InpaintJob, RunEcho, VirtualClock
from inpaintkit.errors import ValidationError
from inpaintkit.job import Sampler, Webhook
from inpaintkit.mockserver import MockConfig, run_mock
from inpaintkit.planning import Disposition
from inpaintkit.provider import Done, HttpResponse, TaskHandle
from inpaintkit.providers._platform import classify
from inpaintkit.providers.modelslab import CAPABILITIES as ML_TABLE
from inpaintkit.providers.modelslab import ModelsLabAdapter, ModelsLabUploadHost
from inpaintkit.providers.stablediffusionapi import StableDiffusionApiAdapter

KEYS = {"stablediffusionapi": "sdapi-key", "modelslab": "ml-key"}


def job(width: int, height: int, **fields: Any) -> InpaintJob:
    box = (width // 4, height // 4, width // 2, height // 2)
    return InpaintJob(
        image=png_bytes(gradient_image(width, height)),
        mask=png_bytes(rect_mask(width, height, box)),
        prompt="a red bench",
        **fields,
    )


@pytest.fixture
async def mock() -> AsyncIterator[Any]:
    async with run_mock(MockConfig(seed=3), clock=VirtualClock()) as server:
        yield server


def client(mock: Any, **kwargs: Any) -> InpaintClient:
    """A client whose providers each reach only their own host on the mock, as live."""
    base_urls = {pid: mock.provider_url(pid) for pid in KEYS}
    return InpaintClient(api_keys=KEYS, base_urls=base_urls, clock=mock.clock, **kwargs)


# --- item 2: StableDiffusionAPI with local bytes ------------------------------------------------


async def test_sdapi_local_bytes_without_a_host_fail_before_any_request(mock: Any) -> None:
    async with client(mock) as c:
        with pytest.raises(ValidationError) as info:
            await c.inpaint(job(512, 512), "stablediffusionapi")
    assert info.value.paths == ("$.image",)
    assert "image_hosts=" in info.value.hint
    assert info.value.cli_hint is not None
    assert "image_host hook" in info.value.cli_hint
    assert mock.journal() == []  # nothing was sent, not even an upload


async def test_sdapi_opt_in_upload_goes_to_modelslab_with_the_modelslab_key(mock: Any) -> None:
    hosts = {"stablediffusionapi": ModelsLabUploadHost()}
    async with client(mock, image_hosts=hosts) as c:
        result = await c.inpaint(job(512, 512), "stablediffusionapi")
    assert len(result.images) == 1
    uploads = [e for e in mock.journal() if e["path"].endswith("/base64_to_url")]
    assert [e["path"] for e in uploads] == ["/_hosts/modelslab/api/v6/base64_to_url"] * 2
    assert "ml-key" not in repr(result)
    assert "ml-key" not in str(result.raw)


# --- item 3: ModelsLab with local bytes --------------------------------------------------------


async def test_modelslab_local_bytes_are_uploaded_and_the_output_stays_links(mock: Any) -> None:
    async with client(mock) as c:
        result = await c.inpaint(job(512, 512, model="pony_realism"), "modelslab")
    (submit,) = [e for e in mock.journal() if e["path"].endswith("/images/inpaint")]
    body = submit["body"]
    assert body["init_image"].startswith("http")
    assert "base64" not in body
    assert result.images[0].url is not None  # a link, not an inline base64 answer


# --- item 4: an unset size outside the limits is fitted, recorded as emulated ---------------------


@pytest.mark.parametrize(
    ("provider", "size", "sent", "fields"),
    [
        ("stablediffusionapi", (2048, 1536), (1024, 768), {}),
        ("modelslab", (256, 256), (512, 512), {"model": "pony_realism"}),
    ],
)
async def test_an_unset_size_outside_the_limits_is_fitted_and_recorded(
    mock: Any,
    provider: str,
    size: tuple[int, int],
    sent: tuple[int, int],
    fields: dict[str, Any],
) -> None:
    hosts = {"stablediffusionapi": ModelsLabUploadHost()}
    async with client(mock, image_hosts=hosts) as c:
        result = await c.inpaint(job(*size, **fields), provider)
    (submit,) = [e for e in mock.journal() if e["path"].endswith("/inpaint")]
    assert (int(submit["body"]["width"]), int(submit["body"]["height"])) == sent
    assert {"width", "height"} <= set(result.emulated)
    notes = {o.field: o.note for o in result.outcomes if o.disposition is Disposition.EMULATED}
    assert f"{size[0]}x{size[1]}" in notes["width"]
    assert f"{sent[0]}x{sent[1]}" in notes["width"]


# --- the echo of what ran ------------------------------------------------------------------------


async def test_the_providers_echo_is_on_the_result_typed(mock: Any) -> None:
    fields = {"model": "pony_realism", "steps": 30, "sampler": Sampler.EULER_A}
    async with client(mock) as c:
        result = await c.inpaint(job(512, 512, **fields), "modelslab")
    echo = result.echo
    assert isinstance(echo, RunEcho)
    assert (echo.steps, echo.sampler, echo.width, echo.height) == (30, "Euler a", 512, 512)
    assert echo.seed == result.seed is not None  # the drawn seed
    assert echo.prompt is not None


def test_a_capped_step_count_and_the_enhanced_prompt_are_echoed() -> None:
    """Reference 2.3: 30 steps asked, meta.steps 20 ran; the prompt came back enhanced."""
    body = {
        "status": "success",
        "id": 1,
        "output": ["https://pub.example/x.png"],
        "meta": {"steps": 20, "seed": 3163825381, "prompt": "a cat, DSLR photography", "W": 512},
    }
    state = StableDiffusionApiAdapter().parse_poll(
        TaskHandle("stablediffusionapi", "1"), HttpResponse(200, _json(body), {})
    )
    assert isinstance(state, Done)
    assert state.echo == RunEcho(
        steps=20, seed=3163825381, prompt="a cat, DSLR photography", width=512
    )


def test_an_echo_from_the_processing_answer_completes_a_fetch_success() -> None:
    """A fetch success carries no meta (reference 3.3): the submit's is remembered."""
    adapter = ModelsLabAdapter()
    processing = {
        "status": "processing",
        "id": 7,
        "eta": 1,
        "meta": {"steps": 31, "seed": 681162, "scheduler": "DPMSolverMultistepScheduler"},
    }
    pending = adapter.parse_webhook(processing)
    assert not isinstance(pending, Done)
    handle = pending.handle  # type: ignore[union-attr]
    fetched = {"status": "success", "id": 7, "output": ["https://pub.example/y.png"]}
    done = adapter.parse_poll(handle, HttpResponse(200, _json(fetched), {}))
    assert isinstance(done, Done)
    assert done.echo == RunEcho(steps=31, seed=681162, sampler="DPM++ 2M SDE Karras")
    assert done.seed == 681162


def _json(body: Any) -> bytes:
    import json

    return json.dumps(body).encode()


# --- item 6: both error shapes still parse -------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        "clip_skip must be between 1 and 4",  # ModelsLab's string (error-codes.mdx)
        {"clip_skip": ["The clip skip must be between 1 and 4."]},  # the platform's Laravel
    ],
)
def test_validation_errors_of_both_shapes_name_the_field(message: Any) -> None:
    error = classify(
        {"status": "error", "message": message}, status=400, provider="modelslab", table=ML_TABLE
    )
    assert isinstance(error, ValidationError)
    assert error.paths == ("$.clip_skip",)


# --- item 8: ModelsLab webhooks must use HTTPS ---------------------------------------------------


async def test_modelslab_refuses_an_http_webhook_before_sending(mock: Any) -> None:
    bad = job(512, 512, model="pony_realism", webhook=Webhook("http://example.com/hook"))
    async with client(mock) as c:
        with pytest.raises(ValidationError) as info:
            await c.inpaint(bad, "modelslab")
    assert info.value.paths == ("$.webhook.url",)
    assert "HTTPS" in str(info.value)
    assert [e for e in mock.journal() if e["path"].endswith("/images/inpaint")] == []


# --- item 8: each decision is written once, with its source, in the tables ----------------------


def test_the_smaller_decisions_are_written_in_the_tables() -> None:
    from inpaintkit.providers import modelslab, stablediffusionapi

    ml, sd = modelslab.CAPABILITIES, stablediffusionapi.CAPABILITIES
    sampler = ml.get("sampler")
    assert sampler is not None
    assert "UniPC" in sampler.note
    assert "scheduler list" in sampler.note
    steps = ml.get("steps")
    assert steps is not None
    assert steps.maximum == 50
    assert "Decision" in steps.note
    webhook = ml.get("webhook.url")
    assert webhook is not None
    assert "HTTPS" in webhook.source
    assert "loopback" in webhook.note
    sd_steps = sd.get("steps")
    assert sd_steps is not None
    assert (sd_steps.minimum, sd_steps.maximum) == (1, 51)
    assert "21, 31, 41, 51" in sd_steps.note
    assert "'30'" in sd_steps.note
    for table in (ml, sd):
        width = table.get("width")
        assert width is not None
        assert width.fit_when_unset
        image = table.get("image")
        assert image is not None
        assert "base64_to_url" in image.note


class UploadOnOwnHost:
    """The old default: ModelsLab's upload route sent to StableDiffusionAPI's own host."""

    async def upload(self, data: bytes, media_type: str, context: Any) -> str:
        from inpaintkit.providers.modelslab import build_upload_request, parse_upload_response

        return parse_upload_response(await context.send(build_upload_request(data, media_type)))


async def test_the_mock_catches_an_upload_to_an_undocumented_route(mock: Any) -> None:
    """Item 2: base64_to_url on StableDiffusionAPI's host is a 404 in the mock, as live."""
    from inpaintkit.errors import InpaintError

    hosts = {"stablediffusionapi": UploadOnOwnHost()}
    async with client(mock, image_hosts=hosts) as c:
        with pytest.raises(InpaintError) as info:
            await c.inpaint(job(512, 512), "stablediffusionapi")
    assert info.value.status == 404
    assert [e for e in mock.journal() if e["path"].endswith("/api/v3/inpaint")] == []
