"""ModelsLab's documented image upload, ``POST /api/v6/base64_to_url``, as an image host.

``{"key": ..., "base64_string": "data:image/png;base64,..."}`` answers
``{"status": "success", "output": ["https://..."]}`` (reference 3.1); the links expire after 24
hours and uploads are limited to 5 MB (larger images raise a :class:`ValidationError` before
anything is sent).  Only ModelsLab documents this route, so it is always sent to ModelsLab's
base URL with a ModelsLab key, whichever provider the images are for:

* for ``modelslab`` itself the plugin's ``image_host`` hook offers it, so local images go up
  as documented links instead of an undocumented inline form (``ModelsLabOptions(base64=True)``
  asks for inline images explicitly);
* for StableDiffusionAPI, which documents no upload, it is an opt-in:
  ``InpaintClient(image_hosts={"stablediffusionapi": ModelsLabUploadHost()})`` (or register
  the object as a plugin: its ``image_host`` hook answers for ``for_providers``).  The key is
  ``key`` when given, else the client's ModelsLab key (``api_keys["modelslab"]`` or
  ``MODELSLAB_API_KEY``).

The request building and response parsing are pure functions; only :meth:`upload` awaits the
runtime, which adds the key (ModelsLab's auth is ``BodyKeyAuth``).
"""

from __future__ import annotations

from typing import Any, Final

from inpaintkit.errors import FieldError, ProviderError, ValidationError
from inpaintkit.hookspecs import hookimpl
from inpaintkit.images import MIME_TYPES, sniff_format, to_base64
from inpaintkit.provider import HostContext, HttpRequest, HttpResponse, ImageHost

from .._platform import classify
from .capabilities import CAPABILITIES, PROVIDER_ID

__all__ = [
    "UPLOAD_MAX_BYTES",
    "UPLOAD_PATH",
    "ModelsLabUploadHost",
    "build_upload_request",
    "parse_upload_response",
]

UPLOAD_PATH: Final = "/api/v6/base64_to_url"
"""Reference 3.1: ModelsLab's upload helper (no StableDiffusionAPI page documents it)."""

UPLOAD_MAX_BYTES: Final = 5 * 1024 * 1024
"""'maximum file size for upload is 5MB' (reference 3.1), counted on the decoded file; MB read
as MiB (the docs do not say which)."""


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
            "or configure another image host"
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


class ModelsLabUploadHost:
    """Hosts images through ModelsLab's ``base64_to_url`` (see the module docstring).

    ``key``: the ModelsLab key to upload with (never shown in reprs); ``None`` uses the
    client's.  ``for_providers``: the providers whose images this object hosts when it is
    registered as a plugin (its ``image_host`` hook).
    """

    def __init__(
        self, key: str | None = None, *, for_providers: tuple[str, ...] = ("stablediffusionapi",)
    ) -> None:
        self._key = key
        self.for_providers = for_providers

    async def upload(self, data: bytes, media_type: str, context: HostContext) -> str:
        """Upload ``data`` and return the link the provider can fetch (valid for 24 hours)."""
        request = build_upload_request(data, media_type)
        if context.send_to is not None:
            response = await context.send_to(PROVIDER_ID, request, self._key)
        elif context.provider.id == PROVIDER_ID and self._key is None:
            response = await context.send(request)
        else:
            raise ProviderError(
                "this runtime cannot send to ModelsLab from another provider's image host",
                provider=PROVIDER_ID,
                hint="Use InpaintClient, whose host context can send to another provider.",
            )
        return parse_upload_response(response)

    @hookimpl
    def image_host(self, provider_id: str) -> ImageHost | None:
        """As a plugin: host images for ``for_providers``; pass for the others."""
        return self if provider_id in self.for_providers else None

    def __repr__(self) -> str:
        key = "***" if self._key is not None else None
        return f"ModelsLabUploadHost(key={key}, for_providers={self.for_providers!r})"
