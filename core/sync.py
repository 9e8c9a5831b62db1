"""A plain function for scripts that do not use asyncio."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from .client import DEFAULT_REQUEST_TIMEOUT, InpaintClient
from .clock import Clock
from .credentials import Secret
from .job import InpaintJob
from .planning import UnsupportedPolicy
from .plugins import ProviderRegistry
from .result import InpaintResult
from .transport import Transport

__all__ = ["inpaint"]


def inpaint(
    job: InpaintJob,
    provider: str,
    *,
    api_keys: Mapping[str, str | Secret] | None = None,
    base_url: str | None = None,
    base_urls: Mapping[str, str] | None = None,
    registry: ProviderRegistry | None = None,
    clock: Clock | None = None,
    concurrency: int = 4,
    unsupported: UnsupportedPolicy | str = UnsupportedPolicy.STRICT,
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    deadline: float | None = None,
    transport: Transport | None = None,
) -> InpaintResult:
    """Run ``job`` on ``provider`` and return the result, blocking until it is done.

    The keyword arguments are :class:`~inpaintkit.client.InpaintClient`'s (``api_keys``,
    ``base_url`` to point every provider at one server such as the embedded mock,
    ``unsupported``, ...).  Inside a running event loop, use the client directly.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError(
            "inpaintkit.inpaint() blocks; inside an event loop use `async with InpaintClient()`"
        )

    async def run() -> InpaintResult:
        async with InpaintClient(
            api_keys=api_keys,
            base_url=base_url,
            base_urls=base_urls,
            registry=registry,
            clock=clock,
            concurrency=concurrency,
            unsupported=unsupported,
            request_timeout=request_timeout,
            deadline=deadline,
            transport=transport,
        ) as client:
            return await client.inpaint(job, provider)

    return asyncio.run(run())
