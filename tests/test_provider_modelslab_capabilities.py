"""Meta-tests of the ModelsLab capability table and spec, and the table as the planner reads it."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit.errors import UnsupportedFieldError, ValidationError
from inpaintkit.job import (
    Embedding,
    ImageInput,
    InpaintJob,
    Lora,
    MaskOptions,
    OutputFormat,
    S3Storage,
    SafetyCheck,
    Sampler,
)
from inpaintkit.planning import plan_job
from inpaintkit.plugins import ProviderRegistry, make_plugin_manager
from inpaintkit.provider import (
    EMULATABLE_FIELDS,
    BodyKeyAuth,
    ImageTransport,
    ProviderAdapter,
    Support,
    adapter_mode,
)
from inpaintkit.providers import modelslab
from inpaintkit.providers.modelslab import CAPABILITIES, SPEC, SUPPORTED_SAMPLERS
from inpaintkit.schema import rule_of
from inpaintkit.wiremap import path_text

CONTAINERS_WITHOUT_ROW = {"mask_options"}
"""Always-present containers: their leaves carry the rows (the planner never checks them)."""
NOT_ROWS = {"extras"}
"""Provider options: the options class's (checked and sent by the core), not a row's."""


def neutral_paths() -> list[str]:
    """Every field path of the neutral job, nested objects and list items included."""
    paths: list[str] = []
    for a in attrs.fields(InpaintJob):
        rule = rule_of(a)
        assert rule is not None
        leaf = rule.item is ImageInput  # an image is one value, not a set of options
        if rule.kind == "object" and rule.item is not None and attrs.has(rule.item) and not leaf:
            if a.name not in CONTAINERS_WITHOUT_ROW:
                paths.append(a.name)
            paths.extend(f"{a.name}.{sub.name}" for sub in attrs.fields(rule.item))
        elif rule.kind == "tuple" and rule.item is not None:
            paths.append(a.name)
            paths.extend(f"{a.name}[].{sub.name}" for sub in attrs.fields(rule.item))
        elif a.name not in NOT_ROWS:
            paths.append(a.name)
    return paths


def test_every_neutral_field_and_nested_path_has_exactly_one_row() -> None:
    fields = [row.field for row in CAPABILITIES]
    assert sorted(fields) == sorted(neutral_paths())


def test_every_row_cites_a_source() -> None:
    for row in CAPABILITIES:
        assert row.source, row.field
        assert "seed 003" in row.source or "reference 3." in row.source, row.field


def test_native_rows_name_their_wire_fields_and_others_do_not() -> None:
    assert CAPABILITIES.unmapped_native_rows() == ()
    for row in CAPABILITIES:
        if row.support is not Support.NATIVE:
            assert not row.wire, row.field


def test_emulated_rows_are_only_those_the_core_can_emulate() -> None:
    emulated = {row.field for row in CAPABILITIES if row.support is Support.EMULATED}
    assert emulated <= EMULATABLE_FIELDS
    assert emulated == {
        "mask_options.blur",
        "mask_options.invert",
        "mask_options.masked_only",
        "mask_options.padding",
        "output_format",
    }


def test_unsupported_rows() -> None:
    unsupported = {row.field for row in CAPABILITIES if row.support is Support.UNSUPPORTED}
    assert unsupported == {
        "initial_noise_multiplier",
        "embeddings",
        "embeddings[].name",
        "safety.level",
        "storage",
        "storage.region",
        "storage.bucket",
        "storage.path",
        "storage.save_to_path_directly",
    }


def row(field: str) -> Any:
    found = CAPABILITIES.get(field)
    assert found is not None, field
    return found


@pytest.mark.parametrize(
    ("field", "minimum", "maximum", "multiple_of"),
    [
        # literal numbers copied from seed 003
        ("width", 512, 1024, 8),  # "Must be between 512-1024 and divisible by 8"
        ("height", 512, 1024, 8),
        ("num_images", 1, 4, None),  # samples "Maximum is 4"
        ("guidance_scale", 1, 20, None),  # "Required range: 1 <= x <= 20"
        ("strength", 0, 1, None),  # "Required range: 0 <= x <= 1"
        ("clip_skip", 1, 4, None),  # "Required range: 1 <= x <= 4"
        # from the reference, where the seed says nothing
        ("loras[].strength", 0.1, 1, None),  # OpenAPI lora_strength "0.1-1"
        ("steps", 1, 50, None),  # local rule, documented in the row's note
    ],
)
def test_critical_ranges_match_the_sources(
    field: str, minimum: float, maximum: float, multiple_of: int | None
) -> None:
    r = row(field)
    assert (r.minimum, r.maximum, r.multiple_of) == (minimum, maximum, multiple_of)


def test_num_images_above_four_is_split_not_rejected() -> None:
    assert row("num_images").split_above_maximum is True


def test_model_image_and_mask_are_required() -> None:
    assert {r.field for r in CAPABILITIES if r.required} == {"model", "image", "mask"}


def test_wire_names_follow_the_seed() -> None:
    assert path_text(row("model").wire) == "model_id"
    assert path_text(row("num_images").wire) == "samples"
    assert path_text(row("steps").wire) == "steps"
    assert path_text(row("image").wire) == "init_image"
    assert path_text(row("mask").wire) == "mask_image"
    assert path_text(row("safety.enabled").wire) == "safety_checker"
    assert path_text(row("webhook.track_id").wire) == "track_id"
    assert path_text(row("loras").wire) == "lora_model + lora_strength"


def test_disagreements_are_noted() -> None:
    assert "256" in row("width").note
    assert "[1, 8]" in row("clip_skip").note
    assert "num_inference_steps" in row("steps").note
    assert "dpmsolver+++" in row("sampler").note


def test_sampler_choices_are_the_mappable_samplers() -> None:
    choices = row("sampler").choices
    assert choices == SUPPORTED_SAMPLERS
    assert Sampler.DPM_FAST not in choices
    assert Sampler.DPMPP_2M_SDE_KARRAS in choices


def test_spec() -> None:
    assert SPEC.id == "modelslab"
    assert SPEC.base_url == "https://modelslab.com"
    assert SPEC.auth == BodyKeyAuth("key")
    assert SPEC.env_var == "MODELSLAB_API_KEY"
    assert adapter_mode(modelslab.ModelsLabAdapter()) == "polling"
    assert SPEC.image_transport is ImageTransport.URL_OR_BASE64
    assert SPEC.capabilities is CAPABILITIES
    assert SPEC.polling.honour_eta is True
    # the eta of a processing answer decides the first fetch
    assert SPEC.polling.poll_delay(0, eta=7.5) == 7.5
    assert SPEC.polling.poll_delay(0) == SPEC.polling.initial_delay


def test_plugin_registers_through_the_hook_like_a_third_party() -> None:
    pm = make_plugin_manager(entry_points=False, builtins=False, plugins=[modelslab])
    registry = ProviderRegistry.from_plugin_manager(pm)
    assert list(registry) == ["modelslab"]
    assert isinstance(registry["modelslab"], ProviderAdapter)
    assert registry["modelslab"].spec is SPEC


def test_default_registry_has_modelslab() -> None:
    assert "modelslab" in ProviderRegistry.default()


# --- the table as the planner reads it ------------------------------------------------------

IMAGE = png_bytes(gradient_image(64, 64))
MASK = png_bytes(rect_mask(64, 64, (16, 16, 48, 48)))


def job(**kw: Any) -> InpaintJob:
    base: dict[str, Any] = {"image": IMAGE, "mask": MASK, "prompt": "a cat", "model": "m"}
    base.update(kw)
    return InpaintJob(**base)


def test_planner_rejects_a_job_without_model() -> None:
    with pytest.raises(ValidationError) as info:
        plan_job(job(model=None), SPEC)
    assert "$.model" in info.value.paths


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"width": 504, "height": 512}, "$.width"),
        ({"width": 1032, "height": 512}, "$.width"),
        ({"width": 512, "height": 516}, "$.height"),  # not a multiple of 8
        ({"guidance_scale": 20.5}, "$.guidance_scale"),
        ({"clip_skip": 5}, "$.clip_skip"),
        ({"steps": 51}, "$.steps"),
        ({"sampler": Sampler.DPM_FAST}, "$.sampler"),
        ({"loras": (Lora("a", 0.05),)}, "$.loras[0].strength"),
    ],
)
def test_planner_applies_the_table_ranges(changes: dict[str, Any], path: str) -> None:
    with pytest.raises(ValidationError) as info:
        plan_job(job(**changes), SPEC)
    assert path in info.value.paths


def test_planner_accepts_the_boundaries() -> None:
    plan = plan_job(
        job(
            width=1024,
            height=512,
            guidance_scale=20,
            strength=1,
            clip_skip=4,
            steps=50,
            num_images=4,
            loras=(Lora("a", 0.1), Lora("b", 1.0)),
            sampler=Sampler.DPMPP_2M_SDE_KARRAS,
        ),
        SPEC,
    )
    assert plan.batches == (4,)


def test_planner_splits_num_images_above_four() -> None:
    assert plan_job(job(num_images=6), SPEC).batches == (4, 2)


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"initial_noise_multiplier": 0.5}, "$.initial_noise_multiplier"),
        ({"safety": SafetyCheck(enabled=True, level=1)}, "$.safety.level"),
        ({"embeddings": (Embedding("bad-hands"),)}, "$.embeddings"),
        ({"storage": S3Storage("eu-west-1", "b", "p")}, "$.storage"),
    ],
)
def test_planner_rejects_unsupported_fields_in_strict_mode(
    changes: dict[str, Any], path: str
) -> None:
    with pytest.raises(UnsupportedFieldError) as info:
        plan_job(job(**changes), SPEC)
    assert path in info.value.paths


def test_planner_emulates_mask_options_and_output_format() -> None:
    plan = plan_job(
        job(
            mask_options=MaskOptions(blur=4, invert=True, masked_only=True, padding=16),
            output_format=OutputFormat.WEBP,
        ),
        SPEC,
    )
    assert plan.emulation.invert_mask is True
    assert plan.emulation.blur_radius == 4
    assert plan.emulation.masked_only is True
    assert plan.emulation.padding == 16
    # the adapter sees the job with the emulated fields cleared
    assert plan.job.mask_options == MaskOptions()
    assert plan.job.output_format is None
