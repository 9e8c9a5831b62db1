"""Request bodies of every shape, key placement for each, and the transports."""

from __future__ import annotations

import base64
import email.parser
import email.policy
import json

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from inpaintkit.credentials import Secret, apply_auth
from inpaintkit.errors import ProviderError
from inpaintkit.provider import (
    BasicAuth,
    BearerAuth,
    BodyKeyAuth,
    Form,
    FormFile,
    HttpRequest,
    HttpResponse,
    NoAuth,
    QueryKeyAuth,
)
from inpaintkit.transport import (
    AiohttpTransport,
    MemoryTransport,
    OutgoingRequest,
    TransportError,
    encode_body,
    outgoing,
)
from toyprovider import ToyAdapter

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
FORM = Form(
    fields={"prompt": 'a "red" bench', "n": "2"},
    files={"image": FormFile(PNG, "image.png", "image/png"), "mask": FormFile(b"m", "m.png")},
)


def _parse_multipart(content: bytes, content_type: str) -> dict[str, tuple[bytes, str | None]]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + content
    )
    parts: dict[str, tuple[bytes, str | None]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        assert isinstance(name, str)
        assert isinstance(payload, bytes)
        parts[name] = (payload, part.get_filename())
    return parts


def test_one_body_per_request() -> None:
    with pytest.raises(ValueError, match="one body, got json and form"):
        HttpRequest("POST", "/x", json={}, form=FORM)
    assert HttpRequest("POST", "/x", form=FORM).body_kind == "form"
    assert HttpRequest("POST", "/x", content=b"abc").body_kind == "bytes"
    assert HttpRequest("GET", "/x").body_kind is None


def test_multipart_bodies_parse_back_to_the_same_fields_and_files() -> None:
    content, content_type = encode_body(HttpRequest("POST", "/edits", form=FORM))
    assert content is not None
    assert content_type is not None
    assert content_type.startswith("multipart/form-data; boundary=")
    parts = _parse_multipart(content, content_type)
    assert parts["prompt"] == (b'a "red" bench', None)
    assert parts["n"][0] == b"2"
    assert parts["image"] == (PNG, "image.png")
    assert parts["mask"] == (b"m", "m.png")


def test_json_and_bytes_bodies_are_encoded_once_with_their_type() -> None:
    content, content_type = encode_body(HttpRequest("POST", "/x", json={"prompt": "café"}))
    assert (content, content_type) == ('{"prompt":"café"}'.encode(), "application/json")
    raw = HttpRequest("PUT", "/x", content=PNG, content_type="image/png")
    assert encode_body(raw) == (PNG, "image/png")
    wire = outgoing(raw, "https://api.example.com/v1/")
    assert wire.url == "https://api.example.com/v1/x"
    assert wire.headers["Content-Type"] == "image/png"
    assert wire.content is PNG  # not copied on its way to the socket


def _spec(auth: object) -> object:
    import attrs

    return attrs.evolve(ToyAdapter().spec, auth=auth)


def test_the_key_goes_where_the_provider_expects_for_every_body_shape() -> None:
    key = Secret("s3cret")
    form_request = HttpRequest("POST", "/x", form=FORM)
    json_request = HttpRequest("POST", "/x", json={"a": 1})
    bearer = apply_auth(form_request, _spec(BearerAuth()), key)  # type: ignore[arg-type]
    assert bearer.headers["Authorization"] == "Bearer s3cret"
    basic = apply_auth(json_request, _spec(BasicAuth()), Secret("ann:pw"))  # type: ignore[arg-type]
    assert basic.headers["Authorization"] == "Basic " + base64.b64encode(b"ann:pw").decode()
    query = apply_auth(json_request, _spec(QueryKeyAuth("api_key")), key)  # type: ignore[arg-type]
    assert "api_key=s3cret" in query.url("https://h")
    body = apply_auth(json_request, _spec(BodyKeyAuth()), key)  # type: ignore[arg-type]
    assert body.json == {"key": "s3cret", "a": 1}
    form = apply_auth(form_request, _spec(BodyKeyAuth()), key)  # type: ignore[arg-type]
    assert form.form is not None
    assert form.form.fields["key"] == "s3cret"
    assert form.form.files == FORM.files
    assert apply_auth(json_request, _spec(NoAuth()), key) == json_request  # type: ignore[arg-type]
    with pytest.raises(ProviderError, match="plugin bug"):
        apply_auth(HttpRequest("POST", "/x", content=b"x"), _spec(BodyKeyAuth()), key)  # type: ignore[arg-type]


def test_outgoing_request_repr_hides_the_body_and_query() -> None:
    wire = outgoing(
        HttpRequest("POST", "/x", json={"key": "s3cret"}, query={"k": "q"}), "https://h"
    )
    assert "s3cret" not in repr(wire)
    assert "k=q" not in repr(wire)
    assert repr(wire) == "OutgoingRequest(POST https://h/x, <16 bytes>)"


async def test_memory_transport_answers_from_a_function_and_keeps_requests() -> None:
    async def handler(request: OutgoingRequest) -> HttpResponse:
        if request.method == "DELETE":
            raise TransportError("refused", reached=False)
        return HttpResponse(201, request.content or b"")

    transport = MemoryTransport(handler)
    sync_transport = MemoryTransport(lambda r: HttpResponse(204))
    response = await transport.send(
        outgoing(HttpRequest("POST", "/a", json=[1]), "http://h"), timeout=1
    )
    assert (response.status, response.body) == (201, b"[1]")
    with pytest.raises(TransportError):
        await transport.send(OutgoingRequest("DELETE", "http://h/a", {}), timeout=1)
    assert [r.method for r in transport.requests] == ["POST", "DELETE"]
    assert (
        await sync_transport.send(OutgoingRequest("GET", "http://h", {}), timeout=1)
    ).status == 204


async def test_the_aiohttp_transport_sends_multipart_that_aiohttp_servers_read() -> None:
    received: dict[str, object] = {}

    async def edits(request: web.Request) -> web.Response:
        form = await request.post()
        received.update({k: form[k] for k in form})
        image = form["image"]
        assert isinstance(image, web.FileField)
        return web.Response(body=image.file.read(), content_type="image/png")

    app = web.Application()
    app.router.add_post("/v1/images/edits", edits)
    import aiohttp

    async with TestServer(app, host="127.0.0.1") as server, aiohttp.ClientSession() as session:
        wire = outgoing(
            HttpRequest("POST", "/v1/images/edits", form=FORM), str(server.make_url("/"))
        )
        response = await AiohttpTransport(session).send(wire, timeout=10)
    assert response.status == 200
    assert response.is_image
    assert response.content_type == "image/png"
    assert response.body == PNG
    assert received["prompt"] == 'a "red" bench'
    assert received["n"] == "2"


def test_responses_know_json_from_images() -> None:
    answer = HttpResponse(
        200, json.dumps({"ok": True}).encode(), {"content-type": "application/json"}
    )
    assert not answer.is_image
    assert answer.json() == {"ok": True}
    assert HttpResponse(200, PNG).is_image  # sniffed without a Content-Type
