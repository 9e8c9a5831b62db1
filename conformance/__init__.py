"""The conformance suite that provider plugins run against the mock server.

A plugin author subclasses :class:`ProviderConformance` (see ``docs/conformance.md``); the
``inpaintkit conformance`` command runs the same suite for every installed provider and writes a
compatibility matrix.  The building blocks are public for programmatic use: a :class:`Harness`
(client + mock + shared virtual clock), the :class:`Differential` oracle (plugin verdict vs mock
verdict, plus meaning checks), the boundary :class:`Case` generator, and the error cases.
"""

from __future__ import annotations

from .cases import Case, boundary_cases, mock_bounds
from .differential import CaseResult, Differential
from .errors import DEFAULT_ERROR_CASES, ErrorCase, check_error_case
from .harness import API_KEY, Harness, conformance_mock_config
from .meaning import MaskEncoding
from .suite import ProviderConformance

__all__ = [
    "API_KEY",
    "DEFAULT_ERROR_CASES",
    "Case",
    "CaseResult",
    "Differential",
    "ErrorCase",
    "Harness",
    "MaskEncoding",
    "ProviderConformance",
    "boundary_cases",
    "check_error_case",
    "conformance_mock_config",
    "mock_bounds",
]
