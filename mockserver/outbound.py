"""Every connection the mock opens to another host goes through here, behind an allow-list.

The mock must never become a way to reach arbitrary hosts (an SSRF tool): image URLs in requests
are fetched only from hosts named in the configuration, webhooks and S3 uploads go only to
loopback addresses or configured hosts, redirects are not followed, and sizes are capped.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

import aiohttp
from yarl import URL

__all__ = ["FetchError", "host_allowed", "is_loopback", "read_limited"]


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
