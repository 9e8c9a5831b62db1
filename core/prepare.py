"""Turning a job's images into what the provider receives, applying client-side emulations.

The order follows AUTOMATIC1111: normalise the mask (white = repaint), invert it if asked,
resize both to the requested size, crop to the mask plus padding for masked-only inpainting, and
blur the mask last so the soft edge is in the pixels actually sent.  What is needed to undo the
crop afterwards (the original image, the crop box, the mask to paste through) is kept in
:class:`PreparedInputs`.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable

import attrs
from PIL import Image

from . import images
from .errors import FieldError, ValidationError
from .job import ImageInput, InpaintJob
from .planning import Plan
from .provider import ImageTransport, PreparedImage, ProviderSpec

__all__ = ["PreparedInputs", "finish_image", "fit_to_limits", "prepare_inputs"]

ReadImage = Callable[[ImageInput, str], Awaitable[bytes]]
HostImage = Callable[[bytes, str], Awaitable[str]]


@attrs.frozen(eq=False)
class PreparedInputs:
    """The images to send, and what post-processing needs to put results back together."""

    image: PreparedImage
    mask: PreparedImage
    original: Image.Image | None = None
    crop: images.CropPlan | None = None
    paste_mask: Image.Image | None = None


def _is_remote_url(image: ImageInput) -> bool:
    return image.url is not None and image.url.lower().startswith(("http://", "https://"))


async def prepare_inputs(
    job: InpaintJob,
    plan: Plan,
    spec: ProviderSpec,
    *,
    read: ReadImage,
    host: HostImage | None,
) -> PreparedInputs:
    """Load, check and transform the job's image and mask for ``spec``."""
    check_emulated_size(plan, spec)
    emulation = plan.emulation
    takes_urls = spec.image_transport in (ImageTransport.URL, ImageTransport.URL_OR_BASE64)
    if (
        takes_urls
        and _is_remote_url(job.image)
        and _is_remote_url(job.mask)
        and not emulation.touches_images
    ):
        # Nothing to change locally: let the provider fetch the caller's URLs itself.
        return PreparedInputs(
            image=PreparedImage(data=None, format=None, width=None, height=None, url=job.image.url),
            mask=PreparedImage(data=None, format=None, width=None, height=None, url=job.mask.url),
        )

    image_bytes = await read(job.image, "$.image")
    mask_bytes = await read(job.mask, "$.mask")
    limits = spec.image_limits
    # The image's pixels are decoded only when an emulation works on them; an image sent as it
    # is gets a structural check (PNG chunk CRCs, JPEG end marker) instead of a full decode.
    needs_pixels = emulation.resize_to is not None or emulation.masked_only
    loaded_image, loaded_mask = images.load_pair(
        image_bytes, mask_bytes, limits=limits, keep_pixels=True, decode_image=needs_pixels
    )
    converted = _convert_if_unaccepted(loaded_image, spec)
    mask_pixels = loaded_mask.pixels if loaded_mask.pixels is not None else loaded_mask.to_pil()
    # A mask that already is binary greyscale PNG is sent as it came, unless an emulation
    # changes it: no second decode, no re-encode.
    mask_as_given = (
        loaded_mask.format == "png"
        and not emulation.invert_mask
        and emulation.resize_to is None
        and not emulation.masked_only
        and emulation.blur_radius is None
        and images.is_normalized_mask(mask_pixels)
    )
    mask = mask_pixels if mask_as_given else images.normalize_mask(mask_pixels)
    if emulation.invert_mask:
        mask = images.invert_mask(mask)
    working: Image.Image | None = converted
    if emulation.resize_to is not None:
        source = working if working is not None else loaded_image.to_pil()
        working = source.resize(emulation.resize_to, Image.Resampling.LANCZOS)
        mask = mask.resize(emulation.resize_to, Image.Resampling.NEAREST)
    crop: images.CropPlan | None = None
    original: Image.Image | None = None
    if emulation.masked_only:
        original = working if working is not None else loaded_image.to_pil()
        crop = images.crop_to_mask(original, mask, padding=emulation.padding)
        working = crop.image
        mask = crop.mask
        fitted = fit_to_limits(working.size, spec)
        if fitted is not None:
            # Like A1111's "inpaint at full resolution": work on the crop at a size the provider
            # accepts; paste_back scales the result back to the box.
            working = working.resize(fitted, Image.Resampling.LANCZOS)
            mask = mask.resize(fitted, Image.Resampling.NEAREST)
    if emulation.blur_radius is not None:
        mask = images.blur_mask(mask, emulation.blur_radius)

    if working is None:
        data, fmt = loaded_image.data, loaded_image.format
        width, height = loaded_image.width, loaded_image.height
    else:
        data, fmt = images.encode_image(working, "png"), "png"
        width, height = working.size
    mask_data = loaded_mask.data if mask_as_given else images.encode_image(mask, "png")
    del loaded_image, loaded_mask, mask_pixels  # the decoded pixels are not needed any more

    image_url = mask_url = None
    if spec.image_transport is ImageTransport.URL:
        if host is None:
            raise ValidationError(
                [
                    FieldError(
                        "$.image",
                        f"{spec.id} takes images only as URLs and no image host "
                        "is installed; pass http(s) URLs or install an image_host plugin",
                        job.image,
                    )
                ],
                provider=spec.id,
            )
        image_url = await host(data, images.MIME_TYPES.get(fmt, "image/png"))
        mask_url = await host(mask_data, "image/png")

    return PreparedInputs(
        image=PreparedImage(data=data, format=fmt, width=width, height=height, url=image_url),
        mask=PreparedImage(
            data=mask_data, format="png", width=mask.width, height=mask.height, url=mask_url
        ),
        original=original,
        crop=crop,
        paste_mask=crop.mask if crop is not None else None,
    )


