"""The Pillow toolbox that provider plugins use to check images and to emulate missing features.

Two jobs live here:

* **Checking inputs** before they cost a request: :func:`load_image` and :func:`load_pair` verify
  that bytes are a complete, decodable image within a provider's limits (Novita documents "a
  maximum resolution of 16 megapixels and a maximum file size of 30 Mb"), that the mask has the
  image's exact resolution, and that a hostile file cannot exhaust memory (a *decompression bomb*:
  a few kilobytes of PNG that claim 20000x20000 pixels).  Every problem becomes a
  :class:`~inpaintkit.errors.ValidationError` naming the field path, never a raw Pillow exception.
* **Emulating features** a provider lacks, on the client: :func:`invert_mask`, :func:`blur_mask`,
  :func:`crop_to_mask` plus :func:`paste_back` (A1111's "inpaint only masked" / Novita's
  ``inpainting_full_res``), and :func:`convert_format` for the output format.

Mask polarity is the same everywhere in inpaintkit: **white (255) = repaint, black (0) = keep**.

Safety notes.  Only a short list of formats is decoded (:data:`DECODABLE_FORMATS`): Pillow can open
EPS through Ghostscript and many rarely used formats whose decoders have a history of security bugs,
and no provider accepts them anyway.  The pixel limit is checked on the size in the file header,
before any pixel data is decoded; Pillow's own decompression-bomb guard (``Image.MAX_IMAGE_PIXELS``)
still applies on top and is reported as a validation error too.  No global Pillow setting is
changed.
"""

from __future__ import annotations

import base64
import binascii
import functools
import io
import re
import threading
import warnings
import zlib
from collections import OrderedDict
from typing import Final

import attrs
from inpaintkit.errors import FieldError, ValidationError
from inpaintkit.limits import ImageLimits
from PIL import Image, ImageChops, ImageFilter, ImageOps, UnidentifiedImageError

__all__ = [
    "DECODABLE_FORMATS",
    "DEFAULT_LIMITS",
    "ENCODABLE_FORMATS",
    "MIME_TYPES",
    "CropPlan",
    "ImageLimits",
    "LoadedImage",
    "Resolution",
    "blur_mask",
    "convert_format",
    "crop_to_mask",
    "encode_image",
    "from_base64",
    "invert_mask",
    "is_known_binary_mask",
    "is_normalized_mask",
    "load_image",
    "load_pair",
    "mask_bbox",
    "normalize_mask",
    "paste_back",
    "probe_header",
    "remember_binary_mask",
    "sniff_format",
    "to_base64",
    "to_data_url",
]

#: Formats :func:`load_image` will decode (lowercase, as in :attr:`LoadedImage.format`).
DECODABLE_FORMATS: Final[tuple[str, ...]] = ("png", "jpeg", "webp", "gif", "bmp", "tiff")

#: Formats :func:`encode_image` and :func:`convert_format` can write: what providers return.
ENCODABLE_FORMATS: Final[tuple[str, ...]] = ("png", "jpeg", "webp")

#: MIME type of every format this module can name (for data URLs and HTTP headers).
MIME_TYPES: Final[dict[str, str]] = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "gif": "image/gif",
    "bmp": "image/bmp",
    "tiff": "image/tiff",
}

# Pillow's format ids for DECODABLE_FORMATS.  The JPEG opener also returns "MPO" images, the JPEG
# files with extra frames that phones write; they are JPEGs to every provider.
_PIL_FORMATS: Final[tuple[str, ...]] = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")
_FORMAT_ALIASES: Final[dict[str, str]] = {"jpg": "jpeg", "mpo": "jpeg", "tif": "tiff"}
_RGB_MODES: Final[frozenset[str]] = frozenset({"RGB", "RGBA", "L", "LA"})
_SIXTEEN_BIT_MODES: Final[frozenset[str]] = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})
_MAX_DETAIL: Final[int] = 120


DEFAULT_LIMITS: Final[ImageLimits] = ImageLimits(max_pixels=16_000_000, max_bytes=30 * 1024 * 1024)
"""The guard's defaults when no provider is involved: Novita's documented 16 megapixels and
30 MiB per file, the largest any built-in provider accepts."""


@attrs.frozen(repr=False)
class Resolution:
    """A width x height pair that prints as ``512x512``, so errors read naturally."""

    width: int
    height: int

    def __repr__(self) -> str:
        return f"{self.width}x{self.height}"

    __str__ = __repr__

    @property
    def pixels(self) -> int:
        """The pixel count, ``width * height``."""
        return self.width * self.height


def _bytes_repr(data: bytes) -> str:
    return f"<{len(data)} bytes>"


