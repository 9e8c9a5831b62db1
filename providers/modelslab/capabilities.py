"""ModelsLab v6 inpainting: the capability table and provider spec, as data.

Every neutral field of :class:`inpaintkit.job.InpaintJob` (and every nested path) has a row saying
whether ModelsLab honours it natively, whether the core emulates it, or whether it is unsupported,
with ModelsLab's limits in neutral terms and its wire mapping as data (encoder, unset policy;
the sampler and LoRAs as composites).  The table is the ONE place those rules are written: the
core validates jobs and builds the body from it, provider errors are mapped back through it,
and the capability matrix in the docs is generated from it.

Sources: seed 003 (``seeds/003_fae784dda32433a1.txt``, the ModelsLab Pony inpaint page) is the
contract; where the wire-facts reference (``reference/provider-wire-facts.md``, cited by section)
disagrees, the seed wins and the disagreement is in the row's ``note``.
"""

from __future__ import annotations

from inpaintkit.provider import (
    BodyKeyAuth,
    Capability,
    CapabilityTable,
    ImageTransport,
    PollPolicy,
    ProviderSpec,
    Support,
)
from inpaintkit.wiremap import Composite, Wire, as_string

from .._platform import PlatformProvider
from .._platform.wire import (
    ENHANCE_PROMPT,
    GUIDANCE_SCALE,
    IMAGE,
    MASK,
    NEGATIVE_PROMPT,
    PROMPT,
    SAFETY_ENABLED,
    STRENGTH,
    TRACK_ID,
    WEBHOOK_URL,
    size_row,
)
from .._platform.wire import SEED as SEED_WIRE
from .options import ModelsLabOptions
from .samplers import (
    ALGORITHM_SDE,
    SUPPORTED_SAMPLERS,
    UNSUPPORTED_SAMPLERS,
    lora_fields,
    sampler_fields,
)

__all__ = [
    "BASE_URL",
    "CAPABILITIES",
    "DOCS_URL",
    "ENV_VAR",
    "FETCH_PATH",
    "PLATFORM",
    "POLL_POLICY",
    "PROVIDER_ID",
    "SPEC",
    "SUBMIT_PATH",
]

PROVIDER_ID = "modelslab"
BASE_URL = "https://modelslab.com"
ENV_VAR = "MODELSLAB_API_KEY"
SUBMIT_PATH = "/api/v6/images/inpaint"
FETCH_PATH = "/api/v6/images/fetch/{id}"
"""The path form of fetch (the ``fetch_result`` URL of processing responses; what the official
SDKs use).  The documented body form, ``POST /api/v6/images/fetch`` with ``request_id``, is
equivalent; the path form keeps the body down to the key the runtime adds."""
DOCS_URL = "https://docs.modelslab.com/image-generation/community-models/dreambooth-inpainting"

SEED = "seed 003"
REF_ENDPOINTS = "reference 3.1"
REF_REQUEST = "reference 3.2"
REF_RESPONSES = "reference 3.3"
REF_WEBHOOK = "reference 3.5"
REF_SDK = "reference 3.6"

N = Support.NATIVE
E = Support.EMULATED
U = Support.UNSUPPORTED

