"""Meta-tests of Novita's capability table, spec, sampler mapping and plugin registration.

The critical ranges are asserted against literal numbers copied from seed 001, so that an edit
to the table that drifts from the contract fails here.
"""

from __future__ import annotations

import typing

import attrs
import pytest
from inpaintkit.errors import ValidationError
from inpaintkit.job import MAX_SEED, InpaintJob, OutputFormat, Sampler
from inpaintkit.options import option_paths, option_wire
from inpaintkit.plugins import ProviderRegistry, make_plugin_manager
from inpaintkit.provider import (
    EMULATABLE_FIELDS,
    BearerAuth,
    ImageTransport,
    PollingAdapter,
    ProviderAdapter,
    Support,
    WebhookAdapter,
    adapter_features,
    adapter_mode,
)
from inpaintkit.providers import novita
from inpaintkit.providers.novita import (
    CAPABILITIES,
    NOVITA_SAMPLERS,
    SPEC,
    NovitaAdapter,
    NovitaOptions,
    sampler_from_wire,
    sampler_to_wire,
)
from inpaintkit.schema import rule_of
from inpaintkit.wiremap import path_text

# The sampler_name enum exactly as seed 001 prints it.
SEED_001_SAMPLER_ENUM = [
    "Euler a", "Euler", "LMS", "Heun", "DPM2", "DPM2 a", "DPM++ 2S a", "DPM++ 2M", "DPM++ SDE",
    "DPM fast", "DPM adaptive", "LMS Karras", "DPM2 Karras", "DPM2 a Karras", "DPM++ 2S a Karras",
    "DPM++ 2M Karras", "DPM++ SDE Karras", "DDIM", "PLMS", "UniPC",
]  # fmt: skip


def neutral_paths(cls: type = InpaintJob, prefix: str = "") -> list[str]:
    """Every neutral field path of the schema: top-level fields, nested object fields
    (``mask_options.blur``) and list item fields (``loras[].strength``)."""
    paths: list[str] = []
    for a in attrs.fields(cls):
        path = f"{prefix}{a.name}"
        paths.append(path)
        rule = rule_of(a)
        if rule is None or rule.item is None or rule.loader is not None:
            continue
        if rule.kind == "object":
            paths.extend(neutral_paths(rule.item, f"{path}."))
        elif rule.kind == "tuple":
            paths.extend(neutral_paths(rule.item, f"{path}[]."))
    return paths


def row(field: str) -> typing.Any:
    found = CAPABILITIES.get(field)
    assert found is not None, f"no row for {field}"
    return found


# --- completeness -------------------------------------------------------------------------------


def test_every_neutral_field_and_nested_path_has_exactly_one_row() -> None:
    # extras has no row: Novita's own fields are NovitaOptions (SPEC.options)
    expected = set(neutral_paths()) - {"extras"}
    listed = [r.field for r in CAPABILITIES]
    assert len(listed) == len(set(listed))
    assert set(listed) == expected
    # spot-check that the walk really reaches nested and list-item paths
    assert {"mask_options.blur", "loras[].strength", "webhook.track_id", "safety.level"} <= expected


def test_every_row_cites_a_source_and_native_rows_name_a_wire_field() -> None:
    assert CAPABILITIES.unmapped_native_rows() == ()
    for r in CAPABILITIES:
        assert r.source.strip(), f"{r.field} cites no source"
        assert "seed" in r.source or "ref " in r.source, f"{r.field}: {r.source}"
        if r.support is not Support.NATIVE:
            assert not r.wire, f"{r.field} is {r.support} but names wire {r.wire}"


def test_emulated_rows_are_only_those_the_core_can_emulate() -> None:
    emulated = {r.field for r in CAPABILITIES if r.support is Support.EMULATED}
    assert emulated == {"width", "height"}
    assert emulated <= EMULATABLE_FIELDS


def test_unsupported_rows_are_track_id_and_enhance_prompt() -> None:
    unsupported = {r.field for r in CAPABILITIES if r.support is Support.UNSUPPORTED}
    assert unsupported == {"webhook.track_id", "enhance_prompt"}


def test_required_rows_without_default_is_only_the_model_and_inputs() -> None:
    no_default = {r.field for r in CAPABILITIES if r.required and r.default is None}
    assert no_default == {"image", "mask", "prompt", "model"}


# --- ranges copied from seed 001 ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "low", "high"),
    [
        ("num_images", 1, 8),
        ("steps", 1, 100),
        ("guidance_scale", 1, 30),
        ("strength", 0, 1),
        ("clip_skip", 1, 12),
        ("mask_options.blur", 0, 64),
        ("mask_options.padding", 0, 256),
        ("initial_noise_multiplier", 0, 1.5),
        ("loras[].strength", 0, 1),
        ("seed", 0, 2**32 - 1),
    ],
)
def test_numeric_ranges_match_seed_001(field: str, low: float, high: float) -> None:
    r = row(field)
    assert (r.minimum, r.maximum) == (low, high)
    assert r.support is Support.NATIVE


def test_text_lengths_list_sizes_and_enums_match_seed_001() -> None:
    assert (row("prompt").min_length, row("prompt").max_length) == (1, 1024)
    # seed: [1, 1024]; the empty string is "no negative prompt" and never sent (see the note)
    assert (row("negative_prompt").min_length, row("negative_prompt").max_length) == (None, 1024)
    assert row("loras").max_items == 5
    assert row("embeddings").max_items == 5
    assert set(row("output_format").choices) == {"png", "webp", "jpeg"}
    assert row("safety.level").choices == (0, 1, 2)
    assert [s.value for s in row("sampler").choices] == SEED_001_SAMPLER_ENUM