@attrs.frozen
class LoadedImage:
    """An image file that has passed :func:`load_image`: complete, decodable and within limits.

    It keeps the encoded bytes exactly as given (so they can be forwarded to a provider without a
    lossy re-encode) plus what was learnt while checking them.  The repr never shows the bytes.
    """

    data: bytes = attrs.field(repr=_bytes_repr)
    format: str
    width: int
    height: int
    mode: str
    pixels: Image.Image | None = attrs.field(default=None, repr=False, eq=False)
    """The pixels decoded while checking, kept only when asked (``keep_pixels``), so that the
    caller who needs them next does not decode the file a second time."""

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)``, as Pillow's ``Image.size``."""
        return (self.width, self.height)

    def to_pil(self) -> Image.Image:
        """Decode the bytes into a fresh, fully loaded Pillow image the caller may modify.

        The image is decoded anew on every call rather than cached: a 16-megapixel image takes
        64 MB decoded, and most callers only need the bytes.
        """
        if self.pixels is not None:
            return self.pixels.copy()
        own_limits = ImageLimits(max_pixels=self.width * self.height, max_bytes=len(self.data))
        image, _size, error = _decode(self.data, "$.image", own_limits)
        if image is None:  # pragma: no cover - the bytes decoded once already
            assert error is not None
            raise ValidationError([error])
        return image


@functools.cache
def _available_formats() -> tuple[str, ...]:
    """The allowed Pillow formats this Pillow build can open (e.g. WebP may be compiled out)."""
    Image.init()  # loads Pillow's plugins, as Image.open does; changes no setting
    return tuple(name for name in _PIL_FORMATS if name in Image.OPEN)


def _detail(exc: BaseException) -> str:
    message = str(exc)
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 3] + "..."


def _decode(
    data: bytes, path: str, limits: ImageLimits, *, load: bool = True
) -> tuple[Image.Image | None, Resolution | None, FieldError | None]:
    """Check and decode ``data``; return the image, the header size if one was read, or an error.

    The size is returned even when decoding fails (a truncated file still has a header), so that
    :func:`load_pair` can also report a mask of the wrong size.
    """
    if len(data) == 0:
        return None, None, FieldError(path, "must be a non-empty image file", data)
    if limits.max_bytes is not None and len(data) > limits.max_bytes:
        return None, None, FieldError(path, f"must be at most {limits.max_bytes} bytes", data)
    # DecompressionBombWarning is raised as an error inside this block only, so that an image
    # Pillow considers a bomb is rejected instead of decoded; the filter is restored on exit.
    # (Before Python 3.14 warning filters are process-wide, so a thread decoding at the same
    # moment also sees this filter; that only makes it stricter about bombs.)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            opened = Image.open(io.BytesIO(data), formats=_available_formats())
        except UnidentifiedImageError:
            supported = ", ".join(DECODABLE_FORMATS)
            return None, None, FieldError(path, f"must be an image file ({supported})", data)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            return (
                None,
                None,
                FieldError(path, f"must not be a decompression bomb ({_detail(exc)})", data),
            )
        except MemoryError:
            raise
        except Exception as exc:  # Pillow's plugins raise a wide variety while parsing headers.
            return (
                None,
                None,
                FieldError(path, f"must be a valid image file ({_detail(exc)})", data),
            )
        with opened:
            size = Resolution(*opened.size)
            if size.width < 1 or size.height < 1:
                return None, size, FieldError(path, "must have a non-zero width and height", size)
            # Header first: the pixel data is never decoded for an image over the limit.
            too_many = _too_many_pixels(size, limits, path)
            if too_many is not None:
                return None, size, too_many
            intact = None if load else _structure_error(data, (opened.format or "").lower())
            if intact is not None:
                return None, size, FieldError(path, intact, data)
            try:
                if load or (opened.format or "").lower() not in _WALKABLE:
                    opened.load()
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
                rule = f"must not be a decompression bomb ({_detail(exc)})"
                return None, size, FieldError(path, rule, data)
            except MemoryError:
                raise
            except Exception as exc:  # truncated (OSError), corrupt (SyntaxError, zlib), ...
                rule = f"must be a complete, valid image file ({_detail(exc)})"
                return None, size, FieldError(path, rule, data)
        # Leaving ``with opened`` drops the file pointer only; the loaded pixels stay usable.
        return opened, size, None


def _too_many_pixels(size: Resolution, limits: ImageLimits, path: str) -> FieldError | None:
    """The error of an image whose header says it has more pixels than ``limits`` allow."""
    if limits.max_pixels is None or size.pixels <= limits.max_pixels:
        return None
    rule = f"must have at most {limits.max_pixels} pixels ({size.pixels} given)"
    return FieldError(path, rule, size)


