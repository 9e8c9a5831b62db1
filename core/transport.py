"""Sending requests, and classifying what went wrong.

The runtime turns an adapter's :class:`~inpaintkit.provider.HttpRequest` (with the key applied)
into one :class:`OutgoingRequest` value: method, absolute URL, headers and the encoded body
bytes.  A :class:`Transport` sends that value and returns an
:class:`~inpaintkit.provider.HttpResponse`; :class:`AiohttpTransport` is the real one and
:class:`MemoryTransport` answers from a function, for tests (httpx's ``MockTransport`` is the
model).  Bodies are encoded once here, whatever their shape (JSON, multipart form, raw bytes), so
every transport sees the same bytes.

The distinction that matters for safety is whether a failed request *may have reached* the
provider.  A refused connection provably did not, so a submit may be retried; a timeout or a
connection dropped after sending may have, so a submit must not be resent blindly (it could
already be running and billed).  :class:`TransportError` records which case it was.
"""

from __future__ import annotations

import inspect
import io
import json
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import aiohttp
import attrs

from .provider import Form, FormFile, HttpRequest, HttpResponse

__all__ = [
    "AiohttpTransport",
    "MemoryTransport",
    "OutgoingRequest",
    "Transport",
    "TransportError",
    "encode_body",
    "encode_json",
    "outgoing",
]


class TransportError(Exception):
    """A request failed below HTTP. ``reached`` is False only when it provably never left."""

    def __init__(self, message: str, *, reached: bool) -> None:
        super().__init__(message)
        self.reached = reached


@attrs.frozen(repr=False)
class OutgoingRequest:
    """One request as it goes on the wire: what a :class:`Transport` sends.

    ``description`` is the adapter's request the bytes were encoded from (with the key
    applied), so that recording transports can read JSON or form fields without parsing bytes
    back; it may hold the key and must never be logged as it is.
    """

    method: str
    url: str
    headers: Mapping[str, str]
    content: bytes | None = None
    description: HttpRequest | None = attrs.field(default=None, eq=False)

    def __repr__(self) -> str:
        size = f"<{len(self.content)} bytes>" if self.content is not None else "no body"
        return f"OutgoingRequest({self.method} {self.url.split('?', 1)[0]}, {size})"


class Transport(Protocol):
    """Sends one HTTP request; the runtime's only door to the network."""

    async def send(self, request: OutgoingRequest, *, timeout: float) -> HttpResponse:
        """Send and return the response, or raise :class:`TransportError`."""
        ...


def _multipart(form: Form) -> tuple[bytes, str]:
    """RFC 7578 encoding of ``form``: (body, content type with boundary)."""
    boundary = "inpaintkit-" + secrets.token_hex(12)
    chunks: list[bytes] = []
    for name, value in form.parts():
        header = f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"'
        if isinstance(value, FormFile):
            header += f'; filename="{_quote(value.filename)}"\r\nContent-Type: {value.content_type}'
            chunks += [header.encode() + b"\r\n\r\n", value.data, b"\r\n"]
        else:
            chunks += [header.encode() + b"\r\n\r\n", value.encode(), b"\r\n"]
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def encode_body(request: HttpRequest) -> tuple[bytes | None, str | None]:
    """The body bytes of ``request`` and their Content-Type (``None``, ``None`` for no body)."""
    if request.json is not None:
        return encode_json(request.json), "application/json"
    if request.form is not None:
        return _multipart(request.form)
    if request.content is not None:
        return request.content, request.content_type or "application/octet-stream"
    return None, None


BIG_STRING = 1024
"""Strings from this length up (base64 images) are copied into the body bytes directly: for
them one ``bytes.translate`` check costs a fraction of ``json.dumps``' escaping loop (a 10 KB
base64 image: about 4 us against 20 us), so even a small image's body is cheaper this way."""

_CHUNK = 1024 * 1024

_JSON_SAFE = bytes(b for b in range(0x20, 0x7F) if b not in b'"\\')
"""ASCII that JSON writes as it is: a string of only these needs no escaping."""


