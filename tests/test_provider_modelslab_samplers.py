"""The ModelsLab sampler mapping, both ways, for every name the providers document.

The expected triples are copied from the A1111 -> ModelsLab table (wire-facts reference 3.2),
with the SDE algorithm spelled as seed 003 spells it.
"""

from __future__ import annotations

import pytest
from inpaintkit.errors import ValidationError
from inpaintkit.job import Sampler
from inpaintkit.providers.modelslab import (
    SUPPORTED_SAMPLERS,
    UNSUPPORTED_SAMPLERS,
    sampler_from_wire,
    sampler_to_wire,
)

MS = "DPMSolverMultistepScheduler"

# sampler -> (scheduler, use_karras_sigmas, algorithm_type or None when not sent)
EXPECTED: dict[Sampler, tuple[str, str, str | None]] = {
    Sampler.DPMPP_2M: (MS, "no", "none"),
    Sampler.DPMPP_2M_KARRAS: (MS, "yes", "none"),
    Sampler.DPMPP_2M_SDE: (MS, "no", "sde-dpmsolver++"),
    Sampler.DPMPP_2M_SDE_KARRAS: (MS, "yes", "sde-dpmsolver++"),
    Sampler.DPMPP_SDE: ("DPMSolverSinglestepScheduler", "no", None),
    Sampler.DPMPP_SDE_KARRAS: ("DPMSolverSinglestepScheduler", "yes", None),
    Sampler.DPM2: ("KDPM2DiscreteScheduler", "no", None),
    Sampler.DPM2_KARRAS: ("KDPM2DiscreteScheduler", "yes", None),
    Sampler.DPM2_A: ("KDPM2AncestralDiscreteScheduler", "no", None),
    Sampler.DPM2_A_KARRAS: ("KDPM2AncestralDiscreteScheduler", "yes", None),
    Sampler.EULER: ("EulerDiscreteScheduler", "no", None),
    Sampler.EULER_A: ("EulerAncestralDiscreteScheduler", "no", None),
    Sampler.HEUN: ("HeunDiscreteScheduler", "no", None),
    Sampler.LMS: ("LMSDiscreteScheduler", "no", None),
    Sampler.LMS_KARRAS: ("LMSDiscreteScheduler", "yes", None),
    Sampler.DDIM: ("DDIMScheduler", "no", None),
    Sampler.PLMS: ("PNDMScheduler", "no", None),
    Sampler.UNIPC: ("UniPCMultistepScheduler", "no", None),
}


def test_every_neutral_sampler_is_either_mapped_or_listed_as_unmappable() -> None:
    assert set(EXPECTED) == set(SUPPORTED_SAMPLERS)
    assert set(SUPPORTED_SAMPLERS) | set(UNSUPPORTED_SAMPLERS) == set(Sampler)
    assert set(UNSUPPORTED_SAMPLERS) == {
        Sampler.DPMPP_2S_A,
        Sampler.DPMPP_2S_A_KARRAS,
        Sampler.DPM_FAST,
        Sampler.DPM_ADAPTIVE,
    }


@pytest.mark.parametrize("sampler", list(EXPECTED), ids=lambda s: s.value)
def test_forward_mapping_matches_the_a1111_table(sampler: Sampler) -> None:
    scheduler, karras, algorithm = EXPECTED[sampler]
    expected = {"scheduler": scheduler, "use_karras_sigmas": karras}
    if algorithm is not None:
        expected["algorithm_type"] = algorithm
    assert sampler_to_wire(sampler).to_wire() == expected


@pytest.mark.parametrize("sampler", list(EXPECTED), ids=lambda s: s.value)
def test_reverse_mapping_recovers_every_documented_sampler(sampler: Sampler) -> None:
    scheduler, karras, algorithm = EXPECTED[sampler]
    assert sampler_from_wire(scheduler, karras, algorithm) is sampler
    # and the forward result read back is the same sampler (a true round trip)
    wire = sampler_to_wire(sampler).to_wire()
    back = sampler_from_wire(
        wire["scheduler"], wire["use_karras_sigmas"], wire.get("algorithm_type")
    )
    assert back is sampler


def test_karras_flag_follows_the_neutral_karras_property() -> None:
    for sampler in SUPPORTED_SAMPLERS:
        assert sampler_to_wire(sampler).karras is sampler.karras


