"""Novita AI: ``POST /v3/async/inpainting``, ``GET /v3/async/task-result``, ``GET /v3/model``.

An asynchronous API: submit answers only ``{"task_id"}`` (the flat shape of the current docs and
both SDKs, not the ``{code, msg, data}`` envelope of the older seed page), and the task result
walks QUEUED -> PROCESSING -> SUCCEED/FAILED on the mock clock.  Output URLs look like presigned
S3 links (``X-Amz-Expires=3600``) and expire after ``image_url_ttl`` seconds.  Webhooks carry
event ``ASYNC_TASK_RESULT`` and are retried up to five times; ``test_mode`` sends a simulated
event at once.  ``custom_storage.aws_s3`` outputs are PUT to the configured S3 endpoint.
"""

from __future__ import annotations

import functools
import json
import math
import re
from typing import Any

import aiohttp
import attrs
from aiohttp import web

from .app import read_json
from .catalogue import decode_cursor, query_models
from .context import MockContext
from .contracts import (
    ErrorKind,
    ImageFacts,
    ModelQuery,
    NovitaContract,
    Rejection,
    S3Target,
    SubmitRequest,
    get_contract,
    validate_model_query,
    validate_task_result_query,
)
from .imaging import DecodedImage
from .outbound import outbound_refusal
from .ratelimit import SlidingWindow
from .scheduler import SchedulerFull
from .tasks import Task
from .timing import draw_timing
from .webhooks import WebhookDelivery

__all__ = ["NovitaMock"]

PROVIDER = "novita"
TASK_TYPE = "INPAINTING"  # undocumented for inpainting; the docs' example shows TXT_TO_IMG
_STATUS = {
    "queued": "TASK_STATUS_QUEUED",
    "processing": "TASK_STATUS_PROCESSING",
    "succeeded": "TASK_STATUS_SUCCEED",
    "failed": "TASK_STATUS_FAILED",
}
_IPM_KEY = "novita.ipm"

NSFW_WORD = re.compile(r"\bnsfw\b", re.IGNORECASE)
NSFW_FLAGGED = 0.97
NSFW_CLEAN = 0.03


def nsfw_confidence(prompt: str) -> float:
    """The mock's NSFW detection, deterministic: a prompt with the word ``nsfw`` (any case)
    gives every image confidence 0.97, any other 0.03; ``valid`` is always true (the detection
    ran).  The real detector's scores are unknown; this only lets clients test both verdicts
    (docs/mockserver.md, "NSFW detection")."""
    return NSFW_FLAGGED if NSFW_WORD.search(prompt) else NSFW_CLEAN


def _reply(rej: Rejection) -> web.Response:
    return web.json_response(rej.body, status=rej.status)


def _facts(decoded: DecodedImage) -> ImageFacts:
    return ImageFacts(decoded.width, decoded.height, len(decoded.raw), decoded.format)