_WALKABLE: Final = ("png", "jpeg", "mpo")
"""Formats whose integrity can be checked from their structure, without decoding pixels."""


def _structure_error(data: bytes, pil_format: str) -> str | None:
    """Why ``data`` is not a complete file of its format, judged from its structure alone;
    ``None`` when intact (or when the format has no cheap check: the caller then decodes).

    PNG: every chunk is present and its CRC matches, up to ``IEND`` (a CRC-32 pass over the
    bytes runs about a hundred times faster than inflating and unfiltering the pixels).  JPEG:
    the file ends with the end-of-image marker, which a truncated download lacks.
    """
    if pil_format == "png":
        view = memoryview(data)
        offset = 8
        while True:
            if offset + 12 > len(view):
                return "must be a complete, valid image file (the PNG is truncated)"
            length = int.from_bytes(view[offset : offset + 4], "big")
            end = offset + 8 + length
            if end + 4 > len(view):
                return "must be a complete, valid image file (the PNG is truncated)"
            kind = bytes(view[offset + 4 : offset + 8])
            crc = int.from_bytes(view[end : end + 4], "big")
            if zlib.crc32(view[offset + 4 : end]) != crc:
                name = kind.decode("latin-1")
                return f"must be a complete, valid image file (CRC mismatch in a {name} chunk)"
            if kind == b"IEND":
                return None
            offset = end + 4
    if pil_format in ("jpeg", "mpo"):
        if not data[-4096:].rstrip(b"\x00").endswith(b"\xff\xd9"):
            return "must be a complete, valid image file (the JPEG is truncated)"
        return None
    return None


def _probe(
    data: object, path: str, limits: ImageLimits, *, keep: bool = False, load: bool = True
) -> tuple[LoadedImage | None, Resolution | None, FieldError | None]:
    if not isinstance(data, bytes | bytearray | memoryview):
        return None, None, FieldError(path, "must be the bytes of an image file", data)
    raw = bytes(data)
    if not (load or keep):
        described = _described_png(raw, path, limits)
        if described is not None:
            return described
    image, size, error = _decode(raw, path, limits, load=load or keep)
    if image is None:
        return None, size, error
    loaded = _described(image, raw, keep=keep)
    if not keep:
        image.close()
    return loaded, size, None


def _described(image: Image.Image, data: bytes, *, keep: bool = False) -> LoadedImage:
    """``data`` described from the Pillow image opened on it (its pixels kept with ``keep``)."""
    pil_format = (image.format or "").lower()
    return LoadedImage(
        data=data,
        format=_FORMAT_ALIASES.get(pil_format, pil_format),
        width=image.width,
        height=image.height,
        mode=image.mode,
        pixels=image if keep else None,
    )


def _described_png(
    raw: bytes, path: str, limits: ImageLimits
) -> tuple[LoadedImage | None, Resolution | None, FieldError | None] | None:
    """What :func:`_decode` without ``load`` finds in a plain PNG, read from its header and
    chunk structure without Pillow (opening it costs more than the checks themselves); ``None``
    for anything else (another format, a PNG whose mode Pillow decides, one so large that
    Pillow's bomb guard must judge it), which then goes through Pillow."""
    if limits.max_bytes is not None and len(raw) > limits.max_bytes:
        return None
    header = _png_header(raw)
    if header is None:
        return None
    width, height, mode = header
    size = Resolution(width, height)
    bomb = Image.MAX_IMAGE_PIXELS
    if bomb is not None and size.pixels > bomb:
        return None
    too_many = _too_many_pixels(size, limits, path)
    if too_many is not None:
        return None, size, too_many
    intact = _structure_error(raw, "png")
    if intact is not None:
        return None, size, FieldError(path, intact, raw)
    return LoadedImage(data=raw, format="png", width=width, height=height, mode=mode), size, None


def load_image(
    data: bytes | bytearray | memoryview,
    *,
    path: str = "$.image",
    limits: ImageLimits = DEFAULT_LIMITS,
) -> LoadedImage:
    """Check that ``data`` is a complete image file within ``limits`` and describe it.

    Checks, in order: the byte size (before any parsing), that the bytes are an image in one of
    :data:`DECODABLE_FORMATS`, the pixel count from the header (before the pixel data is decoded,
    so a decompression bomb costs nothing), Pillow's own bomb guard, and finally a full decode,
    which is what catches a truncated or corrupt file.  The first problem found is raised as a
    :class:`ValidationError` whose path is ``path``.

    The whole file is decoded once here and thrown away; call :meth:`LoadedImage.to_pil` when
    the pixels are needed.
    """
    loaded, _size, error = _probe(data, path, limits)
    if loaded is None:
        assert error is not None
        raise ValidationError([error])
    return loaded


