"""A plain function for scripts that do not use asyncio."""

from __future__ import annotations

from typing import Any

from .job import InpaintJob
from .result import InpaintResult
from .syncclient import SyncInpaintClient

__all__ = ["inpaint"]


def inpaint(job: InpaintJob, provider: str, **client_options: Any) -> InpaintResult:
    """Run ``job`` on ``provider`` and return the result, blocking until it is done.

    ``client_options`` are passed to :class:`~inpaintkit.client.InpaintClient` (``api_keys``,
    ``base_url``, ``unsupported``, ...).  Each call opens and closes its own client; for several
    jobs keep one :class:`~inpaintkit.syncclient.SyncInpaintClient`, which reuses its
    connections.  Works inside a running event loop too (a notebook), blocking it meanwhile.
    """
    with SyncInpaintClient(**client_options) as client:
        return client.inpaint(job, provider)
