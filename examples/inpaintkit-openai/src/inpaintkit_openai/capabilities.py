"""OpenAI's image edit endpoint as data: the capability table and the provider spec.

One row per neutral field, each citing the OpenAPI section it was read from (:mod:`.sources`).
Plain rows carry their wire mapping (:class:`~inpaintkit.wiremap.Wire`): the core writes them
into the form itself; the adapter writes only the two files and the answer format.

The decision that shapes the table: it states **dall-e-2**'s limits, and ``model`` is always
sent (``dall-e-2`` when the job leaves it unset), because the endpoint's own default is now a
GPT image model with other limits (prompts of 32000 characters, other sizes, no
``response_format``, several input images).  A table holds one set of limits; a GPT image
provider would be a second spec, not a second meaning of this one.

The output size: dall-e-2 generates squares of 256, 512 or 1024 pixels and wants a square PNG
input.  ``width``/``height`` are emulated (the client resizes the input), so the size sent is
always the prepared image's own, and :data:`IMAGE_LIMITS` states the square, the sides and the
format once for input and output alike.
"""

from __future__ import annotations

from typing import Final

from inpaintkit.limits import ImageLimits
from inpaintkit.provider import BearerAuth, Capability, ProviderSpec
from inpaintkit.wiremap import Custom, Wire

from .sources import EDIT, REQUEST, RESPONSE

__all__ = [
    "CAPABILITIES",
    "DEFAULT_BASE_URL",
    "DEFAULT_MODEL",
    "ENV_VAR",
    "IMAGE_LIMITS",
    "PROVIDER_ID",
    "SPEC",
    "SUBMIT_PATH",
]

PROVIDER_ID: Final = "openai"
SUBMIT_PATH: Final = "/v1/images/edits"
DEFAULT_BASE_URL: Final = "https://api.openai.com"
ENV_VAR: Final = "OPENAI_API_KEY"
DEFAULT_MODEL: Final = "dall-e-2"

NATIVE = "native"
EMULATED = "emulated"
UNSUPPORTED = "unsupported"

_NO_PARAMETER = f"{REQUEST}: the endpoint has no such parameter"


def _unsupported(field: str, note: str = "") -> Capability:
    return Capability(field, UNSUPPORTED, source=_NO_PARAMETER, note=note)


_ROWS: Final = (
    Capability(
        "image",
        NATIVE,
        wire=Custom(("image",), "a file part holding the prepared PNG"),
        required=True,
        source=f"{REQUEST} image (required): for dall-e-2 one square png under 4MB",
    ),
    Capability(
        "mask",
        NATIVE,
        wire=Custom(
            ("mask",),
            "a file part: the neutral mask (white = repaint) turned into a PNG whose "
            "alpha is 0 where it is white and 255 elsewhere (inpaintkit_openai.alpha)",
        ),
        required=True,
        source=f"{REQUEST} mask: fully transparent areas (alpha zero) indicate where to "
        "edit; a valid PNG under 4MB with the image's dimensions",
        note="sent as an RGBA PNG; the neutral polarity is converted, never exposed",
    ),
    Capability(
        "prompt",
        NATIVE,
        wire=Wire("prompt"),
        required=True,
        min_length=1,
        max_length=1000,
        source=f"{REQUEST} prompt (required): at most 1000 characters for dall-e-2",
    ),
    Capability(
        "model",
        NATIVE,
        wire=Wire("model", unset="default"),
        choices=(DEFAULT_MODEL,),
        default=DEFAULT_MODEL,
        source=f"{REQUEST} model: dall-e-2 or a GPT image model (default gpt-image-1.5)",
        note="always sent: the API's default is a GPT image model, whose limits are not "
        "this table's",
    ),
    Capability(
        "num_images",
        NATIVE,
        wire=Wire("n"),
        minimum=1,
        maximum=10,
        default=1,
        split_above_maximum=True,
        source=f"{REQUEST} n: integer, minimum 1, maximum 10",
        note="more than 10 images are split over several requests by the client",
    ),
    Capability(
        "width",
        EMULATED,
        wire=Custom(("size",), "written as '<w>x<h>' from the prepared image's size"),
        source=f"{REQUEST} size: 256x256, 512x512 or 1024x1024 for dall-e-2",
        note="the client resizes the input; the size sent is the input's, which the image "
        "limits keep square, 256 to 1024 pixels, a multiple of 256",
    ),
    Capability("height", EMULATED, source=f"{REQUEST} size", note="as width"),
    Capability(
        "output_format",
        EMULATED,
        source=f"{REQUEST} output_format is for GPT image models only; dall-e-2 answers PNG",
        note="converted on the client",
    ),
    Capability("mask_options", NATIVE, source=REQUEST, note="container: see its sub-fields"),
    Capability(
        "mask_options.invert",
        EMULATED,
        source=REQUEST,
        note="the client inverts the neutral mask before it becomes the alpha mask",
    ),
    _unsupported(
        "mask_options.blur",
        "only fully transparent pixels are edited: a feathered edge would shrink the mask",
    ),
    _unsupported(
        "mask_options.masked_only",
        "a crop around the mask is not one of the three square sizes dall-e-2 takes",
    ),
    _unsupported("mask_options.padding", "see masked_only"),
    _unsupported("negative_prompt"),
    _unsupported("steps"),
    _unsupported("guidance_scale"),
    _unsupported("strength"),
    _unsupported("seed", "generations are not reproducible"),
    _unsupported("sampler"),
    _unsupported("clip_skip"),
    _unsupported("initial_noise_multiplier"),
    _unsupported("loras"),
    _unsupported("embeddings"),
    _unsupported("vae"),
    _unsupported("safety", "OpenAI always moderates; it cannot be configured per request"),
    Capability(
        "webhook",
        UNSUPPORTED,
        source=f"{EDIT}: the 200 answer is the ImagesResponse itself",
        note="synchronous: the answer is the result",
    ),
    _unsupported("storage", f"images come back inline as b64_json ({RESPONSE})"),
    _unsupported("enhance_prompt"),
)

IMAGE_LIMITS: Final = ImageLimits(
    min_side=256,
    max_side=1024,
    sizes=((256, 256), (512, 512), (1024, 1024)),
    formats=("png",),
    max_bytes=4 * 1024 * 1024,
)
"""dall-e-2's input and output: a square PNG under 4 MB of 256x256, 512x512 or 1024x1024 (the
``size`` enum of ``CreateImageEditRequest``); any other size is refused before sending."""

SPEC: Final = ProviderSpec(
    id=PROVIDER_ID,
    name="OpenAI image edits (dall-e-2)",
    base_url=DEFAULT_BASE_URL,
    auth=BearerAuth(),
    env_var=ENV_VAR,
    capabilities=_ROWS,
    image_limits=IMAGE_LIMITS,
    docs_url="https://platform.openai.com/docs/api-reference/images/createEdit",
)
"""The spec: synchronous (the adapter implements submit only), bearer key, multipart in,
JSON with base64 images out."""

CAPABILITIES: Final = SPEC.capabilities
"""The OpenAI image edit capability table (dall-e-2's limits)."""
