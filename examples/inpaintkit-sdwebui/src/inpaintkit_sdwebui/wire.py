"""A prepared neutral job -> the JSON body of ``POST /sdapi/v1/img2img``.

Fields the job leaves unset are omitted so the server's defaults apply, except where the API's
default differs from the neutral meaning (recorded in the capability table's notes):

- ``width``/``height``: the image's own size (the API would resize to 512x512);
- ``inpaint_full_res``: always sent (the API defaults to "only masked");
- ``inpaint_full_res_padding``: 32 when masked-only without a padding (the API's 0 gives the
  model no context);
- ``inpainting_fill``: 1, "original" (the API's 0 repaints from a blurred fill, so a low
  ``strength`` would not keep the original content under the mask);
- ``inpainting_mask_invert``: always 0 or 1.

``batch_size`` carries ``num_images`` and ``n_iter`` stays 1, so one request is one batch.
"""

from __future__ import annotations

from typing import Any

from inpaintkit.errors import FieldError, ValidationError
from inpaintkit.images import to_base64
from inpaintkit.provider import CapabilityTable, PreparedImage, PreparedRequest

from .capabilities import PROVIDER_ID
from .samplers import sampler_fields
from .validate import sdwebui_extras

__all__ = ["DEFAULT_INPAINTING_FILL", "build_body"]

DEFAULT_INPAINTING_FILL = 1
"""'original': what the web UI's inpaint tab selects by default."""


def build_body(request: PreparedRequest, table: CapabilityTable) -> dict[str, Any]:
    """The request body for ``request`` (no credential: the runtime adds the Basic header)."""
    job = request.job
    masks = job.mask_options
    width, height = _size(request)
    body: dict[str, Any] = {
        "init_images": [_base64(request.image, "$.image")],
        "mask": _base64(request.mask, "$.mask"),
        "prompt": job.prompt,
        "batch_size": job.num_images,
        "n_iter": 1,
        "width": width,
        "height": height,
        "inpainting_fill": sdwebui_extras(job).get("inpainting_fill", DEFAULT_INPAINTING_FILL),
        "inpaint_full_res": masks.masked_only,
        "inpainting_mask_invert": int(masks.invert),
    }
    if masks.masked_only:
        body["inpaint_full_res_padding"] = (
            masks.padding if masks.padding is not None else _default(table, "mask_options.padding")
        )
    optional = {
        "negative_prompt": job.negative_prompt,
        "steps": job.steps,
        "cfg_scale": job.guidance_scale,
        "denoising_strength": job.strength,
        "seed": job.seed,
        "mask_blur": masks.blur,
        "initial_noise_multiplier": job.initial_noise_multiplier,
    }
    body.update({k: v for k, v in optional.items() if v is not None})
    if job.sampler is not None:
        body.update(sampler_fields(job.sampler))
    overrides = {
        "sd_model_checkpoint": job.model,
        "CLIP_stop_at_last_layers": job.clip_skip,
        "sd_vae": job.vae,
    }
    settings = {k: v for k, v in overrides.items() if v is not None}
    if settings:
        body["override_settings"] = settings
    return body


def _default(table: CapabilityTable, field: str) -> Any:
    row = table.get(field)
    if row is None or row.default is None:  # pragma: no cover - the table declares it
        raise LookupError(f"the {PROVIDER_ID} table declares no default for {field}")
    return row.default


def _size(request: PreparedRequest) -> tuple[int, int]:
    job = request.job
    if job.width is not None and job.height is not None:
        return job.width, job.height
    width, height = request.image.width, request.image.height
    if width is None or height is None:
        raise ValidationError(
            [FieldError.missing("$.width", "is needed: the image's size is unknown")],
            provider=PROVIDER_ID,
        )
    return width, height


def _base64(image: PreparedImage, path: str) -> str:
    if image.data is None:
        raise ValidationError(
            [FieldError(path, f"must be image bytes ({PROVIDER_ID} takes base64)", image.url)],
            provider=PROVIDER_ID,
        )
    return to_base64(image.data)
