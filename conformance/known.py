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

_DPMSOLVER = (
    "the plugin sends algorithm_type 'dpmsolver++' (the diffusers name of plain multistep DPM++, "
    "providers/modelslab/samplers.py); the mock's enum is sde-dpmsolver++/none/dpmsolver+++ "
    "(seed 003 example and the OpenAPI, mockserver/contracts/_modelslab.py); no source "
    "documents 'dpmsolver++'"
)

KNOWN_DISAGREEMENTS: Final[Mapping[str, Mapping[str, str]]] = {
    "modelslab": {
        "sampler='DPM++ 2M'": _DPMSOLVER,
        "sampler='DPM++ 2M Karras'": _DPMSOLVER,
    },
}
