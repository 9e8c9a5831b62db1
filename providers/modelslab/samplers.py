"""Neutral A1111 sampler names <-> ModelsLab's diffusers scheduler triple.

ModelsLab does not take A1111 sampler names.  It takes a diffusers scheduler class name
(``scheduler``) plus two modifiers: ``use_karras_sigmas`` ("yes"/"no") and, for
``DPMSolverMultistepScheduler`` only, ``algorithm_type``.  The mapping below is transcribed from
ModelsLab's own "A1111 schedulers" page (wire-facts reference section 3.2, ML-DOCS OLD
``image-generation/a1111-scheduler/a1111schedulers.mdx``), with one deliberate change taken from
the seed document (seed 003):

* DPM++ 2M SDE: the A1111 page says ``algorithm_type="dpmsolver+++"`` and the OpenAPI enum lists
  ``none`` and ``dpmsolver+++``; the seed (the contract) documents ``algorithm_type`` as a
  diffusers string whose default and example value is ``"sde-dpmsolver++"``, which is also the
  diffusers name of exactly this algorithm.  We send ``"sde-dpmsolver++"`` and still *read*
  ``"dpmsolver+++"`` back as the SDE variant.
* Because the seed's defaults are ``use_karras_sigmas: yes`` and
  ``algorithm_type: sde-dpmsolver++``, leaving the modifiers out would silently turn
  ``DPM++ 2M`` into ``DPM++ 2M SDE Karras``.  So whenever a sampler is chosen we always send
  ``use_karras_sigmas`` explicitly, and for ``DPMSolverMultistepScheduler`` always send
  ``algorithm_type``: ``"none"`` for the non-SDE samplers, the OpenAPI's documented value and
  default for "no special algorithm".  (An earlier version sent diffusers' own name
  ``"dpmsolver++"``; no ModelsLab source documents it, and the conformance suite caught the mock
  rejecting it.  It is still read back as plain.)

A1111 samplers with no ModelsLab counterpart (``DPM++ 2S a`` and its Karras variant,
``DPM fast``, ``DPM adaptive``) are errors, never silent substitutions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from inpaintkit.errors import FieldError, ValidationError
from inpaintkit.job import Sampler
from inpaintkit.limits import fmt_number

__all__ = [
    "ALGORITHM_PLAIN",
    "ALGORITHM_SDE",
    "SAMPLER_MAP",
    "SUPPORTED_SAMPLERS",
    "UNSUPPORTED_SAMPLERS",
    "WireScheduler",
    "sampler_from_wire",
    "sampler_to_wire",
]

ALGORITHM_SDE = "sde-dpmsolver++"
"""What we send for the SDE variants (seed 003's example and default value)."""
ALGORITHM_PLAIN = "none"
"""What we send for the plain multistep DPM++ 2M (the OpenAPI enum's value and default)."""

_SDE_READ = frozenset({ALGORITHM_SDE, "dpmsolver+++"})
"""Wire values read back as the SDE algorithm (``dpmsolver+++``: the A1111 page's and OpenAPI's
spelling)."""
_PLAIN_READ = frozenset({ALGORITHM_PLAIN, "dpmsolver++", "no", ""})
"""Wire values read back as "no special algorithm" (``none`` is the OpenAPI default, ``no``
appears in a documented ``meta`` echo)."""

MULTISTEP = "DPMSolverMultistepScheduler"


@attrs.frozen
class WireScheduler:
    """The three ModelsLab wire fields that together express one sampler.

    ``algorithm_type`` is ``None`` when the field is not sent (every scheduler except
    ``DPMSolverMultistepScheduler``, where the OpenAPI says it is used).
    """

    scheduler: str
    karras: bool
    algorithm_type: str | None = None

    def to_wire(self) -> dict[str, str]:
        """The body fields, in ModelsLab's yes/no string convention."""
        body = {"scheduler": self.scheduler, "use_karras_sigmas": "yes" if self.karras else "no"}
        if self.algorithm_type is not None:
            body["algorithm_type"] = self.algorithm_type
        return body


def _entry(scheduler: str, *, karras: bool = False, sde: bool = False) -> WireScheduler:
    if scheduler == MULTISTEP:
        return WireScheduler(scheduler, karras, ALGORITHM_SDE if sde else ALGORITHM_PLAIN)
    return WireScheduler(scheduler, karras)


SAMPLER_MAP: Mapping[Sampler, WireScheduler] = {
    Sampler.DPMPP_2M: _entry(MULTISTEP),
    Sampler.DPMPP_2M_KARRAS: _entry(MULTISTEP, karras=True),
    Sampler.DPMPP_2M_SDE: _entry(MULTISTEP, sde=True),
    Sampler.DPMPP_2M_SDE_KARRAS: _entry(MULTISTEP, karras=True, sde=True),
    Sampler.DPMPP_SDE: _entry("DPMSolverSinglestepScheduler"),
    Sampler.DPMPP_SDE_KARRAS: _entry("DPMSolverSinglestepScheduler", karras=True),
    Sampler.DPM2: _entry("KDPM2DiscreteScheduler"),
    Sampler.DPM2_KARRAS: _entry("KDPM2DiscreteScheduler", karras=True),
    Sampler.DPM2_A: _entry("KDPM2AncestralDiscreteScheduler"),
    Sampler.DPM2_A_KARRAS: _entry("KDPM2AncestralDiscreteScheduler", karras=True),
    Sampler.EULER: _entry("EulerDiscreteScheduler"),
    Sampler.EULER_A: _entry("EulerAncestralDiscreteScheduler"),
    Sampler.HEUN: _entry("HeunDiscreteScheduler"),
    Sampler.LMS: _entry("LMSDiscreteScheduler"),
    Sampler.LMS_KARRAS: _entry("LMSDiscreteScheduler", karras=True),
    Sampler.DDIM: _entry("DDIMScheduler"),
    Sampler.PLMS: _entry("PNDMScheduler"),
    Sampler.UNIPC: _entry("UniPCMultistepScheduler"),
}
"""Neutral sampler -> wire triple (reference 3.2 A1111 table; SDE spelling from seed 003)."""

SUPPORTED_SAMPLERS: tuple[Sampler, ...] = tuple(s for s in Sampler if s in SAMPLER_MAP)
"""The samplers ModelsLab can express, in the neutral enum's order (the sampler row's choices)."""

UNSUPPORTED_SAMPLERS: tuple[Sampler, ...] = tuple(s for s in Sampler if s not in SAMPLER_MAP)
"""A1111 samplers the reference marks N/A for ModelsLab (DPM++ 2S a, DPM fast, DPM adaptive)."""

_REVERSE: Mapping[tuple[str, bool, bool], Sampler] = {
    (w.scheduler, w.karras, w.algorithm_type == ALGORITHM_SDE): s for s, w in SAMPLER_MAP.items()
}


def sampler_to_wire(sampler: Sampler, *, path: str = "$.sampler") -> WireScheduler:
    """The wire triple for ``sampler``; a :class:`ValidationError` naming it if there is none."""
    try:
        return SAMPLER_MAP[sampler]
    except KeyError:
        supported = ", ".join(s.value for s in SUPPORTED_SAMPLERS)
        rule = f"ModelsLab has no scheduler for this sampler; supported samplers: {supported}"
        raise ValidationError(
            [FieldError(path, rule, sampler.value)], provider="modelslab"
        ) from None


def _yes(value: object) -> bool | None:
    """ModelsLab's yes/no convention, tolerating booleans and 0/1; ``None`` when unknown."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("yes", "true", "1"):
            return True
        if text in ("no", "false", "0", ""):
            return False
    return None


def sampler_from_wire(
    scheduler: object, use_karras_sigmas: object = None, algorithm_type: object = None
) -> Sampler | None:
    """The neutral sampler a wire triple (e.g. a response's ``meta``) stands for, or ``None``.

    ``None`` means the triple has no A1111 name: a scheduler outside the A1111 table (DDPM, DEIS,
    LCM, ...), Karras sigmas on a scheduler with a Karras variant switched off where none
    exists, or an algorithm type other than the plain and SDE DPM++ ones.  A missing modifier
    means what the provider ran without it, the seed's defaults: ``use_karras_sigmas`` yes and,
    for ``DPMSolverMultistepScheduler``, ``algorithm_type`` ``sde-dpmsolver++`` (seed 003), so a
    bare ``DPMSolverMultistepScheduler`` echo is DPM++ 2M SDE Karras.  The Karras default only
    applies to schedulers the A1111 table gives a Karras variant (PNDM has none: PLMS).
    """
    if not isinstance(scheduler, str):
        return None
    karras_default = use_karras_sigmas is None
    karras = True if karras_default else _yes(use_karras_sigmas)
    if karras is None:
        return None
    sde = False
    if scheduler == MULTISTEP:
        algo = ALGORITHM_SDE if algorithm_type is None else str(algorithm_type).strip().lower()
        if algo in _SDE_READ:
            sde = True
        elif algo not in _PLAIN_READ:
            return None
    found = _REVERSE.get((scheduler, karras, sde))
    if found is None and karras_default:
        found = _REVERSE.get((scheduler, False, sde))
    return found


def sampler_fields(sampler: Sampler) -> dict[str, str]:
    """The sampler row's composite: ``scheduler``, ``use_karras_sigmas``, ``algorithm_type``."""
    return sampler_to_wire(sampler).to_wire()


def lora_fields(loras: tuple[Any, ...]) -> dict[str, str]:
    """The loras row's composite: comma-joined ``lora_model`` ids and ``lora_strength`` values
    (ModelsLab's OpenAPI form).

    A name with a comma cannot be joined without changing its meaning, and no limit can say
    so, so this refuses it: the core builds composites in ``check_request``, before anything
    is sent, and the error names the field, the value and the rule.
    """
    errors = [
        FieldError(
            f"$.loras[{i}].name",
            "may not contain a comma (ModelsLab joins lora_model ids with commas)",
            lora.name,
        )
        for i, lora in enumerate(loras)
        if "," in lora.name
    ]
    if errors:
        raise ValidationError(errors, provider="modelslab")
    return {
        "lora_model": ",".join(lora.name for lora in loras),
        "lora_strength": ",".join(fmt_number(lora.strength) for lora in loras),
    }
