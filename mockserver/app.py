"""The aiohttp application: providers from plugins, the journal and faults as middleware.

:func:`create_app` builds one :class:`~inpaintkit.mockserver.context.MockContext`, asks every
plugin's ``register_mocks`` hook for mock providers (the three built-ins arrive the same way),
lets each add its routes, and wraps provider routes in a middleware that chooses and plays
transport faults and writes the journal entry.  Admin routes live under ``/__mock/``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pluggy
from aiohttp import web
from inpaintkit.clock import Clock

from .bodies import journal_body, read_json
from .config import ConfigError, MockConfig
from .context import (
    REQUEST_FAULTS,
    REQUEST_NOTES,
    REQUEST_SECRETS,
    MockContext,
    MockProvider,
    RouteInfo,
)
from .contracts import ErrorKind, Rejection
from .faults import FAULT_HEADER, ActiveFault
from .files import FILES_PREFIX, expired_error, s3_error_xml
from .timesource import MockClock

__all__ = ["CONTEXT", "create_app", "read_json"]

log = logging.getLogger(__name__)

CONTEXT: web.AppKey[MockContext] = web.AppKey("inpaintkit_mock_context", MockContext)
_TICK_SECONDS = 0.02

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_GENERIC_STATUS = {
    ErrorKind.MISSING_KEY: 401,
    ErrorKind.INVALID_KEY: 401,
    ErrorKind.RATE_LIMITED: 429,
    ErrorKind.INSUFFICIENT_CREDITS: 402,
    ErrorKind.TASK_NOT_FOUND: 404,
    ErrorKind.SERVER_ERROR: 500,
    ErrorKind.SERVICE_UNAVAILABLE: 503,
    ErrorKind.IMAGE_FETCH_FAILED: 400,
    ErrorKind.MODEL_NOT_FOUND: 404,
    ErrorKind.BODY_NOT_JSON: 400,
    ErrorKind.TASK_FAILED: 500,
}


def create_app(
    config: MockConfig | None = None,
    *,
    plugin_manager: pluggy.PluginManager | None = None,
    clock: Clock | None = None,
) -> web.Application:
    """Build the mock application.

    ``clock`` (e.g. a :class:`~inpaintkit.clock.VirtualClock` shared with the client under
    test) replaces the clock named by ``config.clock``; it is read on every request.
    ``plugin_manager`` defaults to :func:`inpaintkit.plugins.make_plugin_manager`, which loads
    the built-in mock providers and any installed third-party ones.
    """
    config = config or MockConfig()
    source = clock or MockClock.for_mode(config.clock, time_scale=config.time_scale)
    ctx = MockContext(config, MockClock(source))
    app = web.Application(client_max_size=config.max_body_bytes, middlewares=[_middleware])
    app[CONTEXT] = ctx

    if plugin_manager is None:
        from inpaintkit.plugins import make_plugin_manager

        plugin_manager = make_plugin_manager()
    providers: list[MockProvider] = []

    def register(provider: MockProvider) -> None:
        if not isinstance(provider, MockProvider):
            raise TypeError(
                f"register_mocks: expected a MockProvider (id + setup), got {provider!r}"
            )
        if provider.id in ctx.providers:
            raise ValueError(f"register_mocks: mock provider id {provider.id!r} registered twice")
        ctx.providers[provider.id] = provider
        providers.append(provider)

    plugin_manager.hook.register_mocks(register=register)
    for provider in providers:
        provider.setup(app, ctx)

    from .admin import setup_admin

    setup_admin(app, ctx)
    app.router.add_route("GET", FILES_PREFIX + "/{key}/{name}", _serve_file)
    app.cleanup_ctx.append(_background)
    return app


async def _background(app: web.Application) -> AsyncIterator[None]:
    """Run due scheduled actions (webhooks, uploads) as mock time passes, then clean up.

    Shutting down is graceful: the ticker finishes the pass it is in, so a webhook attempt
    already on the wire completes (within ``webhook_timeout``) and is journaled, rather than
    being cancelled half-sent.
    """
    ctx = app[CONTEXT]
    stopping = asyncio.Event()

    async def tick() -> None:
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), _TICK_SECONDS)
            if stopping.is_set():
                return
            try:
                await ctx.scheduler.run_due()
            except Exception:  # a broken action must not stop the ticker
                log.exception("mock scheduler action failed")

    task = asyncio.create_task(tick())
    yield
    stopping.set()
    try:
        await asyncio.wait_for(task, timeout=ctx.config.webhook_timeout + 1)
    except (TimeoutError, asyncio.CancelledError):
        log.warning("mock scheduler did not finish within the webhook timeout")
    await ctx.close()


def _key_candidates(request: web.Request, body: Any) -> list[str]:
    keys: list[str] = []
    auth = request.headers.get("Authorization", "")
    if auth:
        keys.append(auth[7:].strip() if auth.lower().startswith("bearer ") else auth.strip())
    if request.headers.get("key"):
        keys.append(request.headers["key"])
    if isinstance(body, dict) and isinstance(body.get("key"), str):
        keys.append(body["key"])
    return [k for k in keys if k]


def _rejection_response(rej: Rejection) -> web.Response:
    return web.json_response(rej.body, status=rej.status)


def _error(info: RouteInfo, kind: ErrorKind, message: str | None = None, **kw: Any) -> Rejection:
    if info.errors is not None:
        return info.errors.error(kind, message, **kw)
    status = _GENERIC_STATUS[kind]
    body: dict[str, Any] = {"error": kind.value, "message": message or kind.value}
    if kw.get("retry_after") is not None:
        body["retry_after"] = kw["retry_after"]
    return Rejection(status=status, body=body, field=None, rule=kind.value)


@web.middleware
async def _middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    ctx = request.app[CONTEXT]
    info = ctx.route_info(request)
    if info is None:  # admin, files, unknown paths: no faults, no journal
        return await handler(request)
    request[REQUEST_NOTES] = []
    request[REQUEST_SECRETS] = []
    body = await journal_body(request)
    keys = _key_candidates(request, body)
    request[REQUEST_SECRETS].extend(keys)
    started = ctx.now()
    faults: list[ActiveFault] = []
    response: web.StreamResponse | None = None
    try:
        faults = ctx.faults.choose(
            provider=info.provider_id,
            path=request.path,
            header=request.headers.get(FAULT_HEADER),
            api_key=next((k for k in keys if k.startswith("mock-fault:")), None),
        )
    except ConfigError as exc:
        response = web.json_response(
            {"error": "invalid mock fault", "message": str(exc)}, status=400
        )
    request[REQUEST_FAULTS] = faults
    try:
        if response is None:
            response = await _play(request, handler, ctx, info, faults)
        return response
    finally:
        _journal(request, ctx, info, body, keys, faults, response, started)


async def _play(
    request: web.Request,
    handler: Handler,
    ctx: MockContext,
    info: RouteInfo,
    faults: list[ActiveFault],
) -> web.StreamResponse:
    truncate = False
    for fault in faults:
        name, arg = fault.name, fault.arg
        if name == "latency":
            await ctx.clock.sleep(_number(arg, 2.0))
        elif name == "rate_limit":
            seconds = _number(arg, 30.0)
            where = fault.extra[0] if fault.extra else "both"
            rej = _error(
                info,
                ErrorKind.RATE_LIMITED,
                retry_after=seconds if where in ("body", "both") else None,
            )
            response = _rejection_response(rej)
            if where in ("header", "both"):
                response.headers["Retry-After"] = str(int(seconds))
            return response
        elif name == "server_error":
            status = int(_number(arg, 500))
            kind = ErrorKind.SERVICE_UNAVAILABLE if status == 503 else ErrorKind.SERVER_ERROR
            rej = _error(info, kind)
            return web.json_response(rej.body, status=status if 500 <= status <= 599 else 500)
        elif name == "error":
            try:
                kind = ErrorKind[(arg or "SERVER_ERROR").upper()]
            except KeyError:
                names = [k.name for k in ErrorKind]
                return web.json_response(
                    {
                        "error": "invalid mock fault",
                        "message": f"error: kind must be one of {names}, got {arg!r}",
                    },
                    status=400,
                )
            return _rejection_response(_error(info, kind))
        elif name == "reset":
            _abort(request)
            return web.Response(status=500)
        elif name == "hang":
            waiters: list[asyncio.Future[Any]] = [asyncio.ensure_future(ctx.shutdown.wait())]
            if arg is not None:
                waiters.append(asyncio.ensure_future(ctx.clock.sleep(_number(arg, 0.0))))
            ctx.hung_requests += 1
            try:
                _, pending = await asyncio.wait(
                    waiters,
                    timeout=ctx.config.max_hang_seconds,
                    return_when=asyncio.FIRST_COMPLETED,
                )
            finally:
                ctx.hung_requests -= 1
            for waiter in pending:
                waiter.cancel()
            _abort(request)
            return web.Response(status=504)
        elif name == "truncated":
            truncate = True
    answer = await handler(request)
    if truncate and isinstance(answer, web.Response) and answer.body is not None:
        return await _truncated(request, answer)
    return answer


def _number(arg: str | None, default: float) -> float:
    if arg is None or arg == "":
        return default
    try:
        return float(arg)
    except ValueError:
        return default


def _abort(request: web.Request) -> None:
    transport = request.transport
    if transport is not None:
        transport.abort()


async def _truncated(request: web.Request, full: web.Response) -> web.StreamResponse:
    """Announce the full length, send half the bytes, then drop the connection."""
    body = full.body if isinstance(full.body, bytes) else b""
    partial = web.StreamResponse(status=full.status, headers=full.headers)
    partial.content_length = len(body)
    await partial.prepare(request)
    await partial.write(body[: len(body) // 2])
    _abort(request)
    return partial


def _journal(
    request: web.Request,
    ctx: MockContext,
    info: RouteInfo,
    body: Any,
    keys: list[str],
    faults: list[ActiveFault],
    response: web.StreamResponse | None,
    started: float,
) -> None:
    from .journal import RawBody, redact_headers

    secrets = [*keys, *request.get(REQUEST_SECRETS, [])]
    response_body: Any = None
    if isinstance(response, web.Response) and isinstance(response.body, bytes):
        response_body = RawBody(response.body)  # decoded when the journal is read
    ctx.journal.record(
        "request",
        secrets=secrets,
        provider=info.provider_id,
        method=request.method,
        path=request.path,
        query=dict(request.query),
        headers=redact_headers(request.headers, secrets),
        body=body if body is not None else None,
        status=None if response is None else response.status,
        response=response_body,
        faults=[f.describe() for f in faults],
        notes=list(request.get(REQUEST_NOTES, [])),
        time=started,
    )


async def _serve_file(request: web.Request) -> web.StreamResponse:
    """Generated files; 404 before they exist, S3's 403 ``Request has expired`` after the TTL."""
    ctx = request.app[CONTEXT]
    status, stored = ctx.files.lookup(request.match_info["key"])
    xml = "application/xml"
    if status in ("missing", "pending") or stored is None:
        text = s3_error_xml("NoSuchKey", "The specified key does not exist.")
        return web.Response(status=404, text=text, content_type=xml)
    if status == "expired":
        return web.Response(status=403, text=expired_error(stored, ctx.now()), content_type=xml)
    data = await ctx.file_data(stored)  # a rendered output is made on its first download
    return web.Response(body=data, content_type=stored.content_type)
