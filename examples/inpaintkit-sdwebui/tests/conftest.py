"""Fixtures for the sdwebui plugin's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from inpaintkit.clock import VirtualClock
from inpaintkit.mockserver import AsyncMock, MockConfig, run_mock
from inpaintkit.plugins import ProviderRegistry
from sdwebui_testdata import plugin_manager


@pytest.fixture
def registry() -> ProviderRegistry:
    return ProviderRegistry.from_plugin_manager(plugin_manager())


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
async def mock() -> AsyncIterator[AsyncMock]:
    """The mock server with this plugin's mock only, in the test's event loop."""
    async with run_mock(MockConfig(seed=7), plugin_manager=plugin_manager()) as running:
        yield running
