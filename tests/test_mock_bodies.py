"""Multipart and raw bodies: the journal records them, and the handler can still read them."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pluggy
import pytest
from aiohttp import web
from inpaintkit import hookspecs
from inpaintkit.mockserver import MockConfig, MockContext, builtin, read_form, run_mock
from inpaintkit.mockserver.bodies import json_depth_ok, parse_json

IMAGE = bytes(range(256)) * 40 + b"\r\n--boundary-lookalike\r\n"


class FormMock:
    """A third-party provider whose submit is a multipart form (an A1111-style upload)."""

    id = "formtoy"

    def setup(self, app: web.Application, ctx: MockContext) -> None:
        ctx.add_route(app, "POST", "/formtoy/upload", self.upload, provider_id=self.id)
        ctx.add_route(app, "POST", "/formtoy/raw", self.raw, provider_id=self.id)

    async def upload(self, request: web.Request) -> web.Response:
        form = await read_form(request)
        image = form.files["image"]
        raw = await request.read()  # the body is still whole for the handler
        return web.json_response(
            {
                "prompt": form.fields["prompt"],
                "steps": form.fields.getall("steps"),
                "image_sha256": hashlib.sha256(image.data).hexdigest(),
                "body_bytes": len(raw),
            }
        )

    async def raw(self, request: web.Request) -> web.Response:
        return web.json_response({"bytes": len(await request.read())})


class Plugin:
    @hookspecs.hookimpl
    def register_mocks(self, register: Any) -> None:
        register(FormMock())


def plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    pm.register(builtin)
    pm.register(Plugin())
    return pm


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


async def test_multipart_form_is_journaled_and_still_readable(
    session: aiohttp.ClientSession,
) -> None:
    form = aiohttp.FormData()
    form.add_field("prompt", "a red bench")
    form.add_field("steps", "20")
    form.add_field("steps", "30")
    form.add_field("key", "secret-key")
    form.add_field("image", IMAGE, filename="in.png", content_type="image/png")
    async with run_mock(MockConfig(), plugin_manager=plugin_manager()) as mock:
        r = await session.post(f"{mock.url}/formtoy/upload", data=form)
        answer = await r.json()
        assert answer["prompt"] == "a red bench"
        assert answer["steps"] == ["20", "30"]
        assert answer["image_sha256"] == hashlib.sha256(IMAGE).hexdigest()
        assert answer["body_bytes"] > len(IMAGE)
        (entry,) = mock.journal("request")
        assert entry["body"]["prompt"] == "a red bench"
        assert entry["body"]["steps"] == ["20", "30"]
        assert entry["body"]["key"] == "<redacted>"
        assert entry["body"]["image"] == {
            "filename": "in.png",
            "content_type": "image/png",
            "bytes": len(IMAGE),
            "sha256": hashlib.sha256(IMAGE).hexdigest(),
        }


async def test_raw_bytes_are_summarised(session: aiohttp.ClientSession) -> None:
    payload = b"\x89PNG not really" * 100
    async with run_mock(MockConfig(), plugin_manager=plugin_manager()) as mock:
        r = await session.post(
            f"{mock.url}/formtoy/raw",
            data=payload,
            headers={"Content-Type": "application/octet-stream"},
        )
        assert (await r.json()) == {"bytes": len(payload)}
        (entry,) = mock.journal("request")
        assert entry["body"] == {
            "content_type": "application/octet-stream",
            "bytes": len(payload),
            "sha256": hashlib.sha256(payload).hexdigest(),
        }


async def test_urlencoded_form_is_journaled(session: aiohttp.ClientSession) -> None:
    async with run_mock(MockConfig(), plugin_manager=plugin_manager()) as mock:
        await session.post(f"{mock.url}/formtoy/raw", data={"prompt": "é bench", "n": "1"})
        (entry,) = mock.journal("request")
        assert entry["body"] == {"prompt": "é bench", "n": "1"}


def test_json_nesting_limit() -> None:
    assert parse_json(b"[" * 64 + b"]" * 64)[0]
    assert parse_json(b"[" * 65 + b"]" * 65) == (False, None)
    assert parse_json(b"[" * 5000 + b"]" * 5000) == (False, None)
    assert json_depth_ok({"a": [{"b": 1}]}, limit=3)
    assert not json_depth_ok({"a": [{"b": []}]}, limit=3)
