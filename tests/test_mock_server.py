"""The Python API, admin API, journal redaction, plugin seam, CLI and pytest fixture."""

from __future__ import annotations

import argparse
import json
import threading
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from inpaintkit import hookspecs
from inpaintkit.clock import VirtualClock
from inpaintkit.mockserver import (
    REDACTED,
    ConfigError,
    MockConfig,
    MockContext,
    MockProvider,
    MockServer,
    Task,
    builtin,
    run_mock,
)
from inpaintkit.mockserver import cli as mock_cli
from test_mock_lifecycle import AUTH, modelslab_body, novita_body, plugin_manager


def http(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


# -- MockServer in a thread, admin API ----------------------------------------------------------


def test_mock_server_thread_and_admin_clock() -> None:
    config = MockConfig(seed=1, clock="manual", task_duration=10.0)
    with MockServer(config, plugin_manager=plugin_manager()) as server:
        assert server.url.startswith("http://127.0.0.1:")
        status, health = http("GET", server.url + "/__mock/health")
        assert status == 200
        assert health["providers"] == ["modelslab", "novita", "stablediffusionapi"]
        status, submitted = http(
            "POST", server.url + "/v3/async/inpainting", novita_body(), headers=AUTH
        )
        assert status == 200
        task_url = f"{server.url}/v3/async/task-result?task_id={submitted['task_id']}"
        assert http("GET", task_url, headers=AUTH)[1]["task"]["status"] == "TASK_STATUS_QUEUED"
        status, clock = http("POST", server.url + "/__mock/clock", {"advance": 10})
        assert status == 200
        assert clock == {"mode": "manual", "now": 10.0}
        assert http("GET", task_url, headers=AUTH)[1]["task"]["status"] == "TASK_STATUS_SUCCEED"
        assert http("POST", server.url + "/__mock/clock", {"advance": -1})[0] == 400
        # The Python API sees the same journal, and reset empties it.
        assert [e["path"] for e in server.journal("request")] == [
            "/v3/async/inpainting",
            "/v3/async/task-result",
            "/v3/async/task-result",
        ]
        http("POST", server.url + "/__mock/reset")
        assert server.journal() == []
        assert http("GET", task_url, headers=AUTH)[0] == 404


def test_admin_config_and_journal_endpoints() -> None:
    with MockServer(MockConfig(), plugin_manager=plugin_manager()) as server:
        status, config = http("PATCH", server.url + "/__mock/config", {"sync_mode": "processing"})
        assert status == 200
        assert config["sync_mode"] == "processing"
        status, error = http("PATCH", server.url + "/__mock/config", {"sync_mode": "sometimes"})
        assert status == 400
        assert "sync_mode" in error["message"]
        assert "sometimes" in error["message"]
        status, body = http("POST", server.url + "/api/v6/images/inpaint", modelslab_body())
        assert body["status"] == "processing"
        status, journal = http("GET", server.url + "/__mock/journal?kind=request")
        assert [e["status"] for e in journal["entries"]] == [200]
        status, faults = http("POST", server.url + "/__mock/faults", {"spec": "reset:first=1"})
        assert faults["faults"][0]["first"] == 1
        server.clear_faults()
        assert server.ctx.faults.rules == []


def test_shared_virtual_clock_is_read_on_every_request() -> None:
    clock = VirtualClock(auto_advance=False)
    with MockServer(
        MockConfig(task_duration=4.0), plugin_manager=plugin_manager(), clock=clock
    ) as s:
        _, submitted = http("POST", s.url + "/v3/async/inpainting", novita_body(), headers=AUTH)
        url = f"{s.url}/v3/async/task-result?task_id={submitted['task_id']}"
        clock.advance(2.0)  # moved from outside: the mock must see it at once
        assert http("GET", url, headers=AUTH)[1]["task"]["status"] == "TASK_STATUS_PROCESSING"
        clock.advance(2.0)
        assert http("GET", url, headers=AUTH)[1]["task"]["status"] == "TASK_STATUS_SUCCEED"


# -- journal redaction ----------------------------------------------------------------------


async def test_journal_never_holds_keys(session: aiohttp.ClientSession) -> None:
    secret_novita, secret_ml = "nv-SECRET-123456", "ml-SECRET-654321"
    async with run_mock(MockConfig(), plugin_manager=plugin_manager()) as mock:
        await session.post(
            f"{mock.url}/v3/async/inpainting",
            json=novita_body(prompt=f"echo {secret_novita}"),
            headers={"Authorization": f"Bearer {secret_novita}"},
        )
        await session.post(
            f"{mock.url}/api/v6/images/inpaint",
            json=modelslab_body(key=secret_ml, webhook=f"http://127.0.0.1:9/?k={secret_ml}"),
            headers={"key": secret_ml},
        )
        await session.post(f"{mock.url}/api/v6/images/fetch/1", json={"key": secret_ml})
        entries = mock.journal()
        dumped = json.dumps(entries)
        assert secret_novita not in dumped
        assert secret_ml not in dumped
        assert entries[0]["headers"]["Authorization"] == REDACTED
        ml_entry = next(e for e in entries if e.get("path") == "/api/v6/images/inpaint")
        assert ml_entry["body"]["key"] == REDACTED
        assert REDACTED in ml_entry["body"]["webhook"]
        async with session.get(f"{mock.url}/__mock/journal") as r:
            assert secret_ml not in await r.text()


# -- the plugin seam ------------------------------------------------------------------------


class ToyMock:
    """A fourth provider, as a third party would add it (an A1111-like synchronous API)."""

    id = "toy"

    def setup(self, app: web.Application, ctx: MockContext) -> None:
        self.ctx = ctx
        ctx.add_route(app, "POST", "/toy/v1/img2img", self.img2img, provider_id=self.id)

    async def img2img(self, request: web.Request) -> web.Response:
        ctx = self.ctx
        now = ctx.now()
        task = Task(ctx.ids.uuid(), self.id, "anyone", now, now, now)
        ctx.tasks.add(task)
        (image,) = await ctx.generate(
            None, None, count=1, seed=ctx.draw_seed(7), fmt="png", size=(16, 16)
        )
        stored = ctx.files.put(image.data, name="toy.png", content_type="image/png", ttl=60)
        return web.json_response({"id": task.id, "url": ctx.file_url(request, stored)})


class ToyPlugin:
    @hookspecs.hookimpl
    def register_mocks(self, register: Any) -> None:
        register(ToyMock())


async def test_toy_plugin_mock_through_the_hook(session: aiohttp.ClientSession) -> None:
    assert isinstance(ToyMock(), MockProvider)
    pm = plugin_manager()
    pm.register(ToyPlugin())
    clock = VirtualClock(auto_advance=False)
    async with run_mock(MockConfig(), plugin_manager=pm, clock=clock) as mock:
        assert sorted(mock.ctx.providers) == ["modelslab", "novita", "stablediffusionapi", "toy"]
        r = await session.post(
            f"{mock.url}/toy/v1/img2img", json={}, headers={"X-Mock-Fault": "server_error"}
        )
        assert r.status == 500  # faults apply to plugin routes too (generic body)
        r = await session.post(f"{mock.url}/toy/v1/img2img", json={})
        link = (await r.json())["url"]
        assert (await session.get(link)).status == 200
        clock.advance(60)
        assert (await session.get(link)).status == 403  # the shared file store expires it
        assert [e["provider"] for e in mock.journal("request")] == ["toy", "toy"]


def test_duplicate_provider_ids_are_refused() -> None:
    class Again:
        @hookspecs.hookimpl
        def register_mocks(self, register: Any) -> None:
            register(builtin.NovitaMock())

    pm = plugin_manager()
    pm.register(Again())
    from inpaintkit.mockserver import create_app

    with pytest.raises(ValueError, match="novita"):
        create_app(MockConfig(), plugin_manager=pm)


def test_default_plugin_manager_finds_the_builtins() -> None:
    with MockServer(MockConfig()) as server:
        assert {"novita", "stablediffusionapi", "modelslab"} <= set(server.ctx.providers)


# -- configuration and CLI ------------------------------------------------------------------


def test_config_errors_name_option_value_and_rule() -> None:
    with pytest.raises(ConfigError, match=r"time_scale: must be > 0, got -1"):
        MockConfig(time_scale=-1)
    with pytest.raises(ConfigError, match=r"faults\[0\]\.fault: must be one of"):
        MockConfig.from_dict({"faults": [{"fault": "meteor"}]})
    with pytest.raises(ConfigError, match=r"port: must be an integer, got '80'"):
        MockConfig.from_dict({"port": "80"})
    with pytest.raises(ConfigError, match="nope: unknown option"):
        MockConfig.from_dict({"nope": 1})


def test_cli_parses_into_a_config(tmp_path: Any) -> None:
    file = tmp_path / "mock.json"
    file.write_text(json.dumps({"sync_mode": "processing", "seed": 3}))
    parser = argparse.ArgumentParser()
    mock_cli.add_arguments(parser)
    args = parser.parse_args(
        ["--config", str(file), "--seed", "9", "--fault", "server_error:503:first=2"]
    )
    config = mock_cli.config_from_args(args)
    assert config.seed == 9
    assert config.sync_mode == "processing"
    assert config.host == "127.0.0.1"
    (rule,) = config.faults
    assert (rule.fault, rule.arg, rule.first) == ("server_error", "503", 2)


def test_cli_run_prints_the_url_and_stops(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    mock_cli.add_arguments(parser)
    stop = threading.Event()
    result: list[int] = []
    thread = threading.Thread(
        target=lambda: result.append(mock_cli.run(parser.parse_args([]), stop=stop))
    )
    thread.start()
    try:
        url = ""
        while not url.startswith("http://127.0.0.1:"):
            url = capsys.readouterr().out.strip() or url
            thread.join(0.01)
        assert http("GET", url + "/__mock/health")[0] == 200
    finally:
        stop.set()
        thread.join(30)
    assert result == [0]


def test_cli_bad_option_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    mock_cli.add_arguments(parser)
    assert mock_cli.run(parser.parse_args(["--time-scale", "0"])) == 2
    assert "time_scale" in capsys.readouterr().err


# -- the pytest fixture ---------------------------------------------------------------------


def test_pytest_fixture_serves_and_resets(inpaintkit_mock: MockServer) -> None:
    status, _ = http("POST", inpaintkit_mock.url + "/api/v6/images/inpaint", modelslab_body())
    assert status == 200
    assert len(inpaintkit_mock.journal("request")) == 1
    inpaintkit_mock.set_fault("server_error")


def test_pytest_fixture_is_clean_for_the_next_test(inpaintkit_mock: MockServer) -> None:
    assert inpaintkit_mock.journal() == []
    assert inpaintkit_mock.ctx.faults.rules == []
    status, _ = http("POST", inpaintkit_mock.url + "/api/v6/images/inpaint", modelslab_body())
    assert status == 200


def test_config_repr_and_dict_hide_keys() -> None:
    config = MockConfig(valid_keys=("sk-very-secret",))
    assert "sk-very-secret" not in repr(config)
    assert "sk-very-secret" not in json.dumps(config.to_dict())
