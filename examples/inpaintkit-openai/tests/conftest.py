"""Fixtures for the openai plugin's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from inpaintkit.clock import VirtualClock
from inpaintkit.mockserver import AsyncMock, MockConfig, run_mock
from inpaintkit.plugins import ProviderRegistry
from openai_testdata import KEY, plugin_manager


@pytest.fixture
def registry() -> ProviderRegistry:
    return ProviderRegistry.from_plugin_manager(plugin_manager())


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
async def mock(clock: VirtualClock) -> AsyncIterator[AsyncMock]:
    """The mock server with this plugin's mock only, on the test's clock; only KEY is valid."""
    config = MockConfig(seed=7, valid_keys=(KEY,))
    async with run_mock(config, plugin_manager=plugin_manager(), clock=clock) as running:
        yield running
