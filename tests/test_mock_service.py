"""The mock as a standalone service: graceful shutdown, health, and a render pool."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

import aiohttp
from aiohttp import web
from inpaintkit.clock import VirtualClock
from inpaintkit.mockserver import MockConfig, run_mock
from inpaintkit.mockserver.cli import add_arguments, config_from_args
from test_mock_lifecycle import AUTH, novita_body, plugin_manager


async def test_shutdown_finishes_a_webhook_in_flight() -> None:
    received, release = asyncio.Event(), asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        received.set()
        await release.wait()  # the receiver answers only after the mock began shutting down
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    clock = VirtualClock(auto_advance=False)
    mock_cm = run_mock(
        MockConfig(seed=1, task_duration=1.0), plugin_manager=plugin_manager(), clock=clock
    )
    try:
        mock = await mock_cm.__aenter__()
        body = novita_body()
        body["extra"]["webhook"] = {"url": f"http://127.0.0.1:{port}/hook"}
        async with aiohttp.ClientSession() as session:
            r = await session.post(f"{mock.url}/v3/async/inpainting", json=body, headers=AUTH)
            assert r.status == 200
        clock.advance(5)
        await asyncio.wait_for(received.wait(), 10)  # the mock's own ticker started the attempt
        stopping = asyncio.create_task(mock_cm.__aexit__(None, None, None))
        for _ in range(5):
            await asyncio.sleep(0)
        assert not stopping.done()  # waiting for the webhook, not cancelling it
        release.set()
        await asyncio.wait_for(stopping, 10)
        (attempt,) = mock.ctx.journal.entries("webhook")
        assert attempt["outcome"] == "delivered"
        assert attempt["status"] == 200
    finally:
        release.set()
        await runner.cleanup()


async def test_health_reports_load() -> None:
    async with (
        run_mock(MockConfig(seed=1), plugin_manager=plugin_manager()) as mock,
        aiohttp.ClientSession() as session,
    ):
        await session.post(f"{mock.url}/v3/async/inpainting", json=novita_body(), headers=AUTH)
        async with session.get(f"{mock.url}/__mock/health") as r:
            health: dict[str, Any] = await r.json()
    assert health["status"] == "ok"
    assert health["tasks"] == 1
    assert health["workers"] == 1


def test_workers_flag_sets_the_render_pool() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert config_from_args(parser.parse_args(["--workers", "3"])).workers == 3
    assert config_from_args(parser.parse_args([])).workers == 1


async def test_a_process_pool_renders_the_same_bytes_as_threads() -> None:
    images = []
    for workers in (1, 2):
        config = MockConfig(seed=1, workers=workers, finish_after_polls=1)
        async with (
            run_mock(config, plugin_manager=plugin_manager()) as mock,
            aiohttp.ClientSession() as session,
        ):
            r = await session.post(
                f"{mock.url}/v3/async/inpainting", json=novita_body(image_num=1), headers=AUTH
            )
            task_id = (await r.json())["task_id"]
            r = await session.get(
                f"{mock.url}/v3/async/task-result", params={"task_id": task_id}, headers=AUTH
            )
            (image,) = (await r.json())["images"]
            async with session.get(image["image_url"]) as download:
                images.append(await download.read())
    assert images[0] == images[1]
    assert images[0][:4] == b"\x89PNG"
