"""Sending requests, and classifying what went wrong.

The runtime turns an adapter's :class:`~inpaintkit.provider.HttpRequest` (with the key applied)
into one :class:`OutgoingRequest` value: method, absolute URL, headers and the encoded
:class:`RequestBody` (its exact length, its bytes produced a chunk at a time, so that a big
image's base64 is not held twice on its way to the socket).  A :class:`Transport` sends that value
and returns an :class:`~inpaintkit.provider.HttpResponse`; :class:`AiohttpTransport` is the
real one and :class:`MemoryTransport` answers from a function, for tests (httpx's
``MockTransport`` is the model).  Bodies are encoded here, whatever their shape (JSON,
multipart form, raw bytes), so every transport sees the same bytes.

The distinction that matters for safety is whether a failed request *may have reached* the
provider.  A refused connection provably did not, so a submit may be retried; a timeout or a
connection dropped after sending may have, so a submit must not be resent blindly (it could
already be running and billed).  :class:`TransportError` records which case it was.
"""

from __future__ import annotations

import functools
import inspect
import io
import json
import secrets
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol

import aiohttp
import aiohttp.payload
import attrs
from aiohttp.abc import AbstractStreamWriter

from .provider import Form, FormFile, HttpRequest, HttpResponse

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "AiohttpTransport",
    "MemoryTransport",
    "OutgoingRequest",
    "RequestBody",
    "Transport",
    "TransportError",
    "encode_body",
    "encode_json",
    "json_body",
    "outgoing",
    "request_body",
]


class TransportError(Exception):
    """A request failed below HTTP. ``reached`` is False only when it provably never left."""

    def __init__(self, message: str, *, reached: bool) -> None:
        super().__init__(message)
        self.reached = reached


class RequestBody:
    """An encoded request body: its exact length known up front, its bytes produced a chunk at
    a time, as often as asked.

    A JSON body holding a 16-megapixel image's base64 would be a second copy of that text
    (1.33x the image) if it were encoded whole while the request description still holds the
    text.  Instead the body keeps *pieces*: bytes, and ASCII strings that JSON writes as they
    are (the big base64 values, still owned by the request), which :meth:`chunks` encodes a
    megabyte at a time on the way to the socket.  The length is exact, so a transport sends
    Content-Length (never chunked transfer encoding, which some providers refuse), and a
    retried submit iterates again.  ``bytes(body)`` gives the whole body when someone asks
    (test transports, the exchange hook), built on each call, never kept.
    """

    __slots__ = ("_length", "_pieces")

    def __init__(self, pieces: Iterable[bytes | str]) -> None:
        merged: list[bytes | str] = []
        for piece in pieces:
            if not piece:
                continue
            last = merged[-1] if merged else None
            if (
                isinstance(piece, bytes)
                and isinstance(last, bytes)
                and len(last) + len(piece) <= _SMALL
            ):
                merged[-1] = last + piece  # small neighbours go out in one write
            else:
                merged.append(piece)
        self._pieces = tuple(merged)
        self._length = sum(len(piece) for piece in self._pieces)  # str pieces are ASCII

    @classmethod
    def of(cls, content: bytes) -> RequestBody:
        """A body of ``content`` (kept, not copied)."""
        return cls((content,))

    def __len__(self) -> int:
        return self._length

    def chunks(self) -> Iterator[bytes]:
        """The body's bytes in order, in chunks of at most ``_CHUNK`` bytes (a small body: one)."""
        for piece in self._pieces:
            if len(piece) <= _CHUNK and isinstance(piece, bytes):
                yield piece
            elif isinstance(piece, bytes):
                for start in range(0, len(piece), _CHUNK):
                    yield piece[start : start + _CHUNK]
            else:
                for start in range(0, len(piece), _CHUNK):
                    yield piece[start : start + _CHUNK].encode("ascii")

    def __bytes__(self) -> bytes:
        if len(self._pieces) == 1 and isinstance(self._pieces[0], bytes):
            return self._pieces[0]  # as given: raw content is not copied
        if not self._pieces:
            return b""
        buffer = io.BytesIO()
        buffer.seek(self._length - 1)
        buffer.write(b"\0")  # one allocation of the final size; the writes below fill it
        buffer.seek(0)
        for chunk in self.chunks():
            buffer.write(chunk)
        return buffer.getvalue()  # the buffer's own bytes object: no copy at full size

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RequestBody):
            return NotImplemented
        return self._length == other._length and bytes(self) == bytes(other)

    def __hash__(self) -> int:
        return hash(bytes(self))

    def __repr__(self) -> str:
        return f"RequestBody(<{self._length} bytes>)"


def _as_body(content: bytes | RequestBody | None) -> RequestBody | None:
    return RequestBody.of(content) if isinstance(content, bytes) else content


