"""Reading request bodies the way every mock handler and the journal need them.

One place parses a body, whatever its shape, so that no input can make the parser itself fail:

- JSON is parsed with a nesting limit (:data:`MAX_JSON_DEPTH`).  Python's parser is recursive,
  so a body nested about a thousand deep raised ``RecursionError`` (a 500); deeper than the limit
  is now answered like any other body that is not JSON, in the provider's own error shape.
- ``multipart/form-data`` (and urlencoded forms) are read into fields (recorded as values) and
  files (summarised by size, content type and sha256) from a copy of the body bytes, so the body
  stays readable for the handler; :func:`read_form` caches the parsed form on the request, and a
  third-party handler calls it instead of ``request.post()``.
- Anything else is raw bytes, summarised by size and digest.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from typing import Any
from urllib.parse import parse_qsl

import attrs
from aiohttp import BodyPartReader, MultipartReader, web
from aiohttp.base_protocol import BaseProtocol
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.streams import StreamReader
from aiohttp.web_protocol import RequestPayloadError
from multidict import CIMultiDict, MultiDict

__all__ = [
    "MAX_JSON_DEPTH",
    "FormFile",
    "ParsedForm",
    "journal_body",
    "json_depth_ok",
    "parse_json",
    "read_form",
    "read_json",
    "read_raw",
]

MAX_JSON_DEPTH = 64
"""Deeper JSON is treated as not JSON: no provider document nests more than four levels."""

_JSON_CACHE: web.RequestKey[tuple[bool, Any]] = web.RequestKey(
    "inpaintkit_mock_json", tuple[bool, Any]
)


@attrs.frozen
class FormFile:
    """One uploaded file of a multipart form."""

    name: str
    filename: str | None
    content_type: str
    data: bytes = attrs.field(repr=False)

    def summary(self) -> dict[str, Any]:
        """What the journal records instead of the bytes."""
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "bytes": len(self.data),
            "sha256": hashlib.sha256(self.data).hexdigest(),
        }


@attrs.frozen
class ParsedForm:
    """A multipart/form-data or urlencoded body: text fields and files, in wire order."""

    fields: MultiDict[str]
    files: MultiDict[FormFile]

    def journal(self) -> dict[str, Any]:
        """Fields as values, files by size, type and digest (repeated names become lists)."""
        out: dict[str, Any] = {}
        summaries = [(name, file.summary()) for name, file in self.files.items()]
        for name, value in [*self.fields.items(), *summaries]:
            if name in out:
                previous = out[name]
                out[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
            else:
                out[name] = value
        return out


_FORM_CACHE: web.RequestKey[ParsedForm] = web.RequestKey("inpaintkit_mock_form", ParsedForm)


def json_depth_ok(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """True if ``value`` nests no deeper than ``limit`` (checked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return False
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return True


def parse_json(raw: bytes) -> tuple[bool, Any]:
    """``(True, value)`` for a JSON body within the nesting limit, else ``(False, None)``."""
    if not raw:
        return False, None
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return False, None
    return (True, value) if json_depth_ok(value) else (False, None)


async def read_raw(request: web.Request) -> bytes:
    """The body bytes; ``b""`` when the body cannot be read (a ``Content-Encoding`` it does not
    match, a broken chunked stream), so that a handler answers "not JSON" the provider's way
    instead of letting the error escape as a 500."""
    try:
        return await request.read()
    except (RequestPayloadError, HttpProcessingError):
        return b""


async def read_json(request: web.Request) -> tuple[bool, Any]:
    """The request body parsed as JSON, cached on the request: ``(True, value)`` or
    ``(False, None)`` when it is empty, unreadable, not JSON, or nested deeper than the limit."""
    if _JSON_CACHE not in request:
        request[_JSON_CACHE] = parse_json(await read_raw(request))
    cached: tuple[bool, Any] = request[_JSON_CACHE]
    return cached


def is_form(request: web.Request) -> bool:
    return request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded")


async def read_form(request: web.Request) -> ParsedForm:
    """The request's form (multipart or urlencoded), parsed once and cached on the request.

    Use this in a mock handler instead of ``await request.post()``: it parses a copy of the
    body bytes, so ``await request.read()`` (and :func:`read_json`) still see the whole body,
    and the journal middleware and the handler share one parse.  A body that is not a
    well-formed form gives the fields and files read before the fault (often none).
    """
    if _FORM_CACHE not in request:
        raw = await read_raw(request)
        fields: MultiDict[str] = MultiDict()
        files: MultiDict[FormFile] = MultiDict()
        if request.content_type == "multipart/form-data":
            # malformed: keep what was read before the fault
            with contextlib.suppress(ValueError, AssertionError, RuntimeError, RecursionError):
                await _read_multipart(request, raw, fields, files)
        else:
            text = raw.decode(request.charset or "utf-8", "replace")
            for name, value in parse_qsl(text, keep_blank_values=True):
                fields.add(name, value)
        request[_FORM_CACHE] = ParsedForm(fields, files)
    return request[_FORM_CACHE]


async def _read_multipart(
    request: web.Request, raw: bytes, fields: MultiDict[str], files: MultiDict[FormFile]
) -> None:
    loop = asyncio.get_running_loop()
    stream = StreamReader(BaseProtocol(loop), 2**16, loop=loop)
    stream.feed_data(raw)
    stream.feed_eof()
    reader = MultipartReader(CIMultiDict({"Content-Type": request.headers["Content-Type"]}), stream)
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):  # nested multipart: not a form field
            continue
        name = part.name or ""
        data = await part.read(decode=True)
        content_type = part.headers.get("Content-Type", "application/octet-stream")
        if part.filename is not None:
            files.add(name, FormFile(name, part.filename, content_type, bytes(data)))
        else:
            fields.add(name, bytes(data).decode(part.get_charset("utf-8"), "replace"))


async def journal_body(request: web.Request) -> Any:
    """What the journal records for a request's body: JSON as parsed, a form as fields and file
    summaries, other bytes by size and digest, ``None`` when there is no body."""
    if not request.body_exists:
        return None
    if is_form(request):
        return (await read_form(request)).journal()
    ok, value = await read_json(request)
    if ok:
        return value
    raw = await read_raw(request)
    if not raw:
        return None
    return {
        "content_type": request.content_type,
        "bytes": len(raw),
        "sha256": hashlib.sha256(raw).hexdigest(),
    }
