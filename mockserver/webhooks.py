"""Webhook delivery with each provider's retry rule, on the mock clock.

A delivery is scheduled for the moment its task finishes.  Each attempt POSTs the JSON payload
with a real timeout (Novita documents 5 s) and is journaled with its outcome; a failed attempt
(timeout, connection error or non-2xx) is retried after the next delay of
``MockConfig.webhook_retry_delays`` *on the mock clock*, up to the provider's attempt budget
(Novita 6: the first and five retries; StableDiffusionAPI/ModelsLab best-effort 1).  Only
loopback and configured hosts are ever contacted, and never the mock's own admin paths; other
targets are journaled as blocked.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aiohttp
import attrs

from .journal import Journal
from .outbound import outbound_refusal
from .scheduler import Scheduler, SchedulerFull

__all__ = ["WebhookDelivery", "WebhookDispatcher"]


@attrs.frozen
class WebhookDelivery:
    provider: str
    url: str
    payload: dict[str, Any]
    max_attempts: int
    task_id: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    secrets: tuple[str, ...] = attrs.field(default=(), repr=False)
    """Strings scrubbed from the journal entries (the submitter's API key)."""


class WebhookDispatcher:
    def __init__(
        self,
        *,
        scheduler: Scheduler,
        journal: Journal,
        now: Callable[[], float],
        session: Callable[[], aiohttp.ClientSession],
        allowed_hosts: tuple[str, ...],
        timeout: float,
        retry_delays: tuple[float, ...],
    ) -> None:
        self._scheduler = scheduler
        self._journal = journal
        self._now = now
        self._session = session
        self.allowed_hosts = allowed_hosts
        self.timeout = timeout
        self.retry_delays = retry_delays

    def send(self, delivery: WebhookDelivery, *, at: float | None = None) -> None:
        """Schedule ``delivery``'s first attempt at mock time ``at`` (default: now)."""
        due = self._now() if at is None else at
        self._schedule(delivery, 1, due)

    def _schedule(self, delivery: WebhookDelivery, attempt: int, due: float) -> None:
        async def run() -> None:
            await self._attempt(delivery, attempt)

        try:
            self._scheduler.schedule(
                due, run, key=delivery.task_id, label=f"webhook {delivery.provider} #{attempt}"
            )
        except SchedulerFull as exc:  # bounded: drop the delivery, but say so
            self._journal.record(
                "webhook",
                secrets=delivery.secrets,
                outcome=f"dropped: {exc}",
                provider=delivery.provider,
                url=delivery.url,
                task_id=delivery.task_id,
                attempt=attempt,
            )

    async def _attempt(self, delivery: WebhookDelivery, attempt: int) -> None:
        base: dict[str, Any] = {
            "provider": delivery.provider,
            "url": delivery.url,
            "task_id": delivery.task_id,
            "attempt": attempt,
            "max_attempts": delivery.max_attempts,
            "time": self._now(),
            "payload": delivery.payload,
        }
        refusal = outbound_refusal(delivery.url, self.allowed_hosts, loopback=True)
        if refusal is not None:
            self._journal.record(
                "webhook", secrets=delivery.secrets, outcome=refusal, status=None, **base
            )
            return
        status: int | None = None
        outcome = "delivered"
        try:
            async with self._session().post(
                delivery.url,
                data=json.dumps(delivery.payload),
                headers={"Content-Type": "application/json", **dict(delivery.headers)},
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as response:
                status = response.status
                await response.read()
                if not 200 <= status < 300:
                    outcome = "failed"
        except TimeoutError:
            outcome = "timeout"
        except aiohttp.ClientError as exc:
            outcome = f"error: {type(exc).__name__}"
        self._journal.record(
            "webhook", secrets=delivery.secrets, outcome=outcome, status=status, **base
        )
        if outcome != "delivered" and attempt < delivery.max_attempts:
            delay = self.retry_delays[min(attempt - 1, len(self.retry_delays) - 1)]
            self._schedule(delivery, attempt + 1, self._now() + delay)
