"""The conformance suite for the sdwebui plugin: the published suite class, run by pytest."""

from __future__ import annotations

from inpaintkit_sdwebui.conformance import SdWebUiConformance


class TestSdWebUiConformance(SdWebUiConformance):
    pass
