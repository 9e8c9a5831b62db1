"""ModelsLab v6: ``POST /api/v6/images/inpaint``, ``/images/fetch[/{id}]``, ``/base64_to_url``.

Transcribed from seed 003 (the Pony-model inpainting page) and reference sections 3.1-3.4 and 3.6.
The seed is the contract where it gives a rule; the other ModelsLab pages fill the gaps, and each
row notes where they disagree.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection
from typing import Any, ClassVar
from urllib.parse import urlsplit

from ._fields import Field, ImageLimits, ImageMode, Kind, Rule, Violation, rule_text, short_value
from ._model import Base64Upload, ErrorKind, Rejection, SubmitRequest
from ._platform import (
    PLATFORM_ERRORS,
    PlatformContract,
    decode_upload,
    defaults_of,
    laravel_message,
    wire_image,
)

__all__ = [
    "MODELSLAB_BASE64_TO_URL",
    "MODELSLAB_FETCH",
    "MODELSLAB_SUBMIT",
    "SCHEDULERS",
    "ModelsLabContract",
]

S003 = "seed 003"
R32 = "reference 3.2"
MB = 1024 * 1024

SCHEDULERS = (
    "DDPMScheduler",
    "DDIMScheduler",
    "PNDMScheduler",
    "LMSDiscreteScheduler",
    "EulerDiscreteScheduler",
    "EulerAncestralDiscreteScheduler",
    "DPMSolverMultistepScheduler",
    "HeunDiscreteScheduler",
    "KDPM2DiscreteScheduler",
    "DPMSolverSinglestepScheduler",
    "KDPM2AncestralDiscreteScheduler",
    "UniPCMultistepScheduler",
    "DDIMInverseScheduler",
    "DEISMultistepScheduler",
    "IPNDMScheduler",
    "KarrasVeScheduler",
    "ScoreSdeVeScheduler",
    "LCMScheduler",
)

_IMAGE = ImageLimits(ImageMode.URL_OR_INLINE, inline_flag="base64")
_IMAGE_NOTE = (
    "seed: string<uri>.  With base64 yes/true the value may be inline base64 (reference 3.2, OLD "
    "docs: 'Pass init_image and mask_image as base64 strings'); plain base64 and data: URLs are "
    "both accepted (whether the prefix is required is unverified)."
)
_SIZE_NOTE = (
    "seed: 512..1024, divisible by 8; the other ModelsLab docs say 256..1024 (reference 3.2, "
    "section 5). The seed wins."
)

MODELSLAB_SUBMIT: tuple[Field, ...] = (
    Field("key", Kind.STRING, S003, required=True),
    Field("model_id", Kind.STRING, S003, required=True),
    Field("init_image", Kind.STRING, S003, required=True, image=_IMAGE, note=_IMAGE_NOTE),
    Field("mask_image", Kind.STRING, S003, required=True, image=_IMAGE, note=_IMAGE_NOTE),
    Field(
        "prompt",
        Kind.STRING,
        S003,
        note="optional in the seed; the error-codes page's '400 prompt is required' and "
        "modelslab_py's schema say required (reference 3.4, 3.6). The seed wins.",
    ),
    Field("negative_prompt", Kind.STRING, S003),
    Field(
        "width",
        Kind.INTEGER,
        S003,
        minimum=512,
        maximum=1024,
        multiple_of=8,
        default=512,
        note=_SIZE_NOTE,
    ),
    Field(
        "height",
        Kind.INTEGER,
        S003,
        minimum=512,
        maximum=1024,
        multiple_of=8,
        default=512,
        note=_SIZE_NOTE,
    ),
    Field(
        "samples",
        Kind.INTEGER,
        S003,
        minimum=1,
        maximum=4,
        default=1,
        note="seed: 'x <= 4'; minimum 1 from the error-codes page (reference 3.2).",
    ),
    Field(
        "steps",
        Kind.INTEGER,
        S003 + "; " + R32,
        minimum=1,
        maximum=50,
        default=21,
        aliases=("num_inference_steps",),
        note="the seed gives no range (default 21). The OpenAPI says min 1, max 20 with values "
        "above 20 capped (so accepted); llms.txt says 20..50; enterprise 21/31/41. Decision "
        "(issue 10): [1, 50] accepted, more refused like the plugin, because where the live "
        "server caps is undocumented (20 or 50); a cap below 50 shows in meta.steps. "
        "num_inference_steps (OpenAPI, modelslab_py) is the same value; if both are sent, "
        "steps (the seed's name) wins.",
    ),
    Field("guidance_scale", Kind.NUMBER, S003, minimum=1, maximum=20, default=7.5),
    Field("strength", Kind.NUMBER, S003, minimum=0, maximum=1, default=0.7),
    Field(
        "scheduler",
        Kind.STRING,
        S003 + "; " + R32,
        enum=SCHEDULERS,
        default="DPMSolverMultistepScheduler",
        note="the seed says only 'string'; the enum is the OpenAPI SchedulerEnum.",
    ),
    Field("use_karras_sigmas", Kind.BOOLEAN, S003, default=True),
    Field(
        "algorithm_type",
        Kind.STRING,
        S003 + "; " + R32,
        enum=("sde-dpmsolver++", "none", "dpmsolver+++"),
        default="sde-dpmsolver++",
        note="the seed's example sends 'sde-dpmsolver++'; the OpenAPI enum is none/dpmsolver+++.",
    ),
    Field(
        "clip_skip",
        Kind.INTEGER,
        S003,
        minimum=1,
        maximum=4,
        default=2,
        note="seed: 1..4; the OpenAPI says max 8 (reference 3.2). The seed wins.",
    ),
    Field(
        "safety_checker",
        Kind.BOOLEAN,
        S003,
        default=True,
        note="seed default yes; the OpenAPI says default false.",
    ),
    Field(
        "safety_checker_type",
        Kind.STRING,
        R32,
        enum=("blur", "sensitive_content_text", "pixelate", "black"),
    ),
    Field("enhance_prompt", Kind.BOOLEAN, R32, default=True),
    Field(
        "base64",
        Kind.BOOLEAN,
        R32,
        default=False,
        note="also permits inline base64 in init_image/mask_image.",
    ),
    Field("temp", Kind.BOOLEAN, R32, default=False),
    Field("seed", Kind.INTEGER, S003, note="null = random; no range documented."),
    Field(
        "webhook",
        Kind.STRING,
        S003 + "; reference 3.5",
        uri=True,
        note="'Your webhook URL must use HTTPS' (reference 3.5): http is refused, except to a "
        "loopback host (the mock's own tests).",
    ),
    Field("track_id", Kind.STRING, S003),
    Field("lora_model", Kind.STRING, R32, note="comma-separated LoRA ids."),
    Field(
        "lora_strength",
        Kind.NUMBER_LIST,
        R32,
        minimum=0.1,
        maximum=1,
        note="one number, or comma-separated numbers each in [0.1, 1].",
    ),
    Field("vae", Kind.STRING, R32),
)

MODELSLAB_FETCH: tuple[Field, ...] = (
    Field("key", Kind.STRING, "reference 3.1", required=True),
    Field(
        "request_id",
        Kind.STRING,
        "reference 3.1",
        required=True,
        note="the body form /images/fetch; integers are accepted as the submit response's id.",
    ),
)

MODELSLAB_BASE64_TO_URL: tuple[Field, ...] = (
    Field("key", Kind.STRING, "reference 3.1", required=True),
    Field(
        "base64_string",
        Kind.STRING,
        "reference 3.1",
        required=True,
        image=ImageLimits(ImageMode.BASE64, max_bytes=5 * MB),
        note="'maximum file size for upload is 5MB' read as 5 * 2**20 decoded bytes; the docs send "
        "a data: URL, plain base64 is accepted too.",
    ),
)

_INVALID_KEY: dict[str, Any] = {"status": "error", "message": "Invalid API key"}


class ModelsLabContract(PlatformContract):
    """ModelsLab v6's server-side rules (see the module docstring)."""

    provider_id = "modelslab"
    fields: ClassVar[tuple[Field, ...]] = MODELSLAB_SUBMIT
    fetch_fields: ClassVar[tuple[Field, ...]] = MODELSLAB_FETCH
    errors: ClassVar[dict[ErrorKind, tuple[int, dict[str, Any]]]] = {
        **PLATFORM_ERRORS,
        # Reference 3.4 (error-codes.mdx), statuses and messages as documented.
        ErrorKind.MISSING_KEY: (401, {"status": "error", "message": "API key required"}),
        ErrorKind.INVALID_KEY: (401, _INVALID_KEY),
        # A body that is not JSON is a bad request: error-codes.mdx lists it under 400, not
        # with the 401 key errors (reference 3.4); the wording is the mock's own.
        ErrorKind.BODY_NOT_JSON: (
            400,
            {"status": "error", "message": "Bad request: the body is not valid JSON"},
        ),
        ErrorKind.RATE_LIMITED: (
            429,
            {
                "status": "error",
                "message": "Rate limit exceeded. Maximum 5 queued requests allowed.",
                "retry_after": 30,
            },
        ),
        ErrorKind.MODEL_NOT_FOUND: (400, {"status": "error", "message": "Model not found"}),
    }

    def reject(self, violation: Violation) -> Rejection:
        """ModelsLab's error body: ``message`` is one string naming the wire field, as the
        error-codes page shows it (``{"status": "error", "message": "prompt is required"}``,
        reference 3.4), not Laravel's object of lists."""
        name = violation.path.split("[", 1)[0]
        hidden = violation.rule is Rule.REQUIRED or name == "key"
        shown = None if hidden else short_value(violation.value)
        message = _modelslab_message(name, violation)
        return Rejection(
            self._status(400),
            {"status": "error", "message": message},
            violation.path,
            rule_text(violation.field, violation.rule),
            shown,
        )

    def validate_submit(self, body: Any, api_key: str) -> SubmitRequest | Rejection:
        result = super().validate_submit(body, api_key)
        if isinstance(result, SubmitRequest) and not _https_or_loopback(result.webhook_url):
            field = next(f for f in self.fields if f.name == "webhook")
            rejection = self.reject(Violation("webhook", field, Rule.URL, result.webhook_url))
            body_out = {"status": "error", "message": "Your webhook URL must use HTTPS"}
            return Rejection(
                rejection.status, body_out, "webhook", "must use HTTPS", rejection.value
            )
        return result

    def build(
        self, params: dict[str, Any], api_key: str, ignored: tuple[str, ...]
    ) -> SubmitRequest:
        value = {**defaults_of(self.fields), **params}
        steps = params.get("steps", params.get("num_inference_steps", value["steps"]))
        return SubmitRequest(
            provider=self.provider_id,
            api_key=api_key,
            image=wire_image(params["init_image"]),
            mask=wire_image(params["mask_image"]),
            prompt=params.get("prompt"),
            negative_prompt=params.get("negative_prompt"),
            model=params["model_id"],
            width=value["width"],
            height=value["height"],
            num_images=value["samples"],
            seed=params.get("seed"),
            steps=steps,
            guidance_scale=value["guidance_scale"],
            strength=value["strength"],
            sampler=value["scheduler"],
            output_format="png",
            base64_output=value["base64"],
            mask_invert=False,
            mask_blur=0,
            masked_only=False,
            masked_only_padding=0,
            webhook_url=params.get("webhook"),
            track_id=params.get("track_id"),
            webhook_test_status=None,
            custom_storage=None,
            nsfw_detection=value["safety_checker"],
            params=params,
            ignored=ignored,
        )

    def validate_base64_to_url(
        self, body: Any, *, valid_keys: Collection[str] | None = None
    ) -> Base64Upload | Rejection:
        """``POST /api/v6/base64_to_url`` ``{key, base64_string}``: decoded data, 5 MB at most."""
        return decode_upload(self, MODELSLAB_BASE64_TO_URL, body, valid_keys)


def _https_or_loopback(url: str | None) -> bool:
    if url is None:
        return True
    parts = urlsplit(url)
    if parts.scheme.lower() == "https":
        return True
    host = (parts.hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _modelslab_message(name: str, violation: Violation) -> str:
    """``<wire name> <rule>`` in the page's style ('prompt is required'), the rule worded as
    Laravel's validator words it elsewhere on the platform."""
    if violation.rule is Rule.REQUIRED:
        return f"{name} is required"
    text = laravel_message(violation).rstrip(".")
    prefix = f"The {violation.path.rsplit('.', 1)[-1].replace('_', ' ')} "
    return f"{name} {text[len(prefix) :]}" if text.startswith(prefix) else f"{name}: {text}"
