"""Neutral samplers <-> Novita ``sampler_name``, both ways.

Novita's enum uses AUTOMATIC1111's spelling, which is also the neutral spelling, so the mapping
is the identity restricted to the names in the capability table's ``choices``.  A neutral
sampler Novita does not list (``DPM++ 2M SDE``, ``DPM++ 2M SDE Karras``) is a clear error,
never a silent substitution.
"""

from __future__ import annotations

from inpaintkit.errors import FieldError, ValidationError
from inpaintkit.job import Sampler

from .capabilities import CAPABILITIES

__all__ = ["sampler_from_wire", "sampler_to_wire", "supported_samplers"]

PROVIDER_ID = "novita"


def supported_samplers() -> tuple[Sampler, ...]:
    """The neutral samplers Novita accepts, from the capability table."""
    row = CAPABILITIES.get("sampler")
    assert row is not None
    assert row.choices is not None
    return tuple(Sampler(c) for c in row.choices)


def sampler_to_wire(sampler: Sampler, *, path: str = "$.sampler") -> str:
    """The ``sampler_name`` for ``sampler``; a :class:`ValidationError` if Novita lacks it."""
    if sampler not in supported_samplers():
        names = ", ".join(s.value for s in supported_samplers())
        raise ValidationError(
            [FieldError(path, f"is not one of Novita's samplers ({names})", sampler.value)],
            provider=PROVIDER_ID,
        )
    return sampler.value


def sampler_from_wire(name: str) -> Sampler:
    """The neutral sampler for a Novita ``sampler_name`` (a ``ValueError`` if unknown)."""
    for sampler in supported_samplers():
        if sampler.value == name:
            return sampler
    raise ValueError(f"{name!r} is not a Novita sampler_name")
