"""The SD web UI mock for :mod:`inpaintkit.mockserver` (registered by ``register_mocks``).

It transcribes the web UI server's own rules (:mod:`.rules`) and never imports the plugin's
capability table, so that the conformance suite compares two independent readings of the API.
"""

from __future__ import annotations

from .rules import SAMPLERS, SCHEDULERS, check_body, resolve_sampler
from .server import MOCK_ID, SdWebUiMock

__all__ = ["MOCK_ID", "SAMPLERS", "SCHEDULERS", "SdWebUiMock", "check_body", "resolve_sampler"]
