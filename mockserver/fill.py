"""A classical inpainting fill: the hole continued smoothly from its surroundings.

The masked region is filled with (an approximation of) the *harmonic* interpolant of its border:
the solution of Laplace's equation with the surrounding pixels as boundary values, which is what
classical diffusion-based inpainting computes.  Colours flow in from every side and blend
smoothly, so a hole over a red disc on grey comes out red near the disc and grey elsewhere.

It is solved with Pillow alone (no numpy), at a reduced scale and upsampled, in two steps:

1. **push-pull** (a pyramid fill): the image with the hole as zero alpha is halved repeatedly
   with a box filter on premultiplied colours, so each coarser pixel is the mean of the known
   pixels under it; then, from the coarsest level up, each level's unknown pixels take the
   upsampled coarser solution.  This is the restriction/prolongation of a multigrid solver;
2. **relaxation** at every level on the way up: a few Jacobi iterations of the 4-neighbour mean
   (Laplace's equation) over the pixels that are not fully known, which removes the pyramid's
   blockiness.

A faint seeded texture (zero-mean luminance noise, a few levels of 255) is added inside the hole
so that different seeds and prompts give different, deterministic bytes, the way generations
vary.  Pixels outside the mask are never touched: the result is composited over the original.

What this is not: it invents no structure (edges are not continued, no objects appear) and the
prompt has no visible effect beyond the texture's seed.  It looks like an eraser, not a model.
"""

from __future__ import annotations

import random

import attrs
from PIL import Image, ImageChops, ImageFilter

__all__ = ["WORKING_SIZE", "FillBase", "finish_fill", "harmonic_fill", "prepare_fill"]

WORKING_SIZE = 128
"""The fill is solved with the longer side at most this many pixels, then upsampled."""

RELAXATION_STEPS = 6
"""Jacobi iterations per pyramid level."""

TEXTURE_AMPLITUDE = 5
"""Half-range of the seeded texture, in 8-bit levels."""

_LAPLACE = ImageFilter.Kernel((3, 3), (0, 1, 0, 1, 0, 1, 0, 1, 0), scale=4)
_BINARY = [255 if v >= 128 else 0 for v in range(256)]
_ANY = [255 if v > 0 else 0 for v in range(256)]
_UNKNOWN = [255 if v < 255 else 0 for v in range(256)]


def harmonic_fill(image: Image.Image, hole: Image.Image) -> Image.Image:
    """``image`` (RGB) with the white pixels of ``hole`` (L) replaced by the harmonic fill."""
    if hole.getbbox() is None:
        return image.copy()
    keep = ImageChops.invert(hole)
    if keep.getbbox() is None:  # nothing known: a flat mid grey is the only honest answer
        return Image.new("RGB", image.size, (128, 128, 128))
    rgba = image.convert("RGBA")
    rgba.putalpha(keep)
    levels = [rgba.convert("RGBa")]  # premultiplied: box means weight by the known pixels
    while max(levels[-1].size) > 1:
        w, h = levels[-1].size
        half = (max(1, (w + 1) // 2), max(1, (h + 1) // 2))
        levels.append(levels[-1].resize(half, Image.Resampling.BOX))
    filled = levels[-1].convert("RGBA").convert("RGB")
    for level in reversed(levels[:-1]):
        known = level.convert("RGBA")
        alpha = known.getchannel("A")
        coarse = filled.resize(level.size, Image.Resampling.BILINEAR)
        filled = Image.composite(known.convert("RGB"), coarse, alpha)
        free = alpha.point(_UNKNOWN)
        for _ in range(RELAXATION_STEPS):
            filled = Image.composite(filled.filter(_LAPLACE), filled, free)
    return filled


@attrs.frozen
class FillBase:
    """The seed-independent part of a fill (cacheable per input image, mask and size)."""

    image: Image.Image  # the input at output size, RGB
    hole: Image.Image  # binary L mask at output size, white = fill
    small: Image.Image  # the harmonic fill at working size
    small_hole: Image.Image

    @property
    def empty(self) -> bool:
        return self.hole.getbbox() is None


def prepare_fill(image: Image.Image, mask: Image.Image, *, invert: bool = False) -> FillBase:
    """Binarise ``mask`` at ``image``'s size and solve the fill at the working size."""
    base = image.convert("RGB")
    hole = mask.convert("L")
    if hole.size != base.size:
        hole = hole.resize(base.size, Image.Resampling.NEAREST)
    hole = hole.point(_BINARY)
    if invert:
        hole = ImageChops.invert(hole)
    w, h = base.size
    factor = max(1, -(-max(w, h) // WORKING_SIZE))
    small_size = (max(1, w // factor), max(1, h // factor))
    small = base.resize(small_size, Image.Resampling.BOX)
    small_hole = hole.resize(small_size, Image.Resampling.BOX).point(_ANY)
    return FillBase(base, hole, harmonic_fill(small, small_hole), small_hole)


def finish_fill(prepared: FillBase, *, seed: int, mask_blur: int = 0) -> Image.Image:
    """Add the seeded texture, upsample, and composite over the untouched original.

    ``mask_blur`` feathers the mask *inwards* only, so unmasked pixels stay exact copies.
    """
    if prepared.empty:
        return prepared.image.copy()
    small = prepared.small
    sw, sh = small.size
    rng = random.Random(seed)
    nw, nh = max(1, sw // 4), max(1, sh // 4)
    span = 2 * TEXTURE_AMPLITUDE + 1
    table = bytes(128 - TEXTURE_AMPLITUDE + b % span for b in range(256))
    grain = Image.frombytes("L", (nw, nh), rng.randbytes(nw * nh).translate(table))
    grain = grain.resize((sw, sh), Image.Resampling.BILINEAR)
    textured = ImageChops.add(small, Image.merge("RGB", (grain, grain, grain)), 1.0, -128)
    textured = Image.composite(textured, small, prepared.small_hole)
    big = textured.resize(prepared.image.size, Image.Resampling.BILINEAR)
    alpha = prepared.hole
    if mask_blur > 0:
        alpha = ImageChops.darker(alpha.filter(ImageFilter.GaussianBlur(mask_blur)), alpha)
    return Image.composite(big, prepared.image, alpha)
