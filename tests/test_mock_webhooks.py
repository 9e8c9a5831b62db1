"""Webhooks (payloads, retries on the mock clock, allow-list) and Novita custom-storage uploads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from inpaintkit.clock import VirtualClock
from inpaintkit.mockserver import MockConfig, run_mock
from test_mock_lifecycle import AUTH, modelslab_body, novita_body, plugin_manager


class Receiver:
    """A loopback HTTP endpoint that fails its first ``fail_first`` requests with 500."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.calls: list[tuple[str, str, Any]] = []

    async def handle(self, request: web.Request) -> web.Response:
        body: Any = await request.read()
        if request.content_type == "application/json":
            body = await request.json()
        self.calls.append((request.method, request.path, body))
        if len(self.calls) <= self.fail_first:
            return web.Response(status=500)
        return web.Response(text="ok")


@asynccontextmanager
async def serve(receiver: Receiver) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


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


async def test_novita_webhook_retried_until_delivered(session: aiohttp.ClientSession) -> None:
    clock = VirtualClock(auto_advance=False)
    receiver = Receiver(fail_first=2)
    async with serve(receiver) as hook, start(clock) as mock:
        body = novita_body()
        body["extra"]["webhook"] = {"url": hook + "/novita"}
        task_id = (
            await (
                await session.post(f"{mock.url}/v3/async/inpainting", json=body, headers=AUTH)
            ).json()
        )["task_id"]
        assert await mock.run_due() == 0  # nothing before the task finishes
        clock.advance(10)
        await mock.run_due()
        assert len(receiver.calls) == 1
        clock.advance(4.9)
        await mock.run_due()
        assert len(receiver.calls) == 1  # the first retry waits 5 mock seconds
        clock.advance(0.1)
        await mock.run_due()
        clock.advance(10)
        await mock.run_due()
        assert len(receiver.calls) == 3
        method, path, event = receiver.calls[-1]
        assert (method, path) == ("POST", "/novita")
        assert event["event_type"] == "ASYNC_TASK_RESULT"
        payload = event["payload"]
        assert payload["task"]["task_id"] == task_id
        assert payload["task"]["status"] == "TASK_STATUS_SUCCEED"
        assert payload["extra"]["webhook"] == {"url": hook + "/novita"}
        assert len(payload["images"]) == 2
        assert payload["images"][0]["image_url_ttl"] == "3600"
        outcomes = [(e["attempt"], e["outcome"], e["status"]) for e in mock.journal("webhook")]
        assert outcomes == [(1, "failed", 500), (2, "failed", 500), (3, "delivered", 200)]


async def test_novita_webhook_gives_up_after_five_retries(session: aiohttp.ClientSession) -> None:
    """Reference 1.5 (NV-WH): 'Novita AI will retry up to five times' when a delivery times out
    or is not 2xx: the first delivery and five retries."""
    clock = VirtualClock(auto_advance=False)
    receiver = Receiver(fail_first=100)
    async with serve(receiver) as hook, start(clock) as mock:
        body = novita_body()
        body["extra"]["webhook"] = {"url": hook}
        await session.post(f"{mock.url}/v3/async/inpainting", json=body, headers=AUTH)
        for _ in range(10):
            clock.advance(60)
            await mock.run_due()
        assert len(receiver.calls) == 6
        assert [e["attempt"] for e in mock.journal("webhook")] == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("status", ["TASK_STATUS_SUCCEED", "TASK_STATUS_FAILED"])
async def test_novita_webhook_test_mode_sends_at_once(
    session: aiohttp.ClientSession, status: str
) -> None:
    receiver = Receiver()
    async with serve(receiver) as hook, start(VirtualClock(auto_advance=False)) as mock:
        body = novita_body()
        body["extra"]["webhook"] = {
            "url": hook,
            "test_mode": {"enabled": True, "return_task_status": status},
        }
        await session.post(f"{mock.url}/v3/async/inpainting", json=body, headers=AUTH)
        await mock.run_due()
        (call,) = receiver.calls
        assert call[2]["payload"]["task"]["status"] == status


async def test_modelslab_webhook_is_best_effort(session: aiohttp.ClientSession) -> None:
    clock = VirtualClock(auto_advance=False)
    receiver = Receiver(fail_first=1)
    async with serve(receiver) as hook, start(clock, sync_mode="processing") as mock:
        r = await session.post(
            f"{mock.url}/api/v6/images/inpaint",
            json=modelslab_body(webhook=hook + "/ml", track_id="job-1"),
        )
        submitted = await r.json()
        clock.advance(10)
        await mock.run_due()
        clock.advance(600)
        await mock.run_due()
        (call,) = receiver.calls  # one try only
        payload = call[2]
        assert payload["status"] == "success"
        assert payload["id"] == submitted["id"]
        assert payload["track_id"] == "job-1"
        assert payload["output"] == submitted["future_links"]


