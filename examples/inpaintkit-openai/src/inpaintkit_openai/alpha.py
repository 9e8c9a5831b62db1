"""The neutral mask becomes OpenAI's alpha mask.

inpaintkit's masks are white where the image is repainted and black where it is kept.  OpenAI
reads the opposite kind of mask: a PNG whose *fully transparent* pixels (alpha 0) mark the area
to edit, and whose other pixels are kept.  This module is the one place that conversion lives.
"""

from __future__ import annotations

import io
from typing import Final

from PIL import Image

__all__ = ["REPAINT_THRESHOLD", "alpha_mask"]

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
