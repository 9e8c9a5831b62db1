"""Every public call of the client ends in a result or an :class:`InpaintError`, close included.

:class:`InFlight` is the one place that knows which calls are running.  ``close()`` cancels them
and each one then raises :class:`ClientClosedError` (listing the tasks it had submitted, which
may still run and be billed) instead of whatever the closed session would have thrown
(``AttributeError`` on a dropped transport, aiohttp's ``RuntimeError: Session is closed``).
Anything else that is not already typed becomes an :class:`InpaintError` here too, so a
``TransportError`` from an image host, or a bug in a plugin, never reaches the caller raw.

The task ids a call has submitted are collected in a context variable (:func:`record_task`), so
that the submit code need not thread a list through every helper; ``asyncio.gather`` copies
the context, and the list inside it is shared.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from .credentials import redact
from .errors import ClientClosedError, InpaintError, JobCancelledError, ProviderUnavailableError
from .transport import TransportError

__all__ = ["InFlight", "lost_submits", "record_lost_submit", "record_task", "submitted_task_ids"]

T = TypeVar("T")

_SUBMITTED: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "inpaintkit_submitted", default=None
)

_LOST: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "inpaintkit_lost", default=None
)


def record_task(task_id: str | None) -> None:
    """Note that the running public call submitted ``task_id`` (it may now be billed)."""
    ids = _SUBMITTED.get()
    if ids is not None and task_id is not None and task_id not in ids:
        ids.append(task_id)


def in_public_call() -> bool:
    """Whether a public call is running in this context: a call made inside it (``inpaint``
    runs ``submit`` and ``wait``) is part of it, wrapped by its :meth:`InFlight.run`."""
    return _SUBMITTED.get() is not None


def submitted_task_ids() -> tuple[str, ...]:
    """The task ids the running public call has submitted or is waiting for, so far."""
    return tuple(_SUBMITTED.get() or ())


def record_lost_submit(description: str) -> None:
    """Note that a submit of the running call may have created a task whose id is unknown
    (sent, then its answer lost while the call was being cancelled)."""
    lost = _LOST.get()
    if lost is not None:
        lost.append(description)


def lost_submits() -> tuple[str, ...]:
    """Submits of the running public call whose outcome is unknown, so far."""
    return tuple(_LOST.get() or ())


def _redacted(error: InpaintError, secrets: tuple[str, ...]) -> InpaintError:
    """``error`` without ``secrets`` in any text it carries; the very error when it held none."""
    clean = error.redacted(secrets)
    parts = ("message", "hint", "raw_body", "args", "errors")
    if all(getattr(clean, p, None) == getattr(error, p, None) for p in parts):
        return error
    return clean


class InFlight:
    """The public calls running on one client, so that ``close()`` can end them."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[object]] = set()
        self._closing: set[asyncio.Task[object]] = set()
        self._cancelling: set[asyncio.Task[Any]] = set()
        self.accepting = True
        """False once ``close()`` began: new calls are refused."""
        self.closed = False
        """True once nothing may be sent any more (at once, or after waiting for the calls)."""

    def __len__(self) -> int:
        return len(self._tasks)

    async def run(
        self,
        call: Callable[[], Awaitable[T]],
        *,
        known: Iterable[str] = (),
        secrets: Callable[[], tuple[str, ...]] = tuple,
        on_cancelled: Callable[[JobCancelledError], object] | None = None,
    ) -> T:
        """Run one public call; whatever escapes it is an :class:`InpaintError`.

        A call its caller cancels (``asyncio.timeout``, ``wait_for``, ``task.cancel()``) ends
        with the cancellation, as asyncio requires; ``on_cancelled`` then receives the
        :class:`JobCancelledError` it would have raised (the tasks that may be billed), so that
        the call's end is still reported."""
        outer = _SUBMITTED.get()
        nested = outer is not None  # inpaint() calling submit() and wait(): one call, not three
        if not self.accepting and not nested:
            raise ClientClosedError("the client is closed; nothing was sent")
        task = asyncio.current_task()
        token = _SUBMITTED.set(list(known) if outer is None else outer)
        lost_token = _LOST.set([] if outer is None else _LOST.get())
        for task_id in known:
            record_task(task_id)
        if task is not None and not nested:
            self._tasks.add(task)
        try:
            return await call()
        except asyncio.CancelledError:
            if task is not None and task in self._closing:
                self._closing.discard(task)
                task.uncancel()
                raise self._closed_error() from None
            if task is not None and not nested and task in self._cancelling:
                self._cancelling.discard(task)
                task.uncancel()
                raise self._cancelled_error() from None
            if not nested and on_cancelled is not None:
                on_cancelled(self._cancelled_error())
            raise
        except InpaintError as exc:
            if task is not None and task in self._closing:
                raise self._closed_error() from exc
            if task is not None and not nested and task in self._cancelling:
                raise self._cancelled_error() from exc
            ids = submitted_task_ids()
            # The last line of defence for the key: a provider may echo it from anywhere (a
            # result URL it built, a download's error page), not only from the answers the
            # runtime scrubs as it parses them.
            clean = _redacted(exc, secrets())
            if not nested and ids and not clean.task_ids:
                # Every error of a call that submitted work names the tasks that may be billed.
                clean = clean.evolve(task_ids=ids)
            if clean is not exc:
                raise clean.with_traceback(exc.__traceback__) from exc.__cause__
            raise
        except TransportError as exc:
            if self.closed:
                raise self._closed_error() from None
            raise ProviderUnavailableError(
                f"a request failed ({redact(str(exc), secrets())})",
                task_ids=submitted_task_ids(),
            ) from None
        except Exception as exc:
            if self.closed:
                raise self._closed_error() from None
            detail = redact(f"{type(exc).__name__}: {exc}", secrets())
            raise InpaintError(
                f"unexpected error ({detail})",
                hint="This is a bug in inpaintkit or a plugin; please report it.",
                task_ids=submitted_task_ids(),
            ) from None
        finally:
            if task is not None and not nested:
                self._tasks.discard(task)
                self._closing.discard(task)
                self._cancelling.discard(task)
            _SUBMITTED.reset(token)
            _LOST.reset(lost_token)

    def _closed_error(self) -> ClientClosedError:
        ids = submitted_task_ids()
        listed = f"; tasks that may still run and be billed: {', '.join(ids)}" if ids else ""
        return ClientClosedError(
            f"the client was closed while this call was in flight{listed}", task_ids=ids
        )

    def _cancelled_error(self) -> JobCancelledError:
        ids = submitted_task_ids()
        lost = lost_submits()
        listed = f"; tasks that may still run and be billed: {', '.join(ids)}" if ids else ""
        unknown = (
            f"; {lost[0]}, so it may have created a task whose id is not known" if lost else ""
        )
        return JobCancelledError(
            f"the job was cancelled before it finished{listed}{unknown}",
            task_ids=ids,
            submit_in_flight=bool(lost),
        )

    def cancel(self, task: asyncio.Task[Any]) -> bool:
        """Cancel the public call running in ``task``: it ends with a
        :class:`JobCancelledError` listing the tasks it submitted (a submit on its way is let
        answer first, see the client's ``_send``).  ``False`` when ``task`` is not (or no
        longer) running a call of this client; it is not cancelled then."""
        if task not in self._tasks or task.done():
            return False
        self._cancelling.add(task)
        task.cancel()
        return True

    async def close(self, *, wait: bool) -> None:
        """Refuse new calls; then let the running ones finish (``wait``) or end them now."""
        self.accepting = False
        current = asyncio.current_task()
        running = [t for t in self._tasks if t is not current]
        if not wait:
            self.closed = True
            for task in running:
                self._closing.add(task)
                task.cancel()
        if running:
            await asyncio.wait(running)
        self.closed = True
