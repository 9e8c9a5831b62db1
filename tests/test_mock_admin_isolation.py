"""The mock's own admin API is never reachable through it: webhooks and image fetches that name
``/__mock/...`` are refused whatever the host spelling, and the journal keeps working."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from inpaintkit.clock import VirtualClock
from inpaintkit.mockserver import MockConfig, run_mock
from inpaintkit.mockserver.outbound import admin_path_target
from test_mock_lifecycle import AUTH, modelslab_body, novita_body, plugin_manager


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def start(clock: VirtualClock, **options: Any) -> Any:
    return run_mock(
        MockConfig(seed=5, task_duration=10.0, **options),
        plugin_manager=plugin_manager(),
        clock=clock,
    )


SPELLINGS = [
    "http://127.0.0.1:{port}/__mock/reset",
    "http://localhost:{port}/__mock/reset",
    "http://LOCALHOST:{port}/__mock/reset",
    "http://localhost.:{port}/__mock/reset",
    "http://127.0.0.1.:{port}/__mock/reset",
    "http://[::1]:{port}/__mock/reset",
    "http://0x7f000001:{port}/__mock/reset",
    "http://2130706433:{port}/__mock/reset",
    "http://127.1:{port}/__mock/reset",
    "http://127.0.0.1:{port}/%5F%5Fmock/reset",
    "http://127.0.0.1:{port}/%5f%5f%6d%6f%63%6b/run-due",
    "http://127.0.0.1:{port}/__MOCK/reset",
    "http://127.0.0.1:{port}//__mock/reset",
    "http://127.0.0.1:{port}/v3/../__mock/reset",
    "http://127.0.0.1:{port}/v3/%2e%2e/__mock/reset",
    "http://127.0.0.1:{port}/%255F%255Fmock/reset",
    "http://user:pw@127.0.0.1:{port}/__mock/reset?x=1#frag",
]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_admin_paths_are_recognised_whatever_the_spelling(spelling: str) -> None:
    assert admin_path_target(spelling.format(port=8000))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hooks/novita",
        "http://127.0.0.1:8000/__mockingbird",
        "http://example.test/mock/reset",
        "http://127.0.0.1:8000/api/__mock",
    ],
)
def test_other_paths_are_not_admin_paths(url: str) -> None:
    assert not admin_path_target(url)


@pytest.mark.parametrize("spelling", SPELLINGS)
async def test_webhook_cannot_reset_the_mock(session: aiohttp.ClientSession, spelling: str) -> None:
    clock = VirtualClock(auto_advance=False)
    async with start(clock) as mock:
        port = mock.url.rsplit(":", 1)[1]
        body = novita_body()
        body["extra"]["webhook"] = {"url": spelling.format(port=port)}
        r = await session.post(f"{mock.url}/v3/async/inpainting", json=body, headers=AUTH)
        task_id = (await r.json())["task_id"]
        clock.advance(60)
        await mock.run_due()
        for _ in range(6):  # every retry too
            clock.advance(60)
            await mock.run_due()
        (attempt, *_) = mock.journal("webhook")
        assert attempt["outcome"].startswith("blocked")
        assert mock.journal("request"), "the journal was wiped through the webhook"
        status = await session.get(f"{mock.url}/__mock/tasks/{task_id}")
        assert status.status == 200, "the task was forgotten through the webhook"


async def test_sd_webhook_cannot_reach_run_due(session: aiohttp.ClientSession) -> None:
    clock = VirtualClock(auto_advance=False)
    async with start(clock, sync_mode="processing") as mock:
        body = modelslab_body(webhook=f"{mock.url}/__mock/run-due", track_id="job-1")
        r = await session.post(f"{mock.url}/api/v6/images/inpaint", json=body)
        assert (await r.json())["status"] == "processing"
        clock.advance(60)
        await mock.run_due()
        (attempt,) = mock.journal("webhook")
        assert attempt["outcome"].startswith("blocked")


async def test_image_fetch_cannot_read_the_admin_api(session: aiohttp.ClientSession) -> None:
    clock = VirtualClock(auto_advance=False)
    async with start(clock) as mock:
        host = mock.url.removeprefix("http://")
        mock.ctx.apply_config(
            MockConfig.from_dict({"fetch_allowed_hosts": [host]}, base=mock.config)
        )
        body = modelslab_body(
            init_image=f"{mock.url}/__mock/journal", mask_image=f"{mock.url}/%5F%5Fmock/config"
        )
        r = await session.post(f"{mock.url}/api/v6/images/inpaint", json=body)
        assert r.status < 500
        outcomes = {e["role"]: e["outcome"] for e in mock.journal("fetch")}
        assert all(o.startswith("refused") for o in outcomes.values()), outcomes
        requests = [e["path"] for e in mock.journal("request")]
        assert requests == ["/api/v6/images/inpaint"]
