"""Every URL the mock advertises answers: the banner's admin index, its endpoints, and each
listed OpenAPI document (also with third-party mocks installed, e.g. the sdwebui example)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from inpaintkit import hookspecs
from inpaintkit.mockserver import MockConfig, MockContext, run_mock
from inpaintkit.plugins import make_plugin_manager
from test_mock_lifecycle import plugin_manager


class Undocumented:
    """A third-party mock without an OpenAPI document."""

    id = "undocumented"

    def setup(self, app: web.Application, ctx: MockContext) -> None:
        ctx.add_route(app, "GET", f"/{self.id}", self.handle, provider_id=self.id)

    async def handle(self, request: web.Request) -> web.Response:
        return web.json_response({})


class Documented(Undocumented):
    id = "documented"

    def openapi(self, server_url: str) -> dict[str, Any]:
        return {"openapi": "3.1.0", "info": {"title": "d", "version": "1"}, "paths": {}}


class Plugin:
    @hookspecs.hookimpl
    def register_mocks(self, register: Any) -> None:
        register(Undocumented())
        register(Documented())


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


async def crawl(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with session.get(f"{url}/__mock/") as r:  # the URL the start-up banner prints
        assert r.status == 200
        index: dict[str, Any] = await r.json()
    for endpoint in index["endpoints"]:
        if endpoint["method"] != "GET" or "{" in endpoint["url"]:
            continue
        async with session.get(endpoint["url"]) as r:
            assert r.status == 200, endpoint
    async with session.get(f"{url}/__mock/openapi/") as r:
        documents: dict[str, str] = await r.json()
    assert documents == index["openapi"]
    for provider, doc_url in documents.items():
        async with session.get(doc_url) as r:
            assert r.status == 200, provider
            assert (await r.json())["openapi"].startswith("3.")
    return index


async def test_installed_plugins_advertise_only_what_answers(
    session: aiohttp.ClientSession,
) -> None:
    async with run_mock(MockConfig(), plugin_manager=make_plugin_manager()) as mock:
        index = await crawl(session, mock.url)
        assert {"novita", "stablediffusionapi", "modelslab"} <= set(index["openapi"])


async def test_third_party_documents_are_listed_only_when_they_exist(
    session: aiohttp.ClientSession,
) -> None:
    pm = plugin_manager()
    pm.register(Plugin())
    async with run_mock(MockConfig(), plugin_manager=pm) as mock:
        index = await crawl(session, mock.url)
        assert "documented" in index["openapi"]
        assert "undocumented" not in index["openapi"]
        assert "undocumented" in index["providers"]
        async with session.get(f"{mock.url}/__mock/openapi/undocumented.json") as r:
            assert r.status == 404
