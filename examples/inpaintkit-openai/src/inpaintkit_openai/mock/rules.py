"""OpenAI's rules for ``POST /v1/images/edits``, in wire terms, as pure functions.

Transcribed from OpenAI's OpenAPI description (``openai/openai-openapi``, ``openapi.yaml``,
``CreateImageEditRequest``, ``ImagesResponse``, ``ErrorResponse``) and deliberately
independent of the plugin: this module never imports the plugin's table, so the conformance
suite compares two readings of the API.  What the endpoint checks, and so what this does:

- the form must carry ``prompt`` and ``image``; an unknown field is refused ("Unrecognized
  request argument supplied"), as OpenAI refuses unknown arguments;
- ``model`` defaults to ``gpt-image-1.5``; each model has its own prompt length, sizes, input
  formats, byte limit and ``response_format`` support (:data:`MODELS`);
- ``n`` is an integer in [1, 10]; ``size`` one of the model's sizes;
- dall-e-2 takes exactly one square PNG under 4 MB, in mode RGBA, LA or L (an RGB PNG is
  refused: not in the OpenAPI description, but the live endpoint's 400 "Invalid input image -
  format must be in ['RGBA', 'LA', 'L'], got RGB."); the ``mask`` is a PNG under 4 MB with the
  image's dimensions and an alpha channel: its fully transparent pixels are the area to edit.

Errors are ``{"error": {"message", "type", "param", "code"}}`` (:func:`error_body`).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs
from PIL import Image

__all__ = [
    "DEFAULT_MODEL",
    "KNOWN_FIELDS",
    "MODELS",
    "ApiError",
    "Edit",
    "ModelRules",
    "Upload",
    "check_edit",
    "edit_area",
    "error_body",
]


@attrs.frozen
class ModelRules:
    """What one model accepts."""

    prompt_max: int
    sizes: tuple[str, ...]
    formats: tuple[str, ...]
    max_bytes: int
    max_images: int
    square: bool
    response_formats: tuple[str, ...]
    """Empty: the model refuses ``response_format`` (GPT image models always answer base64)."""
    default_response_format: str
    modes: tuple[str, ...] = ()
    """The PIL modes an input image may have; empty: any."""


_MB = 1024 * 1024
_GPT = ModelRules(
    prompt_max=32000,
    sizes=("1024x1024", "1536x1024", "1024x1536", "auto"),
    formats=("png", "webp", "jpeg"),
    max_bytes=50 * _MB,
    max_images=16,
    square=False,
    response_formats=(),
    default_response_format="b64_json",
)
MODELS: Final[Mapping[str, ModelRules]] = {
    "dall-e-2": ModelRules(
        prompt_max=1000,
        sizes=("256x256", "512x512", "1024x1024"),
        formats=("png",),
        max_bytes=4 * _MB,
        max_images=1,
        square=True,
        response_formats=("url", "b64_json"),
        default_response_format="url",
        modes=("RGBA", "LA", "L"),
    ),
    "gpt-image-1": _GPT,
    "gpt-image-1-mini": _GPT,
    "gpt-image-1.5": _GPT,
    # "chatgpt-image-latest follows the same input constraints as GPT image models" (the
    # image field's description).  gpt-image-2 (and its dated name) takes arbitrary sizes under
    # limits the description leaves open ("the model's current pixel and edge limits"), so the
    # mock does not claim to know its rules and refuses it as an unknown model.
    "chatgpt-image-latest": _GPT,
}
DEFAULT_MODEL: Final = "gpt-image-1.5"
N_RANGE: Final = (1, 10)
MASK_MAX_BYTES: Final = 4 * _MB

KNOWN_FIELDS: Final = frozenset(
    {
        "image",
        "image[]",
        "mask",
        "prompt",
        "model",
        "n",
        "size",
        "response_format",
        "user",
        "background",
        "output_format",
        "output_compression",
        "quality",
        "input_fidelity",
        "stream",
        "partial_images",
    }
)
"""Every multipart field of ``CreateImageEditRequest``."""


@attrs.frozen
class Upload:
    """One file part as it arrived."""

    data: bytes = attrs.field(repr=False)
    filename: str | None = None
    content_type: str = "application/octet-stream"


@attrs.frozen
class ApiError:
    """An OpenAI error answer."""

    status: int
    message: str
    param: str | None = None
    code: str | None = None
    type: str = "invalid_request_error"

    def body(self) -> dict[str, Any]:
        return error_body(self.message, self.type, self.param, self.code)


@attrs.frozen
class Edit:
    """An accepted edit: the decoded image and mask and what to make."""

    image: Image.Image = attrs.field(repr=False)
    mask: Image.Image | None = attrs.field(repr=False)
    prompt: str
    model: str
    n: int
    size: str
    response_format: str


def error_body(
    message: str, type_: str = "invalid_request_error", param: str | None = None, code: Any = None
) -> dict[str, Any]:
    """``ErrorResponse``: every key present, ``param`` and ``code`` null when they do not apply."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def _missing(name: str) -> ApiError:
    return ApiError(
        400, f"Missing required parameter: '{name}'.", name, "missing_required_parameter"
    )


def _invalid(name: str, value: str, allowed: Sequence[str]) -> ApiError:
    shown = ", ".join(f"'{a}'" for a in allowed)
    return ApiError(
        400, f"Invalid value: '{value}'. Supported values are: {shown}.", name, "invalid_value"
    )


