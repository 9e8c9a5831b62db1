"""Sending request descriptions over aiohttp, and classifying what went wrong.

The distinction that matters for safety is whether a failed request *may have reached* the
provider.  A refused connection provably did not, so a submit may be retried; a timeout or a
connection dropped after sending may have, so a submit must not be resent blindly (it could
already be running and billed).  :class:`TransportError` records which case it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import aiohttp

from .provider import HttpResponse

__all__ = ["AiohttpTransport", "Transport", "TransportError"]


class TransportError(Exception):
    """A request failed below HTTP. ``reached`` is False only when it provably never left."""

    def __init__(self, message: str, *, reached: bool) -> None:
        super().__init__(message)
        self.reached = reached


class Transport(Protocol):
    """Sends one HTTP request; the runtime's only door to the network."""

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        json_body: Any,
        timeout: float,
    ) -> HttpResponse:
        """Send and return the response, or raise :class:`TransportError`."""
        ...


class AiohttpTransport:
    """The default transport: one shared :class:`aiohttp.ClientSession`."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        json_body: Any,
        timeout: float,
    ) -> HttpResponse:
        kwargs: dict[str, Any] = {"headers": dict(headers)}
        if json_body is not None:
            kwargs["json"] = json_body
        try:
            async with self._session.request(
                method, url, timeout=aiohttp.ClientTimeout(total=timeout), **kwargs
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
