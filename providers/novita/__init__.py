"""The Novita AI provider plugin (``POST /v3/async/inpainting``, then poll ``task-result``).

Registered through the ``inpaintkit`` entry point and :func:`register_providers`, exactly as a
third-party plugin would be.  The capability table (:data:`CAPABILITIES`) is the single source of
Novita's limits; the adapter (:class:`NovitaAdapter`) translates jobs and parses responses
without I/O.  ``extras["novita"]`` takes :class:`NovitaOptions`.
"""

from __future__ import annotations

from collections.abc import Callable

from inpaintkit.hookspecs import hookimpl
from inpaintkit.provider import SubmitAdapter

from .adapter import NovitaAdapter
from .capabilities import CAPABILITIES, NOVITA_SAMPLERS
from .errors import REASONS, error_from_body, error_from_response
from .options import NovitaOptions, WebhookTestStatus
from .results import IgnoredWebhookEvent
from .samplers import sampler_from_wire, sampler_to_wire
from .spec import SPEC

__all__ = [
    "CAPABILITIES",
    "NOVITA_SAMPLERS",
    "REASONS",
    "SPEC",
    "IgnoredWebhookEvent",
    "NovitaAdapter",
    "NovitaOptions",
    "WebhookTestStatus",
    "error_from_body",
    "error_from_response",
    "register_providers",
    "sampler_from_wire",
    "sampler_to_wire",
]


@hookimpl
def register_providers(register: Callable[[SubmitAdapter], None]) -> None:
    """Register the Novita adapter."""
    register(NovitaAdapter())
