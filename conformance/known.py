"""Known disagreements between built-in plugins and the mock, awaiting a decision.

Each entry is a probe id of ``test_range_boundary`` -> the reason.  Both the project's own test
module and ``inpaintkit conformance`` use this table, so a known dispute is reported as
"disputed" (with both verdicts) instead of failing every run, and fails loudly once the two
sides agree (so a stale entry cannot linger).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = ["KNOWN_DISAGREEMENTS"]

KNOWN_DISAGREEMENTS: Final[Mapping[str, Mapping[str, str]]] = {}
"""Empty: the one dispute found so far (ModelsLab ``algorithm_type`` for plain DPM++ 2M, sent as
the undocumented ``dpmsolver++``) was settled in the plugin's favour of the documented ``none``."""
