"""The ModelsLab provider plugin (``POST https://modelslab.com/api/v6/images/inpaint``).

Registered through the same ``register_providers`` hook and ``inpaintkit`` entry point a
third-party plugin uses.  The table of what ModelsLab honours is :data:`CAPABILITIES`; the
neutral sampler mapping is in :mod:`.samplers`, its own request fields are
:class:`ModelsLabOptions`; envelope, fetch and errors are the shared platform's
(:mod:`inpaintkit.providers._platform`).
"""

from __future__ import annotations

from collections.abc import Callable

from inpaintkit.hookspecs import hookimpl
from inpaintkit.provider import ProviderAdapter

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

__all__ = [
    "BASE_URL",
    "CAPABILITIES",
    "ENV_VAR",
    "FETCH_PATH",
    "PLATFORM",
    "POLL_POLICY",
    "PROVIDER_ID",
    "SAMPLER_MAP",
    "SPEC",
    "SUBMIT_PATH",
    "SUPPORTED_SAMPLERS",
    "UNSUPPORTED_SAMPLERS",
    "MetaEcho",
    "ModelsLabAdapter",
    "ModelsLabOptions",
    "SafetyCheckerType",
    "WireScheduler",
    "parse_meta",
    "register_providers",
    "sampler_from_wire",
    "sampler_to_wire",
]


@hookimpl
def register_providers(register: Callable[[ProviderAdapter], None]) -> None:
    """Register the ModelsLab adapter."""
    register(ModelsLabAdapter())
