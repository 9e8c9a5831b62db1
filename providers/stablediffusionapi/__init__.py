"""The StableDiffusionAPI.com (v3) provider plugin.

Registered through the same ``inpaintkit`` hooks a third-party plugin uses:
``register_providers`` registers :class:`StableDiffusionApiAdapter`, and ``image_host`` offers
:class:`Base64ToUrlHost` for ``"stablediffusionapi"`` (v3 takes images only as links).  The
capability table is :data:`CAPABILITIES`; the provider's data is :data:`SPEC`.

Provider-only option (:class:`StableDiffusionApiOptions`):
``job.extras["stablediffusionapi"] = {"base64": True}`` asks for the output as base64 instead of
links (wire ``"base64": "yes"``).  Envelope, fetch and errors are the shared platform's
(:mod:`inpaintkit.providers._platform`).
"""

from __future__ import annotations

from collections.abc import Callable

from inpaintkit.hookspecs import hookimpl
from inpaintkit.provider import ImageHost, ProviderAdapter

from .adapter import StableDiffusionApiAdapter
from .capabilities import CAPABILITIES, ENV_VAR, PLATFORM, POLL_POLICY, PROVIDER_ID, SPEC
from .host import Base64ToUrlHost, build_upload_request, parse_upload_response
from .options import StableDiffusionApiOptions

__all__ = [
    "CAPABILITIES",
    "ENV_VAR",
    "PLATFORM",
    "POLL_POLICY",
    "PROVIDER_ID",
    "SPEC",
    "Base64ToUrlHost",
    "StableDiffusionApiAdapter",
    "StableDiffusionApiOptions",
    "build_upload_request",
    "image_host",
    "parse_upload_response",
    "register_providers",
]


@hookimpl
def register_providers(register: Callable[[ProviderAdapter], None]) -> None:
    """Register the v3 adapter."""
    register(StableDiffusionApiAdapter())


@hookimpl
def image_host(provider_id: str) -> ImageHost | None:
    """Host images for v3 through the platform's ``base64_to_url``; pass for other providers."""
    if provider_id != PROVIDER_ID:
        return None
    return Base64ToUrlHost()