def probe_header(data: bytes, *, path: str = "$.result") -> LoadedImage:
    """Describe an image from its header alone (format, size, mode), without decoding pixels.

    For images *received* from a provider, where a full decode just to learn the size would be
    the most expensive step of the whole job; a file whose header is not an image of an allowed
    format is still rejected.  Inputs go through :func:`load_image`, which decodes fully.
    """
    header = _png_header(data)
    if header is not None:
        width, height, mode = header
        loaded = LoadedImage(data=data, format="png", width=width, height=height, mode=mode)
    else:
        try:
            with Image.open(io.BytesIO(data), formats=_available_formats()) as opened:
                loaded = _described(opened, data)
        except Exception as exc:  # Pillow's plugins raise a wide variety while parsing headers.
            supported = ", ".join(DECODABLE_FORMATS)
            rule = f"must be an image file ({supported}): {_detail(exc)}"
            raise ValidationError([FieldError(path, rule, data)]) from None
    # A cut-off download has an intact header: its end gives it away without decoding a pixel
    # (a PNG's end chunk, a JPEG's end marker); a PNG that does not end with its end chunk gets
    # the full structural check, which also reads anything after it.
    if loaded.format == "png" and data.endswith(_PNG_END):
        return loaded
    broken = _structure_error(data, loaded.format)
    if broken is not None:
        raise ValidationError([FieldError(path, broken, data)])
    return loaded


_PNG_END: Final = b"\x00\x00\x00\x00IEND\xaeB`\x82"
"""A PNG's last chunk, ``IEND``: empty, with its fixed CRC."""


_PNG_MODES: Final[dict[tuple[int, int], str]] = {
    (0, 8): "L",
    (2, 8): "RGB",
    (4, 8): "LA",
    (6, 8): "RGBA",
}
"""(colour type, bit depth) of the PNGs :func:`probe_header` reads without Pillow: the 8-bit
greyscale and colour images providers return; anything else goes through Pillow."""


