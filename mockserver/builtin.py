"""The three built-in mock providers, registered through the same hook a third party uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from inpaintkit.hookspecs import hookimpl

from .modelslab import ModelsLabMock
from .novita import NovitaMock
from .sdapi import StableDiffusionApiMock

__all__ = ["register_mocks"]


@hookimpl
def register_mocks(register: Callable[[Any], None]) -> None:
    """Register Novita, StableDiffusionAPI and ModelsLab."""
    register(NovitaMock())
    register(StableDiffusionApiMock())
    register(ModelsLabMock())
