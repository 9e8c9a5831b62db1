"""The hook specifications of inpaintkit: the reference for plugin authors.

A plugin is any module or object with functions marked by :data:`hookimpl` whose names match
the specifications below.  Third-party plugins are found through the ``inpaintkit`` entry-point
group; the built-in providers are loaded through exactly the same hooks.

Most hooks are synchronous and registration-shaped: they hand objects to the framework once,
at start-up.  The per-request work (building requests, parsing responses) is not a hook; it is
the provider adapter that :func:`register_providers` registers.  The one per-request hook,
:func:`http_exchange`, is a wrapper around each HTTP exchange, for tracing and metrics.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from collections.abc import Generator

    from .provider import HttpResponse, ImageHost, ProviderAdapter
    from .transport import OutgoingRequest

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


@hookspec
def http_exchange(
    request: OutgoingRequest, provider: str
) -> Generator[None, HttpResponse, HttpResponse]:
    """Wrap one HTTP exchange of the runtime (a submit, a poll, an upload, a download).

    Implement it only as a new-style wrapper, ``@hookimpl(wrapper=True)``, a generator that
    yields once: the code before ``yield`` runs just before the request is sent, ``yield``
    returns the :class:`~inpaintkit.provider.HttpResponse` or raises what the send raised
    (:class:`~inpaintkit.transport.TransportError` for a failure below HTTP), and the generator
    returns the response (or re-raises)::

        @hookimpl(wrapper=True)
        def http_exchange(request, provider):
            started = time.perf_counter()
            try:
                return (yield)
            finally:
                metrics.observe(provider, request.method, time.perf_counter() - started)

    ``provider`` is the provider id (``""`` for a download from a host that belongs to no
    provider).  ``request`` is the request as sent: its ``repr`` shows only the method and the
    URL without its query, but its headers, query and body may hold the API key, so record
    what you need, never the request itself.  The exchange runs on the event loop: keep the
    wrapper quick and non-blocking.  Implementations that are not ``wrapper=True`` are
    refused when the plugin manager is built.
    """
    raise NotImplementedError  # pragma: no cover - a specification
