"""Neutral samplers -> the web UI's ``sampler_name`` and ``scheduler``, as a table.

The neutral names are AUTOMATIC1111's own, Karras variants included, so ``sampler_name`` is the
neutral value unchanged.  Web UI v1.9 split the sigma schedule out into a ``scheduler`` field and
gave some samplers an automatic schedule (``DPM++ 2M`` now runs with Karras sigmas unless told
otherwise).  To keep one meaning on every version, k-diffusion samplers also carry an explicit
``scheduler``: ``Karras`` for the Karras variants, ``Uniform`` (the pre-1.9 default schedule)
for the rest.  Older servers ignore the unknown field (their request model drops extra fields)
and read the legacy name, which they list as a sampler of its own.  The timestep samplers
(DDIM, PLMS, UniPC) have no sigma schedule, so nothing is added for them.

The table is keyed by the neutral values as strings (``inpaintkit.job.Sampler`` is a
``StrEnum``: ``Sampler.EULER_A == "Euler a"``), which keeps the plugin off the job module; the
tests check that its keys are exactly the neutral samplers, so a typo or a new neutral sampler
fails there, not on a server.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = ["KARRAS_SCHEDULER", "SAMPLERS", "UNIFORM_SCHEDULER", "sampler_fields"]

KARRAS_SCHEDULER: Final = "Karras"
UNIFORM_SCHEDULER: Final = "Uniform"


def _sigma(name: str, scheduler: str = UNIFORM_SCHEDULER) -> Mapping[str, str]:
    """A k-diffusion sampler: its name and an explicit schedule."""
    return {"sampler_name": name, "scheduler": scheduler}


def _karras(name: str) -> Mapping[str, str]:
    """A Karras variant, under its legacy name (which every version reads) and scheduler."""
    return _sigma(name, KARRAS_SCHEDULER)


def _timestep(name: str) -> Mapping[str, str]:
    """A sampler that steps over timesteps, not sigmas: a scheduler means nothing to it."""
    return {"sampler_name": name}


SAMPLERS: Final[Mapping[str, Mapping[str, str]]] = {
    "Euler a": _sigma("Euler a"),
    "Euler": _sigma("Euler"),
    "LMS": _sigma("LMS"),
    "Heun": _sigma("Heun"),
    "DPM2": _sigma("DPM2"),
    "DPM2 a": _sigma("DPM2 a"),
    "DPM++ 2S a": _sigma("DPM++ 2S a"),
    "DPM++ 2M": _sigma("DPM++ 2M"),
    "DPM++ SDE": _sigma("DPM++ SDE"),
    "DPM++ 2M SDE": _sigma("DPM++ 2M SDE"),
    "DPM fast": _sigma("DPM fast"),
    "DPM adaptive": _sigma("DPM adaptive"),
    "LMS Karras": _karras("LMS Karras"),
    "DPM2 Karras": _karras("DPM2 Karras"),
    "DPM2 a Karras": _karras("DPM2 a Karras"),
    "DPM++ 2S a Karras": _karras("DPM++ 2S a Karras"),
    "DPM++ 2M Karras": _karras("DPM++ 2M Karras"),
    "DPM++ SDE Karras": _karras("DPM++ SDE Karras"),
    "DPM++ 2M SDE Karras": _karras("DPM++ 2M SDE Karras"),
    "DDIM": _timestep("DDIM"),
    "PLMS": _timestep("PLMS"),
    "UniPC": _timestep("UniPC"),
}
"""Neutral sampler (its value) -> the wire fields that select it on the web UI."""


def sampler_fields(sampler: str) -> dict[str, str]:
    """The wire fields that select ``sampler`` (``sampler_name``, and ``scheduler`` if any);
    ``sampler`` is a neutral :class:`~inpaintkit.job.Sampler` or its value."""
    return dict(SAMPLERS[sampler])
