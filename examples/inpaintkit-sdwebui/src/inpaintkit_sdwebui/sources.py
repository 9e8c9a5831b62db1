"""Where the facts about the Stable Diffusion web UI API come from (cited by the capability table).

The web UI of AUTOMATIC1111 (and Forge, which keeps its API) documents its API only through the
OpenAPI page it serves at ``/docs``; that page is generated from the code below, so the code is
the primary source.  Each constant names one file and what was read in it.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "API",
    "MODELS",
    "PROCESSING",
    "SAMPLERS",
    "SHARED_OPTIONS",
    "UI",
]

_REPO: Final = "AUTOMATIC1111/stable-diffusion-webui"

API: Final = f"{_REPO} modules/api/api.py (v1.10: img2imgapi, validate_sampler_name, auth, "
"api_middleware.handle_exception)"
"""The route, its errors (404 'Init image not found', 'Sampler not found', 500 'Invalid encoded
image'), HTTP Basic auth under ``--api-auth``, and the 500 body ``{error, detail, body,
errors}``."""

MODELS: Final = f"{_REPO} modules/api/models.py (StableDiffusionImg2ImgProcessingAPI: every "
"processing parameter Optional, plus init_images/mask/send_images; ImageToImageResponse)"
"""The request model (pydantic: type checks only, no ranges; FastAPI answers 422) and the
response ``{images, parameters, info}`` with ``info`` a JSON string."""

PROCESSING: Final = f"{_REPO} modules/processing.py (StableDiffusionProcessingImg2Img defaults: "
"inpainting_fill 0, inpaint_full_res True, inpaint_full_res_padding 0, mask_blur_x/y 4, "
"steps 50, cfg_scale 7, width/height 512, denoising_strength 0.75, seed -1)"
"""The API's defaults, several of which differ from the web UI's."""

SAMPLERS: Final = f"{_REPO} modules/sd_samplers.py get_sampler_and_scheduler (v1.9+), "
"modules/sd_samplers_kdiffusion.py, modules/sd_schedulers.py"
"""Sampler names, the v1.9 split of the schedule into ``scheduler``, and how a legacy name such
as ``DPM++ 2M Karras`` is still read (the suffix becomes the scheduler)."""

UI: Final = f"{_REPO} modules/ui.py (img2img tab sliders: steps 1-150, CFG 1-30, width/height "
"64-2048 step 8, batch size 1-8, mask blur 0-64, only-masked padding 0-256; radios: masked "
"content default 'original', inpaint area default 'Whole picture')"
"""The ranges the web UI offers.  The API itself enforces none of them."""

SHARED_OPTIONS: Final = f"{_REPO} modules/shared_options.py (initial_noise_multiplier slider "
"0-1.5; CLIP_stop_at_last_layers slider 1-12)"
"""Settings that the request overrides through ``override_settings`` or own fields."""