def fit_to_limits(size: tuple[int, int], spec: ProviderSpec) -> tuple[int, int] | None:
    """The nearest size, keeping the aspect ratio, within the provider's native width/height
    limits (minimum, maximum, multiple_of); ``None`` if ``size`` already fits or there are none."""
    rows = [spec.capabilities.get("width"), spec.capabilities.get("height")]
    if any(r is None or r.support != "native" for r in rows):
        return None
    width_row, height_row = rows
    assert width_row is not None
    assert height_row is not None
    w, h = size
    scale = max(
        (width_row.minimum or 1) / w,
        (height_row.minimum or 1) / h,
        1.0,
    )
    scale = min(
        scale,
        (width_row.maximum or float("inf")) / w,
        (height_row.maximum or float("inf")) / h,
    )

    def snap(value: float, minimum: float | None, maximum: float | None, step: int | None) -> int:
        step = step or 1
        lo = math.ceil((minimum or 1) / step) * step
        hi = math.floor(maximum / step) * step if maximum is not None else None
        snapped = max(lo, round(value / step) * step)
        return min(snapped, hi) if hi is not None else snapped

    fitted = (
        snap(w * scale, width_row.minimum, width_row.maximum, width_row.multiple_of),
        snap(h * scale, height_row.minimum, height_row.maximum, height_row.multiple_of),
    )
    return None if fitted == (w, h) else fitted


def finish_image(data: bytes, inputs: PreparedInputs, output_format: str | None) -> bytes:
    """Post-process one generated image: paste a masked-only crop back, convert the format."""
    if inputs.crop is not None and inputs.original is not None:
        generated = images.load_image(data, path="$.result").to_pil()
        pasted = images.paste_back(inputs.original, generated, inputs.crop, mask=inputs.paste_mask)
        fmt = output_format or images.sniff_format(data) or "png"
        return images.encode_image(pasted, fmt)
    if output_format is not None:
        return images.convert_format(data, output_format)
    return data


def check_emulated_size(plan: Plan, spec: ProviderSpec) -> None:
    """Reject a client-side resize to more pixels than the provider accepts, before any image
    is read or allocated (a 100000x100000 resize would need 40 GB)."""
    size = plan.emulation.resize_to
    if size is None:
        return
    width, height = size
    pixels = width * height
    limit = spec.max_image_pixels
    if limit is None or pixels <= limit:
        return
    rule = (
        f"with height {height} makes {pixels} pixels, more than {spec.id} accepts "
        f"({limit}); the image is resized on the client to this size"
    )
    raise ValidationError([FieldError("$.width", rule, width)], provider=spec.id)


def _convert_if_unaccepted(loaded: images.LoadedImage, spec: ProviderSpec) -> Image.Image | None:
    """The decoded image when the provider does not accept its format (it is then sent as PNG),
    else ``None``; an animated image is rejected rather than silently cut to one frame."""
    if loaded.format in spec.input_formats:
        return None
    pil = loaded.pixels if loaded.pixels is not None else loaded.to_pil()
    if getattr(pil, "n_frames", 1) > 1:
        accepted = ", ".join(spec.input_formats)
        raise ValidationError(
            [
                FieldError(
                    "$.image",
                    f"must be a still image: {spec.id} accepts {accepted}, and an animated "
                    f"{loaded.format.upper()} cannot be converted without dropping frames",
                    loaded.data,
                )
            ],
            provider=spec.id,
        )
    return pil.copy()
