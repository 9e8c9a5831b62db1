"""The platform's wire mappings for the fields both providers send the same way.

Both seed examples (seed 002 for StableDiffusionAPI, seed 003 for ModelsLab) write a body in one
convention: integers as numeric strings (``"512"``, ``"1"``), the float knobs as JSON numbers
(``7.5``, ``0.7``), options as ``"yes"``/``"no"``, and ``negative_prompt``, ``seed``, ``webhook``
and ``track_id`` as ``null`` when unused (``seed``: 'Pass null for a random number').  Each
mapping here is used by both capability tables, so the convention is written once; a row whose
wire differs per provider (``samples``, steps) is written in its own table with these encoders.
"""

from __future__ import annotations

from typing import Any, Final

from inpaintkit.wiremap import Custom, Unset, Wire, yes_no

__all__ = [
    "ENHANCE_PROMPT",
    "GUIDANCE_SCALE",
    "IMAGE",
    "MASK",
    "NEGATIVE_PROMPT",
    "PROMPT",
    "SAFETY_ENABLED",
    "SEED",
    "STRENGTH",
    "TRACK_ID",
    "WEBHOOK_URL",
    "as_number",
    "size_row",
]


def as_number(value: Any) -> float:
    """The float knobs as JSON numbers (``7.5``; ``20`` is sent as ``20.0``), as the seeds do."""
    return float(value)


IMAGE: Final = Custom(
    ("init_image",), why="a URL, or inline base64 where the provider's image transport allows"
)
MASK: Final = Custom(("mask_image",), why="like the image")
PROMPT: Final = Wire("prompt")
NEGATIVE_PROMPT: Final = Wire("negative_prompt", unset=Unset.NULL)
GUIDANCE_SCALE: Final = Wire("guidance_scale", encode=as_number)
STRENGTH: Final = Wire("strength", encode=as_number)
SEED: Final = Wire("seed", unset=Unset.NULL)
SAFETY_ENABLED: Final = Wire("safety_checker", encode=yes_no)
ENHANCE_PROMPT: Final = Wire("enhance_prompt", encode=yes_no)
WEBHOOK_URL: Final = Wire("webhook", unset=Unset.NULL)
TRACK_ID: Final = Wire("track_id", unset=Unset.NULL)


def size_row(name: str) -> Custom:
    """``width``/``height``: a numeric string, the job's or else the image's own size."""
    return Custom((name,), why="falls back to the prepared image's size when unset")
