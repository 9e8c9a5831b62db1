"""The plugin's conformance suite, published for ``inpaintkit conformance``.

The ``inpaintkit.conformance`` entry point names this class, so the command runs the suite with
these declarations; ``tests/test_sdwebui_conformance.py`` runs the same class under pytest.  The
checks the spec rules out (no task to poll, so no polling path and no failed task) are skipped by
the suite itself; only what the spec cannot say is declared here.  Needs
``inpaintkit[conformance]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import pluggy
from inpaintkit.conformance import ProviderConformance
from inpaintkit.plugins import make_plugin_manager

import inpaintkit_sdwebui

__all__ = ["SdWebUiConformance"]


class SdWebUiConformance(ProviderConformance):
    """The suite for the ``sdwebui`` provider against its mock (started without --api-auth)."""

    provider_id = "sdwebui"
    skip: ClassVar[Mapping[str, str]] = {
        "test_error_mapping[bad_key]": "no key is checked without --api-auth (the client tests "
        "cover Basic auth against a configured mock)",
        "test_error_mapping[insufficient_credits]": "a self-hosted server has no credits",
    }

    @classmethod
    def plugin_manager(cls) -> pluggy.PluginManager:
        # Explicit, so the suite runs whether or not the package is installed.
        return make_plugin_manager(entry_points=False, plugins=[inpaintkit_sdwebui])