def _png_header(data: bytes) -> tuple[int, int, str] | None:
    """Width, height and Pillow mode from a PNG's ``IHDR`` chunk (its CRC checked), or
    ``None`` when ``data`` is not such a PNG: opening it with Pillow costs ten times more."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[8:16] != b"\x00\x00\x00\rIHDR":
        return None
    if len(data) < 33 or zlib.crc32(data[12:29]) != int.from_bytes(data[29:33], "big"):
        return None
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    mode = _PNG_MODES.get((data[25], data[24]))
    if mode is None or width < 1 or height < 1 or data[26:29] != b"\x00\x00\x00":
        return None  # palette, 16-bit, interlaced...: Pillow decides
    if mode in ("L", "RGB") and b"tRNS" in data[33:256]:
        return None  # a transparency chunk changes Pillow's mode
    return width, height, mode


def load_pair(
    image: bytes | bytearray | memoryview,
    mask: bytes | bytearray | memoryview,
    *,
    limits: ImageLimits = DEFAULT_LIMITS,
    image_path: str = "$.image",
    mask_path: str = "$.mask",
    keep_pixels: bool = False,
    decode_image: bool = True,
    decode_mask: bool = True,
) -> tuple[LoadedImage, LoadedImage]:
    """Load an image and its mask, reporting every problem with either in one error.

    Besides each file's own checks (see :func:`load_image`), the mask must have the image's exact
    resolution: providers reject or silently rescale a mismatched mask, and a rescaled mask
    repaints the wrong pixels.  The resolutions are compared whenever both headers could be read,
    so a truncated image with a mismatched mask reports both problems.  With ``keep_pixels``
    the decoded pixels stay on the results (:attr:`LoadedImage.pixels`) for the next step.
    Without ``decode_image`` a PNG or JPEG image is checked from its structure (chunk CRCs, end
    marker) instead of decoded, for an image that is forwarded as it is; ``decode_mask`` does the
    same for the mask (for a mask already known to be sendable as it is, see
    :func:`is_known_binary_mask`).
    """
    errors: list[FieldError] = []
    loaded_image, image_size, image_error = _probe(
        image, image_path, limits, keep=keep_pixels and decode_image, load=decode_image
    )
    known = None if decode_mask else _known_mask(mask, mask_path, limits)
    if known is not None:
        loaded_mask, mask_size, mask_error = known
    else:
        loaded_mask, mask_size, mask_error = _probe(
            mask, mask_path, limits, keep=keep_pixels and decode_mask, load=decode_mask
        )
    if image_error is not None:
        errors.append(image_error)
    if mask_error is not None:
        errors.append(mask_error)
    if image_size is not None and mask_size is not None and image_size != mask_size:
        errors.append(
            FieldError(mask_path, f"must have the image's resolution {image_size}", mask_size)
        )
    if errors:
        raise ValidationError(errors)
    assert loaded_image is not None
    assert loaded_mask is not None
    return loaded_image, loaded_mask


# --- masks -----------------------------------------------------------------------------------


def _threshold_table(threshold: int) -> list[int]:
    return [0] * threshold + [255] * (256 - threshold)


def _luminance(mask: Image.Image) -> Image.Image:
    """Greyscale luminance of ``mask`` with transparent pixels counted as black (keep)."""
    if mask.mode in _SIXTEEN_BIT_MODES:
        # 16-bit greyscale (a 16-bit PNG mask): scale 0..65535 onto 0..255 instead of clipping.
        # A 32-bit "I" image holding only 8-bit values is taken as it is.
        wide = mask.convert("I")
        _low, high = wide.getextrema()
        if mask.mode != "I" or (isinstance(high, int) and high > 255):
            wide = wide.point(lambda v: v * (1 / 257))
        return wide.convert("L")
    if mask.mode == "P":
        mask = mask.convert("RGBA" if "transparency" in mask.info else "RGB")
    elif mask.mode in ("PA", "RGBa", "La"):
        mask = mask.convert("RGBA")
    if mask.mode in ("RGBA", "LA"):
        alpha = mask.getchannel("A")
        luminance = mask.convert("L")
        if any(alpha.histogram()[:255]):  # some pixel is not fully opaque
            # Composite onto black: a transparent pixel is "keep", whatever its colour.
            luminance = ImageChops.multiply(luminance, alpha)
        return luminance
    return mask.convert("L")


def normalize_mask(mask: Image.Image, *, threshold: int = 128) -> Image.Image:
    """Return ``mask`` as a binary mode ``"L"`` image holding only 0 (keep) and 255 (repaint).

    Grey levels at or above ``threshold`` become white.  Colour masks are reduced to luminance
    first.  A mask with an alpha channel that is not fully opaque is composited onto black, so a
    **transparent pixel means keep** whatever its colour; note that this is the opposite of
    OpenAI-style masks, where transparency marks the area to edit (invert those first).  16-bit
    greyscale masks are scaled to 8 bits rather than clipped.
    """
    if not 1 <= threshold <= 255:
        raise ValueError(f"threshold must be in [1, 255], got {threshold}")
    return _luminance(mask).point(_threshold_table(threshold))


def is_normalized_mask(mask: Image.Image) -> bool:
    """Whether ``mask`` already is what :func:`normalize_mask` makes: mode ``"L"`` holding only
    0 and 255 (then its file can be sent as it is, without a re-encode)."""
    if mask.mode != "L":
        return False
    histogram = mask.histogram()
    return sum(histogram[1:255]) == 0


_KNOWN_MASKS_SIZE: Final = 16
_KNOWN_MASK_MAX_BYTES: Final = 256 * 1024
_known_masks: OrderedDict[bytes, tuple[int, int]] = OrderedDict()
_known_masks_lock = threading.Lock()


def remember_binary_mask(data: bytes, size: tuple[int, int]) -> None:
    """Note that the mask file ``data`` decoded completely and is a binary mode ``"L"`` PNG
    (what :func:`normalize_mask` makes), so a batch reusing one mask decodes it once.

    A small LRU of small files (at most 16 of at most 256 KiB): a 2048x2048 mask decodes in
    about 10 ms, several times the CPU of everything else a job costs, while its file is a few
    kilobytes.  Keyed by the bytes themselves, so only an identical file matches.
    """
    if len(data) > _KNOWN_MASK_MAX_BYTES:
        return
    with _known_masks_lock:
        _known_masks[data] = size
        _known_masks.move_to_end(data)
        while len(_known_masks) > _KNOWN_MASKS_SIZE:
            _known_masks.popitem(last=False)


def _known_mask(
    data: object, path: str, limits: ImageLimits
) -> tuple[LoadedImage | None, Resolution | None, FieldError | None] | None:
    """What :func:`_probe` would find for a remembered mask, without opening it again (its
    identical bytes decoded completely before); the limits, which differ by provider, are
    checked anew.  ``None`` when ``data`` is not remembered."""
    if not isinstance(data, bytes) or len(data) > _KNOWN_MASK_MAX_BYTES:
        return None
    with _known_masks_lock:
        size = _known_masks.get(data)
    if size is None:
        return None
    resolution = Resolution(*size)
    if limits.max_bytes is not None and len(data) > limits.max_bytes:
        return None, None, FieldError(path, f"must be at most {limits.max_bytes} bytes", data)
    too_many = _too_many_pixels(resolution, limits, path)
    if too_many is not None:
        return None, resolution, too_many
    loaded = LoadedImage(data=data, format="png", width=size[0], height=size[1], mode="L")
    return loaded, resolution, None


def is_known_binary_mask(data: bytes) -> bool:
    """Whether :func:`remember_binary_mask` saw exactly these bytes (recently)."""
    if len(data) > _KNOWN_MASK_MAX_BYTES:
        return False
    with _known_masks_lock:
        if data not in _known_masks:
            return False
        _known_masks.move_to_end(data)
        return True


def invert_mask(mask: Image.Image) -> Image.Image:
    """Swap repaint and keep (Novita's ``inpainting_mask_invert``), as a new mode ``"L"`` image.

    A mode ``"L"`` mask is inverted as it is (a soft mask stays soft); any other mode is first
    made binary with :func:`normalize_mask`.
    """
    grey = mask if mask.mode == "L" else normalize_mask(mask)
    return ImageOps.invert(grey)


def blur_mask(mask: Image.Image, radius: int) -> Image.Image:
    """Feather the mask edge with a Gaussian blur of ``radius`` pixels; return mode ``"L"``.

    This emulates A1111's ``mask_blur`` (which Novita exposes natively), a Gaussian blur of the
    mask before it is used: the result is a *soft* greyscale mask whose grey edge pixels blend
    the generated and original pixels in :func:`paste_back`.  Radius 0 returns an equal copy.
    Pass the result straight to :func:`paste_back`; do not threshold it, or the feathering is lost.
    """
    if radius < 0:
        raise ValueError(f"radius must be >= 0, got {radius}")
    grey = mask if mask.mode == "L" else normalize_mask(mask)
    if radius == 0:
        return grey.copy()
    return grey.filter(ImageFilter.GaussianBlur(radius))


def mask_bbox(mask: Image.Image) -> tuple[int, int, int, int] | None:
    """The box ``(left, top, right, bottom)`` (right and bottom exclusive) of the repaint pixels.

    Any non-zero pixel counts, so for a soft (blurred) mask the box covers every pixel that would
    change at all.  ``None`` when the mask is all black (nothing to repaint).  Masks in modes
    other than ``"L"`` are made binary with :func:`normalize_mask` first.
    """
    grey = mask if mask.mode == "L" else normalize_mask(mask)
    box = grey.getbbox()
    if box is None:
        return None
    left, top, right, bottom = box
    return (left, top, right, bottom)


# --- masked-only (crop, generate, paste back) ------------------------------------------------


@attrs.frozen(eq=False)
class CropPlan:
    """What :func:`crop_to_mask` cut out, and where :func:`paste_back` must put it back.

    ``box`` is ``(left, top, right, bottom)`` in the original image (right and bottom exclusive),
    ``image`` and ``mask`` are the crops to send to the provider, ``original_size`` the size of
    the image they were cut from.  Compared by identity: it holds images.
    """

    box: tuple[int, int, int, int]
    image: Image.Image
    mask: Image.Image
    original_size: tuple[int, int]

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` of the box."""
        left, top, right, bottom = self.box
        return (right - left, bottom - top)


def crop_to_mask(
    image: Image.Image, mask: Image.Image, *, padding: int, mask_path: str = "$.mask"
) -> CropPlan:
    """Crop the image and mask to the mask's repaint area plus ``padding`` pixels on each side.

    This emulates A1111's "inpaint only masked" (Novita's ``inpainting_full_res`` with
    ``inpainting_full_res_padding``): the provider sees only the region around the mask, at its
    full resolution, and :func:`paste_back` puts the result back.  The padded box is clamped to
    the image; an all-black mask gives the whole image.  Unlike A1111, the box is not widened to
    the output aspect ratio nor rescaled: the provider receives the crop at its own size.
    """
    if padding < 0:
        raise ValueError(f"padding must be >= 0, got {padding}")
    if image.size != mask.size:
        rule = f"must have the image's resolution {Resolution(*image.size)}"
        raise ValidationError([FieldError(mask_path, rule, Resolution(*mask.size))])
    width, height = image.size
    bbox = mask_bbox(mask)
    if bbox is None:
        box = (0, 0, width, height)
    else:
        left, top, right, bottom = bbox
        box = (
            max(0, left - padding),
            max(0, top - padding),
            min(width, right + padding),
            min(height, bottom + padding),
        )
    return CropPlan(box=box, image=image.crop(box), mask=mask.crop(box), original_size=image.size)


def _working_mode(image: Image.Image) -> str:
    if image.mode in _RGB_MODES:
        return image.mode
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    return "RGBA" if has_alpha else "RGB"


def paste_back(
    original: Image.Image,
    generated_crop: Image.Image,
    plan: CropPlan,
    *,
    mask: Image.Image | None = None,
) -> Image.Image:
    """Paste a provider's result for ``plan``'s crop back into a copy of ``original``.

    A crop of another size (providers round sizes to multiples of 8 or 64) is resized to the box
    with LANCZOS first.  With ``mask`` (the cropped mask, binary or blurred by :func:`blur_mask`)
    the result is pasted through it, so only masked pixels change and grey pixels blend.

    Guarantees: every pixel outside ``plan.box`` is identical to ``original``, and with a binary
    mask so is every pixel where the mask is black.  The result has ``original``'s mode when
    that is ``RGB``, ``RGBA``, ``L`` or ``LA``; other modes (palette, CMYK, ...) are converted
    to ``RGB``/``RGBA`` first, because pasting generated pixels into a palette would mangle them.
    """
    if original.size != plan.original_size:
        raise ValueError(
            f"original is {Resolution(*original.size)} but the plan was made for "
            f"{Resolution(*plan.original_size)}"
        )
    left, top, _right, _bottom = plan.box
    box_size = plan.size
    mode = _working_mode(original)
    result = original.copy() if original.mode == mode else original.convert(mode)
    crop = generated_crop if generated_crop.mode == mode else generated_crop.convert(mode)
    if crop.size != box_size:
        crop = crop.resize(box_size, Image.Resampling.LANCZOS)
    if mask is None:
        result.paste(crop, (left, top))
        return result
    alpha = mask if mask.mode == "L" else mask.convert("L")
    if alpha.size != box_size:
        raise ValueError(
            f"mask is {Resolution(*alpha.size)} but the crop box is {Resolution(*box_size)}; "
            "pass plan.mask (or a blurred copy of it)"
        )
    result.paste(crop, (left, top), alpha)
    return result


# --- encoding --------------------------------------------------------------------------------


def _normalize_format(fmt: str, allowed: tuple[str, ...]) -> str:
    name = fmt.lower().lstrip(".")
    name = _FORMAT_ALIASES.get(name, name)
    if name not in allowed:
        raise ValueError(f"format must be one of {', '.join(allowed)}, got {fmt!r}")
    return name


def _has_alpha(image: Image.Image) -> bool:
    return "A" in image.getbands() or "transparency" in image.info


def _flatten_on_white(image: Image.Image) -> Image.Image:
    rgba = image.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba).convert("RGB")


