"""Webhooks: what the mock really delivers must parse to the state polling reached.

The job asks for a webhook to a loopback receiver that records each body and answers 500, so
every delivery attempt "fails" and providers that retry (Novita: five retries) deliver the
same payload several times.  (The mock's journal summarises long strings such as base64
outputs, so the receiver, not the journal, is the source of the payloads.)  Each payload, in any
order and repeated, must parse (``adapter.parse_webhook``) to a state consistent with the one
the client reached by polling: the same kind, task id and images.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attrs
from inpaintkit.errors import InpaintError
from inpaintkit.job import InpaintJob, Webhook
from inpaintkit.provider import Done, Failed, Pending, Support, TaskState, WebhookAdapter, parsed

from .harness import Harness

__all__ = ["collect_webhook_payloads", "fold_deliveries", "receiver", "state_key"]


@contextmanager
def receiver() -> Iterator[tuple[str, list[Any]]]:
    """A loopback HTTP server that records every JSON body POSTed to it and answers 500."""
    received: list[Any] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                received.append(json.loads(raw))
            except ValueError:
                received.append(raw.decode("utf-8", "replace"))
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the suite reports what matters."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name="conformance-webhooks", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/webhook", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def collect_webhook_payloads(h: Harness, job: InpaintJob) -> tuple[list[Any], Any]:
    """Run ``job`` with a webhook; the delivered payloads and the client's result (or error)."""
    if h.spec.capabilities.support("webhook.url") is Support.UNSUPPORTED:
        raise LookupError(f"{h.provider_id} has no webhooks")
    with receiver() as (url, received):
        hooked = attrs.evolve(job, webhook=Webhook(url=url))
        h.reset()
        sub = h.submit(hooked)
        if sub.error is not None or sub.handle is None:
            raise AssertionError(f"[{h.provider_id}] the webhook job failed: {sub.error}")
        outcome: Any
        try:
            outcome = h.run(h.client.wait(sub.handle))
        except InpaintError as exc:
            outcome = exc
        delays = h.config.webhook_retry_delays
        for _ in range(8):
            h.clock.advance(max(delays) + 1.0)
            h.mock.run_due()
        return list(received), outcome


def state_key(state: TaskState) -> tuple[Any, ...]:
    """What must agree between two parses of the same task's news."""
    if isinstance(state, Done):
        images = tuple(i.url or (len(i.data) if i.data else None) for i in state.images)
        return ("done", state.task_id, images)
    if isinstance(state, Failed):
        return ("failed", type(state.error).__name__, state.error.task_id)
    return ("pending", state.handle.task_id)


def fold_deliveries(h: Harness, payloads: Sequence[Any]) -> TaskState | None:
    """Deliver ``payloads`` in order to a consumer that keeps the first final state.

    Raises ``AssertionError`` when a later final state contradicts the first (a duplicate or
    late delivery must never change a finished job's outcome).
    """
    final: TaskState | None = None
    adapter = h.adapter
    assert isinstance(adapter, WebhookAdapter), f"{h.provider_id} implements no webhooks"
    for payload in payloads:
        state = parsed(adapter.parse_webhook, payload)
        again = parsed(adapter.parse_webhook, payload)
        assert state_key(state) == state_key(again), "parse_webhook is not deterministic"
        if isinstance(state, Pending):
            continue
        if final is None:
            final = state
        else:
            assert state_key(state) == state_key(final), (
                f"[{h.provider_id}] a later webhook delivery parses to {state_key(state)} after "
                f"{state_key(final)}"
            )
    return final
