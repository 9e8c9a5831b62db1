"""Every connection the mock opens to another host goes through here, behind an allow-list.

The mock must never become a way to reach arbitrary hosts (an SSRF tool): image URLs in requests
are fetched only from hosts named in the configuration, webhooks and S3 uploads go only to
loopback addresses or configured hosts, redirects are not followed, and sizes are capped.

Nor may it reach its own admin API (``/__mock/...``) through a webhook, an upload or an image
fetch: a webhook at ``/__mock/reset`` would wipe the journal and tasks, one at ``/__mock/run-due``
would stall the scheduler.  Host spellings are endless (``127.1``, ``0x7f000001``, ``[::1]``,
trailing dots, names resolving to loopback), so the rule is on the path, as a server would
route it: percent-decoded, dot segments resolved, slashes collapsed, any host.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import unquote

import aiohttp
from yarl import URL

__all__ = [
    "ADMIN_PREFIX",
    "FetchError",
    "admin_path_target",
    "host_allowed",
    "is_loopback",
    "outbound_refusal",
    "read_limited",
]

ADMIN_PREFIX = "/__mock"
"""Path prefix of the mock's admin API (and its file store)."""


class FetchError(Exception):
    """An allowed fetch failed (status, size or connection)."""


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_allowed(url: str, allowed: Iterable[str], *, loopback: bool) -> bool:
    """True if ``url`` is http(s) and its host (or host:port) is allowed."""
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        return False
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return False
    if loopback and is_loopback(parsed.host):
        return True
    host = parsed.host.lower()
    hostport = f"{host}:{parsed.port}" if parsed.port is not None else host
    allowed_set = {a.lower() for a in allowed}
    return host in allowed_set or hostport in allowed_set


def admin_path_target(url: str) -> bool:
    """True if ``url``'s path, as any server would route it, lies under :data:`ADMIN_PREFIX`."""
    try:
        path = URL(url).raw_path
    except (ValueError, TypeError):
        path = url
    for _ in range(8):  # %255F -> %5F -> _: decode until nothing changes
        decoded = unquote(path)
        if decoded == path:
            break
        path = decoded
    segments: list[str] = []
    for segment in path.replace("\\", "/").split("/"):
        segment = segment.split(";", 1)[0].strip()
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    return bool(segments) and segments[0].lower() == ADMIN_PREFIX.strip("/")


def outbound_refusal(url: str, allowed: Iterable[str], *, loopback: bool) -> str | None:
    """Why the mock must not contact ``url`` (``"blocked: ..."``), or ``None`` if it may."""
    if admin_path_target(url):
        return "blocked: the mock's own admin path"
    if not host_allowed(url, allowed, loopback=loopback):
        return "blocked"
    return None


async def read_limited(
    session: aiohttp.ClientSession, url: str, *, max_bytes: int, timeout: float
) -> bytes:
    """GET ``url`` without following redirects and return at most ``max_bytes``."""
    try:
        async with session.get(
            url, allow_redirects=False, timeout=aiohttp.ClientTimeout(total=timeout)
        ) as response:
            if response.status != 200:
                raise FetchError(f"GET {url}: status {response.status}")
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.content.iter_chunked(65536):
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"GET {url}: larger than {max_bytes} bytes")
                chunks.append(chunk)
            return b"".join(chunks)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise FetchError(f"GET {url}: {type(exc).__name__}") from exc
