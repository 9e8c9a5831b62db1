"""Running the mock: in a background thread (:class:`MockServer`) or in the current event loop
(:func:`run_mock`), always on a loopback port chosen by the OS unless told otherwise.

The thread variant owns its own event loop, which is what makes it safe under pytest-asyncio and
inside synchronous programs alike; its Python API (journal, reset, faults, clock) is thread-safe.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import pluggy
from aiohttp import web
from inpaintkit.clock import Clock

from .app import CONTEXT, create_app
from .config import FaultRule, MockConfig
from .context import MockContext, provider_prefix
from .faults import rule_from_spec
from .timesource import MockClock

__all__ = ["MockServer", "RunningMock", "run_mock"]


class RunningMock:
    """The handle both variants give: base URL, context, and conveniences over it."""

    def __init__(self, url: str, ctx: MockContext) -> None:
        self.url = url
        self.ctx = ctx

    @property
    def clock(self) -> MockClock:
        return self.ctx.clock

    @property
    def config(self) -> MockConfig:
        return self.ctx.config

    def journal(self, kind: str | None = None, **match: Any) -> list[dict[str, Any]]:
        """Journal entries (redacted), optionally filtered by kind and field values."""
        return self.ctx.journal.entries(kind, **match)

    def reset(self) -> None:
        self.ctx.reset()

    def set_fault(
        self,
        fault: str,
        arg: str | None = None,
        *,
        probability: float = 1.0,
        first: int | None = None,
        provider: str | None = None,
        path: str | None = None,
    ) -> None:
        """Add a fault rule; ``fault`` may be a whole spec (``"server_error:503:first=2"``),
        whose ``first`` and ``p`` the keyword arguments, when given, replace."""
        if ":" in fault and arg is None:
            spec = rule_from_spec(fault, provider=provider, path=path)
            rule = FaultRule.from_dict(
                {
                    "fault": spec.fault,
                    "arg": spec.arg,
                    "probability": probability if probability != 1.0 else spec.probability,
                    "first": first if first is not None else spec.first,
                    "provider": provider,
                    "path": path,
                }
            )
        else:
            rule = FaultRule.from_dict(
                {
                    "fault": fault,
                    "arg": arg,
                    "probability": probability,
                    "first": first,
                    "provider": provider,
                    "path": path,
                }
            )
        self.ctx.faults.add_rule(rule)

    def set_faults(self, rules: Sequence[FaultRule]) -> None:
        self.ctx.faults.set_rules(rules)

    def clear_faults(self) -> None:
        self.ctx.faults.set_rules([])

    def advance(self, seconds: float) -> None:
        """Move mock time forward (due webhooks are then delivered by the ticker or
        :meth:`run_due`)."""
        self.ctx.clock.advance(seconds)

    def url_for(self, path: str) -> str:
        return self.url + path

    def provider_url(self, provider_id: str) -> str:
        """A base URL serving only ``provider_id``'s routes (its own host, as live)."""
        return self.url + provider_prefix(provider_id)


async def _start(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server = site._server
    assert server is not None
    sockets = getattr(server, "sockets", None) or []
    bound_port = sockets[0].getsockname()[1] if sockets else port
    display_host = f"[{host}]" if ":" in host else host
    return runner, f"http://{display_host}:{bound_port}"


@asynccontextmanager
async def run_mock(
    config: MockConfig | None = None,
    *,
    plugin_manager: pluggy.PluginManager | None = None,
    clock: Clock | None = None,
) -> AsyncIterator[AsyncMock]:
    """Serve the mock in the running event loop for the duration of the ``async with``."""
    config = config or MockConfig()
    app = create_app(config, plugin_manager=plugin_manager, clock=clock)
    runner, url = await _start(app, config.host, config.port)
    try:
        yield AsyncMock(url, app[CONTEXT])
    finally:
        app[CONTEXT].shutdown.set()
        await runner.cleanup()


class AsyncMock(RunningMock):
    """:func:`run_mock`'s handle; adds awaitable helpers for use in the same loop."""

    async def run_due(self) -> int:
        """Run every scheduled action (webhook attempt, upload) that is due now."""
        return await self.ctx.scheduler.run_due()


class MockServer(RunningMock):
    """The mock in a background thread with its own event loop::

    with MockServer(MockConfig(seed=1)) as server:
        requests.get(server.url + "/__mock/health")
    """

    def __init__(
        self,
        config: MockConfig | None = None,
        *,
        plugin_manager: pluggy.PluginManager | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._config = config or MockConfig()
        self._plugin_manager = plugin_manager
        self._clock = clock
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.url = ""

    def start(self) -> MockServer:
        if self._thread is not None:
            raise RuntimeError("MockServer: already started")
        self._thread = threading.Thread(target=self._run, name="inpaintkit-mock", daemon=True)
        self._thread.start()
        self._ready.wait(timeout=30)
        if self._error is not None:
            raise RuntimeError(f"MockServer: failed to start: {self._error}") from self._error
        if not self._ready.is_set():
            raise RuntimeError("MockServer: did not start within 30 s")
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            app = create_app(self._config, plugin_manager=self._plugin_manager, clock=self._clock)
            self.ctx = app[CONTEXT]
            self._runner, self.url = loop.run_until_complete(
                _start(app, self._config.host, self._config.port)
            )
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if self._runner is not None:
            loop.call_soon_threadsafe(self.ctx.shutdown.set)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        self._thread = None
        self._loop = None

    def run_due(self) -> int:
        """Run every scheduled action that is due now, in the server's loop; wait for it."""
        assert self._loop is not None, "MockServer: not started"
        future = asyncio.run_coroutine_threadsafe(self.ctx.scheduler.run_due(), self._loop)
        return future.result(timeout=60)

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
