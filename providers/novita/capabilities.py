"""Novita's inpainting capabilities, as data.

Every neutral field of :class:`inpaintkit.job.InpaintJob` (and every nested path such as
``mask_options.blur`` or ``loras[].strength``) has exactly one row here, saying whether Novita
honours it natively, whether the client emulates it, or whether it is unsupported; with
Novita's own limits in neutral terms, the wire field it becomes, and the source it was
transcribed from.  Each native row's ``wire`` is data (:mod:`inpaintkit.wiremap`): its path, its
encoder and what is sent when the job leaves it unset.  The core checks jobs against this
table, builds every plain field of the request body from it, maps Novita's error messages back
to neutral fields with it, and the docs' capability matrix prints it: each rule is written
exactly once.  Only the images are written by the adapter (:mod:`.wire`).

Sources:

- ``seed 001``: /work/shared/seeds/001_8d69d61f3a902227.txt, Novita's full Inpainting reference
  (the contract; it wins any disagreement);
- ``seed 004``: the older Inpainting page with a complete request example;
- ``seed 000``: a short capture of the same page;
- ``ref 1.x``: /work/shared/reference/provider-wire-facts.md, section 1.x.
"""

from __future__ import annotations

from typing import Any, Final

from inpaintkit.job import MAX_SEED, OutputFormat, Sampler
from inpaintkit.provider import Capability, CapabilityTable, Support
from inpaintkit.wiremap import OMIT, Custom, Unset, Wire, as_int, enum_value

from .samplers import NOVITA_SAMPLERS, sampler_to_wire

__all__ = ["CAPABILITIES", "NOVITA_SAMPLERS", "text_or_omit"]

NATIVE = Support.NATIVE
EMULATED = Support.EMULATED
UNSUPPORTED = Support.UNSUPPORTED


def text_or_omit(value: Any) -> Any:
    """An empty text means "none" and is not sent (Novita's minimum length is 1)."""
    return value if value else OMIT


_SEED = "seed 001"
_CONTAINER = "container: its sub-fields have their own rows"