_ROWS: tuple[Capability, ...] = (
    # --- images and text ----------------------------------------------------------------
    Capability(
        "image",
        N,
        wire=IMAGE,
        required=True,
        source=f"{SEED}; {REF_REQUEST}",
        note="A URL is passed through; bytes or a file are sent inline as a "
        "data:image/...;base64 URL with base64='yes' (the docs: 'Pass init_image and "
        "mask_image as base64 strings'; whether the data: prefix is needed is unverified, "
        "ModelsLabAdapter(data_url_prefix=False) sends bare base64). The seed documents a URL "
        "only.",
    ),
    Capability(
        "mask",
        N,
        wire=MASK,
        required=True,
        source=f"{SEED}; {REF_REQUEST}",
        note="Same transport as image. Polarity white = repaint (ML-SK SKILL.md, reference 3.2).",
    ),
    Capability("prompt", N, wire=PROMPT, source=SEED),
    Capability(
        "negative_prompt",
        N,
        wire=NEGATIVE_PROMPT,
        source=SEED,
        note="Sent as null when unset, as in the seed example.",
    ),
    Capability(
        "model",
        N,
        wire=Wire("model_id"),
        required=True,
        source=SEED,
        note="Required by the provider and without a default: a job without a model is "
        "rejected locally. Public ids via POST /api/v4/dreambooth/model_list (reference 3.1).",
    ),
    # --- generation knobs ---------------------------------------------------------------
    Capability(
        "num_images",
        N,
        wire=Wire("samples", encode=as_string),
        minimum=1,
        maximum=4,
        split_above_maximum=True,
        source=SEED,
        note="Sent as a string ('1'), as in the seed example; modelslab_py sends an int.",
    ),
    Capability(
        "steps",
        N,
        wire=Wire("steps", encode=as_string),
        minimum=1,
        maximum=50,
        source=f"{SEED} (field, default 21, no range); {REF_REQUEST} (range)",
        note="Sent as 'steps' (a string) like the seed example; the OpenAPI and modelslab_py "
        "call it num_inference_steps. The seed gives no range. Local rule [1, 50]: minimum 1 "
        "from the OpenAPI, maximum 50 from llms.txt ('20-50'). Other docs disagree: OpenAPI "
        "maximum 20 with values above 'capped at 20' (and default 31), enterprise '21,31,41'. "
        "The server may cap steps (meta.steps then differs from the request).",
    ),
    Capability(
        "guidance_scale",
        N,
        wire=GUIDANCE_SCALE,
        minimum=1,
        maximum=20,
        source=SEED,
        note="Sent as a JSON number (seed example 7.5). Seed default 7.5.",
    ),
    Capability(
        "strength",
        N,
        wire=STRENGTH,
        minimum=0,
        maximum=1,
        source=SEED,
        note="Sent as a JSON number. Seed default 0.7; 1 ignores the original content.",
    ),
    Capability(
        "seed",
        N,
        wire=SEED_WIRE,
        source=SEED,
        note="An integer, or null (sent when unset) for a random seed, as in the seed example.",
    ),
    Capability(
        "sampler",
        N,
        wire=Composite(("scheduler", "use_karras_sigmas", "algorithm_type"), sampler_fields),
        choices=SUPPORTED_SAMPLERS,
        source=f"{REF_REQUEST} (A1111 -> ModelsLab table); {SEED} (algorithm_type value)",
        note="Mapped to a diffusers scheduler plus use_karras_sigmas yes/no (always sent, the "
        "seed default is yes) plus algorithm_type for DPMSolverMultistepScheduler (always sent, "
        f"the seed default is {ALGORITHM_SDE}). DPM++ 2M SDE sends '{ALGORITHM_SDE}' as in the "
        "seed; the A1111 page and OpenAPI spell it 'dpmsolver+++' (read back as SDE too). "
        "Unmappable: " + ", ".join(s.value for s in UNSUPPORTED_SAMPLERS) + ".",
    ),
    Capability(
        "clip_skip",
        N,
        wire=Wire("clip_skip", encode=as_string),
        minimum=1,
        maximum=4,
        source=SEED,
        note="Sent as a string ('2') as in the seed example. The OpenAPI says [1, 8] "
        "(reference 3.2); the seed says [1, 4].",
    ),
    # --- mask handling: emulated by the core ----------------------------------------------
    Capability(
        "mask_options.blur",
        E,
        source=f"{SEED}; {REF_REQUEST}",
        note="No wire field; the client blurs the mask before sending.",
    ),
    Capability(
        "mask_options.invert",
        E,
        source=f"{SEED}; {REF_REQUEST}",
        note="No wire field; the client inverts the mask before sending.",
    ),
    Capability(
        "mask_options.masked_only",
        E,
        source=f"{SEED}; {REF_REQUEST}",
        note="No wire field; the client crops to the mask plus padding and pastes back.",
    ),
    Capability(
        "mask_options.padding",
        E,
        source=f"{SEED}; {REF_REQUEST}",
        note="Padding of the client-side masked-only crop.",
    ),
    Capability(
        "initial_noise_multiplier",
        U,
        source=f"{SEED}; {REF_REQUEST}",
        note="No such field in any ModelsLab document.",
    ),
    # --- adapters -----------------------------------------------------------------------
    Capability(
        "loras",
        N,
        wire=Composite(("lora_model", "lora_strength"), lora_fields),
        source=f"{REF_REQUEST} (OpenAPI); {REF_SDK} (ML-OLD inpaint)",
        note="Not on the seed page; the OpenAPI (and the HEAD docs example) have comma-separated "
        "lora_model ids and lora_strength values. No documented maximum count.",
    ),
    Capability(
        "loras[].name",
        N,
        min_length=1,
        source=REF_REQUEST,
        note="Joined with commas, so a name may not contain a comma.",
    ),
    Capability(
        "loras[].strength",
        N,
        minimum=0.1,
        maximum=1,
        source=f"{REF_REQUEST} (OpenAPI 'comma-separated, 0.1-1')",
        note="Sent as one comma-separated string even for one LoRA; the seed has no LoRA fields.",
    ),
    Capability(
        "embeddings",
        U,
        source=f"{REF_REQUEST}; {REF_SDK}",
        note="Only the old 'modelslab' 0.2 SDK sends embeddings_model; no current page, the "
        "OpenAPI or modelslab_py has it; the option embeddings_model (ModelsLabOptions) "
        "sends it at your own risk.",
    ),
    Capability("embeddings[].name", U, source=f"{REF_REQUEST}; {REF_SDK}", note="See embeddings."),
    Capability(
        "vae",
        N,
        wire=Wire("vae"),
        source=REF_REQUEST,
        note="Not on the seed page; OpenAPI nullable string, in the HEAD docs example.",
    ),
    # --- size and output ----------------------------------------------------------------
    Capability(
        "width",
        N,
        wire=size_row("width"),
        minimum=512,
        maximum=1024,
        multiple_of=8,
        source=SEED,
        note="Sent as a string. Other docs say 256-1024 (error-codes.mdx, llms.txt; reference "
        "3.2). Unset: the input image's own size is sent (the provider's own default is a "
        "fixed 512x512), except when the caller's image URLs are passed through untouched "
        "(size unknown, the provider default applies).",
    ),
    Capability(
        "height",
        N,
        wire=size_row("height"),
        minimum=512,
        maximum=1024,
        multiple_of=8,
        source=SEED,
        note="As width.",
    ),
    Capability(
        "output_format",
        E,
        source=f"{SEED}; {REF_REQUEST}",
        note="No wire field; the client converts the downloaded images.",
    ),
    # --- safety, webhook, storage, prompt enhancement ------------------------------------
    Capability("safety", N, source=SEED),
    Capability(
        "safety.enabled",
        N,
        wire=SAFETY_ENABLED,
        source=SEED,
        note="'yes'/'no' string; seed default 'yes'. The OpenAPI calls it a boolean.",
    ),
    Capability(
        "safety.level",
        U,
        source=f"{SEED}; {REF_REQUEST}",
        note="safety_checker_type (blur, sensitive_content_text, pixelate, black) chooses what "
        "replaces a flagged image, not how strict the check is.",
    ),
    Capability("webhook", N, source=f"{SEED}; {REF_WEBHOOK}"),
    Capability(
        "webhook.url",
        N,
        wire=WEBHOOK_URL,
        source=f"{SEED}; {REF_WEBHOOK}",
        note="Sent as null when unset, as in the seed example. Docs: must be HTTPS; delivery "
        "is best effort (poll fetch as the fallback).",
    ),
    Capability(
        "webhook.track_id",
        N,
        wire=TRACK_ID,
        source=f"{SEED}; {REF_WEBHOOK}",
        note="Sent as null when unset, as in the seed example.",
    ),
    Capability(
        "storage",
        U,
        source=f"{SEED}; {REF_REQUEST}",
        note="ModelsLab has no per-request S3 option for inpainting.",
    ),
    Capability("storage.region", U, source=SEED, note="See storage."),
    Capability("storage.bucket", U, source=SEED, note="See storage."),
    Capability("storage.path", U, source=SEED, note="See storage."),
    Capability("storage.save_to_path_directly", U, source=SEED, note="See storage."),
    Capability(
        "enhance_prompt",
        N,
        wire=ENHANCE_PROMPT,
        source=REF_REQUEST,
        note="Not on the seed page; OpenAPI/OLD docs, 'yes'/'no', provider default 'yes' (the "
        "provider then appends to the prompt).",
    ),
)

