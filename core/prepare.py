"""Turning a job's images into what the provider receives, applying client-side emulations.

The order follows AUTOMATIC1111: normalise the mask (white = repaint), invert it if asked,
resize both to the requested size, crop to the mask plus padding for masked-only inpainting, and
blur the mask last so the soft edge is in the pixels actually sent.  What is needed to undo the
crop afterwards (the original image, the crop box, the mask to paste through) is kept in
:class:`PreparedInputs`.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
from PIL import Image

from . import images
from .errors import FieldError, ValidationError
from .job import ImageInput, InpaintJob
from .options import options_for
from .planning import Disposition, Emulation, FieldOutcome, Plan
from .provider import ImageTransport, PreparedImage, ProviderSpec

__all__ = [
    "PreparedInputs",
    "finish_image",
    "finish_image_off_loop",
    "fit_to_limits",
    "no_host_error",
    "paste_back_inputs",
    "prepare_inputs",
    "sha256_hex",
    "uses_host",
]

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
    outcomes: tuple[FieldOutcome, ...] = ()
    """What preparing the images decided beyond the plan (an unset size fitted to the
    provider's limits), recorded on the result with the plan's outcomes."""
    _image_sha256: str | None = attrs.field(default=None, alias="image_sha256")
    _mask_sha256: str | None = attrs.field(default=None, alias="mask_sha256")
    _image_source: bytes | None = attrs.field(default=None, alias="image_source", repr=False)
    """The job's own image bytes, digested only if someone asks (:attr:`image_sha256`)."""
    _mask_source: bytes | None = attrs.field(default=None, alias="mask_source", repr=False)

    @property
    def image_sha256(self) -> str | None:
        """Digest of the image bytes as the job gave them (``None`` when the provider fetched
        the job's URL itself): a stored job names its original by it
        (:mod:`inpaintkit.jobstate`).  Worked out on first use when the job holds the bytes
        itself: only a stored job needs it, and hashing a large photo costs milliseconds."""
        return self._digest("image")

    @property
    def mask_sha256(self) -> str | None:
        """Digest of the mask bytes as the job gave them (see :attr:`image_sha256`)."""
        return self._digest("mask")

    def _digest(self, which: str) -> str | None:
        digest: str | None = getattr(self, f"_{which}_sha256")
        source: bytes | None = getattr(self, f"_{which}_source")
        if digest is None and source is not None:
            digest = sha256_hex(source)
            object.__setattr__(self, f"_{which}_sha256", digest)
        return digest


def sha256_hex(data: bytes) -> str:
    """The digest that identifies an input image in a stored job."""
    return hashlib.sha256(data).hexdigest()


def uses_host(
    job: InpaintJob, spec: ProviderSpec, *, host_installed: bool, plan: Plan | None = None
) -> bool:
    """Whether local images go through an image host: always for a URL-only provider; for one
    taking URLs or inline data, when a host is installed and the job does not ask for inline
    images through the provider's ``inline_images_option``."""
    if spec.image_transport is ImageTransport.URL:
        return True
    if spec.image_transport is not ImageTransport.URL_OR_BASE64 or not host_installed:
        return False
    name = spec.inline_images_option
    if name is None:
        return True
    # The job's options as its plan structured them, if it has one for this table.
    if plan is not None and plan.vouches_for(plan.job, spec) and plan.job.extras is job.extras:
        options = plan.planned_options(plan.job, spec)
    else:
        options = options_for(job, spec)[0]
    return getattr(options, name, None) is not True


def no_host_error(job: InpaintJob, spec: ProviderSpec) -> ValidationError:
    """The error of a job with local images for a URL-only provider without an image host:
    raised before any image is read or any request is sent, saying how to configure one."""
    rule = (
        f"is local data, but {spec.id} takes images only as links and no image host is "
        "configured for it"
    )
    hint = (
        "Pass http(s) URLs for image and mask, or configure an image host: "
        f"InpaintClient(image_hosts={{{spec.id!r}: host}}) with any ImageHost (your own "
        "storage, an S3 presigned-URL uploader, or a provider's documented upload such as "
        "inpaintkit.providers.modelslab.ModelsLabUploadHost(), which uses your ModelsLab key), "
        "or a plugin implementing the image_host hook."
    )
    cli_hint = (
        "Give http(s) URLs for image and mask in the job file, or install a plugin (entry-point "
        f"group 'inpaintkit') whose image_host hook returns a host for {spec.id}, for example "
        "inpaintkit.providers.modelslab.ModelsLabUploadHost() (ModelsLab's documented "
        "base64_to_url, with MODELSLAB_API_KEY)."
    )
    return ValidationError(
        [FieldError("$.image", rule, job.image)], provider=spec.id, hint=hint, cli_hint=cli_hint
    )


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
    local_images = not (_is_remote_url(job.image) and _is_remote_url(job.mask))
    if spec.image_transport is ImageTransport.URL and host is None and local_images:
        raise no_host_error(job, spec)
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
    if _blocks_for_long(image_bytes, mask_bytes, emulation):
        # Decoding, resizing and encoding megapixels takes tens of milliseconds or more: done
        # in a worker thread (Pillow releases the GIL), so the event loop keeps polling and
        # downloading for the other jobs meanwhile.
        local = await asyncio.to_thread(_transform, image_bytes, mask_bytes, plan.emulation, spec)
    else:
        local = _transform(image_bytes, mask_bytes, plan.emulation, spec)
    data, fmt = local.data, local.format
    mask_data = local.mask_data

    image_url = mask_url = None
    if uses_host(job, spec, host_installed=host is not None, plan=plan):
        if host is None:
            raise no_host_error(job, spec)
        image_url = await host(data, images.MIME_TYPES.get(fmt, "image/png"))
        mask_url = await host(mask_data, "image/png")

    return PreparedInputs(
        image=PreparedImage(
            data=data, format=fmt, width=local.width, height=local.height, url=image_url
        ),
        mask=PreparedImage(
            data=mask_data,
            format="png",
            width=local.mask_size[0],
            height=local.mask_size[1],
            url=mask_url,
        ),
        original=local.original,
        crop=local.crop,
        paste_mask=local.crop.mask if local.crop is not None else None,
        outcomes=local.outcomes,
        **_digests(job, image_bytes, mask_bytes),
    )


def _digests(job: InpaintJob, image_bytes: bytes, mask_bytes: bytes) -> dict[str, Any]:
    """The inputs' digests, or the bytes to digest later where they are the job's own (held by
    the job anyway, so keeping them costs nothing); bytes read from a file or a URL are
    digested now, so that they need not be kept."""
    out: dict[str, Any] = {}
    for name, given, read in (("image", job.image, image_bytes), ("mask", job.mask, mask_bytes)):
        if given.data is read:
            out[f"{name}_source"] = read
        else:
            out[f"{name}_sha256"] = sha256_hex(read)
    return out


def paste_back_inputs(
    image_bytes: bytes, mask_bytes: bytes, emulation: Emulation, spec: ProviderSpec
) -> PreparedInputs:
    """What :func:`finish_image` needs to paste a masked-only result back, rebuilt from the
    job's original image and mask (for a job resumed in another process, whose prepared
    pixels died with the process that submitted it).  The same :func:`_transform` as
    :func:`prepare_inputs`, so a resumed job pastes back exactly as the uninterrupted one;
    only the paste-back fields are set."""
    local = _transform(image_bytes, mask_bytes, emulation, spec)
    empty = PreparedImage(data=None, format=None, width=None, height=None)
    return PreparedInputs(
        image=empty,
        mask=empty,
        original=local.original,
        crop=local.crop,
        paste_mask=local.crop.mask if local.crop is not None else None,
        image_sha256=sha256_hex(image_bytes),
        mask_sha256=sha256_hex(mask_bytes),
    )


OFF_LOOP_PIXELS = 1_000_000
"""Images from this many pixels up are decoded, transformed and encoded in a worker thread."""

OFF_LOOP_BYTES = 4 * 1024 * 1024
"""Files from this size up are checked in a worker thread even when nothing is decoded (a
CRC pass over 30 MB takes tens of milliseconds)."""


def _blocks_for_long(image: bytes, mask: bytes, emulation: Emulation) -> bool:
    """Whether preparing these files would block the event loop for long (a few ms or more):
    a large file, or pixels to decode at a megapixel or more."""
    if len(image) + len(mask) >= OFF_LOOP_BYTES:
        return True
    decodes = (
        emulation.touches_images
        or images.sniff_format(image) not in ("png", "jpeg")
        or not images.is_known_binary_mask(mask)
    )
    return decodes and max(_pixels_hint(image), _pixels_hint(mask)) >= OFF_LOOP_PIXELS


def _pixels_hint(data: bytes) -> int:
    """The pixel count a PNG's header states (its first chunk), else a guess from the size
    (compressed formats rarely take less than a byte for three pixels)."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        return int.from_bytes(data[16:20], "big") * int.from_bytes(data[20:24], "big")
    return len(data) * 3


@attrs.frozen(eq=False)
class _Local:
    """What the local (CPU) part of :func:`prepare_inputs` made."""

    data: bytes
    format: str
    width: int
    height: int
    mask_data: bytes
    mask_size: tuple[int, int]
    original: Image.Image | None
    crop: images.CropPlan | None
    outcomes: tuple[FieldOutcome, ...] = ()


def _transform(
    image_bytes: bytes, mask_bytes: bytes, emulation: Emulation, spec: ProviderSpec
) -> _Local:
    """Check, transform and encode the two files (no I/O: may run in a worker thread)."""
    limits = spec.image_limits
    # The image's pixels are decoded only when an emulation works on them; an image sent as it
    # is gets a structural check (PNG chunk CRCs, JPEG end marker) instead of a full decode.
    needs_pixels = emulation.resize_to is not None or emulation.masked_only
    # Fitting an unset size changes the mask only when the image's size breaks the limits,
    # which its header tells (below); a mask that is not resized is sent as it came.
    mask_untouched = (
        not emulation.invert_mask
        and emulation.resize_to is None
        and not emulation.masked_only
        and emulation.blur_radius is None
    )
    # A mask file seen before to be a binary greyscale PNG is not decoded again (a batch
    # reusing one mask); it still gets the structural check and the size comparison.
    known_mask = mask_untouched and images.is_known_binary_mask(mask_bytes)
    loaded_image, loaded_mask = images.load_pair(
        image_bytes,
        mask_bytes,
        limits=limits,
        keep_pixels=True,
        decode_image=needs_pixels,
        decode_mask=not known_mask,
    )
    converted = _convert_if_unaccepted(loaded_image, spec)
    fitted_size, outcomes = _fit_unset_size(emulation, loaded_image, spec)
    mask_untouched = mask_untouched and fitted_size is None
    if mask_untouched and known_mask and loaded_mask.format == "png" and loaded_mask.mode == "L":
        mask_as_given = True
        mask: Image.Image | None = None
    else:
        mask = loaded_mask.pixels if loaded_mask.pixels is not None else loaded_mask.to_pil()
        # A mask that already is binary greyscale PNG is sent as it came, unless an emulation
        # changes it: no second decode, no re-encode.
        mask_as_given = (
            loaded_mask.format == "png" and mask_untouched and images.is_normalized_mask(mask)
        )
        if mask_as_given:
            images.remember_binary_mask(loaded_mask.data, loaded_mask.size)
        else:
            mask = images.normalize_mask(mask)
    if emulation.invert_mask:
        assert mask is not None
        mask = images.invert_mask(mask)
    working: Image.Image | None = converted
    if emulation.resize_to is not None:
        assert mask is not None
        source = working if working is not None else loaded_image.to_pil()
        working = source.resize(emulation.resize_to, Image.Resampling.LANCZOS)
        mask = mask.resize(emulation.resize_to, Image.Resampling.NEAREST)
    if fitted_size is not None:
        assert mask is not None
        source = working if working is not None else loaded_image.to_pil()
        working = source.resize(fitted_size, Image.Resampling.LANCZOS)
        mask = mask.resize(fitted_size, Image.Resampling.NEAREST)
    crop: images.CropPlan | None = None
    original: Image.Image | None = None
    if emulation.masked_only:
        assert mask is not None
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
        assert mask is not None
        mask = images.blur_mask(mask, emulation.blur_radius)

    if working is None:
        data, fmt = loaded_image.data, loaded_image.format
        width, height = loaded_image.width, loaded_image.height
    else:
        data, fmt = images.encode_image(working, "png"), "png"
        width, height = working.size
    if mask_as_given or mask is None:
        mask_data, mask_size = loaded_mask.data, loaded_mask.size
    else:
        mask_data, mask_size = images.encode_image(mask, "png"), mask.size
    return _Local(data, fmt, width, height, mask_data, mask_size, original, crop, outcomes)


def _fit_unset_size(
    emulation: Emulation, loaded: images.LoadedImage, spec: ProviderSpec
) -> tuple[tuple[int, int] | None, tuple[FieldOutcome, ...]]:
    """The size to resize the input to when the job leaves the size unset, the provider's
    table declares ``fit_when_unset`` and the image's own size breaks its limits; with the
    outcomes that record it (``None`` and none otherwise)."""
    if not emulation.fit_unset_size or emulation.masked_only or emulation.resize_to is not None:
        return None, ()
    own = (loaded.width, loaded.height)
    fitted = fit_to_limits(own, spec)
    if fitted is None:
        return None, ()
    note = (
        f"the image's own size {own[0]}x{own[1]} is outside {spec.id}'s width/height limits; "
        f"resized on the client to {fitted[0]}x{fitted[1]} (aspect ratio kept)"
    )
    outcomes = tuple(
        FieldOutcome(field, Disposition.EMULATED, note) for field in ("width", "height")
    )
    return fitted, outcomes


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


async def finish_image_off_loop(
    data: bytes, inputs: PreparedInputs, output_format: str | None
) -> bytes:
    """:func:`finish_image`, in a worker thread when it decodes and encodes a megapixel or more
    (a paste-back into a 16-megapixel original takes a large part of a second)."""
    if inputs.crop is None and output_format is None:
        return data  # nothing to do: no thread hop for the common case
    original = inputs.original
    pixels = original.width * original.height if original is not None else _pixels_hint(data)
    if pixels >= OFF_LOOP_PIXELS or len(data) >= OFF_LOOP_BYTES:
        return await asyncio.to_thread(finish_image, data, inputs, output_format)
    return finish_image(data, inputs, output_format)


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
