"""StableDiffusionAPI.com v3 inpainting as data: the capability table and the provider spec.

Every neutral field of :class:`inpaintkit.job.InpaintJob` (and every nested path) has one row
here, saying whether v3 honours it natively, whether the core emulates it on the client, or
whether it is unsupported, with the provider's limits in neutral terms and the source each fact
was transcribed from.  The contract is seed 002 (``/work/shared/seeds/002_fb7ddbecf25e096b.txt``,
the ``POST /api/v3/inpaint`` page); where another source disagrees (the docs landing page, quoted
in reference section 2.2, or the ModelsLab pages of the same company, reference section 3), the
seed wins and the row's ``note`` records the disagreement.

Each row also carries its wire mapping as data (an encoder and what is sent when unset, mostly
the platform's shared mappings in :mod:`inpaintkit.providers._platform.wire`): the core builds
the body from these rows, and validation, error paths, the capability matrix and the
conformance strategies all derive from them.  Nothing else in this plugin restates a rule.
"""

from __future__ import annotations

from typing import Final

from inpaintkit.provider import (
    BodyKeyAuth,
    Capability,
    CapabilityTable,
    ImageTransport,
    PollPolicy,
    ProviderSpec,
    Support,
)
from inpaintkit.wiremap import Wire, as_string

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
    WEBHOOK_URL,
    size_row,
)
from .._platform.wire import SEED as SEED_WIRE
from .options import StableDiffusionApiOptions

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

PROVIDER_ID: Final = "stablediffusionapi"
BASE_URL: Final = "https://stablediffusionapi.com"
ENV_VAR: Final = "STABLEDIFFUSIONAPI_API_KEY"
DOCS_URL: Final = "https://stablediffusionapi.com/docs/stable-diffusion-api/inpainting"
SUBMIT_PATH: Final = "/api/v3/inpaint"
FETCH_PATH: Final = "/api/v3/fetch/{id}"
"""Reference 2.1: 'POST /api/v3/fetch/{id}', body only the key (the runtime adds it)."""

SEED: Final = "seed 002"
NATIVE, EMULATED, UNSUPPORTED = Support.NATIVE, Support.EMULATED, Support.UNSUPPORTED

_SIZE_NOTE = (
    "The seed says 'Max Height: Width: 1024x1024'; the docs landing page (reference 2.2) says "
    "'1024x768 or 768x1024 because of memory limits': the seed's 1024 per side wins.  No "
    "divisibility rule is documented for v3 (seed 002 and reference 2.2 are silent), so none is "
    "enforced; ModelsLab's v6 pages (same platform, reference 3.2) say 'divisible by 8' and "
    "256..1024, and diffusers rounds other sizes down to a multiple of 8, so sizes that are "
    "multiples of 8 are the safe choice.  Sent as a numeric string as in the seed example "
    "('512').  " + FIT_NOTE
)

_NO_FIELD = "seed 002 lists no such field for /api/v3/inpaint"