def test_required_wire_fields_declare_their_defaults_as_data() -> None:
    assert row("steps").default == 20  # novita-client's steps=20 (ref 1.9 capture)
    assert row("guidance_scale").default == 7.5
    assert row("sampler").default is Sampler.EULER_A
    assert row("num_images").default == 1
    assert row("seed").default == -1  # Novita's "random"
    assert row("num_images").split_above_maximum
    assert row("model").required
    assert row("model").default is None


def test_wire_names_follow_seed_001() -> None:
    assert path_text(row("model").wire) == "request.model_name"
    assert path_text(row("num_images").wire) == "request.image_num"
    assert path_text(row("vae").wire) == "request.sd_vae"
    assert path_text(row("mask_options.invert").wire) == "request.inpainting_mask_invert"
    assert path_text(row("mask_options.masked_only").wire) == "request.inpainting_full_res"
    assert path_text(row("mask_options.padding").wire) == "request.inpainting_full_res_padding"
    assert path_text(row("output_format").wire) == "extra.response_image_type"
    assert path_text(row("storage").wire) == "extra.custom_storage.aws_s3"
    assert path_text(row("webhook.url").wire) == "extra.webhook.url"


def test_describe_range_reads_well_for_the_matrix() -> None:
    assert row("steps").describe_range() == "[1, 100]"
    assert row("num_images").describe_range() == "[1, 8]; more split over several requests"
    assert row("prompt").describe_range() == "length [1, 1024]"


# --- spec ---------------------------------------------------------------------------------------


def test_spec_is_novita_async_bearer_base64() -> None:
    assert SPEC.id == "novita"
    assert SPEC.base_url == "https://api.novita.ai"
    assert SPEC.auth == BearerAuth()
    assert SPEC.env_var == "NOVITA_API_KEY"
    assert adapter_mode(NovitaAdapter()) == "polling"
    assert SPEC.image_transport is ImageTransport.BASE64
    assert SPEC.max_image_pixels == 16_000_000
    assert SPEC.capabilities is CAPABILITIES


def test_poll_policy_is_short_with_backoff_and_honours_eta() -> None:
    policy = SPEC.polling
    assert policy.poll_delay(0) == 1.0
    assert 1.0 <= policy.poll_delay(1) <= 2.0
    delays = [policy.poll_delay(n) for n in range(1, 12)]
    assert delays == sorted(delays)
    assert delays[-1] == policy.max_interval
    assert policy.poll_delay(3, eta=7.0) == 7.0
    assert policy.poll_delay(3, eta=10_000.0) == policy.max_eta_wait


# --- samplers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SEED_001_SAMPLER_ENUM)
def test_every_documented_sampler_maps_both_ways(name: str) -> None:
    sampler = sampler_from_wire(name)
    assert sampler.value == name
    assert sampler_to_wire(sampler) == name


@pytest.mark.parametrize("sampler", [Sampler.DPMPP_2M_SDE, Sampler.DPMPP_2M_SDE_KARRAS])
def test_samplers_outside_novitas_enum_are_a_clear_error(sampler: Sampler) -> None:
    with pytest.raises(ValidationError) as info:
        sampler_to_wire(sampler)
    assert info.value.paths == ("$.sampler",)
    assert sampler.value in str(info.value)
    assert "Euler a" in str(info.value)


def test_the_neutral_sampler_enum_is_covered_exactly_once() -> None:
    missing = set(Sampler) - set(NOVITA_SAMPLERS)
    assert missing == {Sampler.DPMPP_2M_SDE, Sampler.DPMPP_2M_SDE_KARRAS}
    with pytest.raises(ValueError, match="not a Novita sampler_name"):
        sampler_from_wire("DPM++ 2M SDE")


# --- options (extras["novita"]) -----------------------------------------------------------------


def test_options_are_novitas_documented_fields_at_their_wire_paths() -> None:
    assert SPEC.options is NovitaOptions
    assert option_paths(NovitaOptions) == {
        "extra.enterprise_plan.enabled": "enterprise_plan",
        "extra.webhook.test_mode.enabled": "webhook_test_mode",
        "extra.webhook.test_mode.return_task_status": "webhook_test_mode",
        "request.inpainting_fill": "inpainting_fill",
    }
    for a in attrs.fields(NovitaOptions):
        assert option_wire(a) is not None, a.name
        rule = rule_of(a)
        assert rule is not None
        assert "seed" in rule.doc, f"{a.name} cites no seed"
    fill = rule_of(attrs.fields(NovitaOptions).inpainting_fill)
    assert fill is not None
    assert (fill.minimum, fill.maximum) == (0, 3)
    assert "seed 001 does not document" in fill.doc


# --- plugin -------------------------------------------------------------------------------------


def test_the_plugin_registers_one_adapter_through_the_hook() -> None:
    registered: list[object] = []
    novita.register_providers(register=registered.append)
    assert len(registered) == 1
    assert isinstance(registered[0], NovitaAdapter)
    assert isinstance(registered[0], ProviderAdapter)


def test_the_adapter_polls_and_takes_webhooks_as_novita_does() -> None:
    adapter = NovitaAdapter()
    assert isinstance(adapter, PollingAdapter)
    assert isinstance(adapter, WebhookAdapter)
    assert adapter_features(adapter) == ("poll", "webhook")


def test_the_default_registry_finds_novita_like_a_third_party_plugin() -> None:
    registry = ProviderRegistry.from_plugin_manager(make_plugin_manager(entry_points=False))
    assert registry["novita"].spec is SPEC


def test_output_format_choices_are_the_neutral_enum() -> None:
    assert all(isinstance(c, OutputFormat) for c in row("output_format").choices)
    assert row("seed").maximum == MAX_SEED
