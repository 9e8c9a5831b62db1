"""The neutral mask becomes OpenAI's alpha mask, and the image a PNG mode dall-e-2 reads.

inpaintkit's masks are white where the image is repainted and black where it is kept.  OpenAI
reads the opposite kind of mask: a PNG whose *fully transparent* pixels (alpha 0) mark the area
to edit, and whose other pixels are kept.  This module is the one place that conversion lives.

dall-e-2 also refuses an image PNG without an alpha channel or in greyscale: a plain RGB PNG
(what most photos become) is answered 400 "Invalid input image - format must be in ['RGBA',
'LA', 'L'], got RGB."  The OpenAPI description does not state this; the live endpoint's error
does, as reported by many clients.  :func:`edit_image` adds an opaque alpha channel to any
other mode, which changes no pixel.
"""

from __future__ import annotations

import io
from typing import Final

from PIL import Image

__all__ = ["ACCEPTED_MODES", "REPAINT_THRESHOLD", "alpha_mask", "edit_image"]

ACCEPTED_MODES: Final = ("RGBA", "LA", "L")
"""The PNG modes dall-e-2 reads an image in (its error: "format must be in ['RGBA', 'LA', 'L']")."""

REPAINT_THRESHOLD: Final = 128
"""A neutral mask pixel at least this bright means "repaint" (the core's own threshold)."""


def alpha_mask(neutral_png: bytes) -> bytes:
    """An RGBA PNG of the same size: alpha 0 where ``neutral_png`` is white (repaint), 255
    where it is black (keep), colour channels black.

    The prepared mask is already black and white; thresholding again makes the result binary
    whatever arrives, because OpenAI edits only pixels that are *fully* transparent and a grey
    edge would silently shrink the area.
    """
    with Image.open(io.BytesIO(neutral_png)) as source:
        gray = source.convert("L")
    alpha = gray.point(lambda v: 0 if v >= REPAINT_THRESHOLD else 255)
    rgba = Image.new("RGBA", gray.size, (0, 0, 0, 255))
    rgba.putalpha(alpha)
    out = io.BytesIO()
    rgba.save(out, format="PNG")
    return out.getvalue()


def edit_image(png: bytes) -> bytes:
    """``png`` as dall-e-2 accepts it: unchanged when its mode is RGBA, LA or L, else the same
    pixels as RGBA with an opaque alpha channel (fully opaque: the mask alone says what is
    edited)."""
    with Image.open(io.BytesIO(png)) as source:
        if source.mode in ACCEPTED_MODES:
            return png
        rgba = source.convert("RGBA")
    out = io.BytesIO()
    rgba.save(out, format="PNG")
    return out.getvalue()
