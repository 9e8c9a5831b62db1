"""Seeing the wire: recording what the client sends, and reading and rewriting JSON bodies.

The differential oracle needs the exact request a plugin put on the wire (the mock's journal
summarises long strings such as base64 images), a way to find a value in it by a dotted path,
and a way to rewrite one value so that a job the plugin refuses locally can still be shown to
the mock, sent the way the plugin sends values.  Values are compared after normalising the JSON
dialects providers accept (``"30"`` for 30, ``"yes"`` for true, ``1`` for true).
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import io
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs
from inpaintkit.provider import Capability, Form, FormFile, HttpRequest, HttpResponse
from inpaintkit.transport import OutgoingRequest, Transport, encode_body
from inpaintkit.wiremap import Wire
from PIL import Image

__all__ = [
    "MISSING",
    "RecordingTransport",
    "SentRequest",
    "decode_image_value",
    "get_at",
    "journal_summary",
    "leaf_paths",
    "normalise",
    "render_like",
    "row_path",
    "same_value",
    "set_at",
]

_NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


class _Missing:
    def __repr__(self) -> str:
        return "<absent>"


MISSING: Any = _Missing()
"""What :func:`get_at` returns when the path is absent from the body."""


@attrs.frozen
class SentRequest:
    """One request exactly as the client sent it (headers include the key: never log them)."""

    method: str
    url: str
    headers: Mapping[str, str] = attrs.field(repr=False)
    json_body: Any = attrs.field(repr=False)
    """The body as wire fields: the JSON document, or a form's fields (files as
    :class:`~inpaintkit.provider.FormFile`), so wire paths read both the same way."""
    form: bool = False
    status: int | None = None
    response: Any = attrs.field(default=None, repr=False)
    """The response body, parsed as JSON when it is JSON."""

    @property
    def path(self) -> str:
        """The URL path without scheme, host or query."""
        without_scheme = self.url.split("://", 1)[-1]
        path = "/" + without_scheme.split("/", 1)[1] if "/" in without_scheme else "/"
        return path.split("?", 1)[0]


class RecordingTransport:
    """Wraps a transport and keeps every request it sends, in order.

    The runtime owns the I/O; wrapping its one door is the only way to see the bytes a plugin
    produced without trusting the plugin to report them.
    """

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.sent: list[SentRequest] = []

    async def send(self, request: OutgoingRequest, *, timeout: float) -> HttpResponse:
        record = SentRequest(
            request.method,
            request.url,
            dict(request.headers),
            copy.deepcopy(wire_fields(request)),
            form=request.description is not None and request.description.form is not None,
        )
        index = len(self.sent)
        self.sent.append(record)
        response = await self.inner.send(request, timeout=timeout)
        parsed = response.json()
        self.sent[index] = attrs.evolve(
            record,
            status=response.status,
            response=parsed if parsed is not None else response.text()[:300],
        )
        return response

    def mark(self) -> int:
        """A position to slice :attr:`sent` from later."""
        return len(self.sent)


def wire_fields(request: OutgoingRequest) -> Any:
    """What a request carries, as wire paths read it: the JSON document, or for a multipart
    form a flat mapping of its fields and files; ``None`` for other bodies."""
    description = request.description
    if description is None:
        return None
    if description.form is not None:
        return {**description.form.fields, **description.form.files}
    return description.json


def resend(like: SentRequest, body: Any) -> OutgoingRequest:
    """A request like ``like`` (same method, URL and headers) carrying ``body`` instead, in the
    same shape (JSON, or a form rebuilt from its fields and files)."""
    if like.form and isinstance(body, Mapping):
        files = {k: v for k, v in body.items() if isinstance(v, FormFile | tuple)}
        fields = {k: _form_text(v) for k, v in body.items() if k not in files and v is not None}
        description = HttpRequest(like.method, "/", form=Form(fields=fields, files=files))
    else:
        description = HttpRequest(like.method, "/", json=body)
    content, content_type = encode_body(description)
    headers = {k: v for k, v in like.headers.items() if k.lower() != "content-type"}
    headers["Content-Type"] = content_type or "application/json"
    return OutgoingRequest(like.method, like.url, headers, content, description=description)


def _form_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def row_path(row: Capability) -> str | None:
    """A capability row's wire path when it is one plain :class:`~inpaintkit.wiremap.Wire`
    (composite and adapter-written rows have no single place to look)."""
    return row.wire.path if isinstance(row.wire, Wire) else None


def get_at(body: Any, path: str) -> Any:
    """The value at dotted ``path`` in ``body`` (numeric parts index lists), or :data:`MISSING`."""
    node = body
    for part in path.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            return MISSING
    return node


def set_at(body: Any, path: str, value: Any) -> Any:
    """A deep copy of ``body`` with ``path`` set to ``value`` (:data:`MISSING` removes it)."""
    out = copy.deepcopy(body)
    node = out
    *parents, leaf = path.split(".")
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    if isinstance(node, list):
        if value is not MISSING:
            node[int(leaf)] = value
    elif value is MISSING:
        node.pop(leaf, None)
    else:
        node[leaf] = value
    return out


def leaf_paths(body: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every ``(dotted path, scalar value)`` in a JSON document; list items are ``path.<i>``."""
    if isinstance(body, Mapping):
        items: Iterable[tuple[str, Any]] = ((str(k), v) for k, v in body.items())
    elif isinstance(body, list):
        items = ((str(i), v) for i, v in enumerate(body))
    else:
        return
    for key, value in items:
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping | list):
            yield from leaf_paths(value, path)
        else:
            yield path, value


