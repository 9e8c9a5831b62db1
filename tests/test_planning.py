"""Planning: a job checked against a capability table, emulations and drops recorded."""

from __future__ import annotations

import attrs
import pytest
from inpaintkit import (
    Embedding,
    FieldError,
    InpaintJob,
    Lora,
    MaskOptions,
    OutputFormat,
    SafetyCheck,
    SafetyMode,
    Sampler,
    UnsupportedFieldError,
    ValidationError,
)
from inpaintkit.planning import (
    Disposition,
    UnsupportedFieldWarning,
    plan_job,
    seeds_for_batches,
)
from inpaintkit.provider import (
    BearerAuth,
    Capability,
    CapabilityTable,
    PreparedImage,
    PreparedRequest,
    ProviderSpec,
    Support,
)
from inpaintkit.wiremap import Fixed

N, E = Support.NATIVE, Support.EMULATED

SPEC = ProviderSpec(
    id="acme",
    name="Acme",
    base_url="http://acme.invalid",
    auth=BearerAuth(),
    env_var="ACME_KEY",
    capabilities=CapabilityTable(
        rows=(
            Capability("prompt", N, min_length=1, max_length=10),
            Capability("model", N, required=True),
            Capability("num_images", N, minimum=1, maximum=4, split_above_maximum=True),
            Capability("steps", N, minimum=1, maximum=100),
            Capability("seed", N),
            Capability("width", N, minimum=256, maximum=1024, multiple_of=8),
            Capability("height", N, minimum=256, maximum=1024, multiple_of=8),
            Capability("sampler", N, choices=(Sampler.EULER_A, Sampler.DDIM)),
            Capability("loras", N, max_items=2),
            Capability("loras[].name", N),
            Capability("loras[].strength", N, minimum=0, maximum=1),
            Capability("safety", N),
            Capability("safety.enabled", N),
            Capability("safety.mode", N, wire=Fixed(SafetyMode.REPORT, "it only reports")),
            Capability("enhance_prompt", N, wire=Fixed(False)),
            Capability("mask_options.invert", E),
            Capability("mask_options.blur", E),
            Capability("output_format", E),
        )
    ),
)


def job(**changes: object) -> InpaintJob:
    return InpaintJob(image=b"i", mask=b"m", prompt="cat", model="m1", **changes)  # type: ignore[arg-type]


def test_provider_limits_are_all_reported() -> None:
    with pytest.raises(ValidationError) as info:
        plan_job(
            job(
                steps=101,
                width=1001,
                height=100,
                sampler=Sampler.LMS,
                loras=(Lora("a", 2.0), Lora("b"), Lora("c")),
            ),
            SPEC,
        )
    assert info.value.paths == (
        "$.steps",
        "$.sampler",
        "$.loras",
        "$.width",
        "$.height",
        "$.loras[0].strength",
    )
    text = str(info.value)
    assert "$.steps: must be in [1, 100] for acme, got 101" in text
    assert "$.width: must be a multiple of 8 for acme, got 1001" in text
    assert "$.sampler: must be one of 'Euler a', 'DDIM' for acme, got 'LMS'" in text


def test_required_field_and_prompt_length() -> None:
    with pytest.raises(ValidationError) as info:
        plan_job(InpaintJob(image=b"i", mask=b"m", prompt=""), SPEC)
    assert info.value.paths == ("$.model", "$.prompt")
    assert "is required by acme" in str(info.value)


def test_strict_policy_rejects_unsupported_fields_with_other_errors() -> None:
    with pytest.raises(UnsupportedFieldError) as info:
        plan_job(job(clip_skip=2, embeddings=(Embedding("e"),), steps=200), SPEC)
    assert set(info.value.paths) == {
        "$.steps",
        "$.clip_skip",
        "$.embeddings",
        "$.embeddings[0].name",
    }


def test_drop_policy_clears_and_records() -> None:
    plan = plan_job(
        job(clip_skip=2, safety=SafetyCheck(enabled=True, level=2)), SPEC, unsupported="drop"
    )
    assert set(plan.dropped) == {"clip_skip", "safety.level"}
    assert plan.job.clip_skip is None
    assert plan.job.safety == SafetyCheck(enabled=True, level=None)


