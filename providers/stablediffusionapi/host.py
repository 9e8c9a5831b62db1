"""The default image host for StableDiffusionAPI: the platform's own ``base64_to_url``.

v3 takes input images only as links (seed 002: 'Link to the Initial Image').  When a job's image
is bytes or a local file, the runtime asks the ``image_host`` hook for a host; this plugin
answers for ``stablediffusionapi`` with the upload helper of the same platform, ModelsLab's
``POST /api/v6/base64_to_url`` with ``{"key": ..., "base64_string": "data:image/png;base64,..."}``,
which answers ``{"status": "success", "output": ["https://..."]}`` (reference 3.1).  The links
expire after 24 hours and uploads are limited to 5 MB; larger images raise a
:class:`ValidationError` before anything is sent.  That stablediffusionapi.com serves this
ModelsLab path is inferred from the shared backend (reference section 2), not documented.

Users with their own storage (S3, a CDN) register another plugin whose ``image_host`` hook
returns their host for ``"stablediffusionapi"``; pluggy calls plugins registered later first,
and the first non-``None`` answer wins.

The request building and response parsing are pure functions; only :meth:`upload` awaits the
runtime's ``send``, which adds the key (the provider's auth is ``BodyKeyAuth``).
"""

from __future__ import annotations

from typing import Any

from inpaintkit.errors import FieldError, ProviderError, ValidationError
from inpaintkit.images import MIME_TYPES, sniff_format, to_base64
from inpaintkit.provider import HostContext, HttpRequest, HttpResponse

from .._platform import classify
from .capabilities import CAPABILITIES, PROVIDER_ID, UPLOAD_MAX_BYTES

__all__ = [
    "UPLOAD_PATH",
    "Base64ToUrlHost",
    "build_upload_request",
    "parse_upload_response",
]

UPLOAD_PATH = "/api/v6/base64_to_url"


def _media_type(data: bytes, media_type: str) -> str:
    """An ``image/*`` type for the data URL: the given one, else sniffed from the bytes."""
    given = media_type.split(";", 1)[0].strip().lower()
    if given.startswith("image/") and len(given) > len("image/"):
        return given
    sniffed = sniff_format(data)
    return MIME_TYPES.get(sniffed or "", "image/png")


def build_upload_request(data: bytes, media_type: str) -> HttpRequest:
    """The ``base64_to_url`` request for ``data`` (the runtime adds the key).

    Raises :class:`ValidationError` when ``data`` is larger than the documented 5 MB.
    """
    if len(data) > UPLOAD_MAX_BYTES:
        rule = (
            f"must be at most {UPLOAD_MAX_BYTES} bytes (5 MB) to upload through "
            f"{PROVIDER_ID}'s base64_to_url; pass the image or mask as a URL, make it smaller, "
            "or register an image_host plugin for your own storage"
        )
        raise ValidationError([FieldError("$.image", rule, data)], provider=PROVIDER_ID)
    data_url = f"data:{_media_type(data, media_type)};base64,{to_base64(data)}"
    return HttpRequest("POST", UPLOAD_PATH, json={"base64_string": data_url})


def parse_upload_response(response: HttpResponse) -> str:
    """The hosted image's URL from a ``base64_to_url`` answer; raises a typed error otherwise."""
    parsed = response.json()
    body: Any = parsed if parsed is not None else response.text()
    ok = 200 <= response.status < 300 and isinstance(body, dict)
    if not ok or str(body.get("status", "")).lower() != "success":
        raise classify(
            body,
            status=response.status,
            provider=PROVIDER_ID,
            table=CAPABILITIES,
            headers=response.headers,
            phase="upload",
        )
    output = body.get("output")
    urls = output if isinstance(output, list) else [output]
    for url in urls:
        if isinstance(url, str) and url.strip().startswith(("http://", "https://")):
            return url.strip()
    raise ProviderError(
        "base64_to_url answered success without an http(s) URL in output",
        provider=PROVIDER_ID,
        raw_body=body,
        status=response.status,
    )


class Base64ToUrlHost:
    """Hosts images through ``/api/v6/base64_to_url`` on the provider's own base URL."""

    async def upload(self, data: bytes, media_type: str, context: HostContext) -> str:
        """Upload ``data`` and return the link the provider can fetch (valid for 24 hours)."""
        response = await context.send(build_upload_request(data, media_type))
        return parse_upload_response(response)

    def __repr__(self) -> str:
        return "Base64ToUrlHost()"
