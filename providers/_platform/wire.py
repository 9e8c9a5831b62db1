"""The platform's wire mappings for the fields both providers send the same way.

Both seed examples (seed 002 for StableDiffusionAPI, seed 003 for ModelsLab) write a body in one
convention: integers as numeric strings (``"512"``, ``"1"``), the float knobs as JSON numbers
(``7.5``, ``0.7``), options as ``"yes"``/``"no"``, and ``negative_prompt``, ``seed``, ``webhook``
and ``track_id`` as ``null`` when unused (``seed``: 'Pass null for a random number').  Each
mapping here is used by both capability tables, so the convention is written once; a row whose
wire differs per provider (``samples``, steps) is written in its own table with these encoders.

Unset means the same as on every other provider (see :mod:`inpaintkit.job`): ``safety_checker``
and ``enhance_prompt`` are sent as ``"no"`` when the job leaves them unset, because the platform
checks and rewrites by default (seed 003 'safety_checker default: yes'; seed 002 and reference
3.2 'enhance_prompt default: yes'); ``strength`` is sent as the neutral 0.7.  All three go
through :attr:`~inpaintkit.wiremap.Unset.NEUTRAL`, so the values are written once, in
:data:`inpaintkit.job.NEUTRAL_UNSET`.
"""

from __future__ import annotations

from typing import Any, Final

from inpaintkit.job import SafetyMode
from inpaintkit.wiremap import Custom, Fixed, Unset, Wire, yes_no

__all__ = [
    "ENHANCE_PROMPT",
    "FIT_NOTE",
    "GUIDANCE_SCALE",
    "IMAGE",
    "MASK",
    "NEGATIVE_PROMPT",
    "PROMPT",
    "SAFETY_ENABLED",
    "SAFETY_MODE",
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
STRENGTH: Final = Wire("strength", encode=as_number, unset=Unset.NEUTRAL)
SEED: Final = Wire("seed", unset=Unset.NULL)
SAFETY_ENABLED: Final = Wire("safety_checker", encode=yes_no, unset=Unset.NEUTRAL)
SAFETY_MODE: Final = Fixed(
    SafetyMode.BLANK,
    "safety_checker replaces a flagged image by a blank one and reports nothing per image",
)
ENHANCE_PROMPT: Final = Wire("enhance_prompt", encode=yes_no, unset=Unset.NEUTRAL)
WEBHOOK_URL: Final = Wire("webhook", unset=Unset.NULL)
TRACK_ID: Final = Wire("track_id", unset=Unset.NULL)


def size_row(name: str) -> Custom:
    """``width``/``height``: a numeric string, the job's or else the image's own size."""
    return Custom((name,), why="falls back to the prepared image's size when unset")


FIT_NOTE: Final = (
    "Unset: the input image's own size; when that breaks the width/height limits (larger than "
    "the maximum, or on ModelsLab smaller than its 512 minimum or not a multiple of 8) the "
    "client resizes the input to the nearest size within them, aspect ratio kept, and records "
    "width/height as emulated on the result (the rows' fit_when_unset).  Omitted when the "
    "image's size is unknown (a URL passed through), so the provider's default applies."
)
"""The one statement of the platform's unset-size rule, in both tables' width/height notes."""
