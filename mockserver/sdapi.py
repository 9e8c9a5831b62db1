"""StableDiffusionAPI.com v3: ``/api/v3/inpaint``, ``/api/v3/fetch/{id}``, ``/api/v3/system_load``.

Key in the body; the spam filter refuses an identical request from the same key within
``MockConfig.sdapi_duplicate_window`` seconds ("you are sending same request multiple times").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from .app import read_json
from .context import MockContext
from .contracts import ErrorKind, Rejection, SubmitRequest
from .platform import PlatformMock, body_fingerprint
from .ratelimit import SlidingWindow

__all__ = ["StableDiffusionApiMock"]

_SPAM_KEY = "sdapi.spam"


class StableDiffusionApiMock(PlatformMock):
    id = "stablediffusionapi"
    submit_path = "/api/v3/inpaint"
    fetch_prefix = "/api/v3/fetch"
    processing_tip = "for faster speed, keep resolution upto 512x512"
    processing_message = "Try to fetch request after given estimated time"

    def add_routes(self, app: web.Application, ctx: MockContext) -> None:
        self.post(app, "/api/v3/fetch/{id}", self.fetch)
        self.post(app, "/api/v3/system_load", self.system_load)

    def check_limits(
        self, request: web.Request, body: Mapping[str, Any], owner: str, will_queue: bool
    ) -> Rejection | None:
        window_seconds = self.ctx.config.sdapi_duplicate_window
        if window_seconds is None:
            return None
        window: SlidingWindow = self.ctx.state.setdefault(_SPAM_KEY, SlidingWindow(window_seconds))
        window.window = window_seconds
        fingerprint = f"{owner}:{body_fingerprint(body)}"
        now = self.ctx.now()
        since = window.seen_within(fingerprint, now)
        if since is not None:
            self.ctx.note(request, "spam filter: same request repeated")
            return self.contract.error(ErrorKind.RATE_LIMITED, retry_after=window_seconds - since)
        window.add(fingerprint, now)
        return None

    def meta(
        self, req: SubmitRequest, numeric_id: int, seed: int, prefix: str, width: int, height: int
    ) -> dict[str, Any]:
        p = req.params
        return {
            "H": height,
            "W": width,
            "file_prefix": prefix,
            "guidance_scale": req.guidance_scale if req.guidance_scale is not None else 7.5,
            "init_image": _echo(req.image.url, req.image.base64),
            "mask_image": _echo(req.mask.url, req.mask.base64),
            "n_samples": req.num_images,
            "negative_prompt": req.negative_prompt or "",
            "outdir": "out",
            "prompt": req.prompt or "",
            "safetychecker": "yes" if p.get("safety_checker") else "no",
            "seed": seed,
            "steps": req.steps if req.steps is not None else 20,
            "strength": req.strength if req.strength is not None else 0.7,
        }

    async def system_load(self, request: web.Request) -> web.Response:
        ctx = self.ctx
        ok, body = await read_json(request)
        if not ok:
            rej = self.contract.error(ErrorKind.BODY_NOT_JSON)
            return web.json_response(rej.body, status=rej.status)
        raw = (
            body.get("key") if isinstance(body, dict) and isinstance(body.get("key"), str) else None
        )
        key = self.contract.authenticate(body, request.headers, valid_keys=ctx.valid_keys_for(raw))
        if isinstance(key, Rejection):
            return web.json_response(key.body, status=key.status)
        now = ctx.now()
        # This provider's own queue: the other mocked providers' tasks are not its load.
        pending = [t for t in ctx.tasks.pending(now) if t.provider == self.id]
        return web.json_response(
            {
                "queue_num": len(pending),
                "queue_time": int(sum(t.eta(now) for t in pending)),
                "status": "ok",
            }
        )


def _echo(url: str | None, data: str | None) -> str:
    """What meta echoes for an input: its URL, or a short stand-in for inline base64."""
    if url is not None:
        return url
    return f"<base64 image, {len(data or '')} chars>"