def check_edit(fields: Mapping[str, str], files: Mapping[str, Sequence[Upload]]) -> Edit | ApiError:
    """Validate a parsed form the way the endpoint does: the edit, or the first error."""
    for name in (*fields, *files):
        if name not in KNOWN_FIELDS:
            return ApiError(400, f"Unrecognized request argument supplied: {name}")
    prompt = fields.get("prompt")
    if prompt is None:
        return _missing("prompt")
    images = [*files.get("image", ()), *files.get("image[]", ())]
    if not images:
        return _missing("image")
    model = fields.get("model") or DEFAULT_MODEL
    rules = MODELS.get(model)
    if rules is None:
        return _invalid("model", model, sorted(MODELS))
    n = _n(fields.get("n"))
    if isinstance(n, ApiError):
        return n
    size = fields.get("size") or "1024x1024"
    if size not in rules.sizes:
        return _invalid("size", size, rules.sizes)
    response_format = fields.get("response_format")
    if response_format is not None and not rules.response_formats:
        return ApiError(
            400, "Unknown parameter: 'response_format'.", "response_format", "unknown_parameter"
        )
    if response_format is not None and response_format not in rules.response_formats:
        return _invalid("response_format", response_format, rules.response_formats)
    if not prompt:
        return ApiError(
            400,
            "Invalid 'prompt': string too short. Expected a string with minimum length 1, "
            "but got an empty string instead.",
            "prompt",
            "string_below_min_length",
        )
    if len(prompt) > rules.prompt_max:
        return ApiError(
            400,
            f"Invalid 'prompt': string too long. Expected a string with maximum length "
            f"{rules.prompt_max}, but got a string with length {len(prompt)} instead.",
            "prompt",
            "string_above_max_length",
        )
    if len(images) > rules.max_images:
        return ApiError(400, f"{model} takes at most {rules.max_images} image(s).", "image")
    image = _image(images[0], rules, "image")
    if isinstance(image, ApiError):
        return image
    mask: Image.Image | None = None
    if "mask" in files:
        checked = _mask(files["mask"][0], image.size)
        if isinstance(checked, ApiError):
            return checked
        mask = checked
    return Edit(
        image=image,
        mask=mask,
        prompt=prompt,
        model=model,
        n=n,
        size=size,
        response_format=response_format or rules.default_response_format,
    )


def _n(text: str | None) -> int | ApiError:
    if text is None:
        return 1
    try:
        n = int(text)
    except ValueError:
        return ApiError(
            400,
            "Invalid type for 'n': expected an integer, but got a string instead.",
            "n",
            "invalid_type",
        )
    low, high = N_RANGE
    if n < low:
        return ApiError(
            400,
            f"Invalid 'n': integer below minimum value. Expected a value >= {low}, but got "
            f"{n} instead.",
            "n",
            "integer_below_min_value",
        )
    if n > high:
        return ApiError(
            400,
            f"Invalid 'n': integer above maximum value. Expected a value <= {high}, but got "
            f"{n} instead.",
            "n",
            "integer_above_max_value",
        )
    return n


def _decode(upload: Upload) -> tuple[Image.Image, str] | None:
    try:
        with Image.open(io.BytesIO(upload.data)) as probe:
            probe.load()
            return probe.copy(), (probe.format or "").lower()
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        return None


def _image(upload: Upload, rules: ModelRules, param: str) -> Image.Image | ApiError:
    if len(upload.data) > rules.max_bytes:
        return ApiError(400, f"Image too large: must be less than {rules.max_bytes} bytes.", param)
    decoded = _decode(upload)
    if decoded is None:
        return ApiError(
            400,
            "Invalid image file or mode for image 1, please check your image file.",
            param,
            "invalid_image_file",
        )
    image, fmt = decoded
    if fmt not in rules.formats:
        shown = ", ".join(rules.formats)
        return ApiError(
            400,
            f"Invalid image format: {fmt}; must be one of {shown}.",
            param,
            "invalid_image_format",
        )
    if rules.modes and image.mode not in rules.modes:
        # The live endpoint's words (the OpenAPI description does not state the rule); its
        # param and code are not known, so none is claimed.
        return ApiError(
            400, f"Invalid input image - format must be in {list(rules.modes)}, got {image.mode}."
        )
    if rules.square and image.width != image.height:
        return ApiError(400, "Uploaded image must be square.", param, "invalid_image")
    return image


def _mask(upload: Upload, size: tuple[int, int]) -> Image.Image | ApiError:
    if len(upload.data) > MASK_MAX_BYTES:
        return ApiError(400, "Mask too large: must be less than 4MB.", "mask")
    decoded = _decode(upload)
    if decoded is None or decoded[1] != "png":
        return ApiError(400, "Invalid mask: must be a valid PNG file.", "mask", "invalid_image")
    mask, _ = decoded
    if mask.size != size:
        return ApiError(
            400,
            f"Invalid mask: its dimensions {mask.width}x{mask.height} differ from the "
            f"image's {size[0]}x{size[1]}.",
            "mask",
            "image_mask_size_mismatch",
        )
    if "A" not in mask.getbands() and "transparency" not in mask.info:
        return ApiError(
            400,
            "Invalid mask: it has no alpha channel; fully transparent pixels mark where the "
            "image is edited.",
            "mask",
            "invalid_image",
        )
    return mask


def edit_area(mask: Image.Image | None, image: Image.Image) -> Image.Image:
    """The area to edit as a black-and-white image (white = edit): the fully transparent
    pixels of the mask, or of the image itself when no mask was sent (all of an opaque one)."""
    source = mask if mask is not None else image
    if "A" not in source.getbands() and "transparency" not in source.info:
        return Image.new("L", image.size, 255)
    alpha = source.convert("RGBA").getchannel("A")
    return alpha.point(lambda v: 255 if v == 0 else 0)
