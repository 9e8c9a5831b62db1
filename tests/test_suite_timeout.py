"""A hung test fails instead of stalling the run: pytest-timeout is loaded and configured.

An unbounded wait in a test (an ``asyncio.Event`` nobody sets) once hung the suite instead of
failing it; with a per-test timeout, CI reports which test hung and goes on.
"""

from __future__ import annotations

import pytest


def test_every_test_has_a_timeout(pytestconfig: pytest.Config) -> None:
    assert pytestconfig.pluginmanager.hasplugin("timeout")
    seconds = float(pytestconfig.getini("timeout"))
    assert 0 < seconds <= 600
    assert pytestconfig.getini("timeout_method") == "thread"  # survives caught exceptions


@pytest.mark.timeout(5)
def test_a_marker_can_tighten_it(request: pytest.FixtureRequest) -> None:
    marker = request.node.get_closest_marker("timeout")
    assert marker is not None
    assert marker.args == (5,)
