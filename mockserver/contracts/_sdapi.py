"""StableDiffusionAPI.com v3: ``POST /api/v3/inpaint``, ``/api/v3/fetch/{id}``, ``/system_load``.

Transcribed from seed 002 (the inpainting page) and reference sections 2.2-2.4.  The seed's body
example ends in a trailing comma; that is an artefact of the page (the server needs JSON, and a body
that does not parse gets the invalid-key answer, whose tip says exactly that).
"""

from __future__ import annotations

from typing import Any, ClassVar

from ._fields import Field, ImageLimits, ImageMode, Kind
from ._model import ErrorKind, SubmitRequest
from ._platform import (
    INVALID_KEY_TIP,
    PLATFORM_ERRORS,
    PlatformContract,
    defaults_of,
    wire_image,
)

__all__ = ["SDAPI_FETCH", "SDAPI_SUBMIT", "StableDiffusionApiContract"]

S002 = "seed 002"
_URL = ImageLimits(ImageMode.URL)
_SIZE_NOTE = (
    "the landing page (reference 2.2) says 1024x768 or 768x1024 at most; the seed's 1024 wins. "
    "No minimum is documented: 1 (a size must be positive)."
)

SDAPI_SUBMIT: tuple[Field, ...] = (
    Field("key", Kind.STRING, S002, required=True),
    Field(
        "prompt",
        Kind.STRING,
        S002 + "; reference 2.4",
        required=True,
        note="the seed's table marks nothing required; the documented validation error "
        "'The prompt field is required.' (reference 2.4) says prompt is.",
    ),
    Field("negative_prompt", Kind.STRING, S002),
    Field(
        "init_image",
        Kind.STRING,
        S002,
        required=True,
        image=_URL,
        note="'Link to the Initial Image'; data: URLs count as links (inline data).",
    ),
    Field("mask_image", Kind.STRING, S002, required=True, image=_URL),
    Field("width", Kind.INTEGER, S002, minimum=1, maximum=1024, note=_SIZE_NOTE),
    Field("height", Kind.INTEGER, S002, minimum=1, maximum=1024, note=_SIZE_NOTE),
    Field(
        "samples",
        Kind.INTEGER,
        S002,
        minimum=1,
        maximum=4,
        default=1,
        note="minimum 1 from the ModelsLab error table (reference 3.2: 'between 1 and 4').",
    ),
    Field(
        "num_inference_steps",
        Kind.INTEGER,
        S002 + "; reference 2.2",
        minimum=1,
        maximum=51,
        note="the seed lists 'Available values: 21, 31, 41, 51' but its own example sends '30'; "
        "the landing page says 1..50.  Accepted: any integer in [1, 51] (every listed value and "
        "the example); the server may cap the steps it runs (meta.steps).",
    ),
    Field("safety_checker", Kind.BOOLEAN, S002, default=False),
    Field("enhance_prompt", Kind.BOOLEAN, S002, default=True),
    Field("guidance_scale", Kind.NUMBER, S002, minimum=1, maximum=20),
    Field(
        "strength",
        Kind.NUMBER,
        S002,
        minimum=0,
        maximum=1,
        note="range [0, 1] from '1.0 corresponds to full destruction'; the landing page calls "
        "it prompt_strength (not accepted here: the seed's name wins).",
    ),
    Field("base64", Kind.BOOLEAN, S002, default=False),
    Field("seed", Kind.INTEGER, S002, note="null = random; no range documented."),
    Field("webhook", Kind.STRING, S002, uri=True),
    Field("track_id", Kind.STRING, S002),
)

SDAPI_FETCH: tuple[Field, ...] = (Field("key", Kind.STRING, "reference 2.1", required=True),)

_INVALID_KEY: dict[str, Any] = {
    "status": "error",
    "message": "Invalid Api Key",
    "tip": INVALID_KEY_TIP,
}


class StableDiffusionApiContract(PlatformContract):
    """StableDiffusionAPI v3's server-side rules (see the module docstring)."""

    provider_id = "stablediffusionapi"
    fields: ClassVar[tuple[Field, ...]] = SDAPI_SUBMIT
    fetch_fields: ClassVar[tuple[Field, ...]] = SDAPI_FETCH
    errors: ClassVar[dict[ErrorKind, tuple[int, dict[str, Any]]]] = {
        **PLATFORM_ERRORS,
        # Bodies from reference 2.4; statuses from ModelsLab's table (reference 3.4, same company).
        ErrorKind.MISSING_KEY: (401, _INVALID_KEY),
        ErrorKind.INVALID_KEY: (401, _INVALID_KEY),
        ErrorKind.BODY_NOT_JSON: (401, _INVALID_KEY),
        ErrorKind.RATE_LIMITED: (
            429,
            {
                "status": "error",
                "messege": "Rate limit exceeded",
                "tips": "you are sending same request multiple times, spam filter is enabled, "
                "please wait for {retry_after} seconds and try again",
            },
        ),
        ErrorKind.MODEL_NOT_FOUND: (400, {"status": "error", "message": "Model id not found"}),
    }

    def build(
        self, params: dict[str, Any], api_key: str, ignored: tuple[str, ...]
    ) -> SubmitRequest:
        defaults = defaults_of(self.fields)
        value = {**defaults, **params}
        return SubmitRequest(
            provider=self.provider_id,
            api_key=api_key,
            image=wire_image(params["init_image"]),
            mask=wire_image(params["mask_image"]),
            prompt=params.get("prompt"),
            negative_prompt=params.get("negative_prompt"),
            model=None,
            width=params.get("width"),
            height=params.get("height"),
            num_images=value["samples"],
            seed=params.get("seed"),
            steps=params.get("num_inference_steps"),
            guidance_scale=params.get("guidance_scale"),
            strength=params.get("strength"),
            sampler=None,
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
