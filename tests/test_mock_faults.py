"""Every fault of the catalogue, by header, magic key, admin API and start-up rule."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import aiohttp
import pytest
from inpaintkit.clock import VirtualClock
from inpaintkit.mockserver import FAULTS, FaultRule, MockConfig, run_mock
from test_mock_lifecycle import AUTH, modelslab_body, novita_body, plugin_manager, sdapi_body


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def start(clock: VirtualClock, **options: Any) -> Any:
    return run_mock(
        MockConfig(seed=3, task_duration=10.0, **options),
        plugin_manager=plugin_manager(),
        clock=clock,
    )


async def submit_novita(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str] | None = None
) -> aiohttp.ClientResponse:
    return await session.post(
        f"{url}/v3/async/inpainting", json=novita_body(), headers={**AUTH, **(headers or {})}
    )


async def read_body(response: Awaitable[aiohttp.ClientResponse]) -> bytes:
    return await (await response).read()


def test_catalogue_is_documented() -> None:
    expected = {
        "latency", "rate_limit", "server_error", "error", "reset", "truncated", "hang",
        "task_failed", "task_stuck", "expired_url",
    }  # fmt: skip
    assert set(FAULTS) == expected


async def test_latency_waits_on_the_mock_clock(session: aiohttp.ClientSession) -> None:
    clock = VirtualClock(auto_advance=True)  # a sleep moves time at once
    async with start(clock) as mock:
        r = await submit_novita(session, mock.url, {"X-Mock-Fault": "latency:4"})
        assert r.status == 200
        assert clock.sleeps == [4.0]
        assert mock.journal("request")[-1]["faults"] == ["latency:4"]


@pytest.mark.parametrize(
    ("where", "header", "in_body"),
    [("header", True, False), ("body", False, True), ("both", True, True)],
)
async def test_rate_limit_hint_placement(
    session: aiohttp.ClientSession, where: str, header: bool, in_body: bool
) -> None:
    async with start(VirtualClock(auto_advance=False)) as mock:
        r = await session.post(
            f"{mock.url}/api/v6/images/inpaint",
            json=modelslab_body(),
            headers={"X-Mock-Fault": f"rate_limit:12:{where}"},
        )
        assert r.status == 429
        body = await r.json()
        assert body["status"] == "error"
        assert ("Retry-After" in r.headers) is header
        if header:
            assert r.headers["Retry-After"] == "12"
        assert (body.get("retry_after") == 12) is in_body


async def test_novita_rate_limit_fault_body(session: aiohttp.ClientSession) -> None:
    async with start(VirtualClock(auto_advance=False)) as mock:
        r = await submit_novita(session, mock.url, {"X-Mock-Fault": "rate_limit"})
        assert r.status == 429
        assert (await r.json())["reason"] == "RATE_LIMIT_EXCEEDED"
        assert r.headers["Retry-After"] == "30"


@pytest.mark.parametrize(("status", "reason"), [(500, None), (503, None), (502, None)])
async def test_server_errors(session: aiohttp.ClientSession, status: int, reason: None) -> None:
    async with start(VirtualClock(auto_advance=False)) as mock:
        r = await submit_novita(session, mock.url, {"X-Mock-Fault": f"server_error:{status}"})
        assert r.status == status
        body = await r.json()
        assert set(body) >= {"code", "reason", "message"}


async def test_error_kind_fault_uses_the_provider_words(session: aiohttp.ClientSession) -> None:
    async with start(VirtualClock(auto_advance=False)) as mock:
        r = await session.post(
            f"{mock.url}/api/v3/inpaint",
            json=sdapi_body(),
            headers={"X-Mock-Fault": "error:INSUFFICIENT_CREDITS"},
        )
        assert r.status == 402
        assert (await r.json())["status"] == "error"
        r = await session.post(
            f"{mock.url}/api/v3/inpaint", json=sdapi_body(), headers={"X-Mock-Fault": "error:NOPE"}
        )
        assert r.status == 400
        assert "INSUFFICIENT_CREDITS" in (await r.json())["message"]


async def test_reset_closes_the_connection(session: aiohttp.ClientSession) -> None:
    async with start(VirtualClock(auto_advance=False)) as mock:
        with pytest.raises(aiohttp.ClientError):
            await read_body(submit_novita(session, mock.url, {"X-Mock-Fault": "reset"}))
        assert mock.ctx.tasks.__len__() == 0  # nothing was created


async def test_truncated_body(session: aiohttp.ClientSession) -> None:
    async with start(VirtualClock(auto_advance=False)) as mock:
        r = await submit_novita(session, mock.url, {"X-Mock-Fault": "truncated"})
        assert r.status == 200
        with pytest.raises(aiohttp.ClientPayloadError):
            await r.read()


async def test_hang_until_mock_time_passes(session: aiohttp.ClientSession) -> None:
    clock = VirtualClock(auto_advance=False)
    async with start(clock) as mock:
        baseline = clock.pending_sleepers  # background sleepers of the mock itself, if any
        pending = asyncio.ensure_future(
            submit_novita(session, mock.url, {"X-Mock-Fault": "hang:60"})
        )
        # Yield until the hang's own sleeper is parked; advancing earlier would leave it asleep
        # until the real-time cap (max_hang_seconds) and make this test take minutes.
        for _ in range(100_000):
            if mock.ctx.hung_requests == 1 and clock.pending_sleepers > baseline:
                break
            await asyncio.sleep(0)
        assert mock.ctx.hung_requests == 1
        assert not pending.done()
        clock.advance(60)
        with pytest.raises(aiohttp.ClientError):
            await read_body(pending)


async def test_hang_is_released_by_shutdown(session: aiohttp.ClientSession) -> None:
    clock = VirtualClock(auto_advance=False)
    async with start(clock) as mock:
        pending = asyncio.ensure_future(submit_novita(session, mock.url, {"X-Mock-Fault": "hang"}))
        while mock.ctx.hung_requests == 0:  # noqa: ASYNC110 - yield until the handler parks
            await asyncio.sleep(0)
        clock.advance(10_000)  # no amount of mock time ends a hang without an argument
        await asyncio.sleep(0)
        assert not pending.done()
        mock.ctx.shutdown.set()
        with pytest.raises(aiohttp.ClientError):
            await read_body(pending)
        assert mock.ctx.hung_requests == 0


async def test_task_failed_and_stuck(session: aiohttp.ClientSession) -> None:
    clock = VirtualClock(auto_advance=False)
    async with start(clock) as mock:
        failed = await (
            await submit_novita(session, mock.url, {"X-Mock-Fault": "task_failed:no gpu"})
        ).json()
        stuck = await (
            await submit_novita(session, mock.url, {"X-Mock-Fault": "task_stuck"})
        ).json()
        clock.advance(1000)
        url = f"{mock.url}/v3/async/task-result"
        r = await session.get(url, params={"task_id": failed["task_id"]}, headers=AUTH)
        task = (await r.json())["task"]
        assert task["status"] == "TASK_STATUS_FAILED"
        assert task["reason"] == "no gpu"
        r = await session.get(url, params={"task_id": stuck["task_id"]}, headers=AUTH)
        body = await r.json()
        assert body["task"]["status"] == "TASK_STATUS_PROCESSING"
        assert body["images"] == []


async def test_sd_task_failed_instantly(session: aiohttp.ClientSession) -> None:
    async with start(VirtualClock(auto_advance=False)) as mock:
        r = await session.post(
            f"{mock.url}/api/v3/inpaint", json=sdapi_body(), headers={"X-Mock-Fault": "task_failed"}
        )
        body = await r.json()
        assert body["status"] == "failed"
        assert body["output"] == ""
        assert body["message"] == "Failed, Try Again"


async def test_expired_url(session: aiohttp.ClientSession) -> None:
    clock = VirtualClock(auto_advance=False)
    async with start(clock) as mock:
        submitted = await (
            await submit_novita(session, mock.url, {"X-Mock-Fault": "expired_url"})
        ).json()
        clock.advance(10)
        r = await session.get(
            f"{mock.url}/v3/async/task-result",
            params={"task_id": submitted["task_id"]},
            headers=AUTH,
        )
        image = (await r.json())["images"][0]
        got = await session.get(image["image_url"])
        assert got.status == 403
        assert "<Code>AccessDenied</Code>" in await got.text()


async def test_magic_key_fails_the_first_two_then_succeeds(session: aiohttp.ClientSession) -> None:
    async with start(VirtualClock(auto_advance=False)) as mock:
        key = "mock-fault:server_error:503:first=2"
        statuses = []
        for seed in range(3):
            r = await session.post(
                f"{mock.url}/api/v6/images/inpaint", json=modelslab_body(key=key, seed=seed)
            )
            statuses.append(r.status)
        assert statuses == [503, 503, 200]
        # The magic key is never journaled, not even in headers or notes.
        assert key not in repr(mock.journal())


async def test_rule_from_config_by_schedule_and_provider(session: aiohttp.ClientSession) -> None:
    rule = FaultRule(fault="server_error", first=2, provider="stablediffusionapi")
    async with start(VirtualClock(auto_advance=False), faults=(rule,)) as mock:
        r = await submit_novita(session, mock.url)
        assert r.status == 200  # another provider is not affected
        statuses = []
        for seed in range(3):
            r = await session.post(f"{mock.url}/api/v3/inpaint", json=sdapi_body(seed=seed))
            statuses.append(r.status)
        assert statuses == [500, 500, 200]


async def test_admin_api_faults_and_probability_is_seeded(session: aiohttp.ClientSession) -> None:
    async def run_once() -> list[int]:
        async with start(VirtualClock(auto_advance=False)) as mock:
            r = await session.post(
                f"{mock.url}/__mock/faults", json={"fault": "server_error", "probability": 0.5}
            )
            assert r.status == 200
            statuses = []
            for _ in range(12):
                r = await session.get(f"{mock.url}/v3/model", headers=AUTH)
                statuses.append(r.status)
            return statuses

    first, second = await run_once(), await run_once()
    assert first == second  # same seed, same draws
    assert {500, 200} <= set(first)


async def test_admin_rejects_bad_rules_naming_the_field(session: aiohttp.ClientSession) -> None:
    async with start(VirtualClock(auto_advance=False)) as mock:
        r = await session.post(
            f"{mock.url}/__mock/faults", json={"fault": "server_error", "probability": 2}
        )
        assert r.status == 400
        assert "probability" in (await r.json())["message"]
        r = await session.post(
            f"{mock.url}/v3/async/inpainting",
            json=novita_body(),
            headers={**AUTH, "X-Mock-Fault": "bogus"},
        )
        assert r.status == 400
        assert "bogus" in (await r.json())["message"]
