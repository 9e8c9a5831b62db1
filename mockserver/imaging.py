"""Images for the mock: decoding inputs, synthetic stand-ins, and a classical inpainting fill.

The output must look like inpainting without a model: pixels outside the mask are copied
unchanged, pixels inside are filled by diffusing the surrounding colours inwards (repeated
blur-and-restore at shrinking radii, a cheap relative of harmonic fill) plus a faint seeded
texture and tint so different seeds and prompts give different, deterministic bytes.  Pillow's
blurs are box-filter based, so this stays fast at 512x512 (a few tens of milliseconds).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import random
import warnings

from PIL import Image, ImageChops, ImageDraw, ImageFilter

__all__ = [
    "DecodedImage",
    "decode_base64_image",
    "decode_image",
    "encode_image",
    "inpaint_fill",
    "synthetic_image",
    "synthetic_mask",
]

MAX_DECODE_PIXELS = 40_000_000
"""Inputs larger than this are treated as undecodable (decompression-bomb territory; well above
Novita's 16 MP limit, which the contracts check from the header size).  Checked here rather than
by setting Pillow's global ``Image.MAX_IMAGE_PIXELS``: the mock runs inside other programs and
test suites and must not change their Pillow settings."""

_FORMATS = {"png": "PNG", "jpeg": "JPEG", "jpg": "JPEG", "webp": "WEBP"}
CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


class DecodedImage:
    """An input image and what was learned decoding it (``image`` is None if undecodable)."""

    def __init__(
        self,
        raw: bytes,
        image: Image.Image | None,
        fmt: str | None,
        *,
        header_size: tuple[int, int] | None = None,
    ) -> None:
        self.raw = raw
        self.image = image
        self.format = fmt
        self._size = image.size if image is not None else header_size

    @property
    def width(self) -> int | None:
        """Width from the pixels, or from the header of an image too big to decode."""
        return None if self._size is None else self._size[0]

    @property
    def height(self) -> int | None:
        return None if self._size is None else self._size[1]


def strip_data_url(text: str) -> str:
    """``data:image/png;base64,AAAA`` -> ``AAAA``; plain base64 passes through."""
    if text.startswith("data:"):
        _, _, payload = text.partition(",")
        return payload
    return text


def decode_base64_image(text: str) -> DecodedImage:
    try:
        raw = base64.b64decode(strip_data_url(text).strip(), validate=False)
    except (binascii.Error, ValueError):
        return DecodedImage(b"", None, None)
    return decode_image(raw)


def decode_image(raw: bytes) -> DecodedImage:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                fmt = (probe.format or "").lower() or None
                if probe.width * probe.height > MAX_DECODE_PIXELS:
                    # Too big to decode, but the header says how big: the contracts can then
                    # answer "resolution exceeds limit" rather than "bad format".
                    return DecodedImage(raw, None, fmt, header_size=probe.size)
                probe.load()
                image = probe.copy()
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        return DecodedImage(raw, None, None)
    return DecodedImage(raw, image, fmt)


def synthetic_image(width: int, height: int, seed: int) -> Image.Image:
    """A deterministic stand-in photo: a two-colour gradient with a few shapes."""
    rng = random.Random(seed)
    c1 = tuple(rng.randint(30, 225) for _ in range(3))
    c2 = tuple(rng.randint(30, 225) for _ in range(3))
    gradient = Image.linear_gradient("L").resize((width, height))
    image = Image.composite(
        Image.new("RGB", (width, height), c1), Image.new("RGB", (width, height), c2), gradient
    )
    draw = ImageDraw.Draw(image)
    for _ in range(4):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        w, h = (
            rng.randint(width // 8 + 1, width // 3 + 2),
            rng.randint(height // 8 + 1, height // 3 + 2),
        )
        fill = tuple(rng.randint(0, 255) for _ in range(3))
        draw.ellipse((x0, y0, x0 + w, y0 + h), fill=fill)
    return image


def synthetic_mask(width: int, height: int) -> Image.Image:
    """A white ellipse (repaint) in the middle of black (keep)."""
    mask = Image.new("L", (width, height), 0)
    ImageDraw.Draw(mask).ellipse(
        (width // 4, height // 4, 3 * width // 4, 3 * height // 4), fill=255
    )
    return mask


def _binary_mask(mask: Image.Image, size: tuple[int, int], invert: bool) -> Image.Image:
    gray = mask.convert("L")
    if gray.size != size:
        gray = gray.resize(size, Image.Resampling.NEAREST)
    binary = gray.point(lambda v: 255 if v >= 128 else 0)
    return ImageChops.invert(binary) if invert else binary


def inpaint_fill(
    image: Image.Image,
    mask: Image.Image,
    *,
    seed: int,
    prompt: str = "",
    size: tuple[int, int] | None = None,
    mask_invert: bool = False,
    mask_blur: int = 0,
) -> Image.Image:
    """Fill the white area of ``mask`` (black = keep), leaving every other pixel unchanged.

    ``size`` resizes the input first (SDAPI/ModelsLab generate at ``width`` x ``height``).
    ``mask_blur`` feathers the mask *inwards* only, so unmasked pixels are still exact copies.
    """
    base = image.convert("RGB")
    if size is not None and base.size != size:
        base = base.resize(size, Image.Resampling.BICUBIC)
    w, h = base.size
    hole = _binary_mask(mask, base.size, mask_invert)
    if hole.getbbox() is None:
        return base.copy()
    keep = ImageChops.invert(hole)

    # Start from the mean colour of the kept area, then diffuse the border colours inwards.
    fill_colour = _mean_colour(base, keep) if keep.getbbox() is not None else (128, 128, 128)
    current = Image.composite(Image.new("RGB", base.size, fill_colour), base, hole)
    radius = max(w, h) / 8
    while radius >= 1:
        blurred = current.filter(ImageFilter.GaussianBlur(radius))
        current = Image.composite(blurred, base, hole)
        radius /= 2

    # A seeded, smooth texture and a prompt-dependent tint, so outputs vary like generations do.
    rng = random.Random(seed)
    noise_small = Image.frombytes("RGB", (16, 16), rng.randbytes(16 * 16 * 3))
    noise = noise_small.resize(base.size, Image.Resampling.BICUBIC)
    tint_seed = hashlib.sha256(prompt.encode("utf-8", "surrogatepass")).digest()
    tint = Image.new("RGB", base.size, (tint_seed[0], tint_seed[1], tint_seed[2]))
    textured = Image.blend(Image.blend(current, noise, 0.18), tint, 0.12)

    alpha = hole
    if mask_blur > 0:
        alpha = ImageChops.darker(hole.filter(ImageFilter.GaussianBlur(mask_blur)), hole)
    return Image.composite(textured, base, alpha)


def _mean_colour(image: Image.Image, keep: Image.Image) -> tuple[int, int, int]:
    """Mean RGB of the pixels where ``keep`` is white."""
    from PIL import ImageStat

    stat = ImageStat.Stat(image, keep)
    r, g, b = (int(v) for v in stat.mean[:3])
    return r, g, b


def encode_image(image: Image.Image, fmt: str) -> bytes:
    """Encode as ``png``, ``jpeg`` or ``webp`` (deterministic for the same pixels)."""
    pil_format = _FORMATS[fmt.lower()]
    out = io.BytesIO()
    if pil_format == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=90)
    elif pil_format == "WEBP":
        image.save(out, "WEBP", quality=90, method=4)
    else:
        image.save(out, "PNG", optimize=False)
    return out.getvalue()
