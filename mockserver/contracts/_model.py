"""The types the mock server's handlers exchange with the request contracts.

The contracts are the mock's own transcription of what each provider's server accepts, written in
wire terms.  Handlers hand them decoded bodies, headers and image facts; they hand back either a
normalised, accepted request or a :class:`Rejection` holding the provider-exact error body.  Nothing
here knows about sockets, so the same answers drive the HTTP server, the OpenAPI documents and the
tests.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping
from typing import Any, Protocol

import attrs

from ._fields import Dialect, Field

__all__ = [
    "Base64Upload",
    "ContractOptions",
    "ErrorKind",
    "FetchRequest",
    "ImageFacts",
    "ModelQuery",
    "ProviderContract",
    "Rejection",
    "S3Target",
    "SubmitRequest",
    "WireImage",
]


@attrs.frozen
class Rejection:
    """A request the provider would refuse, with the answer it would give.

    ``body`` is exactly what the provider sends; ``field`` and ``rule`` are for the mock's journal
    and its tests (the provider's own message may not word the rule the way we assert on it).
    ``value`` is a short, secret-free rendering of the offending value (``None`` when absent).
    """

    status: int
    body: dict[str, Any]
    field: str | None
    rule: str
    value: str | None = None


@attrs.frozen
class WireImage:
    """An input image as the request carried it: inline data or a URL for the server to fetch.

    ``data:`` URLs count as inline data and arrive in ``base64`` with their prefix, so the server
    decodes them instead of treating them as something to fetch.
    """

    base64: str | None = attrs.field(default=None, repr=lambda v: _size_repr(v))
    url: str | None = None


def _size_repr(value: str | None) -> str:
    return "None" if value is None else f"<{len(value)} chars>"


@attrs.frozen
class S3Target:
    """Novita ``extra.custom_storage.aws_s3``: where the provider uploads the outputs."""

    region: str
    bucket: str
    path: str
    save_to_path_directly: bool = False


@attrs.frozen
class SubmitRequest:
    """An accepted submit body, normalised into the fields the server acts on.

    Typed fields carry documented defaults where the contract table has one; ``params`` carries
    every accepted wire field as sent (after normalisation: numeric strings to numbers,
    ``yes``/``no`` to booleans), without the key.  ``ignored`` lists wire fields the provider
    does not know and so ignores (its server discards unknown fields; the journal can show them).
    """

    provider: str
    api_key: str = attrs.field(repr=False)
    image: WireImage
    mask: WireImage
    prompt: str | None
    negative_prompt: str | None
    model: str | None
    width: int | None
    height: int | None
    num_images: int
    seed: int | None
    steps: int | None
    guidance_scale: float | None
    strength: float | None
    sampler: str | None
    output_format: str
    base64_output: bool
    mask_invert: bool
    mask_blur: int
    masked_only: bool
    masked_only_padding: int
    webhook_url: str | None
    track_id: str | None
    webhook_test_status: str | None
    custom_storage: S3Target | None
    nsfw_detection: bool
    params: Mapping[str, Any] = attrs.field(repr=False)
    ignored: tuple[str, ...] = ()


@attrs.frozen
class ImageFacts:
    """What the server learned decoding (or fetching) one input image.

    ``width``/``height`` are ``None`` when the bytes could not be decoded as an image; ``format`` is
    Pillow's format name (``"PNG"``, ``"JPEG"``, ``"WEBP"``...), compared case-insensitively.
    """

    width: int | None
    height: int | None
    byte_size: int
    format: str | None


@attrs.frozen
class FetchRequest:
    """An accepted fetch call (SDAPI ``/api/v3/fetch/{id}``, ModelsLab ``/api/v6/images/fetch``)."""

    provider: str
    api_key: str = attrs.field(repr=False)
    request_id: str


@attrs.frozen
class ModelQuery:
    """An accepted Novita ``GET /v3/model`` query; ``None`` means the filter was not given."""

    visibility: str | None = None
    source: str | None = None
    types: str | None = None
    is_sdxl: bool | None = None
    query: str | None = None
    is_inpainting: bool = False
    limit: int | None = None
    cursor: str | None = None
    ignored: tuple[str, ...] = ()


@attrs.frozen
class Base64Upload:
    """An accepted ModelsLab ``/api/v6/base64_to_url`` body, decoded."""

    api_key: str = attrs.field(repr=False)
    data: bytes = attrs.field(repr=lambda v: f"<{len(v)} bytes>")
    media_type: str | None = None


class ErrorKind(enum.Enum):
    """Server-side conditions the mock reports in each provider's own words."""

    MISSING_KEY = "missing_key"
    INVALID_KEY = "invalid_key"
    RATE_LIMITED = "rate_limited"
    INSUFFICIENT_CREDITS = "insufficient_credits"
    TASK_NOT_FOUND = "task_not_found"
    SERVER_ERROR = "server_error"
    SERVICE_UNAVAILABLE = "service_unavailable"
    IMAGE_FETCH_FAILED = "image_fetch_failed"
    MODEL_NOT_FOUND = "model_not_found"
    BODY_NOT_JSON = "body_not_json"
    TASK_FAILED = "task_failed"


@attrs.frozen
class ContractOptions:
    """Behaviour switches for what the sources leave unverified.

    ``errors_as_http_200``: StableDiffusionAPI and ModelsLab document HTTP 400/401/402/403/429/
    500/503 for their error bodies, but many clients see ``status: "error"`` inside HTTP 200.
    Set this to answer every error of those two providers with HTTP 200 (the body is unchanged).
    Novita's documented status codes are not affected.
    """

    errors_as_http_200: bool = False


class ProviderContract(Protocol):
    """One provider's request contract: auth, submit validation, image rules and error bodies."""

    provider_id: str
    dialect: Dialect  # how the provider's server reads JSON types

    def authenticate(
        self, body: Any, headers: Mapping[str, str], *, valid_keys: Collection[str] | None
    ) -> str | Rejection:
        """Return the API key, or the provider-exact auth error.

        ``valid_keys`` ``None`` means any non-empty key is valid.
        """
        ...

    def validate_submit(self, body: Any, api_key: str) -> SubmitRequest | Rejection:
        """Validate a decoded submit body; report the first failing field the provider's way."""
        ...

    def check_images(
        self, req: SubmitRequest, image: ImageFacts, mask: ImageFacts
    ) -> Rejection | None:
        """Apply the size, resolution and format rules once the server has decoded the images."""
        ...

    def error(
        self, kind: ErrorKind, message: str | None = None, *, retry_after: float | None = None
    ) -> Rejection:
        """Return the provider-exact error for a server-side condition."""
        ...

    def table(self) -> tuple[Field, ...]:
        """The submit contract table the validation, messages and OpenAPI schema derive from."""
        ...