@attrs.frozen(repr=False)
class OutgoingRequest:
    """One request as it goes on the wire: what a :class:`Transport` sends.

    It is built with ``content`` bytes or a :class:`RequestBody`; :attr:`body` is the body
    either way, and :attr:`content` its whole bytes (built on each access for a body in pieces, so a
    transport that streams should iterate ``body.chunks()`` instead).

    ``description`` is the adapter's request the bytes were encoded from (with the key
    applied), so that recording transports can read JSON or form fields without parsing bytes
    back; it may hold the key and must never be logged as it is.
    """

    method: str
    url: str
    headers: Mapping[str, str]
    body: RequestBody | None = attrs.field(default=None, alias="content", converter=_as_body)
    description: HttpRequest | None = attrs.field(default=None, eq=False)

    @property
    def content(self) -> bytes | None:
        """The whole body (``None`` for none)."""
        return None if self.body is None else bytes(self.body)

    def __repr__(self) -> str:
        size = f"<{len(self.body)} bytes>" if self.body is not None else "no body"
        return f"OutgoingRequest({self.method} {self.url.split('?', 1)[0]}, {size})"


class Transport(Protocol):
    """Sends one HTTP request; the runtime's only door to the network."""

    async def send(self, request: OutgoingRequest, *, timeout: float) -> HttpResponse:
        """Send and return the response, or raise :class:`TransportError`."""
        ...


def _multipart(form: Form) -> tuple[RequestBody, str]:
    """RFC 7578 encoding of ``form``: (body, content type with boundary).  The files' bytes
    are pieces of the body, not copied into it."""
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
    return RequestBody(chunks), f"multipart/form-data; boundary={boundary}"


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def encode_body(request: HttpRequest) -> tuple[bytes | None, str | None]:
    """The body bytes of ``request`` and their Content-Type (``None``, ``None`` for no body)."""
    body, content_type = request_body(request)
    return (None if body is None else bytes(body)), content_type


def request_body(request: HttpRequest) -> tuple[RequestBody | None, str | None]:
    """The :class:`RequestBody` of ``request`` and its Content-Type (``None``, ``None``: no
    body)."""
    if request.json is not None:
        return json_body(request.json), "application/json"
    if request.form is not None:
        return _multipart(request.form)
    if request.content is not None:
        return RequestBody.of(request.content), request.content_type or "application/octet-stream"
    return None, None


BIG_STRING = 1024
"""Strings from this length up (base64 images) are copied into the body bytes directly: for
them one ``bytes.translate`` check costs a fraction of ``json.dumps``' escaping loop (a 10 KB
base64 image: about 4 us against 20 us), so even a small image's body is cheaper this way."""

_CHUNK = 256 * 1024
"""Bodies go to the socket in chunks of this size at most (a quarter megabyte: big enough
that the per-chunk cost is noise, small enough that a chunk in flight weighs nothing)."""

_SMALL = 64 * 1024
"""Neighbouring bytes pieces up to this size together are joined into one write."""

_JSON_SAFE = bytes(b for b in range(0x20, 0x7F) if b not in b'"\\')
"""ASCII that JSON writes as it is: a string of only these needs no escaping."""


