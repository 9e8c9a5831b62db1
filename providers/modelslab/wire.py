"""Translation of a prepared neutral job into ModelsLab's flat v6 inpaint body.

Conventions, following the seed document (seed 003's request example) wherever it speaks:

* integers the seed example quotes (``width``, ``height``, ``samples``, ``steps``,
  ``clip_skip``) are sent as strings; ``guidance_scale`` and ``strength`` as JSON numbers;
  ``seed`` as an integer or ``null``.  The server accepts both forms (the official
  ``modelslab_py`` sends integers), so we follow the documented example.
* options are ``"yes"``/``"no"`` strings (``safety_checker``, ``use_karras_sigmas``,
  ``enhance_prompt``, ``base64``).
* the nullable fields the seed example sends as ``null`` when unused (``negative_prompt``,
  ``seed``, ``webhook``, ``track_id``) are sent as ``null`` when the job leaves them unset; every
  other unset field is left out so that the provider's default applies.
* steps go out as ``steps`` (the seed, the docs example and the old SDK); the OpenAPI and
  ``modelslab_py`` call the same thing ``num_inference_steps``.

The API key is never part of the body built here: the runtime adds ``key`` (``BodyKeyAuth``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inpaintkit.errors import FieldError, ValidationError
from inpaintkit.images import MIME_TYPES, sniff_format, to_base64
from inpaintkit.job import InpaintJob
from inpaintkit.limits import fmt_number
from inpaintkit.provider import PreparedImage, PreparedRequest

from .capabilities import CAPABILITIES, PROVIDER_ID
from .samplers import sampler_to_wire

__all__ = ["build_body", "encode_image", "wire_to_neutral"]

_AUTH_FIELD = "key"
_ALIASES: Mapping[str, str] = {"num_inference_steps": "steps"}
"""Wire names that mean the same as a field we send (an extra under an alias would conflict)."""


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _invalid(path: str, rule: str, value: Any) -> ValidationError:
    return ValidationError([FieldError(path, rule, value)], provider=PROVIDER_ID)


def encode_image(image: PreparedImage, path: str, *, data_url_prefix: bool) -> tuple[str, bool]:
    """The wire value of one input image and whether it went inline.

    A URL (the job's own, or one from an image host) is passed through; otherwise the bytes go
    inline as base64, by default as a ``data:<mime>;base64,`` URL.  Which of the two ModelsLab
    really wants is undocumented (reference 3.2, UNVERIFIED): the data URL is what its own
    ``base64_to_url`` helper and face endpoints take, and a server that wants bare base64 most
    likely strips a prefix, while the reverse is not true.
    """
    if image.url is not None:
        return image.url, False
    if image.data is None:
        raise _invalid(path, "has neither bytes nor a URL to send", None)
    if not data_url_prefix:
        return to_base64(image.data), True
    fmt = image.format or sniff_format(image.data) or ""
    mime = MIME_TYPES.get(fmt.lower(), "application/octet-stream")
    return f"data:{mime};base64,{to_base64(image.data)}", True


def _loras(job: InpaintJob) -> dict[str, str]:
    if not job.loras:
        return {}
    for i, lora in enumerate(job.loras):
        if "," in lora.name:
            raise _invalid(
                f"$.loras[{i}].name",
                "may not contain a comma (ModelsLab joins lora_model ids with commas)",
                lora.name,
            )
    return {
        "lora_model": ",".join(lora.name for lora in job.loras),
        "lora_strength": ",".join(fmt_number(lora.strength) for lora in job.loras),
    }


def _size(request: PreparedRequest) -> dict[str, str]:
    """The output size: the job's, else the prepared image's own (the neutral meaning of an
    unset size; ModelsLab's own default would be a fixed 512x512).  The runtime has already
    checked that size against the table.  Unknown only when the caller's URLs are passed
    through untouched; then the provider's default applies."""
    job = request.job
    if job.width is not None and job.height is not None:
        return {"width": str(job.width), "height": str(job.height)}
    image = request.image
    if image.width is None or image.height is None:
        return {}
    return {"width": str(image.width), "height": str(image.height)}


def _merge_extras(body: dict[str, Any], extras: Mapping[str, Any]) -> None:
    for name, value in extras.items():
        path = f"$.extras.{PROVIDER_ID}.{name}"
        if name == _AUTH_FIELD:
            raise _invalid(
                path,
                "the API key is added by the client (api_keys or MODELSLAB_API_KEY), never "
                "through extras",
                "<redacted>",
            )
        same = _ALIASES.get(name, name)
        if same in body:
            raise _invalid(
                path, f"conflicts with the wire field {same!r} translated from the job", value
            )
        body[name] = value


def build_body(request: PreparedRequest, *, data_url_prefix: bool = True) -> dict[str, Any]:
    """The JSON body of ``POST /api/v6/images/inpaint`` for ``request`` (without the key)."""
    job = request.job
    if job.model is None:
        raise ValidationError(
            [
                FieldError.missing(
                    "$.model",
                    "ModelsLab needs a model id (wire model_id), e.g. 'pony_realism'; it has "
                    "no default model",
                )
            ],
            provider=PROVIDER_ID,
        )
    init_image, image_inline = encode_image(
        request.image, "$.image", data_url_prefix=data_url_prefix
    )
    mask_image, mask_inline = encode_image(request.mask, "$.mask", data_url_prefix=data_url_prefix)

    body: dict[str, Any] = {
        "model_id": job.model,
        "prompt": job.prompt,
        "negative_prompt": job.negative_prompt,
        "init_image": init_image,
        "mask_image": mask_image,
        **_size(request),
        "samples": str(job.num_images),
    }
    if job.steps is not None:
        body["steps"] = str(job.steps)
    if job.safety is not None:
        body["safety_checker"] = _yes_no(job.safety.enabled)
    if job.guidance_scale is not None:
        body["guidance_scale"] = job.guidance_scale
    if job.strength is not None:
        body["strength"] = job.strength
    if job.sampler is not None:
        body.update(sampler_to_wire(job.sampler).to_wire())
    if job.clip_skip is not None:
        body["clip_skip"] = str(job.clip_skip)
    body.update(_loras(job))
    if job.vae is not None:
        body["vae"] = job.vae
    if job.enhance_prompt is not None:
        body["enhance_prompt"] = _yes_no(job.enhance_prompt)
    body["seed"] = job.seed
    body["webhook"] = job.webhook.url if job.webhook is not None else None
    body["track_id"] = job.webhook.track_id if job.webhook is not None else None
    if image_inline or mask_inline:
        # The documented switch for base64 images; it also makes the output base64 (parsed by
        # responses.py in every shape we know of).
        body["base64"] = "yes"
    extras = job.extras.get(PROVIDER_ID)
    if extras:
        _merge_extras(body, extras)
    return body


def wire_to_neutral(wire_field: str) -> str | None:
    """The neutral field a ModelsLab wire field translates (from the table's wire mappings)."""
    return CAPABILITIES.field_for_wire(_ALIASES.get(wire_field, wire_field))
