"""Translation of a prepared neutral job into Novita's ``{"extra": ..., "request": ...}`` body.

Only what Novita honours natively is translated here; emulated fields arrive already applied
(and cleared) by the runtime.  Wire fields Novita requires but the job left unset (``steps``,
``guidance_scale``, ``sampler_name``, ``image_num``) take the ``default`` declared in the
capability table, and an unset seed becomes Novita's ``-1`` (random), also from the table.
Optional fields the job leaves unset are omitted, so Novita's own defaults apply; the two mask
flags are always sent as ``0``/``1`` because the neutral flags are never "unset".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inpaintkit.errors import FieldError, ValidationError
from inpaintkit.images import to_base64
from inpaintkit.job import InpaintJob
from inpaintkit.provider import CapabilityTable, PreparedImage, PreparedRequest

from .capabilities import EXTRA_KEYS
from .samplers import sampler_to_wire
from .validate import novita_extras

__all__ = ["build_body"]

PROVIDER_ID = "novita"


def build_body(request: PreparedRequest, table: CapabilityTable) -> dict[str, Any]:
    """The JSON body of ``POST /v3/async/inpainting`` for ``request`` (without the API key)."""
    job = request.job
    body: dict[str, Any] = {}
    extra = _extra(job)
    if extra:
        body["extra"] = extra
    body["request"] = _request(request, table)
    _apply_extras(job, body)
    return body


def _default(table: CapabilityTable, field: str) -> Any:
    row = table.get(field)
    if row is None or row.default is None:  # pragma: no cover - guarded by the table meta-tests
        raise LookupError(f"the Novita table declares no default for {field}")
    return row.default


def _or_default(table: CapabilityTable, field: str, value: Any) -> Any:
    return _default(table, field) if value is None else value


def _request(prepared: PreparedRequest, table: CapabilityTable) -> dict[str, Any]:
    job = prepared.job
    if job.model is None:
        # check_prepared reports this with the table's wording; keep the body builder total.
        raise ValidationError(
            [FieldError.missing("$.model", "is required by Novita (request.model_name)")],
            provider=PROVIDER_ID,
        )
    sampler = _or_default(table, "sampler", job.sampler)
    request: dict[str, Any] = {
        "model_name": job.model,
        "image_base64": _base64(prepared.image, "$.image"),
        "mask_image_base64": _base64(prepared.mask, "$.mask"),
        "prompt": job.prompt,
        "image_num": _or_default(table, "num_images", job.num_images),
        "steps": _or_default(table, "steps", job.steps),
        "guidance_scale": _or_default(table, "guidance_scale", job.guidance_scale),
        "sampler_name": sampler_to_wire(sampler),
        "seed": _or_default(table, "seed", job.seed),
    }
    optional = {
        "negative_prompt": job.negative_prompt or None,
        "sd_vae": job.vae,
        "clip_skip": job.clip_skip,
        "strength": job.strength,
        "initial_noise_multiplier": job.initial_noise_multiplier,
        "mask_blur": job.mask_options.blur,
    }
    request.update({k: v for k, v in optional.items() if v is not None})
    if job.loras:
        request["loras"] = [{"model_name": x.name, "strength": x.strength} for x in job.loras]
    if job.embeddings:
        request["embeddings"] = [{"model_name": x.name} for x in job.embeddings]
    masked_only = job.mask_options.masked_only
    request["inpainting_full_res"] = int(masked_only)
    if masked_only and job.mask_options.padding is not None:
        request["inpainting_full_res_padding"] = job.mask_options.padding
    request["inpainting_mask_invert"] = int(job.mask_options.invert)
    return request


def _extra(job: InpaintJob) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if job.output_format is not None:
        extra["response_image_type"] = job.output_format.value
    if job.webhook is not None:
        extra["webhook"] = {"url": job.webhook.url}
    if job.storage is not None:
        s = job.storage
        extra["custom_storage"] = {
            "aws_s3": {
                "region": s.region,
                "bucket": s.bucket,
                "path": s.path,
                "save_to_path_directly": s.save_to_path_directly,
            }
        }
    if job.safety is not None:
        extra["enable_nsfw_detection"] = job.safety.enabled
        if job.safety.level is not None:
            extra["nsfw_detection_level"] = job.safety.level
    return extra


def _apply_extras(job: InpaintJob, body: dict[str, Any]) -> None:
    """Place each ``extras["novita"]`` key at its declared wire path (validated beforehand)."""
    targets = {key.name: key.target for key in EXTRA_KEYS}
    for name, value in novita_extras(job).items():
        target = targets.get(name)
        if target is None:  # pragma: no cover - check_prepared rejects unknown keys first
            continue
        *parents, leaf = target.split(".")
        node = body
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = _plain_json(value)


def _plain_json(value: Any) -> Any:
    """A copy made of dicts and lists only, so any Mapping the caller gave serialises."""
    if isinstance(value, Mapping):
        return {str(k): _plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_json(v) for v in value]
    return value


def _base64(image: PreparedImage, path: str) -> str:
    if image.data is None:
        raise ValidationError(
            [
                FieldError(
                    path,
                    "must be image bytes: Novita takes base64 only, so the client must load a "
                    "URL image before building the request",
                    image.url,
                )
            ],
            provider=PROVIDER_ID,
        )
    return to_base64(image.data)
