"""Images for the mock: decoding inputs (header first, pixels when needed), synthetic stand-ins
and encoding.  The fill itself lives in :mod:`inpaintkit.mockserver.fill`."""

from __future__ import annotations

import base64
import binascii
import io
import random
import warnings

from PIL import Image, ImageDraw

__all__ = [
    "DecodedImage",
    "decode_base64_image",
    "decode_image",
    "encode_image",
    "load_pixels",
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
    """An input image and what was learned from its header.

    Submits only need the facts (size, format, byte count) the contracts check, so decoding
    reads the header and verifies the file's structure; the pixels are decoded on first access
    of :attr:`image` (by a generation worker, off the event loop).  ``image`` is ``None`` for
    bytes that are not an image.  ``synthetic`` names the stand-in for an unfetched URL, whose
    pixels are drawn rather than decoded.
    """

    def __init__(
        self,
        raw: bytes,
        image: Image.Image | None,
        fmt: str | None,
        *,
        header_size: tuple[int, int] | None = None,
        loadable: bool = False,
        synthetic: tuple[int, int, int, str] | None = None,
    ) -> None:
        self.raw = raw
        self._image = image
        self._loadable = loadable
        self.format = fmt
        self.synthetic = synthetic
        """``(width, height, seed, role)`` of a synthetic stand-in, else ``None``."""
        self._size = image.size if image is not None else header_size

    @property
    def image(self) -> Image.Image | None:
        """The pixels (decoded or drawn on first access)."""
        if self._image is None and self.synthetic is not None:
            w, h, seed, role = self.synthetic
            self._image = synthetic_mask(w, h) if role == "mask" else synthetic_image(w, h, seed)
        if self._image is None and self._loadable:
            self._image = load_pixels(self.raw)
            self._loadable = self._image is not None
        return self._image

    @property
    def width(self) -> int | None:
        """Width from the header (or the pixels), also for an image too big to decode."""
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
    """Read the header and verify the structure; the pixels wait for :attr:`DecodedImage.image`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                fmt = (probe.format or "").lower() or None
                size = probe.size
                if size[0] * size[1] > MAX_DECODE_PIXELS:
                    # Too big to decode, but the header says how big: the contracts can then
                    # answer "resolution exceeds limit" rather than "bad format".
                    return DecodedImage(raw, None, fmt, header_size=size)
                probe.verify()
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError, EOFError):
        return DecodedImage(raw, None, None)
    return DecodedImage(raw, None, fmt, header_size=size, loadable=True)


def load_pixels(raw: bytes) -> Image.Image | None:
    """Decode ``raw`` fully, or ``None`` if it is not a decodable image within the pixel cap."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as opened:
                if opened.width * opened.height > MAX_DECODE_PIXELS:
                    return None
                opened.load()
                return opened.copy()
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError, EOFError):
        return None


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


def encode_image(image: Image.Image, fmt: str) -> bytes:
    """Encode as ``png``, ``jpeg`` or ``webp`` (deterministic for the same pixels)."""
    pil_format = _FORMATS[fmt.lower()]
    out = io.BytesIO()
    if pil_format == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=90)
    elif pil_format == "WEBP":
        image.save(out, "WEBP", quality=90, method=4)
    else:
        image.save(out, "PNG", compress_level=1)  # fast: ~4x quicker than the default 6
    return out.getvalue()