async def test_webhook_to_a_foreign_host_is_blocked(session: aiohttp.ClientSession) -> None:
    clock = VirtualClock(auto_advance=False)
    async with start(clock) as mock:
        body = novita_body()
        body["extra"]["webhook"] = {"url": "https://hooks.example.com/x"}
        await session.post(f"{mock.url}/v3/async/inpainting", json=body, headers=AUTH)
        clock.advance(10)
        await mock.run_due()
        (entry,) = mock.journal("webhook")
        assert entry["outcome"] == "blocked"
        assert entry["url"] == "https://hooks.example.com/x"


async def test_custom_storage_upload_to_configured_endpoint(session: aiohttp.ClientSession) -> None:
    clock = VirtualClock(auto_advance=False)
    s3 = Receiver()
    async with serve(s3) as endpoint, start(clock, s3_endpoint=endpoint) as mock:
        body = novita_body(image_num=1)
        body["extra"]["custom_storage"] = {
            "aws_s3": {"region": "us-east-1", "bucket": "my-bucket", "path": "out/inpaint"}
        }
        r = await session.post(f"{mock.url}/v3/async/inpainting", json=body, headers=AUTH)
        task_id = (await r.json())["task_id"]
        clock.advance(10)
        r = await session.get(
            f"{mock.url}/v3/async/task-result", params={"task_id": task_id}, headers=AUTH
        )
        assert (await r.json())["task"]["status"] == "TASK_STATUS_SUCCEED"
        ((method, path, data),) = s3.calls
        assert method == "PUT"
        assert path == f"/my-bucket/out/inpaint/{task_id}/0.png"
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        (entry,) = mock.journal("upload")
        assert entry["outcome"] == "uploaded"


async def test_custom_storage_without_endpoint_fails_as_configured(
    session: aiohttp.ClientSession,
) -> None:
    clock = VirtualClock(auto_advance=False)
    async with start(clock, s3_upload_result="fail") as mock:
        body = novita_body(image_num=1)
        body["extra"]["custom_storage"] = {"aws_s3": {"region": "r", "bucket": "b", "path": "p"}}
        r = await session.post(f"{mock.url}/v3/async/inpainting", json=body, headers=AUTH)
        task_id = (await r.json())["task_id"]
        clock.advance(10)
        r = await session.get(
            f"{mock.url}/v3/async/task-result", params={"task_id": task_id}, headers=AUTH
        )
        task = (await r.json())["task"]
        assert task["status"] == "TASK_STATUS_FAILED"
        assert "custom storage" in task["reason"]
        assert mock.journal("upload")[0]["endpoint"] is None


async def test_pending_deliveries_are_bounded(session: aiohttp.ClientSession) -> None:
    clock = VirtualClock(auto_advance=False)
    async with start(clock, max_pending_actions=1) as mock:
        for _ in range(2):
            body = novita_body(image_num=1)
            body["extra"]["webhook"] = {"url": "http://127.0.0.1:9/hook"}
            r = await session.post(f"{mock.url}/v3/async/inpainting", json=body, headers=AUTH)
            assert r.status == 200
        assert len(mock.ctx.scheduler) == 1
        (dropped,) = mock.journal("webhook")
        assert dropped["outcome"].startswith("dropped")


async def test_poll_finished_task_uploads_before_answering(session: aiohttp.ClientSession) -> None:
    """In finish-after-N-polls mode the upload moves to the finishing poll, not the clock."""
    s3 = Receiver()
    async with (
        serve(s3) as endpoint,
        start(VirtualClock(auto_advance=False), s3_endpoint=endpoint, finish_after_polls=1) as mock,
    ):
        body = novita_body(image_num=1)
        body["extra"]["custom_storage"] = {"aws_s3": {"region": "r", "bucket": "b", "path": "p"}}
        r = await session.post(f"{mock.url}/v3/async/inpainting", json=body, headers=AUTH)
        task_id = (await r.json())["task_id"]
        r = await session.get(
            f"{mock.url}/v3/async/task-result", params={"task_id": task_id}, headers=AUTH
        )
        assert (await r.json())["task"]["status"] == "TASK_STATUS_SUCCEED"
        assert [c[0] for c in s3.calls] == ["PUT"]
