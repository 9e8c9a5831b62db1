"""pytest fixtures for testing against the mock server (the ``inpaintkit_mock`` pytest11 plugin).

pytest loads this module in every session of an environment where inpaintkit is installed, so it
imports nothing but pytest at load time: the mock server (aiohttp, Pillow, ...) is imported by the
first test that asks for a fixture.  The same fixtures are importable as
``inpaintkit.mockserver.pytest_plugin``.

``inpaintkit_mock`` is one server per session, in a background thread with its own event loop
(so it works the same in sync tests and under pytest-asyncio), reset before every test: no
tasks, files, journal entries or run-time fault rules leak from one test into the next.  Override
``inpaintkit_mock_config`` (session scope) in a ``conftest.py`` to configure it::

    @pytest.fixture(scope="session")
    def inpaintkit_mock_config():
        return MockConfig(seed=42, sync_mode="processing")
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from inpaintkit.mockserver import MockConfig, MockServer

__all__ = ["inpaintkit_mock", "inpaintkit_mock_config", "inpaintkit_mock_session"]


@pytest.fixture(scope="session")
def inpaintkit_mock_config() -> MockConfig:
    """The session mock's configuration (override to change it)."""
    from inpaintkit.mockserver import MockConfig

    return MockConfig()


@pytest.fixture(scope="session")
def inpaintkit_mock_session(inpaintkit_mock_config: MockConfig) -> Iterator[MockServer]:
    """The session-wide server; prefer :func:`inpaintkit_mock`, which resets it per test."""
    from inpaintkit.mockserver import MockServer

    with MockServer(inpaintkit_mock_config) as server:
        yield server


@pytest.fixture
def inpaintkit_mock(
    inpaintkit_mock_session: MockServer, inpaintkit_mock_config: MockConfig
) -> Iterator[MockServer]:
    """The mock server, freshly reset (tasks, files, journal, faults, random streams, and any
    configuration changed through the admin API)."""
    inpaintkit_mock_session.ctx.apply_config(inpaintkit_mock_config)
    inpaintkit_mock_session.reset()
    yield inpaintkit_mock_session
    inpaintkit_mock_session.reset()
