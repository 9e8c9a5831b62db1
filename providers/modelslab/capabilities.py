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

import ipaddress
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from inpaintkit.errors import FieldError, ValidationError
from inpaintkit.provider import (
    BodyKeyAuth,
    Capability,
    CapabilityTable,
    ImageTransport,
    PollPolicy,
    ProviderSpec,
    Support,
)
from inpaintkit.wiremap import Composite, Unset, Wire, as_string

from .._platform import PlatformProvider
from .._platform.plans import plan_rate_limit
from .._platform.wire import (
    ENHANCE_PROMPT,
    FIT_NOTE,
    GUIDANCE_SCALE,
    IMAGE,
    MASK,
    NEGATIVE_PROMPT,
    PROMPT,
    SAFETY_ENABLED,
    SAFETY_MODE,
    STRENGTH,
    TRACK_ID,
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
    sampler_from_wire,
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


def https_webhook(url: str) -> str:
    """The webhook URL as sent, if it is HTTPS (or loopback http, for local testing)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() == "https" or _is_loopback(host):
        return url
    rule = "must use HTTPS for modelslab ('Your webhook URL must use HTTPS', reference 3.5)"
    raise ValidationError([FieldError("$.webhook.url", rule, url)], provider=PROVIDER_ID)


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
        note="A URL is passed through.  Bytes or a file are uploaded through ModelsLab's "
        "documented POST /api/v6/base64_to_url (reference 3.1; ModelsLabUploadHost, this "
        "plugin's image_host) and sent as the link, as the seed documents (a URL only).  Inline "
        "base64 ('Pass init_image and mask_image as base64 strings to get a base64 response', "
        "reference 3.2, shown on no current page) only when the job asks: "
        "ModelsLabOptions(base64=True), which also makes the output base64; sent as a "
        "data:image/...;base64 URL (ModelsLabAdapter(data_url_prefix=False): bare base64).",
    ),
    Capability(
        "mask",
        N,
        wire=MASK,
        required=True,
        source=f"{SEED}; {REF_REQUEST}",
        note="Same transport as image. Polarity white = repaint, the neutral one, sent as it "
        "is. Evidence: 'Mask image URL (white = inpaint, black = keep)' (ML-SK SKILL.md, "
        "reference 3.2); the seed's example mask is CompVis' overture-creations _mask.png, white "
        "over the dog that its prompt replaces (the diffusers convention ModelsLab runs). One "
        "ModelsLab page is reported to say black = inpaint; no such page is in the reference, "
        "and the conformance suite proves white = repaint end to end with an asymmetric mask.",
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
        "Decision (issue 10): more than 50 is refused before sending, here and in the mock, "
        "although the OpenAPI says the server caps: where it caps is undocumented (20 or 50) "
        "and a silently capped value breaks 'never drop silently'.  When the server caps "
        "lower, the steps it ran are on the result (result.echo.steps, from meta.steps).",
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
        note="Sent as a JSON number. Seed default 0.7; 1 ignores the original content. Unset: "
        "the neutral 0.7 is sent (inpaintkit.job.DEFAULT_STRENGTH, the seed's own default).",
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
        "Read back from meta, a missing use_karras_sigmas/algorithm_type means the seed's "
        "defaults (yes, sde-dpmsolver++), so a bare DPMSolverMultistepScheduler is DPM++ 2M SDE "
        "Karras.  UniPC: the A1111 page lists no A1111 name for UniPCMultistepScheduler, but "
        "the scheduler is in the seed's and OpenAPI's scheduler list and A1111's own 'UniPC' "
        "sampler is the same diffusers UniPC multistep solver, so the neutral UniPC maps to it "
        "(decision; no Karras variant). "
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
        "(reference 3.2); the seed says [1, 4]. Numbering: AUTOMATIC1111's (1 = all layers), "
        "sent unchanged. The seed's default 2 on the Pony page is the 'clip skip 2' Pony "
        "models are made for in A1111 terms, and the A1111 -> ModelsLab mapping pages "
        "(reference 3.2) address A1111 users; diffusers' own clip_skip counts one lower "
        "(1 = penultimate), which would make the default skip two layers. Unset: the "
        "provider's default (2) applies.",
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
        note="Padding of the client-side masked-only crop; unset: the neutral 32 "
        "(inpaintkit.job.DEFAULT_MASK_PADDING).",
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
        fit_when_unset=True,
        source=SEED,
        note="Sent as a string. Other docs say 256-1024 (error-codes.mdx, llms.txt; reference "
        "3.2); the seed's 512 minimum wins. The provider's own default is a fixed 512x512. "
        + FIT_NOTE,
    ),
    Capability(
        "height",
        N,
        wire=size_row("height"),
        minimum=512,
        maximum=1024,
        multiple_of=8,
        fit_when_unset=True,
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
        note="'yes'/'no' string; seed default 'yes'. The OpenAPI calls it a boolean. Unset: "
        "'no' is sent, because neutral unset means no check and the provider's default would "
        "silently blank flagged images (the seed example sends 'no' too).",
    ),
    Capability(
        "safety.mode",
        N,
        wire=SAFETY_MODE,
        source=f"{SEED}; {REF_REQUEST} (safety_checker_type)",
        note="Only 'blank': a flagged image is replaced (safety_checker_type picks by what: "
        "blur, sensitive_content_text, pixelate, black) and not marked; 'report' is "
        "unsupported (an error by default).",
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
        wire=Wire("webhook", encode=https_webhook, unset=Unset.NULL),
        source=f"{SEED}; {REF_WEBHOOK} ('Your webhook URL must use HTTPS')",
        note="Sent as null when unset, as in the seed example; delivery is best effort (poll "
        "fetch as the fallback). Decision: an http:// URL is refused before sending, except to "
        "a loopback host (localhost, 127.0.0.0/8, ::1), which ModelsLab could never call and "
        "which local tests and the mock use.",
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
        "provider then appends to the prompt). Unset: 'no' is sent, because neutral unset "
        "means off; the one field the neutral equivalent of the seed example sends beyond the "
        "seed body.",
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
    rate_limit=plan_rate_limit(),
    inline_images_option="base64",
)
"""The ModelsLab provider spec.  Image limits keep the core defaults: ModelsLab documents none for
inpaint inputs (only 5 MB for its base64_to_url upload, checked by :mod:`.upload`)."""


def echo_sampler(meta: Mapping[str, Any]) -> str | None:
    """The sampler a ``meta`` echo names: the neutral name, else the scheduler as sent."""
    scheduler = meta.get("scheduler")
    found = sampler_from_wire(scheduler, meta.get("use_karras_sigmas"), meta.get("algorithm_type"))
    if found is not None:
        return found.value
    return scheduler if isinstance(scheduler, str) else None


PLATFORM = PlatformProvider(
    spec=SPEC, submit_path=SUBMIT_PATH, fetch_path=FETCH_PATH, echo_sampler=echo_sampler
)
"""ModelsLab v6 on the shared platform."""
