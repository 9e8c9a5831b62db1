"""The conformance suite for the openai plugin: the published class, this plugin only."""

from __future__ import annotations

import inpaintkit_openai
import pluggy
from inpaintkit.plugins import make_plugin_manager
from inpaintkit_openai.conformance import OpenAIConformance


class TestOpenAIConformance(OpenAIConformance):
    @classmethod
    def plugin_manager(cls) -> pluggy.PluginManager:
        # Explicit, so the suite runs whether or not the package is installed.
        return make_plugin_manager(entry_points=False, plugins=[inpaintkit_openai])