CAPABILITIES = CapabilityTable(_ROWS)
"""The ModelsLab capability table."""

POLL_POLICY = PollPolicy(
    initial_delay=1.0,
    interval=1.0,
    backoff=2.0,
    max_interval=10.0,
    honour_eta=True,
    max_eta_wait=60.0,
    deadline=600.0,
)
"""Fetch pacing: wait the processing response's ``eta`` first, then 1 s doubling to a 10 s cap, as
ModelsLab's own CLI polls (reference 3.6, ML-CLI).  The official Python SDK waits 60 s between
fetches, which is needlessly slow; ModelsLab documents no fetch rate limit beyond the queue
limit."""

SPEC = ProviderSpec(
    id=PROVIDER_ID,
    name="ModelsLab",
    base_url=BASE_URL,
    auth=BodyKeyAuth("key"),
    env_var=ENV_VAR,
    capabilities=CAPABILITIES,
    polling=POLL_POLICY,
    image_transport=ImageTransport.URL_OR_BASE64,
    docs_url=DOCS_URL,
    options=ModelsLabOptions,
)
"""The ModelsLab provider spec.  Image limits keep the core defaults: ModelsLab documents none for
inpaint inputs (only 5 MB for its base64_to_url helper, which this plugin does not use)."""

PLATFORM = PlatformProvider(spec=SPEC, submit_path=SUBMIT_PATH, fetch_path=FETCH_PATH)
"""ModelsLab v6 on the shared platform.  An unset output size is the image's own, sent as it is
(the provider's own default would be a fixed 512x512)."""