class NovitaMock:
    """The Novita mock provider (registered by :mod:`inpaintkit.mockserver.builtin`)."""

    id = PROVIDER

    def __init__(self) -> None:
        contract = get_contract(PROVIDER)
        assert isinstance(contract, NovitaContract)
        self.contract = contract

    def setup(self, app: web.Application, ctx: MockContext) -> None:
        self.ctx = ctx
        add = ctx.add_route
        add(
            app,
            "POST",
            "/v3/async/inpainting",
            self.submit,
            provider_id=PROVIDER,
            errors=self.contract,
        )
        add(
            app,
            "GET",
            "/v3/async/task-result",
            self.task_result,
            provider_id=PROVIDER,
            errors=self.contract,
        )
        add(app, "GET", "/v3/model", self.models, provider_id=PROVIDER, errors=self.contract)

    # -- submit --------------------------------------------------------------------------

    async def submit(self, request: web.Request) -> web.Response:
        ctx = self.ctx
        ok, body = await read_json(request)
        key = self.contract.authenticate(
            body, request.headers, valid_keys=ctx.valid_keys_for(_bearer(request))
        )
        if isinstance(key, Rejection):
            return _reply(key)
        wrong_type = self.contract.check_content_type(request.headers)
        if wrong_type is not None:
            return _reply(wrong_type)
        if not ok:
            return _reply(self.contract.error(ErrorKind.BODY_NOT_JSON))
        req = self.contract.validate_submit(body, key)
        if isinstance(req, Rejection):
            return _reply(req)
        for name in req.ignored:
            ctx.note_ignored(request, name)
        image = await ctx.resolve_image(
            request, req.image, role="image", size=(512, 512), errors=self.contract
        )
        mask = await ctx.resolve_image(
            request, req.mask, role="mask", size=(512, 512), errors=self.contract
        )
        if isinstance(image, Rejection):
            return _reply(image)
        if isinstance(mask, Rejection):
            return _reply(mask)
        rejection = self.contract.check_images(req, _facts(image.decoded), _facts(mask.decoded))
        if rejection is not None:
            return _reply(rejection)

        now = ctx.now()
        owner = ctx.owner_of(key)
        limit = ctx.config.novita_images_per_minute
        if limit is not None:
            window: SlidingWindow = ctx.state.setdefault(_IPM_KEY, SlidingWindow(60.0))
            wait = window.try_add(owner, now, req.num_images, limit)
            if wait is not None:
                ctx.note(request, f"rate limit: {limit} images per minute")
                return _reply(self.contract.error(ErrorKind.RATE_LIMITED, retry_after=wait))

        task = await self._create_task(request, req, owner, image.decoded, mask.decoded)
        return web.json_response({"task_id": task.id})

    async def _create_task(
        self,
        request: web.Request,
        req: SubmitRequest,
        owner: str,
        image: DecodedImage,
        mask: DecodedImage,
    ) -> Task:
        ctx = self.ctx
        now = ctx.now()
        queue, run = draw_timing(
            ctx.config, ctx.rng("etas"), steps=req.steps, images=req.num_images
        )
        faults = {f.name: f for f in ctx.request_faults(request)}
        stuck = "task_stuck" in faults
        failed = faults.get("task_failed")
        seed = ctx.draw_seed(req.seed)
        task = Task(
            id=ctx.ids.uuid(),
            provider=PROVIDER,
            owner=owner,
            created_at=now,
            queued_until=now + queue,
            finish_at=None if stuck else now + queue + run,
            fail_reason=None if failed is None else (failed.arg or "task failed (mock fault)"),
            finish_after_polls=None if stuck else ctx.config.finish_after_polls,
        )
        fmt = req.output_format
        task.data.update(
            seed=seed,
            format=fmt,
            nsfw=req.nsfw_detection,
            nsfw_confidence=nsfw_confidence(req.prompt or ""),
            webhook_url=req.webhook_url,
            submit_time=now,
        )
        if failed is None and not stuck:
            jobs = ctx.output_jobs(
                image,
                mask,
                count=req.num_images,
                seed=seed,
                fmt=fmt,
                prompt=req.prompt or "",
                mask_invert=req.mask_invert,
                mask_blur=req.mask_blur or 0,
            )
            names = [f"{task.id}_{i}.{fmt}" for i in range(len(jobs))]
            assert task.finish_at is not None
            stored = ctx.store_jobs(
                jobs,
                names=names,
                ttl=ctx.config.novita_url_ttl,
                available_at=task.finish_at,
                expired="expired_url" in faults,
            )
            task.file_keys = [s.key for s in stored]
            task.results_ttl = ctx.config.novita_url_ttl
            task.data["sizes"] = [ctx.output_size(job, image) for job in jobs]
        ctx.tasks.add(task)
        base = ctx.base_url(request)
        if req.webhook_url:
            self._schedule_webhook(task, req, base)
        if req.custom_storage is not None and task.finish_at is not None and task.file_keys:
            self._schedule_upload(task, req.custom_storage)
        return task

    # -- task result ---------------------------------------------------------------------

    async def task_result(self, request: web.Request) -> web.Response:
        ctx = self.ctx
        key = self.contract.authenticate(
            None, request.headers, valid_keys=ctx.valid_keys_for(_bearer(request))
        )
        if isinstance(key, Rejection):
            return _reply(key)
        task_id = validate_task_result_query(request.query)
        if isinstance(task_id, Rejection):
            return _reply(task_id)
        task = ctx.tasks.get(task_id)
        if task is None or task.provider != PROVIDER or task.owner != ctx.owner_of(key):
            return _reply(self.contract.error(ErrorKind.TASK_NOT_FOUND))
        ctx.poll(task)
        await ctx.scheduler.run_due(key=f"upload:{task.id}")
        return web.json_response(self.result_body(task, ctx.base_url(request), ctx.now()))

    def result_body(
        self, task: Task, base: str, now: float, *, ttl_as_string: bool = False
    ) -> dict[str, Any]:
        """The task-result document (also the webhook ``payload``)."""
        ctx = self.ctx
        state = task.state(now)
        images: list[dict[str, Any]] = []
        if state == "succeeded":
            ttl = ctx.config.novita_url_ttl
            for key in task.file_keys:
                _, stored = ctx.files.lookup(key)
                if stored is None:  # evicted from the store: the link is gone
                    continue
                url = ctx.file_url_for(base, stored, presigned_ttl=ttl)
                images.append(
                    {
                        "image_url": url,
                        "image_url_ttl": str(ttl) if ttl_as_string else ttl,
                        "image_type": task.data["format"],
                        # null, not {}: the official Python SDK cannot parse {} (reference 1.9)
                        "nsfw_detection_result": {
                            "valid": True,
                            "confidence": task.data["nsfw_confidence"],
                        }
                        if task.data["nsfw"]
                        else None,
                    }
                )
        submit_ms = int(task.created_at * 1000)
        execute_ms = int(task.queued_until * 1000) if state != "queued" else None
        complete_ms = (
            int(task.finish_at * 1000)
            if task.finish_at is not None and state in ("succeeded", "failed")
            else None
        )
        return {
            "extra": {
                "seed": str(task.data["seed"]),
                "enable_nsfw_detection": bool(task.data["nsfw"]),
                "debug_info": {
                    "request_info": "",
                    "submit_time_ms": str(submit_ms),
                    "execute_time_ms": "" if execute_ms is None else str(execute_ms),
                    "complete_time_ms": "" if complete_ms is None else str(complete_ms),
                },
            },
            "task": {
                "task_id": task.id,
                "status": _STATUS[state],
                "reason": task.fail_reason or "" if state == "failed" else "",
                "task_type": TASK_TYPE,
                "eta": 0 if state in ("succeeded", "failed") else math.ceil(task.eta(now)),
                "progress_percent": task.progress_percent(now),
            },
            "images": images,
            "videos": [],
            "audios": [],
        }

    # -- webhooks and custom storage -----------------------------------------------------

    def _schedule_webhook(self, task: Task, req: SubmitRequest, base: str) -> None:
        ctx = self.ctx
        url = req.webhook_url
        assert url is not None
        attempts = ctx.config.novita_webhook_attempts
        if req.webhook_test_status is not None:
            # Test mode: a simulated event right away, with the status asked for.
            payload = self._test_event(task, req.webhook_test_status, url)
            ctx.webhooks.send(
                WebhookDelivery(PROVIDER, url, payload, attempts, task.id, secrets=(req.api_key,))
            )
            return
        if task.finish_at is None:
            return  # stuck tasks never finish, so never call back
        payload = self.result_body(task, base, task.finish_at, ttl_as_string=True)
        payload["extra"]["webhook"] = {"url": url}
        event = {"event_type": "ASYNC_TASK_RESULT", "payload": payload}
        ctx.webhooks.send(
            WebhookDelivery(PROVIDER, url, event, attempts, task.id, secrets=(req.api_key,)),
            at=task.finish_at,
        )

    def _test_event(self, task: Task, status: str, url: str) -> dict[str, Any]:
        failed = status == "TASK_STATUS_FAILED"
        return {
            "event_type": "ASYNC_TASK_RESULT",
            "payload": {
                "task": {
                    "eta": 0,
                    "progress_percent": 0 if failed else 100,
                    "reason": "test mode: simulated failure" if failed else "",
                    "status": status,
                    "task_id": task.id,
                    "task_type": TASK_TYPE,
                },
                "extra": {"enable_nsfw_detection": False, "webhook": {"url": url}},
                "images": []
                if failed
                else [
                    {
                        "image_type": "jpeg",
                        "image_url": "https://faas-output-image.s3.ap-southeast-1.amazonaws.com/test_data/image_01.jpeg",
                        "image_url_ttl": "3600",
                        "nsfw_detection_result": None,
                    }
                ],
                "videos": [],
                "audios": [],
            },
        }

    def _schedule_upload(self, task: Task, target: S3Target) -> None:
        ctx = self.ctx

        async def upload() -> None:
            await self._upload(task, target)

        assert task.finish_at is not None
        try:
            ctx.scheduler.schedule(
                task.finish_at, upload, key=f"upload:{task.id}", label="s3 upload"
            )
        except SchedulerFull as exc:  # bounded: the upload cannot happen, so the task fails
            ctx.journal.record("upload", task_id=task.id, outcome=f"dropped: {exc}")
            task.fail_reason = "failed to upload outputs to custom storage"

    async def _upload(self, task: Task, target: S3Target) -> None:
        ctx = self.ctx
        endpoint = ctx.config.s3_endpoint
        prefix = target.path.strip("/")
        failures = 0
        for index, key in enumerate(task.file_keys):
            _, stored = ctx.files.lookup(key)
            if stored is None:
                continue
            data = await ctx.file_data(stored)
            name = (
                stored.name
                if target.save_to_path_directly
                else f"{task.id}/{index}.{task.data['format']}"
            )
            object_key = f"{prefix}/{name}" if prefix else name
            entry: dict[str, Any] = {
                "task_id": task.id,
                "region": target.region,
                "bucket": target.bucket,
                "object_key": object_key,
                "bytes": len(data),
            }
            outcome: str
            if endpoint is None:
                outcome = ctx.config.s3_upload_result
                ctx.journal.record("upload", endpoint=None, outcome=outcome, **entry)
                failures += outcome != "success"
                continue
            url = f"{endpoint.rstrip('/')}/{target.bucket}/{object_key}"
            refusal = outbound_refusal(url, ctx.config.webhook_allowed_hosts, loopback=True)
            if refusal is not None:
                ctx.journal.record("upload", endpoint=endpoint, outcome=refusal, **entry)
                failures += 1
                continue
            try:
                async with ctx.http().put(
                    url,
                    data=data,
                    headers={"Content-Type": stored.content_type},
                    timeout=aiohttp.ClientTimeout(total=30),
                ) as response:
                    status = response.status
                outcome = "uploaded" if 200 <= status < 300 else f"failed: status {status}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                outcome = f"failed: {type(exc).__name__}"
            ctx.journal.record("upload", endpoint=endpoint, url=url, outcome=outcome, **entry)
            failures += outcome != "uploaded"
        if failures and task.fail_reason is None:
            task.fail_reason = "failed to upload outputs to custom storage"

    # -- model list ----------------------------------------------------------------------

    async def models(self, request: web.Request) -> web.Response:
        ctx = self.ctx
        key = self.contract.authenticate(
            None, request.headers, valid_keys=ctx.valid_keys_for(_bearer(request))
        )
        if isinstance(key, Rejection):
            return _reply(key)
        query = validate_model_query(request.query)
        if isinstance(query, Rejection):
            return _reply(query)
        assert isinstance(query, ModelQuery)
        offset = decode_cursor(query.cursor)
        if offset is None:
            message = f"pagination.cursor: must be a cursor from this API, got {query.cursor!r}"
            body = {"code": 400, "reason": "INVALID_REQUEST_BODY", "message": message}
            return web.json_response({**body, "metadata": {}}, status=400)
        legacy = request.query.get("filter.type") or None  # the Python SDK's singular name
        page = _model_page(attrs.evolve(query, ignored=()), offset, legacy)
        return web.Response(body=page, content_type="application/json")


@functools.lru_cache(maxsize=256)
def _model_page(query: ModelQuery, offset: int, legacy: str | None) -> bytes:
    """One encoded page of the (static) model catalogue; pages are cached as bytes."""
    return json.dumps(query_models(query, offset, legacy_type=legacy)).encode()


def _bearer(request: web.Request) -> str | None:
    raw = request.headers.get("Authorization", "").strip()
    scheme, _, rest = raw.partition(" ")
    return rest.strip() if scheme.lower() == "bearer" else raw or None
