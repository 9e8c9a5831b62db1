"""Neutral samplers <-> Novita ``sampler_name``, both ways, and the table's sampler encoder.

Novita's enum uses AUTOMATIC1111's spelling, which is also the neutral spelling, so the mapping
is the identity restricted to :data:`NOVITA_SAMPLERS` (the sampler row's ``choices``).  A
neutral sampler Novita does not list (``DPM++ 2M SDE``, ``DPM++ 2M SDE Karras``) is a clear
error, never a silent substitution.  The list lives here rather than in the table module so
that the table can use :func:`sampler_to_wire` as its encoder without an import cycle.
"""

from __future__ import annotations

from typing import Any, Final

from inpaintkit.errors import FieldError, ValidationError
from inpaintkit.job import Sampler

__all__ = ["NOVITA_SAMPLERS", "sampler_from_wire", "sampler_to_wire", "supported_samplers"]

PROVIDER_ID = "novita"

NOVITA_SAMPLERS: Final[tuple[Sampler, ...]] = (
    Sampler.EULER_A,
    Sampler.EULER,
    Sampler.LMS,
    Sampler.HEUN,
    Sampler.DPM2,
    Sampler.DPM2_A,
    Sampler.DPMPP_2S_A,
    Sampler.DPMPP_2M,
    Sampler.DPMPP_SDE,
    Sampler.DPM_FAST,
    Sampler.DPM_ADAPTIVE,
    Sampler.LMS_KARRAS,
    Sampler.DPM2_KARRAS,
    Sampler.DPM2_A_KARRAS,
    Sampler.DPMPP_2S_A_KARRAS,
    Sampler.DPMPP_2M_KARRAS,
    Sampler.DPMPP_SDE_KARRAS,
    Sampler.DDIM,
    Sampler.PLMS,
    Sampler.UNIPC,
)
"""The ``sampler_name`` enum of seed 001, in the seed's order.  Novita spells them exactly as
AUTOMATIC1111 does, so the neutral value is the wire value; ``DPM++ 2M SDE`` and
``DPM++ 2M SDE Karras`` are absent from Novita's enum and are rejected locally."""


def supported_samplers() -> tuple[Sampler, ...]:
    """The neutral samplers Novita accepts."""
    return NOVITA_SAMPLERS


def sampler_to_wire(sampler: Any, *, path: str = "$.sampler") -> str:
    """The ``sampler_name`` for ``sampler`` (the sampler row's encoder).

    The table's ``choices`` reject other samplers before any request is built; this raises a
    :class:`ValidationError` too, so the encoder is total on its own.
    """
    if sampler not in NOVITA_SAMPLERS:
        names = ", ".join(s.value for s in NOVITA_SAMPLERS)
        shown = getattr(sampler, "value", sampler)
        raise ValidationError(
            [FieldError(path, f"is not one of Novita's samplers ({names})", shown)],
            provider=PROVIDER_ID,
        )
    return str(Sampler(sampler).value)


def sampler_from_wire(name: str) -> Sampler:
    """The neutral sampler for a Novita ``sampler_name`` (a ``ValueError`` if unknown)."""
    for sampler in NOVITA_SAMPLERS:
        if sampler.value == name:
            return sampler
    raise ValueError(f"{name!r} is not a Novita sampler_name")
