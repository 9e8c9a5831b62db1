"""What the StableDiffusionAPI v3 and ModelsLab v6 mocks share (one company, one backend).

Submit answers ``success`` at once, or ``processing`` with ``eta``, ``fetch_result`` and
``future_links`` (by ``MockConfig.sync_mode``: always, never, or under simulated queue load).
The fetch endpoint then walks the task on the mock clock: ``processing`` with ``output: ""``
until it finishes, then ``success`` with the links that ``future_links`` promised (they answer
404 until then, like a CDN object not yet written).  Ids are integers at the top level and
strings in ``meta.id``; processing bodies keep the legacy ``messege`` spelling.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any, ClassVar

from aiohttp import web

from .app import read_json
from .context import Handler, MockContext, ResolvedImage
from .contracts import (
    ErrorKind,
    ImageFacts,
    ProviderContract,
    Rejection,
    SubmitRequest,
    get_contract,
    validate_fetch,
)
from .files import StoredFile
from .generation import OutputJob
from .tasks import Task
from .timing import draw_timing
from .webhooks import WebhookDelivery

__all__ = ["PlatformMock"]


def _reply(rej: Rejection) -> web.Response:
    return web.json_response(rej.body, status=rej.status)


def _facts(resolved: ResolvedImage) -> ImageFacts:
    d = resolved.decoded
    return ImageFacts(d.width, d.height, len(d.raw), d.format)


class PlatformMock:
    """Base of the two mocks; subclasses name their paths, wording and meta fields."""

    id: ClassVar[str]
    submit_path: ClassVar[str]
    fetch_prefix: ClassVar[str]  # fetch_result = base + fetch_prefix + "/" + id
    processing_tip: ClassVar[str]
    processing_extra: ClassVar[dict[str, Any]] = {}
    processing_message: ClassVar[str]

    def __init__(self) -> None:
        self.contract: ProviderContract = get_contract(self.id)

    def setup(self, app: web.Application, ctx: MockContext) -> None:
        self.ctx = ctx
        self.post(app, self.submit_path, self.submit)
        self.add_routes(app, ctx)

    def post(self, app: web.Application, path: str, handler: Handler) -> None:
        """Add a POST route of this provider: journaled, fault-injectable, its error bodies."""
        self.ctx.add_route(app, "POST", path, handler, provider_id=self.id, errors=self.contract)

    def add_routes(self, app: web.Application, ctx: MockContext) -> None:
        """Fetch and helper endpoints (differ per provider)."""

    # -- limits (overridden per provider) ------------------------------------------------

    def check_limits(
        self, request: web.Request, body: Mapping[str, Any], owner: str, will_queue: bool
    ) -> Rejection | None:
        """A rejection, or ``None`` to admit the submit (any slot it takes is held until
        :meth:`release_limits`, when the submit's task exists or the submit failed)."""
        return None

    def release_limits(self, request: web.Request) -> None:
        """Give back what :meth:`check_limits` reserved for ``request`` (called once)."""

    # -- submit --------------------------------------------------------------------------

    async def submit(self, request: web.Request) -> web.Response:
        ctx = self.ctx
        ok, body = await read_json(request)
        if not ok or not isinstance(body, dict):
            return _reply(self.contract.error(ErrorKind.BODY_NOT_JSON))
        raw_key = body.get("key") if isinstance(body.get("key"), str) else None
        key = self.contract.authenticate(
            body, request.headers, valid_keys=ctx.valid_keys_for(raw_key)
        )
        if isinstance(key, Rejection):
            return _reply(key)
        req = self.contract.validate_submit(body, key)
        if isinstance(req, Rejection):
            return _reply(req)
        for name in req.ignored:
            ctx.note_ignored(request, name)
        owner = ctx.owner_of(key)
        now = ctx.now()
        will_queue = self._will_queue(now)
        limited = self.check_limits(request, body, owner, will_queue)
        if limited is not None:
            return _reply(limited)
        try:
            return await self._admitted(request, req, owner, will_queue)
        finally:
            self.release_limits(request)

    async def _admitted(
        self, request: web.Request, req: SubmitRequest, owner: str, will_queue: bool
    ) -> web.Response:
        """The rest of a submit that passed the limits: resolve the images, make the task."""
        ctx = self.ctx
        size = (req.width or 512, req.height or 512)
        image = await ctx.resolve_image(
            request, req.image, role="init_image", size=size, errors=self.contract
        )
        if isinstance(image, Rejection):
            return _reply(image)
        mask = await ctx.resolve_image(
            request, req.mask, role="mask_image", size=size, errors=self.contract
        )
        if isinstance(mask, Rejection):
            return _reply(mask)
        rejection = self.contract.check_images(req, _facts(image), _facts(mask))
        if rejection is not None:
            return _reply(rejection)

        task = await self._create_task(request, req, owner, image, mask, will_queue)
        base = ctx.base_url(request)
        # Decided as of the request's arrival: the time spent handling it (images decoded and
        # generated) must not let a queued task finish before its first answer.
        state = task.state(task.created_at)
        if state == "succeeded":
            return web.json_response(self.success_body(task, base))
        if state == "failed":
            return web.json_response(self.failed_body(task))
        return web.json_response(self.processing_body(task, base, ctx.now()))

    def _will_queue(self, now: float) -> bool:
        mode = self.ctx.config.sync_mode
        if mode == "processing":
            return True
        if mode == "load":
            return (
                self.ctx.tasks.unfinished(now, provider=self.id) >= self.ctx.config.load_threshold
            )
        return False

    async def _create_task(
        self,
        request: web.Request,
        req: SubmitRequest,
        owner: str,
        image: ResolvedImage,
        mask: ResolvedImage,
        will_queue: bool,
    ) -> Task:
        ctx = self.ctx
        now = ctx.now()
        faults = {f.name: f for f in ctx.request_faults(request)}
        stuck = "task_stuck" in faults
        failed = faults.get("task_failed")
        queue, run = draw_timing(
            ctx.config, ctx.rng("etas"), steps=req.steps, images=req.num_images
        )
        if not will_queue:
            queue, finish = 0.0, now  # answered synchronously
        else:
            finish = now + queue + run
        numeric_id = ctx.ids.integer()
        seed = ctx.draw_seed(req.seed)
        task = Task(
            id=str(numeric_id),
            provider=self.id,
            owner=owner,
            created_at=now,
            queued_until=now + queue,
            finish_at=None if stuck else finish,
            fail_reason=None if failed is None else (failed.arg or "Failed, Try Again"),
            finish_after_polls=None if stuck or not will_queue else ctx.config.finish_after_polls,
        )
        prefix = _file_prefix(seed, numeric_id)
        width, height = (
            req.width or image.decoded.width or 512,
            req.height or image.decoded.height or 512,
        )
        task.data.update(
            numeric_id=numeric_id,
            seed=seed,
            generation_time=run,
            track_id=req.track_id,
            base64=req.base64_output,
            meta=self.meta(req, numeric_id, seed, prefix, width, height),
        )
        names = [f"{prefix}-{i}.png" for i in range(req.num_images)]
        if failed is None and not stuck:
            jobs = ctx.output_jobs(
                image.decoded,
                mask.decoded,
                count=req.num_images,
                seed=seed,
                fmt="png",
                size=(width, height),
                prompt=req.prompt or "",
                mask_invert=req.mask_invert,
            )
            temp = bool(req.params.get("temp"))
            ttl = ctx.config.temp_url_ttl if temp else ctx.config.sd_output_ttl
            stored = ctx.store_jobs(
                jobs,
                names=names,
                ttl=ttl,
                available_at=finish,
                expired="expired_url" in faults,
            )
            task.file_keys = [s.key for s in stored]
            task.results_ttl = ttl
            if req.base64_output:
                if ctx.config.base64_output_style == "link":
                    task.data["base64_keys"] = [
                        s.key for s in self._store_base64_links(jobs, names, ttl, finish)
                    ]
                else:  # inline: the answer itself carries the bytes, so render them now
                    rendered = [await ctx.render(job) for job in jobs]
                    task.data["base64"] = [base64.b64encode(d).decode() for d in rendered]
        ctx.tasks.add(task)
        if req.webhook_url and task.finish_at is not None:
            self._schedule_webhook(task, req.webhook_url, ctx.base_url(request), req.api_key)
        return task

    def _store_base64_links(
        self, jobs: list[OutputJob], names: list[str], ttl: float | None, at: float
    ) -> list[StoredFile]:
        """``.base64`` text files of the outputs (rendered, like them, on first download)."""
        return self.ctx.store_jobs(
            [job.as_base64() for job in jobs],
            names=[name.rsplit(".", 1)[0] + ".base64" for name in names],
            ttl=ttl,
            available_at=at,
        )

    # -- bodies --------------------------------------------------------------------------

    def meta(
        self, req: SubmitRequest, numeric_id: int, seed: int, prefix: str, width: int, height: int
    ) -> dict[str, Any]:
        raise NotImplementedError

    def output_urls(self, task: Task, base: str) -> list[str]:
        ctx = self.ctx
        urls = []
        for key in task.file_keys:
            _, stored = ctx.files.lookup(key)
            if stored is not None:
                urls.append(ctx.file_url_for(base, stored))
        return urls

    def outputs(self, task: Task, base: str) -> list[str]:
        """What ``output`` holds on success: links, or base64 (inline or as ``.base64`` links)."""
        if task.data.get("base64") or "base64_keys" in task.data:
            if "base64_keys" in task.data:
                return [
                    self.ctx.file_url_for(base, stored)
                    for key in task.data["base64_keys"]
                    if (stored := self.ctx.files.lookup(key)[1]) is not None
                ]
            return list(task.data["base64"])
        return self.output_urls(task, base)

    def success_body(self, task: Task, base: str) -> dict[str, Any]:
        return {
            "status": "success",
            "generationTime": task.data["generation_time"],
            "id": task.data["numeric_id"],
            "output": self.outputs(task, base),
            "meta": task.data["meta"],
        }

    def processing_body(self, task: Task, base: str, now: float) -> dict[str, Any]:
        numeric_id = task.data["numeric_id"]
        return {
            "status": "processing",
            "tip": self.processing_tip,
            **self.processing_extra,
            "eta": round(task.eta(now), 3),
            "messege": self.processing_message,
            "webhook_status": "",
            "fetch_result": f"{base}{self.fetch_prefix}/{numeric_id}",
            "id": numeric_id,
            "output": [],
            "meta": {**task.data["meta"], "id": str(numeric_id)},
            "future_links": self.output_urls(task, base),
        }

    def failed_body(self, task: Task) -> dict[str, Any]:
        return {
            "status": "failed",
            "id": task.data["numeric_id"],
            "message": task.fail_reason or "Failed, Try Again",
            "output": "",
        }

    def fetch_processing_body(self, task: Task, now: float) -> dict[str, Any]:
        return {
            "status": "processing",
            "messege": "try again later.",
            "output": "",
            "tip": self.processing_tip,
            "eta": round(task.eta(now), 3),
        }

    # -- fetch ---------------------------------------------------------------------------

    async def fetch(self, request: web.Request) -> web.Response:
        ctx = self.ctx
        ok, body = await read_json(request)
        if not ok:
            return _reply(self.contract.error(ErrorKind.BODY_NOT_JSON))
        raw_key = (
            body.get("key") if isinstance(body, dict) and isinstance(body.get("key"), str) else None
        )
        fetched = validate_fetch(
            self.id,
            body,
            path_id=request.match_info.get("id"),
            valid_keys=ctx.valid_keys_for(raw_key),
        )
        if isinstance(fetched, Rejection):
            return _reply(fetched)
        task = ctx.tasks.get(str(fetched.request_id).strip())
        if task is None or task.provider != self.id or task.owner != ctx.owner_of(fetched.api_key):
            return _reply(self.contract.error(ErrorKind.TASK_NOT_FOUND))
        ctx.poll(task)
        now = ctx.now()
        state = task.state(now)
        if state == "succeeded":
            return web.json_response(
                {
                    "status": "success",
                    "id": task.data["numeric_id"],
                    "output": self.outputs(task, ctx.base_url(request)),
                }
            )
        if state == "failed":
            return web.json_response(self.failed_body(task))
        return web.json_response(self.fetch_processing_body(task, now))

    # -- webhooks ------------------------------------------------------------------------

    def _schedule_webhook(self, task: Task, url: str, base: str, api_key: str) -> None:
        assert task.finish_at is not None
        numeric_id = task.data["numeric_id"]
        payload: dict[str, Any]
        if task.fail_reason is not None:
            payload = {
                "status": "failed",
                "id": numeric_id,
                "message": task.fail_reason,
                "track_id": task.data["track_id"],
            }
        else:
            payload = {
                "status": "success",
                "id": numeric_id,
                "output": self.outputs(task, base),
                "generationTime": task.data["generation_time"],
                "track_id": task.data["track_id"],
                "meta": task.data["meta"],
            }
        attempts = self.ctx.config.sd_webhook_attempts
        delivery = WebhookDelivery(self.id, url, payload, attempts, task.id, secrets=(api_key,))
        self.ctx.webhooks.send(delivery, at=task.finish_at)


def _file_prefix(seed: int, numeric_id: int) -> str:
    digest = hashlib.sha256(f"{seed}:{numeric_id}".encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def body_fingerprint(body: Mapping[str, Any]) -> str:
    """A digest of a request body, for the duplicate-request spam filter."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