@pytest.mark.parametrize("sampler", list(UNSUPPORTED_SAMPLERS), ids=lambda s: s.value)
def test_unmappable_sampler_is_a_clear_error(sampler: Sampler) -> None:
    with pytest.raises(ValidationError) as info:
        sampler_to_wire(sampler)
    error = info.value
    assert error.paths == ("$.sampler",)
    assert error.provider == "modelslab"
    text = str(error)
    assert repr(sampler.value) in text  # names the sampler
    assert "DPM++ 2M Karras" in text
    assert "UniPC" in text
    assert "DPM fast" not in error.errors[0].rule


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("dpmsolver+++", Sampler.DPMPP_2M_SDE_KARRAS),  # the A1111 page / OpenAPI spelling
        ("sde-dpmsolver++", Sampler.DPMPP_2M_SDE_KARRAS),  # the seed's spelling
        ("none", Sampler.DPMPP_2M_KARRAS),  # the OpenAPI default
        ("no", Sampler.DPMPP_2M_KARRAS),  # as echoed in a documented meta
        (None, Sampler.DPMPP_2M_SDE_KARRAS),  # not echoed: the seed's default sde-dpmsolver++
        ("dpmsolver++", Sampler.DPMPP_2M_KARRAS),
        ("sde-dpmsolver", None),  # a diffusers algorithm with no A1111 name
        ("dpmsolver", None),
    ],
)
def test_reverse_mapping_reads_every_algorithm_spelling(
    algorithm: str | None, expected: Sampler | None
) -> None:
    assert sampler_from_wire(MS, "yes", algorithm) is expected


@pytest.mark.parametrize(
    ("scheduler", "expected"),
    [
        (MS, Sampler.DPMPP_2M_SDE_KARRAS),  # both modifiers at the seed's defaults
        ("PNDMScheduler", Sampler.PLMS),  # no Karras variant: the default does not apply
        ("EulerAncestralDiscreteScheduler", Sampler.EULER_A),
        ("DDPMScheduler", None),
    ],
)
def test_an_echo_without_modifiers_reads_as_the_seed_defaults(
    scheduler: str, expected: Sampler | None
) -> None:
    """Issue 10 item 5: a meta echo without use_karras_sigmas/algorithm_type ran with the
    seed's defaults (yes, sde-dpmsolver++); it used to read back as plain DPM++ 2M."""
    assert sampler_from_wire(scheduler) is expected


@pytest.mark.parametrize(
    ("karras", "expected"),
    [
        (True, Sampler.LMS_KARRAS),
        (False, Sampler.LMS),
        ("YES", Sampler.LMS_KARRAS),
        ("true", Sampler.LMS_KARRAS),
        (1, Sampler.LMS_KARRAS),
        (None, Sampler.LMS_KARRAS),  # not echoed: the seed's default, yes
        ("maybe", None),
    ],
)
def test_reverse_mapping_tolerates_karras_spellings(
    karras: object, expected: Sampler | None
) -> None:
    assert sampler_from_wire("LMSDiscreteScheduler", karras) is expected


@pytest.mark.parametrize(
    ("scheduler", "karras"),
    [
        ("DDPMScheduler", "yes"),  # the documented processing meta: no A1111 name
        ("LCMScheduler", "no"),
        ("DEISMultistepScheduler", "no"),
        ("EulerDiscreteScheduler", "yes"),  # Karras sigmas where A1111 has no Karras variant
        ("UniPCMultistepScheduler", "yes"),
        (None, "no"),
        (42, "no"),
    ],
)
def test_reverse_mapping_returns_none_for_triples_without_a1111_name(
    scheduler: object, karras: str
) -> None:
    assert sampler_from_wire(scheduler, karras) is None


def test_algorithm_type_is_ignored_outside_the_multistep_scheduler() -> None:
    assert sampler_from_wire("EulerDiscreteScheduler", "no", "sde-dpmsolver++") is Sampler.EULER


def test_the_meta_reader_reads_a_bare_multistep_echo_as_sde_karras() -> None:
    """Issue 10 item 5, through the meta reader: the seed's defaults ran."""
    from inpaintkit.providers.modelslab import parse_meta

    echo = parse_meta({"scheduler": "DPMSolverMultistepScheduler", "steps": 21})
    assert echo.sampler is Sampler.DPMPP_2M_SDE_KARRAS
    echo = parse_meta({"scheduler": MS, "use_karras_sigmas": "no", "algorithm_type": "none"})
    assert echo.sampler is Sampler.DPMPP_2M
