"""Golden tests of the request the plugin builds, and of its capability table as data."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import attrs
import pytest
from inpaintkit.errors import UnsupportedFieldError, ValidationError
from inpaintkit.images import to_base64
from inpaintkit.job import InpaintJob, Lora, MaskOptions, Sampler
from inpaintkit.planning import plan_job
from inpaintkit.provider import (
    PollingAdapter,
    PreparedImage,
    PreparedRequest,
    ProviderAdapter,
    Support,
    WebhookAdapter,
    adapter_mode,
)
from inpaintkit_sdwebui import CAPABILITIES, SPEC, SdWebUiAdapter, basic_credential, sampler_fields
from sdwebui_testdata import SIZE, image_png, mask_png

IMAGE = image_png()
MASK = mask_png()


def prepared(**changes: Any) -> PreparedRequest:
    job = InpaintJob(image=IMAGE, mask=MASK, prompt="a red brick wall", **changes)
    return PreparedRequest(
        job=job,
        image=PreparedImage(IMAGE, "png", *SIZE),
        mask=PreparedImage(MASK, "png", *SIZE),
    )


def test_golden_body_for_a_fixed_job() -> None:
    request = prepared(
        negative_prompt="blurry",
        model="sd-v1-5-inpainting.ckpt [c6bbc15e32]",
        num_images=2,
        steps=30,
        guidance_scale=7.5,
        strength=0.6,
        seed=1234,
        sampler=Sampler.DPMPP_2M_KARRAS,
        clip_skip=2,
        vae="vae-ft-mse-840000-ema-pruned.safetensors",
        initial_noise_multiplier=0.9,
        mask_options=MaskOptions(blur=6, invert=True, masked_only=True, padding=24),
        extras={"sdwebui": {"inpainting_fill": 2}},
    )
    wire = SdWebUiAdapter().build_submit(request)
    assert (wire.method, wire.path) == ("POST", "/sdapi/v1/img2img")
    assert wire.headers["Content-Type"] == "application/json"
    assert wire.json == {
        "init_images": [to_base64(IMAGE)],
        "mask": to_base64(MASK),
        "prompt": "a red brick wall",
        "negative_prompt": "blurry",
        "batch_size": 2,
        "n_iter": 1,
        "width": 96,
        "height": 64,
        "steps": 30,
        "cfg_scale": 7.5,
        "denoising_strength": 0.6,
        "seed": 1234,
        "sampler_name": "DPM++ 2M Karras",
        "scheduler": "Karras",
        "mask_blur": 6,
        "inpainting_mask_invert": 1,
        "inpaint_full_res": True,
        "inpaint_full_res_padding": 24,
        "inpainting_fill": 2,
        "initial_noise_multiplier": 0.9,
        "override_settings": {
            "sd_model_checkpoint": "sd-v1-5-inpainting.ckpt [c6bbc15e32]",
            "CLIP_stop_at_last_layers": 2,
            "sd_vae": "vae-ft-mse-840000-ema-pruned.safetensors",
        },
    }


def test_minimal_job_sends_the_fields_whose_api_default_differs() -> None:
    body = SdWebUiAdapter().build_submit(prepared()).json
    assert body == {
        "init_images": [to_base64(IMAGE)],
        "mask": to_base64(MASK),
        "prompt": "a red brick wall",
        "batch_size": 1,
        "n_iter": 1,
        "width": 96,
        "height": 64,
        "inpainting_fill": 1,
        "inpaint_full_res": False,
        "inpainting_mask_invert": 0,
    }


def test_masked_only_without_padding_sends_the_tables_default() -> None:
    body = SdWebUiAdapter().build_submit(prepared(mask_options=MaskOptions(masked_only=True))).json
    row = CAPABILITIES.get("mask_options.padding")
    assert row is not None
    assert body["inpaint_full_res_padding"] == row.default == 32


def test_explicit_size_wins_over_the_images() -> None:
    body = SdWebUiAdapter().build_submit(prepared(width=512, height=384)).json
    assert (body["width"], body["height"]) == (512, 384)


@pytest.mark.parametrize(
    ("sampler", "expected"),
    [
        (Sampler.EULER_A, {"sampler_name": "Euler a", "scheduler": "Uniform"}),
        (Sampler.DPMPP_2M, {"sampler_name": "DPM++ 2M", "scheduler": "Uniform"}),
        (Sampler.LMS_KARRAS, {"sampler_name": "LMS Karras", "scheduler": "Karras"}),
        (Sampler.DDIM, {"sampler_name": "DDIM"}),
        (Sampler.UNIPC, {"sampler_name": "UniPC"}),
    ],
)
def test_sampler_names_and_schedules(sampler: Sampler, expected: dict[str, str]) -> None:
    assert sampler_fields(sampler) == expected


def test_every_neutral_sampler_keeps_its_name_on_the_wire() -> None:
    for sampler in Sampler:
        assert sampler_fields(sampler)["sampler_name"] == sampler.value


def test_bad_extra_is_named_with_its_path() -> None:
    with pytest.raises(ValidationError) as caught:
        SdWebUiAdapter().build_submit(prepared(extras={"sdwebui": {"inpainting_fill": 7}}))
    assert caught.value.paths == ("$.extras.sdwebui.inpainting_fill",)
    assert "0, 1, 2, 3" in str(caught.value)
    with pytest.raises(ValidationError) as unknown:
        SdWebUiAdapter().build_submit(prepared(extras={"sdwebui": {"resize_mode": 1}}))
    assert "allowed: inpainting_fill" in str(unknown.value)


def test_out_of_range_and_unsupported_values_never_reach_the_wire() -> None:
    with pytest.raises(ValidationError) as caught:
        SdWebUiAdapter().build_submit(prepared(clip_skip=13))
    assert caught.value.paths == ("$.clip_skip",)
    assert "[1, 12]" in str(caught.value)
    body = SdWebUiAdapter().build_submit(prepared(steps=400, guidance_scale=45.0)).json
    assert (body["steps"], body["cfg_scale"]) == (400, 45.0)  # the API has no upper limits
    with pytest.raises(UnsupportedFieldError) as unsupported:
        SdWebUiAdapter().build_submit(prepared(loras=(Lora("detail"),)))
    assert unsupported.value.paths == ("$.loras",)


def test_the_planner_reads_the_same_table() -> None:
    job = InpaintJob(image=IMAGE, mask=MASK, prompt="x", num_images=11, width=4, height=64)
    with pytest.raises(ValidationError) as caught:
        plan_job(job, SPEC)
    assert caught.value.paths == ("$.width",)
    plan = plan_job(attrs.evolve(job, width=100), SPEC)
    assert plan.batches == (8, 3)
    assert plan.emulated == ("num_images",)


def test_adapter_implements_submit_only_so_the_core_derives_sync() -> None:
    adapter = SdWebUiAdapter()
    assert isinstance(adapter, ProviderAdapter)
    assert not isinstance(adapter, PollingAdapter | WebhookAdapter)
    assert adapter_mode(adapter) == "sync"


def test_capability_table_is_data_with_sources_and_wire_paths() -> None:
    job_fields = {a.name for a in attrs.fields(InpaintJob)}
    rows = {row.field for row in CAPABILITIES}
    assert job_fields <= rows, f"fields without a row: {job_fields - rows}"
    for row in CAPABILITIES:
        assert row.source, f"{row.field} cites no source"
        if row.support is Support.NATIVE and row.wire is not None:
            for wire in row.wire.paths:
                assert all(part.isidentifier() for part in wire.split(".")), wire


def test_basic_credential_is_the_http_basic_token() -> None:
    assert basic_credential("ann", "s3cret:x") == "YW5uOnMzY3JldDp4"
    with pytest.raises(ValueError, match="must not contain ':'"):
        basic_credential("a:b", "c")


def test_the_mock_never_reads_the_plugins_table() -> None:
    """The mock must be an independent reading of the server, or the suite could never fail."""
    package = Path(__file__).resolve().parents[1] / "src" / "inpaintkit_sdwebui"
    allowed = {"rules", "server", "inpaintkit.mockserver", "inpaintkit.mockserver.contracts"}
    for source in (package / "mock").glob("*.py"):
        tree = ast.parse(source.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level == 1:
                    assert module in allowed or module == "", f"{source.name} imports .{module}"
                assert node.level <= 1, f"{source.name} imports from the plugin"
                assert not module.startswith("inpaintkit_sdwebui"), source.name
