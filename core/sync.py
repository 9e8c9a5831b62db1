"""A plain function for scripts that do not use asyncio."""

from __future__ import annotations

from collections.abc import Mapping

from .client import DEFAULT_REQUEST_TIMEOUT
from .clock import Clock
from .credentials import Secret
from .job import InpaintJob
from .observe import EventCallback
from .planning import UnsupportedPolicy
from .plugins import ProviderRegistry
from .provider import ImageHost
from .ratelimit import RateLimit
from .result import InpaintResult
from .settings import (
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_REQUESTS_PER_JOB,
    DEFAULT_RETRY_JITTER,
)
from .syncclient import SyncInpaintClient
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
    concurrency: int = DEFAULT_CONCURRENCY,
    unsupported: UnsupportedPolicy | str = UnsupportedPolicy.STRICT,
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    deadline: float | None = None,
    transport: Transport | None = None,
    max_requests_per_job: int = DEFAULT_MAX_REQUESTS_PER_JOB,
    retry_jitter: float = DEFAULT_RETRY_JITTER,
    random_seed: int | None = None,
    on_event: EventCallback | None = None,
    image_hosts: Mapping[str, ImageHost] | None = None,
    rate_limits: Mapping[str, RateLimit | None] | None = None,
) -> InpaintResult:
    """Run ``job`` on ``provider`` and return the result, blocking until it is done.

    The keyword arguments are :class:`~inpaintkit.client.InpaintClient`'s (``api_keys``,
    ``base_url`` to point every provider at one server such as the embedded mock,
    ``unsupported``, ...).  Each call opens and closes its own client; for several jobs keep one
    :class:`~inpaintkit.syncclient.SyncInpaintClient`, which reuses its connections.  Works
    inside a running event loop too (a notebook), blocking it meanwhile.
    """
    with SyncInpaintClient(
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
        max_requests_per_job=max_requests_per_job,
        retry_jitter=retry_jitter,
        random_seed=random_seed,
        image_hosts=image_hosts,
        on_event=on_event,
        rate_limits=rate_limits,
    ) as client:
        return client.inpaint(job, provider)
