"""The ModelsLab provider plugin (``POST https://modelslab.com/api/v6/images/inpaint``).

Registered through the same ``register_providers`` hook and ``inpaintkit`` entry point a
third-party plugin uses.  The table of what ModelsLab honours is :data:`CAPABILITIES`; the
neutral sampler mapping is in :mod:`.samplers`.
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
    POLL_POLICY,
    PROVIDER_ID,
    SPEC,
    SUBMIT_PATH,
)
from .errors import error_from_body
from .responses import MetaEcho, parse_meta
from .samplers import (
    SAMPLER_MAP,
    SUPPORTED_SAMPLERS,
    UNSUPPORTED_SAMPLERS,
    WireScheduler,
    sampler_from_wire,
    sampler_to_wire,
)
from .wire import build_body

__all__ = [
    "BASE_URL",
    "CAPABILITIES",
    "ENV_VAR",
    "FETCH_PATH",
    "POLL_POLICY",
    "PROVIDER_ID",
    "SAMPLER_MAP",
    "SPEC",
    "SUBMIT_PATH",
    "SUPPORTED_SAMPLERS",
    "UNSUPPORTED_SAMPLERS",
    "MetaEcho",
    "ModelsLabAdapter",
    "WireScheduler",
    "build_body",
    "error_from_body",
    "parse_meta",
    "register_providers",
    "sampler_from_wire",
    "sampler_to_wire",
]


@hookimpl
def register_providers(register: Callable[[ProviderAdapter], None]) -> None:
    """Register the ModelsLab adapter."""
    register(ModelsLabAdapter())
