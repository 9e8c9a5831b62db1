"""The OpenAI mock for :mod:`inpaintkit.mockserver` (registered by ``register_mocks``).

It transcribes the endpoint's own rules (:mod:`.rules`) and never imports the plugin's
capability table, so that the conformance suite compares two independent readings of the API.
"""

from __future__ import annotations

from .rules import DEFAULT_MODEL, MODELS, check_edit, edit_area
from .server import MOCK_ID, OpenAIMock

__all__ = ["DEFAULT_MODEL", "MOCK_ID", "MODELS", "OpenAIMock", "check_edit", "edit_area"]
