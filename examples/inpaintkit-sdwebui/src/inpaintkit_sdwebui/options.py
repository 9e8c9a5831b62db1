"""The web UI's own options, beyond the neutral job: ``extras={"sdwebui": {...}}``.

One is worth exposing: ``inpainting_fill``, what the masked area starts from ("masked content" in
the web UI).  The core structures it strictly (``$.extras.sdwebui.inpainting_fill`` names a bad
value), checks it and sends it from the wire mapping below; no plugin code reads it.

``resize_mode`` is deliberately not offered: its crop and fill modes move the image inside the
output, so the unmasked pixels would no longer be where the neutral job keeps them.
"""

from __future__ import annotations

import enum
from typing import Final

import attrs
from inpaintkit.options import option
from inpaintkit.schema import Rule
from inpaintkit.wiremap import Wire, enum_value

from .sources import PROCESSING, UI

__all__ = ["DEFAULT_INPAINTING_FILL", "InpaintingFill", "SdWebUiOptions"]


class InpaintingFill(enum.IntEnum):
    """``inpainting_fill``: what the masked area is initialised with before denoising."""

    FILL = 0
    """Blurred colours of the surroundings (the API's default)."""
    ORIGINAL = 1
    """The original pixels (the web UI's default, and this plugin's)."""
    LATENT_NOISE = 2
    LATENT_NOTHING = 3


DEFAULT_INPAINTING_FILL: Final = InpaintingFill.ORIGINAL
"""Sent when the job gives none: with the API's ``FILL`` a low ``strength`` would not keep the
original content under the mask, which is what the neutral ``strength`` means."""


@attrs.frozen
class SdWebUiOptions:
    """Options of the SD web UI that the neutral job has no field for."""

    inpainting_fill: InpaintingFill = option(  # noqa: RUF009 - an attrs field, made once
        Rule("enum", enum_type=InpaintingFill),
        wire=Wire("inpainting_fill", encode=enum_value),
        default=DEFAULT_INPAINTING_FILL,
        doc=f"0 fill, 1 original (default), 2 latent noise, 3 latent nothing ({PROCESSING}; "
        f"{UI} masked content radio)",
    )
