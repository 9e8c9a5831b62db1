"""Neutral samplers -> the web UI's ``sampler_name`` and ``scheduler``.

The neutral names are AUTOMATIC1111's own, Karras variants included, so ``sampler_name`` is the
neutral value unchanged.  Web UI v1.9 split the sigma schedule out into a ``scheduler`` field and
gave some samplers an automatic schedule (``DPM++ 2M`` now runs with Karras sigmas unless told
otherwise).  To keep one meaning on every version, k-diffusion samplers also carry an explicit
``scheduler``: ``Karras`` for the Karras variants, ``Uniform`` (the pre-1.9 default schedule)
for the rest.  Older servers ignore the unknown field (their request model drops extra fields)
and read the legacy name, which they list as a sampler of its own.  The timestep samplers
(DDIM, PLMS, UniPC) have no sigma schedule, so nothing is added for them.
"""

from __future__ import annotations

from typing import Final

from inpaintkit.job import Sampler

__all__ = ["KARRAS_SCHEDULER", "TIMESTEP_SAMPLERS", "UNIFORM_SCHEDULER", "sampler_fields"]

KARRAS_SCHEDULER: Final = "Karras"
UNIFORM_SCHEDULER: Final = "Uniform"

TIMESTEP_SAMPLERS: Final = frozenset({Sampler.DDIM, Sampler.PLMS, Sampler.UNIPC})
"""Samplers that step over timesteps, not sigmas: a scheduler means nothing to them."""


def sampler_fields(sampler: Sampler) -> dict[str, str]:
    """The wire fields that select ``sampler`` (``sampler_name``, and ``scheduler`` if any)."""
    if sampler in TIMESTEP_SAMPLERS:
        return {"sampler_name": sampler.value}
    scheduler = KARRAS_SCHEDULER if sampler.karras else UNIFORM_SCHEDULER
    return {"sampler_name": sampler.value, "scheduler": scheduler}
