"""The harness: one provider under test, a client, the mock, and one shared virtual clock.

Every check of the suite goes through a :class:`Harness`, whether it runs from the pytest base
class, from the ``inpaintkit conformance`` command or programmatically (the planted-fault
tests).  The harness owns a private event loop so the checks can be plain synchronous functions
(hypothesis state machines are synchronous), a :class:`~inpaintkit.client.InpaintClient` whose
transport records every request, and it speaks to a mock that reads the same
:class:`~inpaintkit.clock.VirtualClock` as the client: when the client sleeps through a poll
interval, the mock's tasks progress by exactly that much.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, TypeVar

import aiohttp
import attrs
import pluggy
from inpaintkit.client import InpaintClient, JobHandle
from inpaintkit.clock import VirtualClock
from inpaintkit.errors import InpaintError
from inpaintkit.job import InpaintJob
from inpaintkit.plugins import ProviderRegistry
from inpaintkit.provider import HttpResponse, ImageHost, ImageTransport, ProviderAdapter
from inpaintkit.transport import AiohttpTransport, OutgoingRequest, Transport

from .meaning import MaskEncoding
from .wire import RecordingTransport, SentRequest, resend

__all__ = ["API_KEY", "Harness", "MockVerdict", "Submission", "conformance_mock_config"]

T = TypeVar("T")

API_KEY = "conformance-key-7f3a9c2e51"
"""The key the suite's client sends; long and distinctive so the journal's redaction of it
cannot mangle unrelated text (a one-letter key would be scrubbed out of every URL)."""

REQUEST_TIMEOUT = 30.0


def conformance_mock_config(**changes: Any) -> Any:
    """The mock configuration the suite runs with.

    Rate limits and the duplicate-request filter are off, because the range checks send many
    near-identical requests and a 429 would be mistaken for a verdict on the values; the
    semantics and error tests inject 429s on purpose instead.  Only :data:`API_KEY` (and the
    mock's magic fault keys) is valid, so a wrong key can be shown to map to an authentication
    error.
    """
    from inpaintkit.mockserver import MockConfig

    base = MockConfig(
        seed=1,
        novita_images_per_minute=None,
        modelslab_max_queued=None,
        sdapi_duplicate_window=None,
        valid_keys=(API_KEY,),
    )
    return attrs.evolve(base, **changes)


@attrs.frozen
class MockVerdict:
    """The mock's answer to one wire request: accepted (2xx, not an error body) or not."""

    accepted: bool
    status: int | None
    body: Any

    def describe(self) -> str:
        """``HTTP 400: <message>`` for failure messages."""
        detail = self.body
        if isinstance(detail, Mapping):
            for key in ("message", "messege", "error", "reason"):
                if key in detail:
                    detail = detail[key]
                    break
        text = str(detail)
        if len(text) > 200:
            text = text[:197] + "..."
        return f"HTTP {self.status}: {text}"

    @classmethod
    def of(cls, response: HttpResponse) -> MockVerdict:
        body = response.json()
        if body is None:
            body = response.text()[:300]
        error_body = isinstance(body, Mapping) and str(body.get("status", "")).lower() == "error"
        return cls(200 <= response.status < 300 and not error_body, response.status, body)


@attrs.frozen
class Submission:
    """What one ``client.submit`` did: the handle or the typed error, and every request sent."""

    handle: JobHandle | None
    error: InpaintError | None
    sent: tuple[SentRequest, ...]
    submit_path: str | None

    @property
    def submits(self) -> tuple[SentRequest, ...]:
        """The submit requests (image uploads to a host come before them and are excluded)."""
        return tuple(r for r in self.sent if r.path == self.submit_path)


class Harness:
    """Drives one provider against a running mock.  Use as a context manager or call close().

    ``mock`` is a started :class:`~inpaintkit.mockserver.MockServer` built with ``clock``.
    ``transport`` makes the transport the client sends through (called once, inside the
    harness's own event loop, so a transport holding an aiohttp session binds to that loop);
    by default an :class:`~inpaintkit.transport.AiohttpTransport` on a session of its own.
    Whatever it returns is wrapped in a :class:`~.wire.RecordingTransport`.
    ``mask_encoding`` is how the provider's wire mask marks the repaint area (see
    :class:`~.meaning.MaskEncoding`).
    """

    def __init__(
        self,
        provider_id: str,
        *,
        plugin_manager: pluggy.PluginManager,
        mock: Any,
        clock: VirtualClock,
        api_key: str = API_KEY,
        deadline: float | None = 300.0,
        transport: Callable[[], Transport] | None = None,
        mask_encoding: MaskEncoding = MaskEncoding.WHITE,
    ) -> None:
        self.provider_id = provider_id
        self.plugin_manager = plugin_manager
        self.registry = ProviderRegistry.from_plugin_manager(plugin_manager)
        self.adapter: ProviderAdapter = self.registry[provider_id]
        self.mock = mock
        self.clock = clock
        self.api_key = api_key
        self.deadline = deadline
        self.mask_encoding = mask_encoding
        self._make_transport = transport
        self.loop = asyncio.new_event_loop()
        self._session: aiohttp.ClientSession | None = None
        self.config = mock.config
        self.epoch = 0
        """Incremented by :meth:`reset`; caches tied to the mock's state compare it."""
        self.transport: RecordingTransport = self.run(self._open())
        self.client = self.make_client(api_key)

    async def _open(self) -> RecordingTransport:
        if self._make_transport is not None:
            return RecordingTransport(self._make_transport())
        self._session = aiohttp.ClientSession()
        return RecordingTransport(AiohttpTransport(self._session))

    def make_client(self, api_key: str) -> InpaintClient:
        """A client for the provider under test pointed at the mock, on the shared clock."""
        # The provider under test reaches only its own routes (the mock's per-provider host,
        # where it has one), so a plugin calling another provider's endpoint is caught.
        provider_url = getattr(self.mock, "provider_url", None)
        served = getattr(getattr(self.mock, "ctx", None), "providers", {})
        own: dict[str, str] = {}
        if provider_url is not None and self.provider_id in served:
            own[self.provider_id] = provider_url(self.provider_id)
        return InpaintClient(
            api_keys={self.provider_id: api_key},
            base_url=self.mock.url,
            base_urls=own,
            registry=self.registry,
            clock=self.clock,
            transport=self.transport,
            deadline=self.deadline,
            request_timeout=REQUEST_TIMEOUT,
            image_hosts=self._test_image_hosts(),
        )

    def _test_image_hosts(self) -> dict[str, ImageHost]:
        """An image host for a URL-only provider that has none installed (StableDiffusionAPI
        documents no upload): the suite's test images go up through the mock's ModelsLab
        ``base64_to_url`` (its documented upload, with the suite's valid key), as a user opting
        in to ``ModelsLabUploadHost`` would.  The suite tests the plugin, not the host."""
        spec = self.adapter.spec
        if spec.image_transport is not ImageTransport.URL or "modelslab" not in self.registry:
            return {}
        if self.registry.image_host(self.provider_id) is not None:
            return {}
        from inpaintkit.providers.modelslab import ModelsLabUploadHost

        return {self.provider_id: ModelsLabUploadHost(key=API_KEY)}

    @property
    def spec(self) -> Any:
        return self.adapter.spec

    # --- running -----------------------------------------------------------------------

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` to completion on the harness's own loop."""
        return self.loop.run_until_complete(coro)

    def close(self) -> None:
        if self._session is not None:
            self.run(self._session.close())
            self._session = None
        self.loop.close()

    def __enter__(self) -> Harness:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reset(self) -> None:
        """Forget the mock's tasks, journal and faults, the recorded requests and sleeps."""
        self.mock.ctx.apply_config(self.config)
        self.mock.reset()
        self.epoch += 1
        self.transport.sent.clear()
        self.clock.sleeps.clear()

    # --- operations --------------------------------------------------------------------

    def submit(self, job: InpaintJob, *, client: InpaintClient | None = None) -> Submission:
        """``client.submit(job)``, keeping the requests it sent and any typed error."""
        mark = self.transport.mark()
        handle: JobHandle | None = None
        error: InpaintError | None = None
        try:
            handle = self.run((client or self.client).submit(job, self.provider_id))
        except InpaintError as exc:
            error = exc
        sent = tuple(self.transport.sent[mark:])
        path = sent[-1].path if sent else None
        return Submission(handle, error, sent, path)

    def post(self, like: SentRequest, body: Any) -> MockVerdict:
        """Send ``body`` where ``like`` went, with its headers (and so its key)."""
        response = self.run(self.transport.inner.send(resend(like, body), timeout=REQUEST_TIMEOUT))
        return MockVerdict.of(response)

    def fetch(self, url: str) -> bytes | None:
        """GET a URL on the mock (an uploaded input or a result); ``None`` if not 200."""
        if not url.startswith(self.mock.url):
            return None
        response = self.run(
            self.transport.inner.send(OutgoingRequest("GET", url, {}), timeout=30.0)
        )
        return response.body if response.status == 200 else None

    def journal(self, kind: str | None = "request", **match: Any) -> list[dict[str, Any]]:
        """The mock's journal entries (keys redacted)."""
        entries: list[dict[str, Any]] = self.mock.journal(kind, **match)
        return entries

    def set_sync_mode(self, mode: str) -> None:
        """Switch the mock's answer for sync providers (``instant`` or ``processing``)."""
        self.mock.ctx.apply_config(attrs.evolve(self.mock.ctx.config, sync_mode=mode))

    def mock_task(self, task_id: str) -> Any:
        """The mock's own record of a task (``None`` if it does not know it)."""
        return self.mock.ctx.tasks.get(str(task_id))

    def mock_task_state(self, task_id: str) -> str | None:
        task = self.mock_task(task_id)
        return None if task is None else str(task.state(self.mock.ctx.now()))
