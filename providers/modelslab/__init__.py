"""The ModelsLab provider plugin (``POST https://modelslab.com/api/v6/images/inpaint``).

Registered through the same ``register_providers`` hook and ``inpaintkit`` entry point a
third-party plugin uses.  The table of what ModelsLab honours is :data:`CAPABILITIES`; the
neutral sampler mapping is in :mod:`.samplers`, its own request fields are
:class:`ModelsLabOptions`; envelope, fetch and errors are the shared platform's
(:mod:`inpaintkit.providers._platform`).

Local images are uploaded through ModelsLab's documented ``base64_to_url``
(:class:`ModelsLabUploadHost`, offered by this plugin's ``image_host`` hook); the same host is
the opt-in upload for StableDiffusionAPI, which documents none.
"""

from __future__ import annotations

from collections.abc import Callable

from inpaintkit.hookspecs import hookimpl
from inpaintkit.provider import ImageHost, ProviderAdapter

from .._platform.plans import PLAN_QUEUE_LIMITS, plan_rate_limit
from .adapter import ModelsLabAdapter
from .capabilities import (
    BASE_URL,
    CAPABILITIES,
    ENV_VAR,
    FETCH_PATH,
    PLATFORM,
    POLL_POLICY,
    PROVIDER_ID,
    SPEC,
    SUBMIT_PATH,
)
from .options import ModelsLabOptions, SafetyCheckerType
from .responses import MetaEcho, parse_meta
from .samplers import (
    SAMPLER_MAP,
    SUPPORTED_SAMPLERS,
    UNSUPPORTED_SAMPLERS,
    WireScheduler,
    sampler_from_wire,
    sampler_to_wire,
)
from .upload import (
    UPLOAD_MAX_BYTES,
    UPLOAD_PATH,
    ModelsLabUploadHost,
    build_upload_request,
    parse_upload_response,
)

__all__ = [
    "BASE_URL",
    "CAPABILITIES",
    "ENV_VAR",
    "FETCH_PATH",
    "PLAN_QUEUE_LIMITS",
    "PLATFORM",
    "POLL_POLICY",
    "PROVIDER_ID",
    "SAMPLER_MAP",
    "SPEC",
    "SUBMIT_PATH",
    "SUPPORTED_SAMPLERS",
    "UNSUPPORTED_SAMPLERS",
    "UPLOAD_MAX_BYTES",
    "UPLOAD_PATH",
    "MetaEcho",
    "ModelsLabAdapter",
    "ModelsLabOptions",
    "ModelsLabUploadHost",
    "SafetyCheckerType",
    "WireScheduler",
    "build_upload_request",
    "image_host",
    "parse_meta",
    "parse_upload_response",
    "plan_rate_limit",
    "register_providers",
    "sampler_from_wire",
    "sampler_to_wire",
]


@hookimpl
def register_providers(register: Callable[[ProviderAdapter], None]) -> None:
    """Register the ModelsLab adapter."""
    register(ModelsLabAdapter())


@hookimpl
def image_host(provider_id: str) -> ImageHost | None:
    """Upload ModelsLab's own local images through its documented ``base64_to_url``."""
    return ModelsLabUploadHost(for_providers=(PROVIDER_ID,)) if provider_id == PROVIDER_ID else None