def test_a_fixed_row_accepts_its_value_and_refuses_others_as_unsupported() -> None:
    report = SafetyCheck(enabled=True, mode=SafetyMode.REPORT)
    plan = plan_job(job(safety=report, enhance_prompt=False), SPEC)
    outcomes = {o.field: o for o in plan.outcomes}
    assert outcomes["safety.mode"].disposition is Disposition.NATIVE
    assert outcomes["safety.mode"].note == "always report (nothing sent)"
    blank = SafetyCheck(enabled=True, mode=SafetyMode.BLANK)
    with pytest.raises(UnsupportedFieldError) as info:
        plan_job(job(safety=blank, enhance_prompt=True), SPEC)
    assert set(info.value.paths) == {"$.safety.mode", "$.enhance_prompt"}
    assert "can only be 'report': it only reports" in str(info.value)
    # Dropping replaces the value by the one the provider performs, and records it.
    plan = plan_job(job(safety=blank, enhance_prompt=True), SPEC, unsupported="drop")
    assert set(plan.dropped) == {"safety.mode", "enhance_prompt"}
    assert plan.job.safety == report
    assert plan.job.enhance_prompt is False
    # A disabled check has no mode: nothing to honour or refuse.
    plan_job(job(safety=SafetyCheck(enabled=False, mode=SafetyMode.BLANK)), SPEC)


def test_a_table_without_a_mode_row_refuses_an_enabled_check() -> None:
    table = CapabilityTable(tuple(r for r in SPEC.capabilities if r.field != "safety.mode"))
    spec = attrs.evolve(SPEC, capabilities=table)
    with pytest.raises(UnsupportedFieldError) as info:
        plan_job(job(safety=SafetyCheck(enabled=True)), spec)
    assert info.value.paths == ("$.safety.mode",)


def test_warn_policy_warns() -> None:
    with pytest.warns(UnsupportedFieldWarning, match="clip_skip dropped"):
        plan = plan_job(job(clip_skip=2), SPEC, unsupported="warn")
    assert plan.dropped == ("clip_skip",)


def test_emulated_fields_are_cleared_for_the_adapter() -> None:
    plan = plan_job(
        job(mask_options=MaskOptions(invert=True, blur=4), output_format=OutputFormat.JPEG), SPEC
    )
    assert plan.emulation.invert_mask
    assert plan.emulation.blur_radius == 4
    assert plan.emulation.output_format is OutputFormat.JPEG
    assert plan.job.mask_options == MaskOptions()
    assert plan.job.output_format is None
    dispositions = {o.field: o.disposition for o in plan.outcomes}
    assert dispositions["mask_options.invert"] is Disposition.EMULATED
    assert dispositions["output_format"] is Disposition.EMULATED


def test_masked_only_without_a_row_is_unsupported() -> None:
    with pytest.raises(UnsupportedFieldError, match=r"mask_options\.masked_only"):
        plan_job(job(mask_options=MaskOptions(masked_only=True)), SPEC)


def test_num_images_split_and_seeds() -> None:
    plan = plan_job(job(num_images=10, seed=5), SPEC)
    assert plan.batches == (4, 4, 2)
    assert seeds_for_batches(5, plan.batches) == [5, 9, 13]
    assert seeds_for_batches(None, plan.batches) == [None, None, None]
    assert seeds_for_batches(2**32 - 1, (1, 1)) == [2**32 - 1, 0]


def test_native_fields_are_recorded() -> None:
    plan = plan_job(job(steps=30), SPEC)
    assert {o.field: o.disposition for o in plan.outcomes} == {
        "model": Disposition.NATIVE,
        "steps": Disposition.NATIVE,
    }
    assert plan.job.steps == 30


def test_capability_table_rejects_impossible_emulation() -> None:
    with pytest.raises(ValueError, match="cannot emulate"):
        Capability("clip_skip", E)
    with pytest.raises(ValueError, match="twice"):
        CapabilityTable(rows=(Capability("steps", N), Capability("steps", N)))


def prepared(job: InpaintJob, width: int = 64, height: int = 64) -> PreparedRequest:
    image = PreparedImage(data=b"i", format="png", width=width, height=height)
    return PreparedRequest(job=job, image=image, mask=image)


def test_check_prepared_is_the_adapters_backstop() -> None:
    from inpaintkit.planning import check_prepared, prepared_errors

    check_prepared(prepared(job(steps=100)), SPEC)  # within limits: nothing to say
    unsupported, invalid = prepared_errors(prepared(job(clip_skip=2, num_images=5)), SPEC)
    assert [e.path for e in unsupported] == ["$.clip_skip"]
    assert [e.path for e in invalid] == ["$.num_images"]  # a single request cannot split
    with pytest.raises(UnsupportedFieldError):
        check_prepared(prepared(job(clip_skip=2)), SPEC)
    with pytest.raises(ValidationError) as info:
        check_prepared(
            prepared(InpaintJob(image=b"i", mask=b"m", prompt="cat")),
            SPEC,
            extra=[FieldError("$.extras.acme.x", "is not an acme extra")],
        )
    assert info.value.paths == ("$.model", "$.extras.acme.x")
    assert "is required by acme" in str(info.value)


def test_check_prepared_rejects_emulations_not_yet_applied() -> None:
    from inpaintkit.planning import prepared_errors

    unapplied = job(mask_options=MaskOptions(invert=True))
    assert [e.path for e in prepared_errors(prepared(unapplied), SPEC)[0]] == [
        "$.mask_options.invert"
    ]