def normalise(value: Any) -> Any:
    """A value in the lenient dialect providers read: numeric strings to numbers, yes/no to
    booleans.  Booleans stay booleans so ``1`` and ``True`` can be told apart when it matters."""
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("yes", "true"):
            return True
        if lowered in ("no", "false"):
            return False
        if _NUMBER.fullmatch(value.strip()):
            number = float(value)
            return int(number) if number.is_integer() else number
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return getattr(value, "value", value)


def same_value(expected: Any, wire: Any) -> bool:
    """Whether ``wire`` carries ``expected`` in any JSON dialect providers accept."""
    want, got = normalise(expected), normalise(wire)
    if isinstance(want, bool) or isinstance(got, bool):
        truthy = {True}
        falsy = {False}
        if want in truthy:
            return got in truthy
        if want in falsy:
            return got in falsy
        return False
    if isinstance(want, int | float) and isinstance(got, int | float):
        return math.isclose(float(want), float(got), rel_tol=1e-9, abs_tol=1e-9)
    return bool(want == got)


def render_like(example_wire: Any, example_value: Any, value: Any) -> Any:
    """``value`` written the way the plugin wrote ``example_value`` as ``example_wire``.

    Returns :data:`MISSING` when the plugin's representation is not the identity or a plain
    stringification (for example a sampler mapped to another vocabulary), because then the
    suite cannot know how the plugin would have written an out-of-range value.
    """
    plain = getattr(example_value, "value", example_value)
    if value is None:
        return MISSING
    target = getattr(value, "value", value)
    if isinstance(example_wire, str) and not isinstance(plain, str):
        if normalise(example_wire) == normalise(plain) and not isinstance(target, bool):
            return _number_text(target) if isinstance(target, int | float) else str(target)
        return MISSING
    if isinstance(example_wire, bool) or isinstance(plain, bool):
        return MISSING
    if isinstance(example_wire, int | float) and isinstance(plain, int | float):
        if not math.isclose(float(example_wire), float(plain)):
            return MISSING
        return target
    if example_wire == plain:
        return target
    return MISSING


def _number_text(value: float) -> str:
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def decode_image_value(text: str) -> Image.Image | None:
    """An image carried inline as base64 or a ``data:`` URL (``None`` if it is not one)."""
    payload = text.split(",", 1)[1] if text.startswith("data:") and "," in text else text
    try:
        raw = base64.b64decode(payload, validate=True)
        image = Image.open(io.BytesIO(raw))
        image.load()
    except (binascii.Error, ValueError, OSError):
        return None
    return image


def journal_summary(text: str) -> str:
    """How the mock's journal summarises a long string (so an entry can be matched to bytes)."""
    digest = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:16]
    return f"<{len(text)} chars sha256:{digest}>"
