"""inpaintkit plugin for the Stable Diffusion web UI API (AUTOMATIC1111 and Forge).

Installed, this package registers through the ``inpaintkit`` entry point (``sdwebui =
inpaintkit_sdwebui``):

- :func:`register_providers`: the sans-I/O :class:`SdWebUiAdapter`, whose spec carries the
  capability table (:data:`CAPABILITIES`) with its sources;
- :func:`register_mocks`: :class:`inpaintkit_sdwebui.mock.SdWebUiMock`, the web UI's server
  rules for :mod:`inpaintkit.mockserver`, written independently of the plugin's table.

Credentials: with ``--api-auth user:pass`` the key is ``"user:pass"`` (the core sends it as HTTP
Basic; :func:`basic_credential` joins a user and password kept apart).  A web UI started without
``--api-auth`` takes none, but the runtime needs a key for every provider that may check one, so
pass :data:`NO_AUTH` (it becomes an ``Authorization`` header such a server ignores).

Provider-only options are typed: ``extras={"sdwebui": SdWebUiOptions(...)}`` or the same as JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from inpaintkit.hookspecs import hookimpl

from .adapter import SdWebUiAdapter
from .capabilities import CAPABILITIES, PROVIDER_ID, SPEC
from .options import InpaintingFill, SdWebUiOptions
from .samplers import sampler_fields

__all__ = [
    "CAPABILITIES",
    "NO_AUTH",
    "PROVIDER_ID",
    "SPEC",
    "InpaintingFill",
    "SdWebUiAdapter",
    "SdWebUiOptions",
    "basic_credential",
    "register_mocks",
    "register_providers",
    "sampler_fields",
]

NO_AUTH: Final = "sdwebui-no-auth"
"""The key to use for a server without ``--api-auth``: the runtime insists on a key and scrubs
it from every kept body, so it is a string that cannot occur in an answer by accident."""


def basic_credential(user: str, password: str) -> str:
    """The key for a server started with ``--api-auth user:password``, from its two parts."""
    if ":" in user:
        raise ValueError("user: must not contain ':' (HTTP Basic separates user and password)")
    return f"{user}:{password}"


@hookimpl
def register_providers(register: Callable[[SdWebUiAdapter], None]) -> None:
    """Register the SD web UI adapter."""
    register(SdWebUiAdapter())


@hookimpl
def register_mocks(register: Callable[[Any], None]) -> None:
    """Register the SD web UI mock (imported here, so using the plugin never loads it)."""
    from .mock import SdWebUiMock

    register(SdWebUiMock())
