"""A submit's answer is decided at the instant the request arrived, not after the mock has spent
time handling it: on a loaded machine the mock's own image work used to let a ``fast`` task
finish before the answer was written, so ``sync_mode="processing"`` answered ``success`` (the
SDK-compatibility and admin tests failed under load)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from inpaintkit.mockserver import MockConfig, MockServer
from test_mock_lifecycle import modelslab_body, plugin_manager


class SlowMachineClock:
    """Every reading is 5 s after the previous one, as if each step of a request were slow."""

    def __init__(self) -> None:
        self._now = 0.0

    def time(self) -> float:
        self._now += 5.0
        return self._now

    async def sleep(self, seconds: float) -> None:
        self._now += seconds


def _post(url: str, body: Any) -> Any:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_processing_mode_answers_processing_however_slow_the_handling() -> None:
    config = MockConfig(sync_mode="processing")
    with MockServer(config, plugin_manager=plugin_manager(), clock=SlowMachineClock()) as server:
        body = _post(server.url + "/api/v6/images/inpaint", modelslab_body())
    assert body["status"] == "processing", body
