"""Generated files served at URLs that stop working, as presigned S3 and CDN links do.

A file has an ``available_at`` time (``future_links`` point at files that do not exist yet, and
answer 404 until the task finishes) and an optional TTL after which its URL answers what S3
answers for an expired presigned URL: 403 with an ``AccessDenied`` XML body.  The store is
bounded by total bytes; the oldest files go first.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import quote

import attrs

__all__ = ["FILES_PREFIX", "FileStore", "StoredFile", "s3_error_xml"]

FILES_PREFIX = "/__mock/files"
"""Path prefix of every URL the file store hands out."""

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
"""Wall-clock time at mock time 0, so that dates in URLs are deterministic."""

Status = Literal["ok", "missing", "pending", "expired"]


@attrs.define
class StoredFile:
    """A file by key.  ``data`` is ``None`` until a rendered output's recipe (``job``, an
    :class:`~inpaintkit.mockserver.generation.OutputJob`) is first downloaded."""

    key: str
    name: str
    data: bytes | None
    content_type: str
    created_at: float
    available_at: float
    ttl: float | None
    job: Any = attrs.field(default=None, repr=False)

    @property
    def weight(self) -> int:
        """Bytes this file holds in memory: its data, or until rendered, its recipe's inputs."""
        if self.data is not None:
            return len(self.data)
        return int(getattr(self.job, "input_bytes", 0))

    def expires_at(self) -> float | None:
        return None if self.ttl is None else self.available_at + self.ttl


def wall_time(mock_seconds: float) -> datetime:
    return EPOCH + timedelta(seconds=mock_seconds)


class FileStore:
    """Bytes by key, with availability and expiry judged on the mock clock at each lookup."""

    def __init__(self, now: Callable[[], float], max_bytes: int) -> None:
        self._now = now
        self._max_bytes = max_bytes
        self._lock = threading.Lock()
        self._files: OrderedDict[str, StoredFile] = OrderedDict()
        self._bytes = 0
        self._counter = 0

    def put(
        self,
        data: bytes | None,
        *,
        name: str,
        content_type: str,
        ttl: float | None,
        available_at: float | None = None,
        key: str | None = None,
        job: Any = None,
    ) -> StoredFile:
        """Store ``data`` (or ``job``, a recipe rendered later) under a fresh key (or ``key``,
        replacing a reserved placeholder).  A recipe weighs its input images until rendered,
        so files never rendered still count against ``max_bytes``."""
        now = self._now()
        with self._lock:
            if key is None:
                self._counter += 1
                key = hashlib.sha256(f"{self._counter}:{name}:{now}".encode()).hexdigest()[:24]
            old = self._files.pop(key, None)
            if old is not None:
                self._bytes -= old.weight
            stored = StoredFile(
                key=key,
                name=name,
                data=data,
                content_type=content_type,
                created_at=now,
                available_at=now if available_at is None else available_at,
                ttl=ttl,
                job=job,
            )
            self._files[key] = stored
            self._bytes += stored.weight
            self._evict()
            return stored

    def fill_in(self, stored: StoredFile, data: bytes) -> None:
        """Record the rendered bytes of a recipe file (counted against the size bound now)."""
        with self._lock:
            if stored.data is not None:
                return
            before = stored.weight
            stored.data = data
            stored.job = None  # the inputs are no longer needed
            if self._files.get(stored.key) is stored:
                self._bytes += stored.weight - before
                self._evict(keep=stored.key)

    def _evict(self, keep: str | None = None) -> None:
        """Drop the oldest files while over the byte bound (never ``keep``, nor the last)."""
        while self._bytes > self._max_bytes and len(self._files) > 1:
            oldest = next(iter(self._files))
            if oldest == keep:
                self._files.move_to_end(oldest)
                continue
            evicted = self._files.pop(oldest)
            self._bytes -= evicted.weight

    def lookup(self, key: str) -> tuple[Status, StoredFile | None]:
        now = self._now()
        with self._lock:
            stored = self._files.get(key)
        if stored is None:
            return "missing", None
        if now < stored.available_at:
            return "pending", stored
        expires = stored.expires_at()
        if expires is not None and now >= expires:
            return "expired", stored
        return "ok", stored

    def set_available(self, key: str, at: float) -> None:
        """Move a pending file's availability to ``at`` (its task finished early)."""
        with self._lock:
            stored = self._files.get(key)
            if stored is not None and stored.available_at > at:
                stored.available_at = at

    def expire(self, key: str) -> None:
        """Make a file's URL expired from now on (the ``expired_url`` fault)."""
        with self._lock:
            stored = self._files.get(key)
            if stored is not None:
                stored.ttl = max(0.0, self._now() - stored.available_at)

    def clear(self) -> None:
        with self._lock:
            self._files.clear()
            self._bytes = 0

    @property
    def total_bytes(self) -> int:
        with self._lock:
            return self._bytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._files)


def file_path(stored: StoredFile) -> str:
    return f"{FILES_PREFIX}/{stored.key}/{quote(stored.name)}"


def presigned_query(stored: StoredFile, *, secret: bytes, ttl: int) -> str:
    """A query string shaped like an AWS SigV4 presigned URL (the signature is a real HMAC over
    the path and date, so it looks right and changes with them, but nobody verifies it)."""
    amz_date = wall_time(stored.available_at).strftime("%Y%m%dT%H%M%SZ")
    scope = f"{amz_date[:8]}/ap-southeast-1/s3/aws4_request"
    signature = hmac.new(secret, f"{stored.key}\n{amz_date}".encode(), hashlib.sha256).hexdigest()
    return (
        "X-Amz-Algorithm=AWS4-HMAC-SHA256"
        f"&X-Amz-Credential={quote('AKIAMOCKMOCKMOCKMOCK/' + scope, safe='')}"
        f"&X-Amz-Date={amz_date}"
        f"&X-Amz-Expires={ttl}"
        "&X-Amz-SignedHeaders=host"
        f"&x-id=GetObject&X-Amz-Signature={signature}"
    )


def s3_error_xml(code: str, message: str, **extra: str) -> str:
    """An S3-style XML error document."""
    fields = "".join(f"<{k}>{v}</{k}>" for k, v in extra.items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>{fields}"
        f"<RequestId>MOCKREQUESTID0000</RequestId><HostId>mock</HostId></Error>"
    )


def expired_error(stored: StoredFile, now: float) -> str:
    expires = stored.expires_at() or now
    return s3_error_xml(
        "AccessDenied",
        "Request has expired",
        **{
            "X-Amz-Expires": str(int(stored.ttl or 0)),
            "Expires": wall_time(expires).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "ServerTime": wall_time(now).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    )
