"""inpaintkit plugin for OpenAI's image edit endpoint (``POST /v1/images/edits``).

Installed, this package registers through the ``inpaintkit`` entry point (``openai =
inpaintkit_openai``):

- :func:`register_providers`: the sans-I/O :class:`OpenAIAdapter`, whose spec carries the
  capability table (:data:`CAPABILITIES`, dall-e-2's limits) with its sources;
- :func:`register_mocks`: :class:`inpaintkit_openai.mock.OpenAIMock`, the endpoint's rules for
  :mod:`inpaintkit.mockserver`, transcribed independently of the plugin's table.

It is the proof that a provider taking a multipart upload fits the plugin contract: the neutral
mask (white = repaint) is sent as OpenAI's alpha mask (transparent = edit), see :mod:`.alpha`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from inpaintkit.hookspecs import hookimpl

from .adapter import OpenAIAdapter
from .alpha import alpha_mask
from .capabilities import CAPABILITIES, PROVIDER_ID, SPEC

__all__ = [
    "CAPABILITIES",
    "PROVIDER_ID",
    "SPEC",
    "OpenAIAdapter",
    "alpha_mask",
    "register_mocks",
    "register_providers",
]


@hookimpl
def register_providers(register: Callable[[OpenAIAdapter], None]) -> None:
    """Register the OpenAI adapter."""
    register(OpenAIAdapter())


@hookimpl
def register_mocks(register: Callable[[Any], None]) -> None:
    """Register the OpenAI mock (imported here, so using the plugin never loads it)."""
    from .mock import OpenAIMock

    register(OpenAIMock())
