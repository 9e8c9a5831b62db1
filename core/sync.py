"""A plain function for scripts that do not use asyncio."""

from __future__ import annotations

import asyncio
from typing import Any

from .client import InpaintClient
from .job import InpaintJob
from .result import InpaintResult

__all__ = ["inpaint"]


def inpaint(job: InpaintJob, provider: str, **client_options: Any) -> InpaintResult:
    """Run ``job`` on ``provider`` and return the result, blocking until it is done.

    ``client_options`` are passed to :class:`~inpaintkit.client.InpaintClient` (``api_keys``,
    ``base_url``, ``unsupported``, ...).  Inside a running event loop, use the client directly.
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
        async with InpaintClient(**client_options) as client:
            return await client.inpaint(job, provider)

    return asyncio.run(run())