CAPABILITIES: Final = CapabilityTable(
    (
        Capability(
            "image",
            NATIVE,
            wire=IMAGE,
            source=SEED + " ('init_image: Link to the Initial Image'); reference 2.2",
            note="URLs only: the landing page says 'Do not send files as raw format, send "
            "publicly accessible links'.  v3 documents no upload route (base64_to_url is a "
            "ModelsLab page, reference 3.1), so bytes and files need an image host the user "
            "configures (InpaintClient(image_hosts=...) or an image_host plugin; the opt-in "
            "ModelsLabUploadHost uses ModelsLab's documented upload with a ModelsLab key); "
            "without one a job with local images fails before any request.",
        ),
        Capability(
            "mask",
            NATIVE,
            wire=MASK,
            source=SEED + " ('mask_image: Link to the mask image for inpainting')",
            note="A URL, like the image.  Polarity white = repaint, the neutral one, sent as "
            "it is.  Evidence: the seed's own example mask is CompVis' "
            "overture-creations _mask.png, white over the dog that the example prompt ('a cat "
            "sitting on a bench') replaces, the diffusers convention ('white pixels are "
            "repainted'); ModelsLab, the same platform, says 'white = inpaint, black = keep' "
            "(reference 3.2).  The conformance suite proves it end to end with an asymmetric "
            "mask.",
        ),
        Capability(
            "prompt",
            NATIVE,
            wire=PROMPT,
            min_length=1,
            source=SEED + "; reference 2.4 ('The prompt field is required.')",
            note="The seed marks nothing required; the documented validation error says "
            "prompt is, and a Laravel-style 'required' rule rejects an empty string.",
        ),
        Capability(
            "negative_prompt",
            NATIVE,
            wire=NEGATIVE_PROMPT,
            source=SEED + " ('Items you don't want in the image')",
            note="Sent as null when unset, exactly as the seed example does.",
        ),
        Capability(
            "model",
            UNSUPPORTED,
            source="reference 2.1 ('v3 inpaint itself takes no model_id')",
            note="The landing page's 'Model id not found' error belongs to the community "
            "(dreambooth) endpoints; use the modelslab provider to choose a model.",
        ),
        Capability(
            "num_images",
            NATIVE,
            wire=Wire("samples", encode=as_string),
            minimum=1,
            maximum=4,
            split_above_maximum=True,
            source=SEED + " ('samples: ... The maximum value is 4.')",
            note="More than 4 are split over several requests by the client.  Sent as a "
            "numeric string ('1') as in the seed example.",
        ),
        Capability(
            "steps",
            NATIVE,
            wire=Wire("num_inference_steps", encode=as_string),
            minimum=1,
            maximum=51,
            source=SEED + " ('Available values: 21, 31, 41, 51'; example '30'); reference 2.2",
            note=(
                "Sources disagree: the seed's table says 'Available values: 21, 31, 41, 51' "
                "but its own example sends '30', and the landing page says 1..50.  Accepted: "
                "any integer in [1, 51], which holds every listed value and the example (a "
                "choice list would reject the seed's own example).  The server may cap what "
                "it runs: the seed's response shows meta.steps 20 for a request of 30.  Sent "
                "as a numeric string."
            ),
        ),
        Capability(
            "guidance_scale",
            NATIVE,
            wire=GUIDANCE_SCALE,
            minimum=1,
            maximum=20,
            source=SEED + " ('minimum: 1; maximum: 20')",
            note="Sent as a JSON number (7.5), as in the seed example.",
        ),
        Capability(
            "strength",
            NATIVE,
            wire=STRENGTH,
            minimum=0,
            maximum=1,
            source=SEED + " ('1.0 corresponds to full destruction of information in the init "
            "image')",
            note="The landing page (reference 2.2) names it prompt_strength; the seed's name "
            "wins.  Sent as a JSON number (0.7).  Unset: the neutral 0.7 is sent (the seed "
            "example's value; neutral default, see inpaintkit.job.DEFAULT_STRENGTH).",
        ),
        Capability(
            "seed",
            NATIVE,
            wire=SEED_WIRE,
            source=SEED + " ('Pass null for a random number')",
            note="Unset is sent as null (random), as in the seed example; no range is "
            "documented, so the neutral [0, 2^32-1] applies.",
        ),
        Capability("sampler", UNSUPPORTED, source=SEED, note=_NO_FIELD + " (no scheduler)."),
        Capability("clip_skip", UNSUPPORTED, source=SEED, note=_NO_FIELD + "."),
        Capability(
            "mask_options.blur",
            EMULATED,
            source=SEED + "; design.md section 3",
            note=_NO_FIELD + "; the client blurs the mask before hosting it.",
        ),
        Capability(
            "mask_options.invert",
            EMULATED,
            source=SEED + "; design.md section 3",
            note=_NO_FIELD + "; the client inverts the mask before hosting it.",
        ),
        Capability(
            "mask_options.masked_only",
            EMULATED,
            source=SEED + "; design.md section 3",
            note=_NO_FIELD + "; the client crops to the mask plus padding, sends the crop and "
            "pastes the result back.",
        ),
        Capability(
            "mask_options.padding",
            EMULATED,
            source=SEED + "; design.md section 3",
            note="Context around the mask's box for the emulated masked_only crop; unset: the "
            "neutral 32 (inpaintkit.job.DEFAULT_MASK_PADDING).",
        ),
        Capability("initial_noise_multiplier", UNSUPPORTED, source=SEED, note=_NO_FIELD + "."),
        Capability("loras", UNSUPPORTED, source=SEED, note=_NO_FIELD + " (no lora_model)."),
        Capability("loras[].name", UNSUPPORTED, source=SEED, note=_NO_FIELD + "."),
        Capability("loras[].strength", UNSUPPORTED, source=SEED, note=_NO_FIELD + "."),
        Capability("embeddings", UNSUPPORTED, source=SEED, note=_NO_FIELD + "."),
        Capability("embeddings[].name", UNSUPPORTED, source=SEED, note=_NO_FIELD + "."),
        Capability("vae", UNSUPPORTED, source=SEED, note=_NO_FIELD + "."),
        Capability(
            "width",
            NATIVE,
            wire=size_row("width"),
            maximum=1024,
            fit_when_unset=True,
            source=SEED + " ('Max Height: Width: 1024x1024'); reference 2.2",
            note=_SIZE_NOTE,
        ),
        Capability(
            "height",
            NATIVE,
            wire=size_row("height"),
            maximum=1024,
            fit_when_unset=True,
            source=SEED + " ('Max Height: Width: 1024x1024'); reference 2.2",
            note=_SIZE_NOTE,
        ),
        Capability(
            "output_format",
            EMULATED,
            source=SEED + " (no output format field; the example output is a .png URL)",
            note="The client converts the returned images.",
        ),
        Capability(
            "safety",
            NATIVE,
            source=SEED + " ('safety_checker: A checker for NSFW images')",
            note="Flagged images are replaced by a blank image, not marked.",
        ),
        Capability(
            "safety.mode",
            NATIVE,
            wire=SAFETY_MODE,
            source=SEED + " ('safety_checker: A checker for NSFW images'); reference 2.2",
            note="Only 'blank': a flagged image comes back replaced by a blank one and the "
            "answer does not say which; 'report' is unsupported (an error by default).",
        ),
        Capability(
            "safety.enabled",
            NATIVE,
            wire=SAFETY_ENABLED,
            source=SEED + " (example 'safety_checker': 'no')",
            note="Sent as the string 'yes' or 'no'.  Unset (no safety object): 'no' is sent, "
            "because neutral unset means no check and the provider's default is undocumented "
            "for v3 (ModelsLab's pages, same platform, say both 'yes' and false, reference "
            "3.2); the seed example sends 'no'.",
        ),
        Capability(
            "safety.level",
            UNSUPPORTED,
            source=SEED,
            note="safety_checker is only on or off; there is no strictness level.",
        ),
        Capability(
            "webhook",
            NATIVE,
            source=SEED + " ('Set an URL to get a POST API call once the image generation is "
            "complete'); reference 2.5 and 3.5",
            note="Unset: webhook and track_id are sent as null, as in the seed example.",
        ),
        Capability("webhook.url", NATIVE, wire=WEBHOOK_URL, source=SEED),
        Capability(
            "webhook.track_id",
            NATIVE,
            wire=TRACK_ID,
            source=SEED + " ('This ID is returned in the response to the webhook API call')",
        ),
        Capability("storage", UNSUPPORTED, source=SEED, note=_NO_FIELD + " (no custom storage)."),
        Capability("storage.region", UNSUPPORTED, source=SEED, note=_NO_FIELD + "."),
        Capability("storage.bucket", UNSUPPORTED, source=SEED, note=_NO_FIELD + "."),
        Capability("storage.path", UNSUPPORTED, source=SEED, note=_NO_FIELD + "."),
        Capability("storage.save_to_path_directly", UNSUPPORTED, source=SEED, note=_NO_FIELD + "."),
        Capability(
            "enhance_prompt",
            NATIVE,
            wire=ENHANCE_PROMPT,
            source=SEED + " ('default: yes, options: yes/no')",
            note="Sent as 'yes' or 'no'.  Unset: 'no' is sent, because neutral unset means "
            "off and the provider's default, yes, appends a style suffix to the prompt "
            "(visible in the seed's meta.prompt).",
        ),
    )
)

POLL_POLICY: Final = PollPolicy(
    initial_delay=2.0,
    interval=3.0,
    backoff=1.5,
    max_interval=15.0,
    honour_eta=True,
    max_eta_wait=60.0,
    deadline=600.0,
)
"""Wait for the ``eta`` the processing answer gives (a float in seconds, e.g. 35.94 in the live
capture of reference 2.3), then poll every few seconds: v3 answers most jobs synchronously, and
the ones it queues take tens of seconds, so a tight loop would only spend the account's rate
limit (a duplicate-request spam filter, reference 2.4)."""

SPEC: Final = ProviderSpec(
    id=PROVIDER_ID,
    name="StableDiffusionAPI.com (v3)",
    base_url=BASE_URL,
    auth=BodyKeyAuth("key"),
    env_var=ENV_VAR,
    capabilities=CAPABILITIES,
    polling=POLL_POLICY,
    image_transport=ImageTransport.URL,
    docs_url=DOCS_URL,
    options=StableDiffusionApiOptions,
    rate_limit=plan_rate_limit(provider="StableDiffusionAPI"),
)

PLATFORM: Final = PlatformProvider(spec=SPEC, submit_path=SUBMIT_PATH, fetch_path=FETCH_PATH)
"""v3 on the shared platform."""