CAPABILITIES: Final = CapabilityTable(
    rows=(
        # --- images --------------------------------------------------------------------------
        Capability(
            "image",
            NATIVE,
            wire=Custom(("request.image_base64",), "base64 of the prepared image bytes"),
            required=True,
            source=f"{_SEED} request.image_base64 (required)",
            note="plain base64 of the image bytes, no data: prefix (seed 001 example code); "
            "max 16 megapixels and 30 Mb (the spec's image limits)",
        ),
        Capability(
            "mask",
            NATIVE,
            wire=Custom(("request.mask_image_base64",), "base64 of the prepared mask bytes"),
            required=True,
            source=f"{_SEED} request.mask_image_base64 (required)",
            note="same resolution as the image; Novita does not state the polarity, white = "
            "repaint is inferred from its AUTOMATIC1111 field names (ref 1.2)",
        ),
        # --- text and model ------------------------------------------------------------------
        Capability(
            "prompt",
            NATIVE,
            wire=Wire("request.prompt"),
            required=True,
            min_length=1,
            max_length=1024,
            source=f"{_SEED} request.prompt: required, Range [1, 1024]",
        ),
        Capability(
            "negative_prompt",
            NATIVE,
            wire=Wire("request.negative_prompt", encode=text_or_omit),
            max_length=1024,
            source=f"{_SEED} request.negative_prompt: Range [1, 1024]",
            note="an empty neutral negative prompt means 'none' and is not sent, so Novita's "
            "minimum length 1 can never be violated (Novita's server also reads '' as unset)",
        ),
        Capability(
            "model",
            NATIVE,
            wire=Wire("request.model_name"),
            required=True,
            source=f"{_SEED} request.model_name (required)",
            note="set it to an inpainting checkpoint's sd_name, found with "
            "GET /v3/model?filter.types=checkpoint&filter.is_inpainting=true (ref 1.8)",
        ),
        # --- generation ----------------------------------------------------------------------
        Capability(
            "num_images",
            NATIVE,
            wire=Wire("request.image_num", unset=Unset.DEFAULT),
            minimum=1,
            maximum=8,
            split_above_maximum=True,
            required=True,
            default=1,
            source=f"{_SEED} request.image_num: required, Range [1, 8]",
            note="more than 8 images are split over several requests by the client",
        ),
        Capability(
            "steps",
            NATIVE,
            wire=Wire("request.steps", unset=Unset.DEFAULT),
            minimum=1,
            maximum=100,
            required=True,
            default=20,
            source=f"{_SEED} request.steps: required, Range [1, 100]; default 20 as the "
            "official Python SDK sends it (ref 1.9 capture)",
            note="Novita requires steps and documents no default; the seed example uses 25",
        ),
        Capability(
            "guidance_scale",
            NATIVE,
            wire=Wire("request.guidance_scale", unset=Unset.DEFAULT),
            minimum=1,
            maximum=30,
            required=True,
            default=7.5,
            source=f"{_SEED} request.guidance_scale: required, Range [1, 30]; default 7.5 from "
            "the seed 001 example and the SDK capture (ref 1.9)",
        ),
        Capability(
            "strength",
            NATIVE,
            wire=Wire("request.strength"),
            minimum=0,
            maximum=1,
            source=f"{_SEED} request.strength: number(float)|null, between 0 and 1",
        ),
        Capability(
            "seed",
            NATIVE,
            wire=Wire("request.seed", unset=Unset.DEFAULT),
            minimum=0,
            maximum=MAX_SEED,
            default=-1,
            source=f"{_SEED} request.seed: minimum -1, defaults to -1",
            note="the neutral range [0, 2^32-1] is kept (Novita documents no maximum); an unset "
            "seed is sent as -1, Novita's 'random' (the default is a wire value)",
        ),
        Capability(
            "sampler",
            NATIVE,
            wire=Wire("request.sampler_name", encode=sampler_to_wire, unset=Unset.DEFAULT),
            choices=NOVITA_SAMPLERS,
            required=True,
            default=Sampler.EULER_A,
            source=f"{_SEED} request.sampler_name: required, enum of 20 A1111 names",
            note="DPM++ 2M SDE and DPM++ 2M SDE Karras are not in Novita's enum; default "
            "'Euler a' from the seed 001 example and the SDK capture (ref 1.9)",
        ),
        Capability(
            "clip_skip",
            NATIVE,
            wire=Wire("request.clip_skip"),
            minimum=1,
            maximum=12,
            source=f"{_SEED} request.clip_skip: Range [1, 12]",
        ),
        Capability(
            "initial_noise_multiplier",
            NATIVE,
            wire=Wire("request.initial_noise_multiplier"),
            minimum=0,
            maximum=1.5,
            source=f"{_SEED} request.initial_noise_multiplier: Range [0, 1.5], default 0.5",
        ),
        # --- mask options --------------------------------------------------------------------
        Capability(
            "mask_options",
            NATIVE,
            source=_SEED,
            note=_CONTAINER,
        ),
        Capability(
            "mask_options.blur",
            NATIVE,
            wire=Wire("request.mask_blur"),
            minimum=0,
            maximum=64,
            source=f"{_SEED} request.mask_blur: Range [0, 64]",
        ),
        Capability(
            "mask_options.invert",
            NATIVE,
            wire=Wire("request.inpainting_mask_invert", encode=as_int),
            source=f"{_SEED} request.inpainting_mask_invert: enum 0, 1, default 0",
            note="always sent as 0 or 1 (the neutral flag is never unset)",
        ),
        Capability(
            "mask_options.masked_only",
            NATIVE,
            wire=Wire("request.inpainting_full_res", encode=as_int),
            source=f"{_SEED} request.inpainting_full_res: enum 0, 1, default 0",
            note="always sent as 0 or 1; the SDK's raw path sends booleans instead (ref 1.9)",
        ),
        Capability(
            "mask_options.padding",
            NATIVE,
            wire=Wire("request.inpainting_full_res_padding"),
            minimum=0,
            maximum=256,
            source=f"{_SEED} request.inpainting_full_res_padding: Range [0, 256], default 8",
            note="sent only with masked_only, where it has a meaning",
        ),
        # --- add-ons -------------------------------------------------------------------------
        Capability(
            "loras",
            NATIVE,
            wire=Wire("request.loras"),
            max_items=5,
            source=f"{_SEED} request.loras: up to 5 LoRAs",
        ),
        Capability(
            "loras[].name",
            NATIVE,
            wire=Wire("request.loras[].model_name"),
            min_length=1,
            source=f"{_SEED} request.loras[].model_name (required, sd_name_in_api)",
        ),
        Capability(
            "loras[].strength",
            NATIVE,
            wire=Wire("request.loras[].strength"),
            minimum=0,
            maximum=1,
            source=f"{_SEED} request.loras[].strength: required, Range [0, 1]",
        ),
        Capability(
            "embeddings",
            NATIVE,
            wire=Wire("request.embeddings"),
            max_items=5,
            source=f"{_SEED} request.embeddings: up to 5 embeddings",
        ),
        Capability(
            "embeddings[].name",
            NATIVE,
            wire=Wire("request.embeddings[].model_name"),
            min_length=1,
            source=f"{_SEED} request.embeddings[].model_name (required)",
        ),
        Capability(
            "vae",
            NATIVE,
            wire=Wire("request.sd_vae"),
            source=f"{_SEED} request.sd_vae (a VAE sd_name, e.g. customVAE.safetensors)",
        ),
        # --- geometry and output -------------------------------------------------------------
        Capability(
            "width",
            EMULATED,
            source=f"{_SEED} (no width or height field; the output has the input's size)",
            note="the client resizes the input image and mask to width x height",
        ),
        Capability(
            "height",
            EMULATED,
            source=f"{_SEED} (no width or height field; the output has the input's size)",
            note="the client resizes the input image and mask to width x height",
        ),
        Capability(
            "output_format",
            NATIVE,
            wire=Wire("extra.response_image_type", encode=enum_value),
            choices=(OutputFormat.PNG, OutputFormat.WEBP, OutputFormat.JPEG),
            source=f"{_SEED} extra.response_image_type: enum png, webp, jpeg; default png",
            note="the official Python SDK defaults to jpeg instead (ref 1.9); unset sends "
            "nothing, so Novita's png applies",
        ),
        # --- safety, delivery ----------------------------------------------------------------
        Capability(
            "safety",
            NATIVE,
            source=_SEED,
            note=_CONTAINER,
        ),
        Capability(
            "safety.enabled",
            NATIVE,
            wire=Wire("extra.enable_nsfw_detection"),
            source=f"{_SEED} extra.enable_nsfw_detection (boolean, $0.0015 per image)",
        ),
        Capability(
            "safety.level",
            NATIVE,
            wire=Wire("extra.nsfw_detection_level"),
            choices=(0, 1, 2),
            source=f"{_SEED} extra.nsfw_detection_level: enum 0, 1, 2",
        ),
        Capability(
            "webhook",
            NATIVE,
            wire=Wire("extra.webhook"),
            source=f"{_SEED} extra.webhook",
            note=_CONTAINER,
        ),
        Capability(
            "webhook.url",
            NATIVE,
            wire=Wire("extra.webhook.url"),
            source=f"{_SEED} extra.webhook.url (required in webhook)",
        ),
        Capability(
            "webhook.track_id",
            UNSUPPORTED,
            source=f"{_SEED} extra.webhook has only url and test_mode; ref 1.5",
            note="Novita echoes no caller id; match webhook calls by payload.task.task_id",
        ),
        Capability(
            "storage",
            NATIVE,
            wire=Wire("extra.custom_storage.aws_s3"),
            source=f"{_SEED} extra.custom_storage.aws_s3",
            note=_CONTAINER,
        ),
        Capability(
            "storage.region",
            NATIVE,
            wire=Wire("extra.custom_storage.aws_s3.region"),
            min_length=1,
            source=f"{_SEED} extra.custom_storage.aws_s3.region (required)",
        ),
        Capability(
            "storage.bucket",
            NATIVE,
            wire=Wire("extra.custom_storage.aws_s3.bucket"),
            min_length=1,
            source=f"{_SEED} extra.custom_storage.aws_s3.bucket (required)",
        ),
        Capability(
            "storage.path",
            NATIVE,
            wire=Wire("extra.custom_storage.aws_s3.path"),
            min_length=1,
            source=f"{_SEED} extra.custom_storage.aws_s3.path (required)",
        ),
        Capability(
            "storage.save_to_path_directly",
            NATIVE,
            wire=Wire("extra.custom_storage.aws_s3.save_to_path_directly"),
            source=f"{_SEED} extra.custom_storage.aws_s3.save_to_path_directly (default false)",
            note="always sent (the neutral flag is never unset)",
        ),
        Capability(
            "enhance_prompt",
            UNSUPPORTED,
            source=f"{_SEED} (no prompt enhancement field)",
        ),
    )
)
"""Novita's capability table (one row per neutral field path)."""
