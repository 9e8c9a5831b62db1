"""The SD web UI's inpainting capabilities as data, and the provider spec.

Every neutral field has one row: native (with its wire mapping as data and its limits), emulated
by the client, or unsupported; each row cites its source (:mod:`.sources`).  The core checks
every request against this table, builds the JSON body of every :class:`Wire` and
:class:`Composite` row from it, and maps the server's errors back through it, so a range or a
wire name is written once.  Only the images and the size (which falls back to the image's own)
are :class:`Custom`: the adapter writes them.

A decision worth knowing: the API enforces no ranges at all (its pydantic model checks types
only), so the table declares only the limits the server really has: where its pipeline cannot
run a value (an image side under 8 pixels or not a multiple of 8, a CLIP skip beyond the text
encoder's 12 layers).
The web UI's slider ranges (steps up to 150, CFG up to 30...) are a UI convenience, not a limit
of the API; they are quoted in the notes.  ``num_images`` is the one place a UI limit is kept:
more than 8 are split over several requests by the client, which the server accepts anyway.
"""

from __future__ import annotations

from typing import Final

from inpaintkit.limits import ImageLimits
from inpaintkit.provider import BasicAuth, Capability, ProviderSpec
from inpaintkit.wiremap import Composite, Custom, Wire

from .options import SdWebUiOptions
from .samplers import SAMPLERS as SAMPLER_FIELDS
from .samplers import sampler_fields
from .sources import API, MODELS, PROCESSING, SAMPLERS, SHARED_OPTIONS, UI

__all__ = [
    "CAPABILITIES",
    "DEFAULT_BASE_URL",
    "ENV_VAR",
    "PROVIDER_ID",
    "SPEC",
    "SUBMIT_PATH",
]

PROVIDER_ID: Final = "sdwebui"
SUBMIT_PATH: Final = "/sdapi/v1/img2img"
DEFAULT_BASE_URL: Final = "http://127.0.0.1:7860"
ENV_VAR: Final = "SDWEBUI_API_AUTH"

NATIVE = "native"
EMULATED = "emulated"
UNSUPPORTED = "unsupported"

_CONTAINER = "container: its sub-fields have their own rows"
_PROMPT_SYNTAX = (
    "the web UI reads LoRAs and embeddings from the prompt itself (<lora:name:weight>, or the "
    "embedding's name); write them into the prompt"
)

