"""SyncInpaintClient: one loop and one session across blocking calls, from plain code or from
inside a running event loop, and close() ending work in flight with a typed error.

The session test runs the toy provider on a loopback aiohttp server in a thread of its own
(the twin blocks its caller, so the server cannot share the test's loop) and counts the client
connections it sees; the other tests use the in-memory toy transport.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import inpaintkit
import pytest
from aiohttp import web
from inpaintkit import (
    ClientClosedError,
    SettingsError,
    SyncInpaintClient,
    ValidationError,
    VirtualClock,
)
from inpaintkit.events import Event, Submitted
from test_client import KEY, ToyServer, make_job, registry, result_png
from toytransport import ScriptedToy

DONE = {"state": "done", "id": "s1", "images": [{"b64": result_png()}]}


class ThreadedToy:
    """The toy provider on 127.0.0.1, served from a background thread's event loop."""

    def __init__(self) -> None:
        self.server = ToyServer()
        self.peers: list[int] = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.runner: web.AppRunner | None = None
        self.url = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(timeout=30)

    async def _start(self) -> str:
        @web.middleware
        async def record_peer(request: web.Request, handler: Any) -> web.StreamResponse:
            assert request.transport is not None
            self.peers.append(request.transport.get_extra_info("peername")[1])
            response: web.StreamResponse = await handler(request)
            return response

        app = self.server.app()
        app.middlewares.append(record_peer)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{port}"

    def close(self) -> None:
        assert self.runner is not None
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)
        self.loop.close()


@pytest.fixture
def threaded_toy() -> Iterator[ThreadedToy]:
    toy = ThreadedToy()
    try:
        yield toy
    finally:
        toy.close()


def options(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "api_keys": {"toy": KEY},
        "base_url": "http://toy.invalid",
        "registry": registry(),
        "clock": VirtualClock(),
        "retry_jitter": 0.0,
    }
    return {**base, **changes}


def test_several_calls_share_one_session_and_one_connection(threaded_toy: ThreadedToy) -> None:
    threaded_toy.server.submit_script += [DONE] * 3
    with SyncInpaintClient(**options(base_url=threaded_toy.url)) as client:
        results = [client.inpaint(make_job(), "toy") for _ in range(3)]
        session = client.client._session
    assert [r.task_ids for r in results] == [("s1",)] * 3
    assert session is not None
    assert session.closed  # the twin's own session, closed with it
    assert len(threaded_toy.peers) == 3
    assert len(set(threaded_toy.peers)) == 1  # kept alive from one call to the next


def test_the_inpaint_function_opens_a_client_per_call(threaded_toy: ThreadedToy) -> None:
    threaded_toy.server.submit_script += [DONE] * 2
    for _ in range(2):
        inpaintkit.inpaint(make_job(), "toy", **options(base_url=threaded_toy.url))
    assert len(set(threaded_toy.peers)) == 2  # what the twin saves


async def test_blocking_calls_work_inside_a_running_event_loop() -> None:
    asyncio.get_running_loop()  # a notebook cell: the caller's thread runs a loop
    toy = ScriptedToy()
    toy.submits += [DONE, {"state": "pending", "id": "t1"}]
    toy.polls.append({"state": "done", "id": "t1", "images": [{"b64": result_png()}]})
    with SyncInpaintClient(**options(transport=toy.transport)) as client:
        first = client.inpaint(make_job(), "toy")
        handle = client.submit(make_job(), "toy")
        second = client.wait(handle)
        plan = client.plan(make_job(), "toy")
    assert first.task_ids == ("s1",)
    assert second.task_ids == ("t1",)
    assert len(plan.batches) == 1
    # inpaintkit.inpaint() used to refuse to run here ("blocks; inside an event loop ...").
    toy.submits.append(DONE)
    result = inpaintkit.inpaint(make_job(), "toy", **options(transport=toy.transport))
    assert result.task_ids == ("s1",)


def test_errors_stay_typed_and_the_stream_is_a_blocking_iterator() -> None:
    toy = ScriptedToy()
    toy.submits.append(DONE)
    with SyncInpaintClient(**options(transport=toy.transport)) as client:
        with pytest.raises(ValidationError):
            client.inpaint(make_job(steps=500), "toy")
        kinds = [e.kind for e in client.stream(make_job(), "toy")]
    assert kinds == ["planned", "submitted", "downloaded", "finished"]
    assert len(toy.requests) == 1  # the invalid job sent nothing


def test_close_ends_a_call_in_flight_with_client_closed_error_naming_its_task() -> None:
    toy = ScriptedToy()  # the task stays pending
    submitted = threading.Event()

    def on_event(event: Event) -> None:
        if isinstance(event, Submitted):
            submitted.set()

    client = SyncInpaintClient(
        **options(transport=toy.transport, clock=VirtualClock(auto_advance=False)),
        on_event=on_event,
    )
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            client.inpaint(make_job(), "toy")
        except BaseException as exc:
            outcome.append(exc)

    caller = threading.Thread(target=run)
    caller.start()
    assert submitted.wait(timeout=30)
    client.close()
    caller.join(timeout=30)
    assert not caller.is_alive()
    [error] = outcome
    assert isinstance(error, ClientClosedError)
    assert error.task_ids == ("t1",)
    assert not client._runner.thread.is_alive()  # the loop thread is gone
    with pytest.raises(ClientClosedError):
        client.inpaint(make_job(), "toy")
    client.close()  # twice is fine
    assert len(toy.requests) == 1


def test_bad_settings_raise_typed_and_leave_no_thread_behind() -> None:
    before = {t for t in threading.enumerate() if t.name == "inpaintkit-sync-client"}
    with pytest.raises(SettingsError):
        SyncInpaintClient(**options(concurrency=0))
    after = {t for t in threading.enumerate() if t.name == "inpaintkit-sync-client"}
    assert after <= before