def _prepare_for(image: Image.Image, fmt: str) -> Image.Image:
    if fmt == "jpeg":
        if _has_alpha(image):
            return _flatten_on_white(image)
        return image if image.mode in ("L", "RGB") else image.convert("RGB")
    if fmt == "webp":
        if image.mode in ("RGB", "RGBA"):
            return image
        return image.convert("RGBA" if _has_alpha(image) else "RGB")
    if image.mode in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
        return image
    return image.convert("RGBA" if _has_alpha(image) else "RGB")


def encode_image(img: Image.Image, fmt: str = "png", *, quality: int = 95) -> bytes:
    """Encode a Pillow image as ``"png"``, ``"jpeg"`` or ``"webp"`` bytes.

    Modes a format cannot hold are converted: JPEG has no alpha, so transparent pixels are
    composited onto **white** (the usual expectation for a photo; black would darken edges);
    WebP gets ``RGB`` or ``RGBA``.  ``quality`` (1-100) applies to the lossy formats.
    """
    name = _normalize_format(fmt, ENCODABLE_FORMATS)
    if not 1 <= quality <= 100:
        raise ValueError(f"quality must be in [1, 100], got {quality}")
    prepared = _prepare_for(img, name)
    buffer = io.BytesIO()
    try:
        if name == "png":
            prepared.save(buffer, format="PNG")
        else:
            prepared.save(buffer, format=name.upper(), quality=quality)
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"cannot encode a {prepared.mode} {Resolution(*prepared.size)} image as {name}: "
            f"{_detail(exc)}"
        ) from exc
    return buffer.getvalue()


