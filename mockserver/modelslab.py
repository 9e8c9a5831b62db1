"""ModelsLab v6: ``/api/v6/images/inpaint``, ``/api/v6/images/fetch`` (body ``request_id``) and
``/api/v6/images/fetch/{id}``, and ``/api/v6/base64_to_url``.

Rate limit: at most ``MockConfig.modelslab_max_queued`` unfinished (queued) requests per key;
beyond that the documented 429 with ``retry_after``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, ClassVar

from aiohttp import web

from .app import read_json
from .context import MockContext
from .contracts import ErrorKind, Rejection, SubmitRequest, validate_base64_to_url
from .contracts._platform import defaults_of
from .imaging import decode_image
from .platform import PlatformMock
from .tasks import Task

__all__ = ["ModelsLabMock"]

_ADMITTED = "modelslab.admitted"
_ADMITTED_AS: web.RequestKey[tuple[Counter[str], str]] = web.RequestKey(
    "inpaintkit_modelslab_admitted", tuple[Counter[str], str]
)


class ModelsLabMock(PlatformMock):
    id = "modelslab"
    submit_path = "/api/v6/images/inpaint"
    fetch_prefix = "/api/v6/images/fetch"
    processing_tip = (
        "Get 20x faster image generation using enterprise plan. Click here : "
        "https://modelslab.com/enterprise"
    )
    processing_extra: ClassVar[dict[str, Any]] = {
        "tip_1": "Your image is processing in background, you can get this image using fetch "
        "API: here is link for fetch api : "
        "https://docs.modelslab.com/image-generation/community-models/dreamboothfetchqueimg"
    }
    processing_message = "Try to fetch request after seconds estimated"

    def add_routes(self, app: web.Application, ctx: MockContext) -> None:
        self.post(app, "/api/v6/images/fetch", self.fetch)
        self.post(app, "/api/v6/images/fetch/{id}", self.fetch)
        self.post(app, "/api/v6/base64_to_url", self.base64_to_url)

    def check_limits(
        self, request: web.Request, body: Mapping[str, Any], owner: str, will_queue: bool
    ) -> Rejection | None:
        cap = self.ctx.config.modelslab_max_queued
        if cap is None or not will_queue:
            return None
        # Submits admitted but still being handled (their images are fetched or decoded before
        # the task exists) count as queued, or a burst of concurrent submits passes the cap.
        admitted: Counter[str] = self.ctx.state.setdefault(_ADMITTED, Counter())
        queued = self.ctx.tasks.unfinished(self.ctx.now(), provider=self.id, owner=owner)
        queued += admitted[owner]
        if queued >= cap:
            self.ctx.note(request, f"rate limit: {queued} queued requests, cap {cap}")
            return self.contract.error(
                ErrorKind.RATE_LIMITED, retry_after=self.ctx.config.modelslab_retry_after
            )
        admitted[owner] += 1
        request[_ADMITTED_AS] = (admitted, owner)
        return None

    def release_limits(self, request: web.Request) -> None:
        held = request.get(_ADMITTED_AS)
        if held is not None:
            admitted, owner = held
            admitted[owner] -= 1
            if admitted[owner] <= 0:
                del admitted[owner]

    def meta(
        self, req: SubmitRequest, numeric_id: int, seed: int, prefix: str, width: int, height: int
    ) -> dict[str, Any]:
        p = {**defaults_of(self.contract.table()), **req.params}
        return {
            "prompt": req.prompt or "",
            "model_id": req.model,
            "scheduler": req.sampler or "UniPCMultistepScheduler",
            # What ran, defaults included (seed 003: safety_checker and use_karras_sigmas
            # default yes, algorithm_type sde-dpmsolver++), as the processing echo of
            # reference 3.3 shows them.
            "safetychecker": "yes" if req.nsfw_detection else "no",
            "use_karras_sigmas": "yes" if p.get("use_karras_sigmas") else "no",
            "algorithm_type": p.get("algorithm_type") or "none",
            "negative_prompt": req.negative_prompt or "",
            "W": width,
            "H": height,
            "guidance_scale": req.guidance_scale if req.guidance_scale is not None else 7.5,
            "init_image": req.image.url or "<base64 image>",
            "mask_image": req.mask.url or "<base64 image>",
            "strength": req.strength if req.strength is not None else 0.7,
            "steps": req.steps if req.steps is not None else 31,
            "n_samples": req.num_images,
            "full_url": "no",
            "upscale": "no",
            "seed": seed,
            "base64": "yes" if req.base64_output else "no",
            "webhook": req.webhook_url,
            "track_id": req.track_id,
            "outdir": "out",
            "file_prefix": prefix,
        }

    def success_body(self, task: Task, base: str) -> dict[str, Any]:
        body = super().success_body(task, base)
        body.update(
            proxy_links=self.output_urls(task, base),
            nsfw_content_detected=False,
            webhook_status="",
            tip="",
        )
        return body

    async def base64_to_url(self, request: web.Request) -> web.Response:
        ctx = self.ctx
        ok, body = await read_json(request)
        if not ok:
            rej = self.contract.error(ErrorKind.BODY_NOT_JSON)
            return web.json_response(rej.body, status=rej.status)
        raw = (
            body.get("key") if isinstance(body, dict) and isinstance(body.get("key"), str) else None
        )
        upload = validate_base64_to_url(body, valid_keys=ctx.valid_keys_for(raw))
        if isinstance(upload, Rejection):
            return web.json_response(upload.body, status=upload.status)
        decoded = decode_image(upload.data)
        fmt = (decoded.format or "png").lower()
        media_type = upload.media_type or f"image/{fmt}"
        numeric_id = ctx.ids.integer()
        stored = ctx.files.put(
            upload.data,
            name=f"{numeric_id}.{fmt}",
            content_type=media_type,
            ttl=ctx.config.temp_url_ttl,
        )
        return web.json_response(
            {"status": "success", "id": numeric_id, "output": [ctx.file_url(request, stored)]}
        )
