"""Delivering progress events: to a callback, to per-call listeners, and to ``logging``.

The client creates one :class:`Observer` and calls :meth:`Observer.emit` at each step of a job
(see :mod:`inpaintkit.events`).  An event goes to

* the ``inpaintkit`` logger, with the event's fields as structured ``extra`` (``event``,
  ``provider``, ``task_id``, ``delay``...), so a JSON log formatter gets them without parsing
  text; retries, submits and outcomes at INFO, plans, polls and downloads at DEBUG;
* the client's ``on_event`` callback, if any;
* the listeners of the call it belongs to (:func:`listening`), which is how
  :meth:`InpaintClient.stream` gets the events of one job and no other.  Listeners are kept in
  a context variable, which ``asyncio`` copies into every task a call starts.

A callback that raises is logged and otherwise ignored: watching a job must not change its
outcome (every public call ends in a result or an :class:`~inpaintkit.errors.InpaintError`).
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from .credentials import redact, redact_text
from .errors import InpaintError
from .events import Event, Failed, describe, log_fields

__all__ = ["EventCallback", "Observer", "listening", "stream"]

T = TypeVar("T")

EventCallback = Callable[[Event], object]
"""Receives each event, on the thread of the client's event loop; keep it quick.  A plain
function: it is called, never awaited (an ``async def`` callback is refused by the client)."""

log = logging.getLogger("inpaintkit")

_DEBUG_KINDS = frozenset({"planned", "polled", "downloaded"})

_LISTENERS: contextvars.ContextVar[tuple[EventCallback, ...]] = contextvars.ContextVar(
    "inpaintkit_event_listeners", default=()
)
_IN_CALL: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "inpaintkit_in_public_call", default=False
)


@contextmanager
def listening(listener: EventCallback) -> Iterator[None]:
    """Send the events of every call started inside this block to ``listener`` as well."""
    token = _LISTENERS.set((*_LISTENERS.get(), listener))
    try:
        yield
    finally:
        _LISTENERS.reset(token)


class Observer:
    """Where one client's events go."""

    def __init__(
        self,
        on_event: EventCallback | None = None,
        secrets: Callable[[], tuple[str, ...]] = tuple,
    ) -> None:
        self.on_event = on_event
        self._secrets = secrets
        """The keys in use: redacted from log text (a provider may echo a key in a message)."""

    def watched(self) -> bool:
        """Whether an event may reach anyone now (a callback, a listener of this call, or the
        logger at INFO or below): when not, the client does not build the events of the
        common steps at all."""
        return self.on_event is not None or bool(_LISTENERS.get()) or log.isEnabledFor(logging.INFO)

    def emit(self, event: Event) -> None:
        """Log ``event`` and hand it to the callback and the call's listeners."""
        level = logging.DEBUG if event.kind in _DEBUG_KINDS else logging.INFO
        if log.isEnabledFor(level):
            secrets = self._secrets()
            extra = redact(log_fields(event), secrets)
            log.log(level, "%s", redact_text(describe(event), secrets), extra=extra)
        listeners = _LISTENERS.get()
        if self.on_event is not None:
            listeners = (self.on_event, *listeners)
        for listener in listeners:
            try:
                answer = listener(event)
            except Exception:
                log.exception("an inpaintkit event callback raised; the job goes on")
                continue
            if inspect.isawaitable(answer):
                # Not awaited (events are delivered synchronously): said once per event, and a
                # coroutine closed rather than left to a "never awaited" warning at collection.
                if inspect.iscoroutine(answer):
                    answer.close()
                log.error(
                    "an inpaintkit event callback returned an awaitable, which is not awaited: "
                    "on_event must be a plain function (start your own task from it)"
                )

    async def outermost(self, call: Callable[[], Awaitable[T]], now: Callable[[], float]) -> T:
        """Run a public call; if it is not nested in another one (``inpaint`` runs ``submit``
        and ``wait``) and ends with a typed error, emit :class:`Failed` once."""
        if _IN_CALL.get():
            return await call()
        token = _IN_CALL.set(True)
        try:
            return await call()
        except InpaintError as exc:
            self.emit(Failed(exc.provider, now(), exc, tuple(exc.task_ids)))
            raise
        finally:
            _IN_CALL.reset(token)


async def stream(call: Callable[[], Awaitable[object]]) -> AsyncGenerator[Event, None]:
    """The events of ``call`` (a public client call) as they happen, ending with its outcome.

    ``call`` runs in a task of its own, with a listener that queues its events; the iterator
    ends after the call's last event (:class:`~inpaintkit.events.Finished` or
    :class:`~inpaintkit.events.Failed`, which carries the typed error: nothing is raised).
    Leaving the loop early cancels the call.
    """
    queue: asyncio.Queue[Event | None] = asyncio.Queue()  # None: the call ended

    async def run() -> None:
        with listening(queue.put_nowait):
            try:
                await call()
            except InpaintError:
                pass  # delivered as a Failed event
            finally:
                queue.put_nowait(None)

    task = asyncio.create_task(run())
    try:
        while True:
            item = await queue.get()
            if item is None:
                break
            yield item
        await task
    finally:
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
