"""This plugin's conformance settings, published for ``inpaintkit conformance``.

The entry point ``inpaintkit.conformance: sdwebui`` points here, so the command runs the suite
with the one declaration the suite cannot derive itself.  Everything else that does not apply to
a synchronous, self-hosted server is derived by the suite from the adapter and the spec (no
polling, no webhooks, no task to fail).  Importing this module needs pytest (a test dependency
of inpaintkit's conformance suite); using the plugin never imports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from inpaintkit.conformance import ProviderConformance

__all__ = ["SdWebUiConformance"]


class SdWebUiConformance(ProviderConformance):
    """The suite for ``sdwebui`` (subclassed by the plugin's own test module)."""

    provider_id = "sdwebui"
    skip: ClassVar[Mapping[str, str]] = {
        "test_error_mapping[insufficient_credits]": "a self-hosted server has no credits",
    }
