"""The StableDiffusionAPI.com (v3) provider plugin.

Registered through the same ``inpaintkit`` hooks a third-party plugin uses:
``register_providers`` registers :class:`StableDiffusionApiAdapter`.  The capability table is
:data:`CAPABILITIES`; the provider's data is :data:`SPEC`.

v3 takes images only as links (seed 002) and documents no upload route, so this plugin offers
no image host: a job with local images needs one configured by the user (their storage, an S3
presigned-URL uploader, or the opt-in
:class:`inpaintkit.providers.modelslab.ModelsLabUploadHost`, ModelsLab's documented upload),
else it fails before any request with an error saying how to configure one.

Provider-only option (:class:`StableDiffusionApiOptions`):
``job.extras["stablediffusionapi"] = {"base64": True}`` asks for the output as base64 instead of
links (wire ``"base64": "yes"``).  Envelope, fetch and errors are the shared platform's
(:mod:`inpaintkit.providers._platform`).
"""

from __future__ import annotations

from collections.abc import Callable

from inpaintkit.hookspecs import hookimpl
from inpaintkit.provider import ProviderAdapter

from .adapter import StableDiffusionApiAdapter
from .capabilities import CAPABILITIES, ENV_VAR, PLATFORM, POLL_POLICY, PROVIDER_ID, SPEC
from .options import StableDiffusionApiOptions

__all__ = [
    "CAPABILITIES",
    "ENV_VAR",
    "PLATFORM",
    "POLL_POLICY",
    "PROVIDER_ID",
    "SPEC",
    "StableDiffusionApiAdapter",
    "StableDiffusionApiOptions",
    "register_providers",
]


@hookimpl
def register_providers(register: Callable[[ProviderAdapter], None]) -> None:
    """Register the v3 adapter."""
    register(StableDiffusionApiAdapter())
