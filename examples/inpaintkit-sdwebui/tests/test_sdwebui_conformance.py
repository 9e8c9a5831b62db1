"""The conformance suite for the sdwebui plugin: a subclass and a few declarations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import inpaintkit_sdwebui
import pluggy
from inpaintkit.conformance import ProviderConformance
from inpaintkit.plugins import make_plugin_manager


class TestSdWebUiConformance(ProviderConformance):
    provider_id = "sdwebui"
    skip: ClassVar[Mapping[str, str]] = {
        "test_poll_path": "the web UI answers synchronously: no processing answer, no task",
        "test_error_mapping[bad_key]": "no key is checked without --api-auth (the client tests "
        "cover Basic auth against a configured mock)",
        "test_error_mapping[insufficient_credits]": "a self-hosted server has no credits",
        "test_error_mapping[task_failed]": "no tasks: a failed generation is the request's 500",
    }

    @classmethod
    def plugin_manager(cls) -> pluggy.PluginManager:
        # Explicit, so the suite runs whether or not the package is installed.
        return make_plugin_manager(entry_points=False, plugins=[inpaintkit_sdwebui])