def encode_json(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON, byte for byte what ``json.dumps(value,
    separators=(",", ":"), ensure_ascii=False).encode()`` gives, with fewer copies.

    That one-liner holds a 16-megapixel image's base64 up to four times at once (the string,
    its quoted copy, the joined text, the encoded bytes).  Here the document is encoded with
    placeholders for its big strings, and each big string is copied once, a megabyte at a
    time, into a buffer of the final size: the body costs one copy of the base64, not three.
    A big string that would need escaping falls back to the one-liner.
    """
    big: list[str] = []
    token = "inpaintkit-big-" + secrets.token_hex(8) + "-"
    skeleton = _swap_big_strings(value, big, token)
    if not big:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text = json.dumps(skeleton, separators=(",", ":"), ensure_ascii=False)
    pieces = text.split(f'"{token}')
    if len(pieces) != len(big) + 1:  # pragma: no cover - the token is random
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    heads = [pieces[0].encode("utf-8")]
    for piece in pieces[1:]:
        _index, _, rest = piece.partition('"')
        heads.append(rest.encode("utf-8"))
    order = [int(piece.partition('"')[0]) for piece in pieces[1:]]
    total = sum(len(h) for h in heads) + sum(len(big[i]) + 2 for i in order)
    buffer = io.BytesIO()
    buffer.seek(total - 1)
    buffer.write(b"\0")  # one allocation of the final size; the writes below fill it
    buffer.seek(0)
    buffer.write(heads[0])
    for index, head in zip(order, heads[1:], strict=True):
        string = big[index]
        buffer.write(b'"')
        for start in range(0, len(string), _CHUNK):
            chunk = string[start : start + _CHUNK].encode("ascii")
            if chunk.translate(None, _JSON_SAFE):  # something to escape: not a plain copy
                return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
            buffer.write(chunk)
        buffer.write(b'"')
        buffer.write(head)
    return buffer.getvalue()  # the buffer's own bytes object: no copy at full size


def _swap_big_strings(node: Any, big: list[str], token: str) -> Any:
    """``node`` with every long ASCII string replaced by ``token`` + its index in ``big``
    (containers on the way are copied, the rest shared)."""
    if isinstance(node, str):
        if len(node) >= BIG_STRING and node.isascii():
            big.append(node)
            return f"{token}{len(big) - 1}"
        return node
    if isinstance(node, dict):
        return {k: _swap_big_strings(v, big, token) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [_swap_big_strings(v, big, token) for v in node]
    return node


def outgoing(request: HttpRequest, base_url: str) -> OutgoingRequest:
    """The wire form of ``request`` against ``base_url`` (the key must already be applied)."""
    content, content_type = encode_body(request)
    headers = dict(request.headers)
    if content_type is not None and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = content_type
    elif request.form is not None:
        # A multipart body's boundary lives in its Content-Type: ours must win.
        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        headers["Content-Type"] = content_type or ""
    return OutgoingRequest(
        request.method, request.url(base_url), headers, content, description=request
    )


class AiohttpTransport:
    """The default transport: one shared :class:`aiohttp.ClientSession`."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def send(self, request: OutgoingRequest, *, timeout: float) -> HttpResponse:
        try:
            async with self._session.request(
                request.method,
                request.url,
                headers=dict(request.headers),
                data=request.content,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as response:
                body = await response.read()
                return HttpResponse(
                    status=response.status,
                    body=body,
                    headers={k.lower(): v for k, v in response.headers.items()},
                )
        except aiohttp.ClientConnectorError as exc:
            # DNS failure or connection refused: the request never left this machine.
            raise TransportError(
                f"cannot connect to {exc.host}:{exc.port}", reached=False
            ) from None
        except TimeoutError:
            raise TransportError("no response before the request timeout", reached=True) from None
        except aiohttp.ClientError as exc:
            # Disconnects, resets, truncated bodies: the request may have been received.
            raise TransportError(f"{type(exc).__name__}: {exc}", reached=True) from None


Handler = Callable[[OutgoingRequest], HttpResponse | Awaitable[HttpResponse]]


class MemoryTransport:
    """A transport that answers every request with ``handler(request)``, for tests.

    The handler may be a plain or an async function, and may raise :class:`TransportError` to
    play a network failure.  Every request is kept in :attr:`requests`, in order.
    """

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self.requests: list[OutgoingRequest] = []

    async def send(self, request: OutgoingRequest, *, timeout: float) -> HttpResponse:
        self.requests.append(request)
        answer = self._handler(request)
        if inspect.isawaitable(answer):
            return await answer
        return answer
