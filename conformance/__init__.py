"""The conformance suite that provider plugins run against the mock server.

A plugin author subclasses :class:`ProviderConformance` (see ``docs/conformance.md``); the
``inpaintkit conformance`` command runs the same suite for every installed provider and writes a
compatibility matrix.  The building blocks are public for programmatic use: a :class:`Harness`
(client + mock + shared virtual clock), the :class:`Differential` oracle (plugin verdict vs mock
verdict, plus meaning checks), the boundary :class:`Case` generator, and the error cases.

The suite needs pytest and hypothesis: ``pip install 'inpaintkit[conformance]'``.  The names
load on first use, so importing this package (as the pytest plugin's parent) costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cases import Case, boundary_cases, mock_bounds
    from .differential import CaseResult, Differential
    from .errors import DEFAULT_ERROR_CASES, ErrorCase, check_error_case
    from .harness import API_KEY, Harness, conformance_mock_config
    from .meaning import MaskEncoding
    from .suite import ProviderConformance

_LAZY: dict[str, str] = {
    "API_KEY": ".harness",
    "Case": ".cases",
    "CaseResult": ".differential",
    "DEFAULT_ERROR_CASES": ".errors",
    "Differential": ".differential",
    "ErrorCase": ".errors",
    "Harness": ".harness",
    "MaskEncoding": ".meaning",
    "ProviderConformance": ".suite",
    "boundary_cases": ".cases",
    "check_error_case": ".errors",
    "conformance_mock_config": ".harness",
    "mock_bounds": ".cases",
}

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


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'inpaintkit.conformance' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
