"""The admin API under ``/__mock/``: reset, journal, clock, faults, config, OpenAPI documents.

Everything a test or a demo needs to steer the mock from outside the process.  Bad input is
answered with 400 and a message naming the field, the value and the rule.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .app import CONTEXT
from .bodies import MAX_JSON_DEPTH, read_json, read_raw
from .config import ConfigError, FaultRule, MockConfig
from .context import MockContext
from .faults import FAULTS, rule_from_spec

__all__ = ["ADMIN_PREFIX", "setup_admin"]

ADMIN_PREFIX = "/__mock"


def setup_admin(app: web.Application, ctx: MockContext) -> None:
    """Add the admin routes (they find ``ctx`` on the app, so one handler serves every app)."""
    r = app.router
    r.add_get(ADMIN_PREFIX, _index)
    r.add_get(ADMIN_PREFIX + "/", _index)
    r.add_get(ADMIN_PREFIX + "/health", _health)
    r.add_post(ADMIN_PREFIX + "/reset", _reset)
    r.add_get(ADMIN_PREFIX + "/journal", _journal)
    r.add_delete(ADMIN_PREFIX + "/journal", _journal_clear)
    r.add_get(ADMIN_PREFIX + "/clock", _clock_get)
    r.add_post(ADMIN_PREFIX + "/clock", _clock_post)
    r.add_get(ADMIN_PREFIX + "/faults", _faults_get)
    r.add_post(ADMIN_PREFIX + "/faults", _faults_add)
    r.add_put(ADMIN_PREFIX + "/faults", _faults_put)
    r.add_delete(ADMIN_PREFIX + "/faults", _faults_clear)
    r.add_get(ADMIN_PREFIX + "/config", _config_get)
    r.add_patch(ADMIN_PREFIX + "/config", _config_patch)
    r.add_post(ADMIN_PREFIX + "/run-due", _run_due)
    r.add_get(ADMIN_PREFIX + "/tasks/{task_id}", _task_get)
    r.add_get(ADMIN_PREFIX + "/openapi/", _openapi_index)
    r.add_get(ADMIN_PREFIX + "/openapi/{provider}.json", _openapi_doc)


def _ctx(request: web.Request) -> MockContext:
    return request.app[CONTEXT]


def _bad(message: str) -> web.Response:
    return web.json_response({"error": "bad request", "message": message}, status=400)


async def _body(request: web.Request) -> Any:
    if not await read_raw(request):
        return {}
    ok, value = await read_json(request)
    if not ok:
        message = f"body: not JSON (or nested deeper than {MAX_JSON_DEPTH} levels)"
        raise web.HTTPBadRequest(
            text=json.dumps({"error": "bad request", "message": message}),
            content_type="application/json",
        )
    return value


ENDPOINTS: tuple[tuple[str, str, str], ...] = (
    ("GET", "/health", "status and provider ids"),
    ("POST", "/reset", "forget tasks, files, journal, pending actions and run-time faults"),
    ("GET", "/journal", "the request journal (?kind=&provider=&path=&method=)"),
    ("DELETE", "/journal", "clear the journal"),
    ("GET", "/clock", "the mock clock"),
    ("POST", "/clock", '{"advance": s, "mode": "real"|"manual", "time_scale": x}'),
    ("GET", "/faults", "fault rules and the fault catalogue"),
    ("POST", "/faults", "add a fault rule"),
    ("PUT", "/faults", "replace the fault rules"),
    ("DELETE", "/faults", "clear the fault rules"),
    ("GET", "/config", "the configuration (keys redacted)"),
    ("PATCH", "/config", "change options at run time"),
    ("POST", "/run-due", "run due webhook deliveries and uploads now"),
    ("GET", "/tasks/{task_id}", "a task's state, eta, progress and polls"),
    ("GET", "/openapi/", "the providers' OpenAPI documents"),
)
"""Every admin route, listed by ``GET /__mock/`` (the URL the start-up banner prints)."""


async def _index(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    base = f"{request.scheme}://{request.host}{ADMIN_PREFIX}"
    return web.json_response(
        {
            "service": "inpaintkit mock server",
            "providers": sorted(ctx.providers),
            "endpoints": [
                {"method": method, "url": base + path, "description": text}
                for method, path, text in ENDPOINTS
            ],
            "openapi": _documents(ctx, request),
        }
    )


async def _health(request: web.Request) -> web.Response:
    """Liveness and a little load information, for CI service health checks."""
    ctx = _ctx(request)
    return web.json_response(
        {
            "status": "ok",
            "providers": sorted(ctx.providers),
            "tasks": len(ctx.tasks),
            "unfinished_tasks": ctx.tasks.unfinished(ctx.now()),
            "pending_actions": len(ctx.scheduler),
            "rendered_images": ctx.generator.rendered,
            "workers": ctx.config.workers,
        }
    )


async def _reset(request: web.Request) -> web.Response:
    _ctx(request).reset()
    return web.json_response({"status": "reset"})


async def _journal(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    match = {k: v for k, v in request.query.items() if k in ("provider", "path", "method")}
    entries = ctx.journal.entries(request.query.get("kind"), **match)
    return web.json_response({"entries": entries})


async def _journal_clear(request: web.Request) -> web.Response:
    _ctx(request).journal.clear()
    return web.json_response({"status": "cleared"})


async def _clock_get(request: web.Request) -> web.Response:
    return web.json_response(_ctx(request).clock.describe())


async def _clock_post(request: web.Request) -> web.Response:
    """``{"advance": seconds}`` and/or ``{"mode": "real"|"manual", "time_scale": x}``."""
    ctx = _ctx(request)
    body = await _body(request)
    if not isinstance(body, dict):
        return _bad(f"body: must be an object, got {body!r}")
    unknown = set(body) - {"advance", "mode", "time_scale"}
    if unknown:
        return _bad(f"{sorted(unknown)[0]}: unknown option")
    if "mode" in body or "time_scale" in body:
        changes = {k: body[k] for k in ("mode", "time_scale") if k in body}
        if "mode" in changes:
            changes["clock"] = changes.pop("mode")
        try:
            ctx.apply_config(MockConfig.from_dict(changes, base=ctx.config))
        except ConfigError as exc:
            return _bad(str(exc))
    if "advance" in body:
        seconds = body["advance"]
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            return _bad(f"advance: must be a number >= 0, got {seconds!r}")
        ctx.clock.advance(float(seconds))
        await ctx.scheduler.run_due()
    return web.json_response(ctx.clock.describe())


async def _faults_get(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    return web.json_response(
        {"faults": [r.to_dict() for r in ctx.faults.rules], "catalogue": FAULTS}
    )


def _parse_rule(data: Any, where: str) -> FaultRule:
    if isinstance(data, str):
        return rule_from_spec(data)
    if isinstance(data, dict) and "spec" in data:
        return rule_from_spec(data["spec"], provider=data.get("provider"), path=data.get("path"))
    return FaultRule.from_dict(data, where=where)


async def _faults_add(request: web.Request) -> web.Response:
    """Add one rule: ``{"fault": ..., "arg": ..., "probability": ..., "first": ...}`` or
    ``{"spec": "server_error:503:first=2", "provider": "novita"}``."""
    ctx = _ctx(request)
    try:
        rule = _parse_rule(await _body(request), "fault")
    except ConfigError as exc:
        return _bad(str(exc))
    ctx.faults.add_rule(rule)
    return web.json_response({"faults": [r.to_dict() for r in ctx.faults.rules]})


async def _faults_put(request: web.Request) -> web.Response:
    """Replace all rules: ``{"faults": [rule, ...]}``."""
    ctx = _ctx(request)
    body = await _body(request)
    if not isinstance(body, dict) or not isinstance(body.get("faults"), list):
        return _bad(f"faults: must be a list of fault rules, got {body!r}")
    try:
        rules = [_parse_rule(item, f"faults[{i}]") for i, item in enumerate(body["faults"])]
    except ConfigError as exc:
        return _bad(str(exc))
    ctx.faults.set_rules(rules)
    return web.json_response({"faults": [r.to_dict() for r in rules]})


async def _faults_clear(request: web.Request) -> web.Response:
    _ctx(request).faults.set_rules([])
    return web.json_response({"faults": []})


async def _config_get(request: web.Request) -> web.Response:
    return web.json_response(_ctx(request).config.to_dict())


async def _config_patch(request: web.Request) -> web.Response:
    """Change options at run time.  ``host``, ``port``, ``workers`` and the store and cache
    sizes only take effect at start-up; everything else applies to the next request."""
    ctx = _ctx(request)
    body = await _body(request)
    try:
        config = MockConfig.from_dict(body, base=ctx.config)
    except ConfigError as exc:
        return _bad(str(exc))
    ctx.apply_config(config)
    return web.json_response(config.to_dict())


async def _run_due(request: web.Request) -> web.Response:
    ran = await _ctx(request).scheduler.run_due()
    return web.json_response({"ran": ran})


async def _task_get(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    task = ctx.tasks.get(request.match_info["task_id"])
    if task is None:
        return web.json_response({"error": "not found"}, status=404)
    now = ctx.now()
    return web.json_response(
        {
            "id": task.id,
            "provider": task.provider,
            "state": task.state(now),
            "eta": task.eta(now),
            "progress_percent": task.progress_percent(now),
            "polls": task.polls,
            "created_at": task.created_at,
            "queued_until": task.queued_until,
            "finish_at": task.finish_at,
            "fail_reason": task.fail_reason,
        }
    )


def _document(ctx: MockContext, provider_id: str, server_url: str) -> dict[str, Any] | None:
    """The OpenAPI document of a provider: the built-ins' from their contracts, a third-party
    mock's from its optional ``openapi(server_url)`` method; ``None`` if it has none."""
    from .openapi import has_document, openapi_document

    if provider_id not in ctx.providers:
        return None
    if has_document(provider_id):
        return openapi_document(provider_id, server_url=server_url)
    own = getattr(ctx.providers[provider_id], "openapi", None)
    if callable(own):
        document = own(server_url)
        return document if isinstance(document, dict) else None
    return None


def _documents(ctx: MockContext, request: web.Request) -> dict[str, str]:
    """provider id -> document URL, for the providers that have a document (only those)."""
    server = f"{request.scheme}://{request.host}"
    base = f"{server}{ADMIN_PREFIX}/openapi/"
    return {
        p: f"{base}{p}.json" for p in sorted(ctx.providers) if _document(ctx, p, server) is not None
    }


async def _openapi_index(request: web.Request) -> web.Response:
    return web.json_response(_documents(_ctx(request), request))


async def _openapi_doc(request: web.Request) -> web.Response:
    provider = request.match_info["provider"]
    document = _document(_ctx(request), provider, f"{request.scheme}://{request.host}")
    if document is None:
        return web.json_response(
            {"error": f"provider: no OpenAPI document for {provider!r}"}, status=404
        )
    return web.json_response(document)