_ROWS: Final = (
    Capability(
        "image",
        NATIVE,
        wire=Custom(("init_images",), "the image travels as a one-item list of base64"),
        required=True,
        source=f"{MODELS}; {API}: 404 'Init image not found' when init_images is null",
        note="a one-item list of plain base64 (the server also reads data: URLs)",
    ),
    Capability(
        "mask",
        NATIVE,
        wire=Custom(("mask",), "base64 of the prepared mask"),
        required=True,
        source=f"{MODELS}; {PROCESSING}",
        note="white = repaint, as in the web UI; resized by the server to the image size",
    ),
    Capability("prompt", NATIVE, wire=Wire("prompt"), source=MODELS),
    Capability("negative_prompt", NATIVE, wire=Wire("negative_prompt"), source=MODELS),
    Capability(
        "model",
        NATIVE,
        wire=Wire("override_settings.sd_model_checkpoint"),
        source=f"{MODELS} override_settings; {PROCESSING}",
        note="a checkpoint title from GET /sdapi/v1/sd-models; the server restores its own "
        "checkpoint afterwards (override_settings_restore_afterwards defaults to true). An "
        "unknown title silently falls back to the server's first checkpoint",
    ),
    Capability(
        "num_images",
        NATIVE,
        wire=Wire("batch_size"),
        minimum=1,
        maximum=8,
        split_above_maximum=True,
        default=1,
        source=f"{UI} batch size slider [1, 8]; n_iter is always 1",
        note="more than 8 images are split over several requests by the client",
    ),
    Capability(
        "steps",
        NATIVE,
        wire=Wire("steps"),
        source=f"{MODELS} (no range); {PROCESSING} API default 50",
        note="the web UI's slider offers 1-150; the API runs any positive count",
    ),
    Capability(
        "guidance_scale",
        NATIVE,
        wire=Wire("cfg_scale"),
        source=f"{MODELS} (no range); {PROCESSING} API default 7",
        note="the web UI's slider offers 1-30",
    ),
    Capability(
        "strength",
        NATIVE,
        wire=Wire("denoising_strength", unset="neutral"),
        minimum=0,
        maximum=1,
        source=f"{UI} denoising strength [0, 1] (the neutral range); API default 0.75",
        note="an unset strength is sent as the neutral 0.7 (inpaintkit.job.DEFAULT_STRENGTH) "
        "rather than the API's 0.75, so unset means the same on every provider",
    ),
    Capability(
        "seed",
        NATIVE,
        wire=Wire("seed"),
        minimum=0,
        maximum=2**32 - 1,
        source=f"{PROCESSING} seed (-1 = random, the API default)",
        note="the neutral seed range (32-bit unsigned); an unset seed is not sent, so the "
        "server draws one; the result reports it from info.seed",
    ),
    Capability(
        "sampler",
        NATIVE,
        wire=Composite(("sampler_name", "scheduler"), sampler_fields),
        choices=tuple(SAMPLER_FIELDS),
        source=SAMPLERS,
        note="sent under its legacy A1111 name (DPM++ 2M Karras), which every version "
        "reads (v1.9+ moves the ' Karras' suffix into the scheduler), plus scheduler "
        "'Karras' or 'Uniform' for k-diffusion samplers so that v1.9+ does not apply its "
        "per-sampler automatic schedule; older servers ignore the unknown field",
    ),
    Capability(
        "clip_skip",
        NATIVE,
        wire=Wire("override_settings.CLIP_stop_at_last_layers"),
        minimum=1,
        maximum=12,
        source=f"{SHARED_OPTIONS} CLIP_stop_at_last_layers [1, 12]",
        note="the neutral numbering is this setting's own (1 = all layers), sent unchanged; "
        "beyond 12 the SD 1.x text encoder has no such layer and the server fails",
    ),
    Capability(
        "initial_noise_multiplier",
        NATIVE,
        wire=Wire("initial_noise_multiplier"),
        source=f"{MODELS} (no range); {SHARED_OPTIONS}",
        note="the web UI's setting slider offers 0-1.5",
    ),
    Capability("mask_options", NATIVE, source=PROCESSING, note=_CONTAINER),
    Capability(
        "mask_options.blur",
        NATIVE,
        wire=Wire("mask_blur"),
        source=f"{MODELS} (no range); {PROCESSING} API default 4",
        note="the web UI's slider offers 0-64",
    ),
    Capability(
        "mask_options.invert",
        NATIVE,
        wire=Wire("inpainting_mask_invert", encode=int),
        source=f"{PROCESSING} inpainting_mask_invert 0/1",
        note="always sent as 0 or 1",
    ),
    Capability(
        "mask_options.masked_only",
        NATIVE,
        wire=Wire("inpaint_full_res"),
        source=f"{PROCESSING} inpaint_full_res (API default true, the web UI's false)",
        note="always sent, because the API's default (only masked) is not the neutral one",
    ),
    Capability(
        "mask_options.padding",
        NATIVE,
        wire=Wire("inpaint_full_res_padding", unset="neutral"),
        source=f"{UI} only-masked padding (slider 0-256), UI default 32; API default 0",
        note="an unset padding is sent as the neutral 32, also the web UI's default (the "
        "API's 0 leaves no "
        "context around the mask); the server reads it only with inpaint_full_res",
    ),
    Capability("loras", UNSUPPORTED, source=MODELS, note=_PROMPT_SYNTAX),
    Capability("embeddings", UNSUPPORTED, source=MODELS, note=_PROMPT_SYNTAX),
    Capability(
        "vae",
        NATIVE,
        wire=Wire("override_settings.sd_vae"),
        source=f"{MODELS} override_settings; names from GET /sdapi/v1/sd-vae",
    ),
    Capability(
        "width",
        NATIVE,
        wire=Custom(("width",), "the image's own width when the job sets none"),
        minimum=8,
        multiple_of=8,
        fit_when_unset=True,
        source=f"{PROCESSING} API default 512; {PROCESSING} opt_f 8 (latent = side // 8); {UI}",
        note="the server resizes the input to width x height; when unset the plugin sends "
        "the image's own size (the API would otherwise use 512), and an image whose sides "
        "are not multiples of 8 is resized on the client to the nearest that are (aspect "
        "kept). The VAE works in blocks of 8 pixels: with a mask and the whole picture, any "
        "other side ends in the server's 500 'images do not match' when the result (the "
        "latent's size x 8) is composited with the overlay (width x height). Under 8 pixels "
        "there is no latent to sample; the web UI's slider offers 64-2048 in steps of 8",
    ),
    Capability(
        "height",
        NATIVE,
        wire=Custom(("height",), "the image's own height when the job sets none"),
        minimum=8,
        multiple_of=8,
        fit_when_unset=True,
        source=f"{PROCESSING} API default 512; {PROCESSING} opt_f 8; {UI}",
        note="as width",
    ),
    Capability(
        "output_format",
        EMULATED,
        source=f"{API} encode_pil_to_base64 uses the server's samples_format (png)",
        note="converted on the client; override_settings cannot change it because the "
        "server restores its settings before encoding",
    ),
    Capability("safety", UNSUPPORTED, source=MODELS, note="the web UI has no NSFW checker"),
    Capability("webhook", UNSUPPORTED, source=API, note="synchronous: the answer is the result"),
    Capability("storage", UNSUPPORTED, source=API, note="images come back inline, base64"),
    Capability(
        "enhance_prompt",
        UNSUPPORTED,
        source=MODELS,
        note="the web UI never rewrites the prompt, so unset means off as everywhere",
    ),
)

SPEC: Final = ProviderSpec(
    id=PROVIDER_ID,
    name="Stable Diffusion web UI (AUTOMATIC1111 / Forge)",
    base_url=DEFAULT_BASE_URL,
    auth=BasicAuth(),
    env_var=ENV_VAR,
    capabilities=_ROWS,
    image_limits=ImageLimits(max_pixels=2048 * 2048, max_bytes=30 * 1024 * 1024),
    docs_url="https://github.com/AUTOMATIC1111/stable-diffusion-webui/wiki/API",
    options=SdWebUiOptions,
)
"""The spec: synchronous (the adapter implements submit only), base64 in and out, on the web
UI's default local address, with :class:`~.options.SdWebUiOptions` under ``extras["sdwebui"]``.

Authentication: the server takes none unless started with ``--api-auth user:pass``, and then
HTTP Basic.  The key is that ``user:pass`` (the environment variable reads like the flag); the
core sends it as ``Authorization: Basic base64(key)``.  A server without ``--api-auth`` ignores
the header, and any placeholder (:data:`inpaintkit_sdwebui.NO_AUTH`) will do."""

CAPABILITIES: Final = SPEC.capabilities
"""The SD web UI capability table (one row per neutral field path)."""