def convert_format(
    data: bytes,
    fmt: str,
    *,
    quality: int = 95,
    path: str = "$.image",
    limits: ImageLimits = DEFAULT_LIMITS,
) -> bytes:
    """Re-encode an image file as ``"png"``, ``"jpeg"`` or ``"webp"``.

    Emulates an output-format option for providers that only return one format.  The input is
    checked like :func:`load_image` (problems raise :class:`ValidationError` at ``path``).  Bytes
    already in ``fmt`` are returned unchanged, to avoid a needless lossy re-encode.  Converting to
    JPEG composites transparency onto white (see :func:`encode_image`).
    """
    name = _normalize_format(fmt, ENCODABLE_FORMATS)
    loaded = load_image(data, path=path, limits=limits)
    if loaded.format == name:
        return loaded.data
    with loaded.to_pil() as image:
        return encode_image(image, name, quality=quality)


def to_base64(data: bytes, *, prefix: str = "") -> str:
    """Plain standard base64 of ``data`` (no ``data:`` prefix, with padding), as providers want;
    after ``prefix`` if given (a data URL's head: joined afterwards, the text would be copied).

    ``b64encode(data).decode()`` holds the base64 twice (bytes, then the text): 2.7x a
    16-megapixel image.  Encoded a slice at a time and appended to a local, the text grows in
    place (CPython resizes a string nothing else refers to once the loop is specialised, a few
    slices in; not under a trace function such as coverage's), so it is held about once, and it
    is no slower; the slices are multiples of 3 bytes, so no padding falls inside.
    """
    view = memoryview(data)
    text = prefix
    for start in range(0, len(data), _BASE64_STEP):
        text += base64.b64encode(view[start : start + _BASE64_STEP]).decode("ascii")
    return text


