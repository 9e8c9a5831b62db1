"""The hook specifications of inpaintkit: the reference for plugin authors.

A plugin is any module or object with functions marked by :data:`hookimpl` whose names match
the specifications below.  Third-party plugins are found through the ``inpaintkit`` entry-point
group; the built-in providers are loaded through exactly the same hooks.

Hooks are synchronous and registration-shaped: they hand objects to the framework once, at
start-up.  The per-request work (building requests, parsing responses) is not a hook; it is the
provider adapter that :func:`register_providers` registers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .provider import ImageHost, ProviderAdapter

__all__ = ["PROJECT_NAME", "hookimpl", "hookspec"]

PROJECT_NAME = "inpaintkit"
"""The pluggy project name, which is also the entry-point group plugins are published under."""

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def register_providers(register: Callable[[ProviderAdapter], None]) -> None:
    """Register provider adapters.

    Call ``register(adapter)`` once per provider the plugin offers.  ``adapter`` satisfies
    :class:`inpaintkit.provider.ProviderAdapter`: its ``spec`` declares the provider id, base URL,
    authentication, capability table and polling policy as data, and its methods translate jobs
    and responses without performing any I/O.  Registering two adapters with the same id is an
    error raised when the registry is built.
    """


@hookspec
def register_mocks(register: Callable[[Any], None]) -> None:
    """Register mock providers for :mod:`inpaintkit.mockserver`.

    Call ``register(mock)`` with an object satisfying
    :class:`inpaintkit.mockserver.MockProvider`, which adds the provider's routes to the mock
    server application.  The mock's rules must be a transcription of the provider's documented
    server behaviour, written independently of the plugin's own capability table; otherwise the
    conformance suite cannot catch a plugin that disagrees with its provider.
    """


@hookspec(firstresult=True)
def image_host(provider_id: str) -> ImageHost | None:
    """Return an :class:`~inpaintkit.provider.ImageHost` for a provider that only takes URLs.

    Some providers (StableDiffusionAPI v3) accept input images only as URLs; others (ModelsLab)
    take URLs by default.  When a job's image is bytes or a local file, the runtime asks this hook
    for a host that uploads the bytes and returns a URL the provider can fetch (a host given to
    ``InpaintClient(image_hosts=...)`` wins over the hook).  The first non-``None`` answer wins;
    return ``None`` to pass, for example for providers your host does not serve.
    """