def encode_json(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON, byte for byte what ``json.dumps(value,
    separators=(",", ":"), ensure_ascii=False).encode()`` gives, with fewer copies
    (:func:`json_body`, materialised)."""
    return bytes(json_body(value))


def json_body(value: Any) -> RequestBody:
    """``value`` as compact UTF-8 JSON (the bytes of ``json.dumps(value, separators=(",",
    ":"), ensure_ascii=False).encode()``) in a :class:`RequestBody` that refers to its big strings.

    That one-liner holds a 16-megapixel image's base64 up to four times at once (the string,
    its quoted copy, the joined text, the encoded bytes).  Here the document is encoded with
    placeholders for its big strings, and each big string that JSON writes as it is becomes a
    piece of the body, encoded a chunk at a time only when the body is sent; one that needs
    escaping (rare: base64 never does) is encoded on its own, with its quotes.
    """
    big: list[str] = []
    token = "inpaintkit-big-" + secrets.token_hex(8) + "-"
    skeleton = _swap_big_strings(value, big, token)
    if not big:
        return RequestBody.of(_dumps(value).encode("utf-8"))
    pieces = _dumps(skeleton).split(f'"{token}')
    if len(pieces) != len(big) + 1:  # pragma: no cover - the token is random
        return RequestBody.of(_dumps(value).encode("utf-8"))
    body: list[bytes | str] = [pieces[0].encode("utf-8")]
    for piece in pieces[1:]:
        index, _, rest = piece.partition('"')
        string = big[int(index)]
        if _writes_as_it_is(string):
            body += [b'"', string, b'"']
        else:
            body.append(_dumps(string).encode("utf-8"))
        body.append(rest.encode("utf-8"))
    return RequestBody(body)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _writes_as_it_is(string: str) -> bool:
    """Whether JSON writes the ASCII ``string`` without escapes (checked a chunk at a time:
    a regex over 30 MB takes ten times as long)."""
    for start in range(0, len(string), _CHUNK):
        if string[start : start + _CHUNK].encode("ascii").translate(None, _JSON_SAFE):
            return False
    return True


def _swap_big_strings(node: Any, big: list[str], token: str) -> Any:
    """``node`` with every long ASCII string replaced by ``token`` + its index in ``big``
    (containers on the way are copied, the rest shared)."""
    kind = type(node)
    if kind is int or kind is float or kind is bool or node is None:
        return node  # most leaves: decided without an isinstance chain
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
    body, content_type = request_body(request)
    headers = dict(request.headers)
    if content_type is not None and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = content_type
    elif request.form is not None:
        # A multipart body's boundary lives in its Content-Type: ours must win.
        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        headers["Content-Type"] = content_type or ""
    url = request.url(base_url)
    return OutgoingRequest(request.method, url, headers, body, description=request)


DEFAULT_MAX_RESPONSE_BYTES = 512 * 1024 * 1024
"""The most :class:`AiohttpTransport` reads of one answer by default (decoded bytes): room for
several 16-megapixel images inline as base64 (four are about 130 MB), and a bound on what a
broken or hostile peer can make the process hold."""


class AiohttpTransport:
    """The default transport: one shared :class:`aiohttp.ClientSession`.

    An answer larger than ``max_response_bytes`` (after any content decoding) is a
    :class:`TransportError`, refused from its Content-Length before it is read, or as soon as
    the bytes read pass the cap.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        if isinstance(max_response_bytes, bool) or not (
            isinstance(max_response_bytes, int) and max_response_bytes > 0
        ):
            raise ValueError(f"max_response_bytes: must be an int > 0, got {max_response_bytes!r}")
        self._session = session
        self._max = max_response_bytes

    async def send(self, request: OutgoingRequest, *, timeout: float) -> HttpResponse:
        sent = request.body
        data: bytes | _BodyPayload | None = None
        if sent is not None:
            # A body of one chunk or less goes as bytes, which aiohttp writes together with the
            # headers in one system call; only a bigger one is streamed a chunk at a time.
            data = bytes(sent) if len(sent) <= _CHUNK else _BodyPayload(sent)
        try:
            async with self._session.request(
                request.method,
                request.url,
                headers=dict(request.headers),
                data=data,
                timeout=_timeout(timeout),
            ) as response:
                body = await self._read(response)
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

    async def _read(self, response: aiohttp.ClientResponse) -> bytes:
        """The whole answer, or a :class:`TransportError` once it is known to pass the cap."""
        length = response.content_length
        if length is not None and length > self._max:
            raise self._too_big(f"{length} bytes")
        if length is not None and "Content-Encoding" not in response.headers:
            return await response.read()  # framed by its length: at most that many bytes
        # Chunked, or compressed (a few KB on the wire may decode to gigabytes): count as read.
        chunks: list[bytes] = []
        total = 0
        async for chunk in response.content.iter_any():
            total += len(chunk)
            if total > self._max:
                raise self._too_big(f"at least {total} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_big(self, size: str) -> TransportError:
        return TransportError(
            f"the answer is {size}, more than the {self._max} bytes this transport reads "
            "(AiohttpTransport(max_response_bytes=...))",
            reached=True,
        )


@functools.lru_cache(maxsize=32)
def _timeout(total: float) -> aiohttp.ClientTimeout:
    """The aiohttp timeout for ``total`` seconds: one immutable object per value, not one per
    request (a client sends every request with the same one or two values)."""
    return aiohttp.ClientTimeout(total=total)


class _BodyPayload(aiohttp.payload.Payload):
    """A :class:`RequestBody` as aiohttp sends it: its size up front (so aiohttp sends
    Content-Length) and its chunks written one at a time, each awaiting the socket's drain, so
    neither this process nor the event loop's write buffer ever holds the whole body."""

    _autoclose = True  # nothing to close: the body is in memory

    def __init__(self, body: RequestBody) -> None:
        # The request's own Content-Type header is the one sent (aiohttp keeps it).
        super().__init__(body, content_type=None)
        self._body = body
        self._size = len(body)

    async def write(self, writer: AbstractStreamWriter) -> None:
        await self.write_with_length(writer, None)

    async def write_with_length(
        self, writer: AbstractStreamWriter, content_length: int | None
    ) -> None:
        left = content_length
        for chunk in self._body.chunks():
            if left is not None:
                chunk = chunk[:left]
                left -= len(chunk)
            await writer.write(chunk)
            if left == 0:
                return

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        return bytes(self._body).decode(encoding, errors)

    async def as_bytes(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        return bytes(self._body)


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
