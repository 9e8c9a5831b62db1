"""The conformance suite for the sdwebui plugin: the published settings, nothing restated.

Polling, webhooks and a failing task do not apply to a synchronous server; the suite derives
that from the adapter.  A wrong key is refused because the suite's mock runs with ``valid_keys``,
which the web UI mock plays as ``--api-auth``.
"""

from __future__ import annotations

import inpaintkit_sdwebui
import pluggy
from inpaintkit.plugins import make_plugin_manager
from inpaintkit_sdwebui.conformance import SdWebUiConformance


class TestSdWebUiConformance(SdWebUiConformance):
    @classmethod
    def plugin_manager(cls) -> pluggy.PluginManager:
        # Explicit, so the suite runs whether or not the package is installed.
        return make_plugin_manager(entry_points=False, plugins=[inpaintkit_sdwebui])
