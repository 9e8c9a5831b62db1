"""Golden tests of the request the plugin builds, and of its capability table as data.

Requests are checked by the core first (``check_request``), as the runtime does, and every
built request is confirmed against the table (``check_built``), so a golden body here is also
a proof that the table alone produces every plain field."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import attrs
import pytest
from inpaintkit.checking import check_built, check_request
from inpaintkit.errors import UnsupportedFieldError, ValidationError
from inpaintkit.images import to_base64
from inpaintkit.job import DEFAULT_MASK_PADDING, InpaintJob, Lora, MaskOptions, Sampler
from inpaintkit.planning import plan_job
from inpaintkit.provider import (
    HttpRequest,
    PollingAdapter,
    PreparedImage,
    PreparedRequest,
    ProviderAdapter,
    Support,
    WebhookAdapter,
    adapter_mode,
)
from inpaintkit.wiremap import Custom
from inpaintkit_sdwebui import (
    CAPABILITIES,
    SPEC,
    InpaintingFill,
    SdWebUiAdapter,
    SdWebUiOptions,
    basic_credential,
    sampler_fields,
)
from inpaintkit_sdwebui.samplers import SAMPLERS
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


def build(**changes: Any) -> HttpRequest:
    """What the runtime does: check, build, and confirm the build against the table."""
    checked = check_request(prepared(**changes), SPEC)
    wire = SdWebUiAdapter().build_submit(checked)
    check_built(wire, checked, SPEC)
    return wire


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
    checked = check_request(request, SPEC)
    wire = SdWebUiAdapter().build_submit(checked)
    check_built(wire, checked, SPEC)
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
    body = build().json
    assert body == {
        "init_images": [to_base64(IMAGE)],
        "mask": to_base64(MASK),
        "prompt": "a red brick wall",
        "batch_size": 1,
        "n_iter": 1,
        "width": 96,
        "height": 64,
        "denoising_strength": 0.7,  # the neutral strength, not the API's 0.75
        "inpainting_fill": 1,
        "inpaint_full_res": False,  # padding means nothing without it, so none is sent
        "inpainting_mask_invert": 0,
    }


def test_the_core_builds_every_plain_field_and_the_adapter_adds_only_the_custom_ones() -> None:
    checked = check_request(prepared(steps=20, sampler=Sampler.DDIM, model="m", seed=5), SPEC)
    added = set(SdWebUiAdapter().build_submit(checked).json) - set(checked.fields)
    custom = {p for row in CAPABILITIES if isinstance(row.wire, Custom) for p in row.wire.paths}
    assert custom == {"init_images", "mask", "width", "height"}
    assert added == custom | {"n_iter", "inpainting_fill"}  # batch shape, option default
    assert checked.fields["override_settings"] == {"sd_model_checkpoint": "m"}
    assert checked.fields["sampler_name"] == "DDIM"


def test_an_unset_padding_sends_the_neutral_default() -> None:
    body = build(mask_options=MaskOptions(masked_only=True)).json
    assert body["inpaint_full_res_padding"] == DEFAULT_MASK_PADDING == 32


def test_explicit_size_wins_over_the_images() -> None:
    body = build(width=512, height=384).json
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


def test_the_sampler_table_is_keyed_by_exactly_the_neutral_samplers() -> None:
    """The table keys by the neutral values as strings: a typo or a new neutral sampler fails
    here, and the row's choices are the same set."""
    assert set(SAMPLERS) == {sampler.value for sampler in Sampler}
    row = CAPABILITIES.get("sampler")
    assert row is not None
    assert row.choices is not None
    assert set(row.choices) == set(Sampler)
    timestep = {name for name, fields in SAMPLERS.items() if "scheduler" not in fields}
    assert timestep == {Sampler.DDIM, Sampler.PLMS, Sampler.UNIPC}
    for sampler in Sampler:
        if sampler.value not in timestep:
            expected = "Karras" if sampler.karras else "Uniform"
            assert sampler_fields(sampler)["scheduler"] == expected, sampler


def test_options_are_typed_and_checked_by_the_core() -> None:
    typed = build(extras={"sdwebui": SdWebUiOptions(InpaintingFill.LATENT_NOTHING)}).json
    assert typed["inpainting_fill"] == 3
    assert build(extras={"sdwebui": {"inpainting_fill": 0}}).json["inpainting_fill"] == 0
    with pytest.raises(ValidationError) as caught:
        build(extras={"sdwebui": {"inpainting_fill": 7}})
    assert caught.value.paths == ("$.extras.sdwebui.inpainting_fill",)
    with pytest.raises(ValidationError) as unknown:
        build(extras={"sdwebui": {"resize_mode": 1}})
    assert unknown.value.paths == ("$.extras.sdwebui.resize_mode",)


def test_out_of_range_and_unsupported_values_never_reach_the_wire() -> None:
    with pytest.raises(ValidationError) as caught:
        build(clip_skip=13)
    assert caught.value.paths == ("$.clip_skip",)
    assert "[1, 12]" in str(caught.value)
    body = build(steps=400, guidance_scale=45.0).json
    assert (body["steps"], body["cfg_scale"]) == (400, 45.0)  # the API has no upper limits
    with pytest.raises(UnsupportedFieldError) as unsupported:
        build(loras=(Lora("detail"),))
    assert unsupported.value.paths[0] == "$.loras"


def test_the_planner_reads_the_same_table() -> None:
    job = InpaintJob(image=IMAGE, mask=MASK, prompt="x", num_images=11, width=4, height=64)
    with pytest.raises(ValidationError) as caught:
        plan_job(job, SPEC)
    assert caught.value.paths == ("$.width",)
    plan = plan_job(attrs.evolve(job, width=104), SPEC)
    assert plan.batches == (8, 3)
    assert plan.emulated == ("num_images",)


def test_adapter_implements_submit_only_so_the_core_derives_sync() -> None:
    adapter = SdWebUiAdapter()
    assert isinstance(adapter, ProviderAdapter)
    assert not isinstance(adapter, PollingAdapter | WebhookAdapter)
    assert adapter_mode(adapter) == "sync"


def test_capability_table_is_data_with_sources_and_wire_paths() -> None:
    job_fields = {a.name for a in attrs.fields(InpaintJob)} - {"extras"}
    rows = {row.field for row in CAPABILITIES}
    assert job_fields <= rows, f"fields without a row: {job_fields - rows}"
    assert CAPABILITIES.unmapped_native_rows() == ()
    for row in CAPABILITIES:
        assert row.source, f"{row.field} cites no source"
        if row.support is Support.NATIVE and row.wire is not None:
            for wire in row.wire.paths:
                assert all(part.isidentifier() for part in wire.split(".")), wire


def test_basic_credential_joins_user_and_password_as_the_core_s_basic_auth_expects() -> None:
    assert basic_credential("ann", "s3cret:x") == "ann:s3cret:x"
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