_BASE64_STEP = 3 * 64 * 1024
"""Bytes per slice (256 KiB of text): small enough that the loop is specialised early, big
enough that the slices cost nothing (bench/bench_client_memory.py: the fewest resident bytes)."""


_DATA_URL = re.compile(r"^data:(?P<mime>[^;,]*)(?P<params>(?:;[^;,]*)*),", re.IGNORECASE)
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/=]")
_WHITESPACE = re.compile(r"\s+")


def from_base64(text: str, *, path: str) -> bytes:
    """Decode base64 text, as given by users or returned by providers, into bytes.

    Accepts plain base64 and ``data:image/...;base64,`` URLs; tolerates whitespace and line
    breaks, missing ``=`` padding, and the URL-safe alphabet (``-`` and ``_``).  Anything else
    (other characters, an impossible length, a data URL that is not base64, empty input) raises a
    :class:`ValidationError` at ``path``.
    """
    if not isinstance(text, str):
        raise ValidationError([FieldError(path, "must be a base64 string", text)])
    fast = _strict_base64(text)
    if fast is not None:
        return fast
    body = text.strip()
    match = _DATA_URL.match(body)
    if match is not None:
        params = [p.strip().lower() for p in match.group("params").split(";") if p.strip()]
        if "base64" not in params:
            rule = "must be a base64 data URL (data:<mime>;base64,...)"
            raise ValidationError([FieldError(path, rule, text)])
        body = body[match.end() :]
    body = _WHITESPACE.sub("", body).translate(str.maketrans("-_", "+/")).rstrip("=")
    if not body:
        raise ValidationError([FieldError(path, "must be non-empty base64", text)])
    if _NOT_BASE64.search(body) or len(body) % 4 == 1:
        raise ValidationError([FieldError(path, "must be valid base64", text)])
    try:
        return base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except binascii.Error as exc:  # pragma: no cover - excluded by the checks above
        raise ValidationError([FieldError(path, "must be valid base64", text)]) from exc


def _strict_base64(text: str) -> bytes | None:
    """The common case in one C call: canonical, padded standard base64, possibly behind a
    ``data:...;base64,`` prefix.  ``None`` sends the text down the tolerant path (whitespace,
    URL-safe alphabet, missing padding), whose regex passes cost several times the decode on a
    16-megapixel image."""
    body = text
    if text[:5].lower() == "data:":
        head, comma, rest = text.partition(",")
        if not comma or not head.lower().endswith(";base64"):
            return None
        body = rest
    if not body or len(body) % 4 or not body.isascii():
        return None
    try:
        # The text itself, validated while decoding: b64decode(validate=True) first copies it
        # into bytes, and that copy (page faults on fresh memory included) cost a third as much
        # again as the decode.
        return binascii.a2b_base64(body, strict_mode=True)
    except (binascii.Error, ValueError):
        return None


def to_data_url(data: bytes, fmt: str) -> str:
    """A ``data:image/<fmt>;base64,...`` URL of ``data`` (for providers that take data URLs)."""
    name = _normalize_format(fmt, tuple(MIME_TYPES))
    return to_base64(data, prefix=f"data:{MIME_TYPES[name]};base64,")


def sniff_format(data: bytes) -> str | None:
    """The image format named by the first bytes of ``data``, without decoding; ``None`` if unknown.

    Cheap enough to run on every response body, e.g. to check that a provider returned what it
    was asked for.  Names match :attr:`LoadedImage.format` (plus ``"avif"`` and ``"heic"``, which
    are recognised but not decoded).
    """
    head = bytes(data[:16])
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"BM"):
        return "bmp"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "avif"
        if brand in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"):
            return "heic"
    return None
