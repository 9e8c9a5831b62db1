"""The request journal: what the mock received, did and sent, for tests to assert on.

Entries are plain JSON-ready dicts in a bounded deque.  API keys never reach it: known key
fields and auth headers are replaced by ``<redacted>``, and the request's key is scrubbed from
other strings where it stands as a value (a whole string, a query parameter, ``key=...``; the
rule is :func:`inpaintkit.credentials.redact_text`, shared with the client), so a one-letter key
does not mangle paths and prompts.  Large base64 payloads are summarised by length and digest so
the journal stays small and readable.  That work happens when an entry is first read, not
while the request is being answered.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from inpaintkit.credentials import text_redactor

__all__ = ["REDACTED", "Journal", "RawBody", "redact"]

REDACTED = "<redacted>"
SECRET_FIELDS = frozenset({"key", "api_key", "apikey", "api-key", "token", "secret"})
SECRET_HEADERS = frozenset({"authorization", "key", "x-api-key", "api-key", "proxy-authorization"})
_LONG_STRING = 512


def _summarise(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:16]
    return f"<{len(text)} chars sha256:{digest}>"


def redact(value: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of ``value`` with secret fields, the given secret strings and long blobs replaced."""
    return _redact(value, _scrubber(secrets))


def _scrubber(secrets: Iterable[str]) -> Callable[[str], str]:
    return text_redactor(tuple(s for s in secrets if s), marker=REDACTED)


class RawBody:
    """Response bytes in a journal entry, decoded as JSON (or summarised) when read."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def value(self) -> Any:
        try:
            return json.loads(self.data)
        except (ValueError, RecursionError):
            return f"<{len(self.data)} bytes>"


_LAZY_BODY_BYTES = 64 * 1024
"""Response bodies up to this size are decoded when read; larger ones at once, so that the
journal never holds megabytes of inline images."""


def _shrink(value: Any) -> Any:
    """What an entry keeps until it is read: long strings already summarised, large bodies
    decoded.  Cheap (no redaction), and bounds the journal's memory by ``journal_size``."""
    if isinstance(value, RawBody):
        return value if len(value.data) <= _LAZY_BODY_BYTES else _shrink(value.value())
    if isinstance(value, Mapping):
        return {k: _shrink(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_shrink(v) for v in value]
    if isinstance(value, str) and len(value) > _LONG_STRING:
        return _summarise(value)
    return value


def _redact(value: Any, scrub: Callable[[str], str]) -> Any:
    if isinstance(value, RawBody):
        value = value.value()
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            key = str(k)
            if key.lower() in SECRET_FIELDS and v not in (None, ""):
                out[key] = REDACTED
            else:
                out[key] = _redact(v, scrub)
        return out
    if isinstance(value, list | tuple):
        return [_redact(v, scrub) for v in value]
    if isinstance(value, str):
        if len(value) > _LONG_STRING:  # summarised: the text itself never reaches the journal
            return _summarise(value)
        return scrub(value)
    return value


def redact_headers(headers: Mapping[str, str], secrets: Iterable[str] = ()) -> dict[str, str]:
    """Headers with auth-bearing ones replaced; only the first value of a repeated header kept."""
    scrub = _scrubber(secrets)
    out: dict[str, str] = {}
    for name, value in headers.items():
        if name.lower() in SECRET_HEADERS:
            out[name] = REDACTED
        elif name not in out:
            out[name] = _redact(value, scrub)
    return out


class _Entry:
    """A recorded entry, redacted and summarised when first read (not on the request path:
    a large response body costs nothing until a test asks for the journal)."""

    __slots__ = ("_fields", "_rendered", "_secrets", "kind", "seq")

    def __init__(self, seq: int, kind: str, fields: dict[str, Any], secrets: list[str]) -> None:
        self.seq = seq
        self.kind = kind
        self._fields: dict[str, Any] | None = fields
        self._secrets = secrets
        self._rendered: dict[str, Any] | None = None

    def render(self) -> dict[str, Any]:
        if self._rendered is None:
            fields = self._fields or {}
            redacted = _redact(fields, _scrubber(self._secrets))
            self._rendered = {"seq": self.seq, "kind": self.kind, **redacted}
            self._fields, self._secrets = None, []  # the secrets go with the raw fields
        return self._rendered


class Journal:
    """A bounded, thread-safe list of journal entries with increasing sequence numbers."""

    def __init__(self, maxlen: int) -> None:
        self._lock = threading.Lock()
        self._entries: deque[_Entry] = deque(maxlen=maxlen)
        self._seq = 0

    def record(self, kind: str, *, secrets: Iterable[str] = (), **fields: Any) -> None:
        """Append an entry of ``kind`` (``request``, ``webhook``, ``fetch``, ``upload``, ...).

        Long strings are summarised now; redaction (``secrets`` scrubbed) happens when the
        entry is first read.
        """
        secret_list = [s for s in secrets if s]
        kept = _shrink(fields)
        with self._lock:
            self._seq += 1
            self._entries.append(_Entry(self._seq, kind, kept, secret_list))

    def entries(self, kind: str | None = None, **match: Any) -> list[dict[str, Any]]:
        """Entries, oldest first; only those of ``kind`` whose fields equal ``match``, if given."""
        with self._lock:
            items = [e for e in self._entries if kind is None or e.kind == kind]
            rendered = [e.render() for e in items]
        return [e for e in rendered if all(e.get(k) == v for k, v in match.items())]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
