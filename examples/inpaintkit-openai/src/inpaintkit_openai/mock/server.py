"""The OpenAI mock provider: ``POST /v1/images/edits`` on :mod:`inpaintkit.mockserver`,
registered through ``register_mocks``.

The rules live in :mod:`.rules`; this module is the HTTP side.  It uses the mock server's shared
facilities (:class:`~inpaintkit.mockserver.MockContext`): the journal and transport faults
(through ``add_route``, with faults worded OpenAI's way by :meth:`OpenAIMock.error`), the
accepted keys, seeded seeds and the deterministic inpainting fill, which keeps every pixel
outside the edit area.  The edit area is the mask's fully *transparent* pixels, so an answer
shows which polarity arrived: a plugin that sent the neutral mask as it is would see the kept
area repainted.
"""

from __future__ import annotations

import base64
from typing import Any, Final

from aiohttp import web
from inpaintkit.mockserver import MockContext
from inpaintkit.mockserver.contracts import ErrorKind, Rejection

from . import rules
from .form import parse_form

__all__ = ["MOCK_ID", "URL_TTL", "OpenAIMock"]

MOCK_ID: Final = "openai"
PATH: Final = "/v1/images/edits"
URL_TTL: Final = 3600.0
"""``url`` answers are valid for 60 minutes."""


def _reply(status: int, body: Any) -> web.Response:
    return web.json_response(body, status=status)


class OpenAIMock:
    """OpenAI's image edit endpoint as a mock provider (synchronous: the answer is the result)."""

    id = MOCK_ID

    def setup(self, app: web.Application, ctx: MockContext) -> None:
        """Add the route (journaled, subject to faults worded OpenAI's way)."""
        self.ctx = ctx
        ctx.add_route(app, "POST", PATH, self.edit, provider_id=self.id, errors=self)

    def error(
        self, kind: ErrorKind, message: str | None = None, *, retry_after: float | None = None
    ) -> Rejection:
        """A server-side condition in OpenAI's words (Retry-After travels as a header)."""
        status, body = _ERRORS.get(kind, (500, rules.error_body(kind.value, "server_error")))
        if message:
            body = {"error": {**body["error"], "message": message}}
        return Rejection(status=status, body=body, field=None, rule=kind.value)

    async def edit(self, request: web.Request) -> web.Response:
        refused = self._authenticate(request)
        if refused is not None:
            return refused
        if request.content_type != "multipart/form-data":
            return _reply(
                400,
                rules.error_body(
                    "Invalid Content-Type header: the mock serves the multipart/form-data "
                    f"form of this endpoint, got {request.content_type or 'none'}."
                ),
            )
        fields, files = parse_form(request.headers["Content-Type"], await request.read())
        checked = rules.check_edit(fields, files)
        if isinstance(checked, rules.ApiError):
            return _reply(checked.status, checked.body())
        return await self._run(request, checked)

    def _authenticate(self, request: web.Request) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            status, body = _ERRORS[ErrorKind.MISSING_KEY]
            return _reply(status, body)
        key = key.strip()
        self.ctx.add_secret(request, key)
        valid = self.ctx.valid_keys_for(key)
        if valid is not None and key not in valid:
            status, body = _ERRORS[ErrorKind.INVALID_KEY]
            return _reply(status, body)
        return None

    async def _run(self, request: web.Request, edit: rules.Edit) -> web.Response:
        ctx = self.ctx
        width, height = (int(side) for side in edit.size.split("x"))
        outputs = await ctx.generate(
            edit.image,
            rules.edit_area(edit.mask, edit.image),
            count=edit.n,
            seed=ctx.draw_seed(None),
            fmt="png",
            size=(width, height),
            prompt=edit.prompt,
        )
        now = ctx.now()
        if edit.response_format == "url":
            stored = ctx.store_outputs(
                outputs,
                names=[f"img-{i}.png" for i in range(len(outputs))],
                ttl=URL_TTL,
                available_at=now,
            )
            data = [{"url": ctx.file_url(request, s)} for s in stored]
        else:
            data = [{"b64_json": base64.b64encode(o.data).decode("ascii")} for o in outputs]
        return _reply(200, {"created": int(now), "data": data})


_ERRORS: Final[dict[ErrorKind, tuple[int, dict[str, Any]]]] = {
    ErrorKind.MISSING_KEY: (
        401,
        rules.error_body(
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
        ),
    ),
    ErrorKind.INVALID_KEY: (
        401,
        rules.error_body("Incorrect API key provided.", code="invalid_api_key"),
    ),
    ErrorKind.RATE_LIMITED: (
        429,
        rules.error_body(
            "Rate limit reached for images per minute. Please try again later.",
            "requests",
            code="rate_limit_exceeded",
        ),
    ),
    ErrorKind.INSUFFICIENT_CREDITS: (
        429,
        rules.error_body(
            "You exceeded your current quota, please check your plan and billing details.",
            "insufficient_quota",
            code="insufficient_quota",
        ),
    ),
    ErrorKind.SERVER_ERROR: (
        500,
        rules.error_body(
            "The server had an error while processing your request. Sorry about that!",
            "server_error",
        ),
    ),
    ErrorKind.SERVICE_UNAVAILABLE: (
        503,
        rules.error_body(
            "The engine is currently overloaded, please try again later.", "server_error"
        ),
    ),
    ErrorKind.IMAGE_FETCH_FAILED: (
        400,
        rules.error_body(
            "Invalid image file or mode for image 1, please check your image file.",
            param="image",
            code="invalid_image_file",
        ),
    ),
    ErrorKind.MODEL_NOT_FOUND: (
        404,
        rules.error_body(
            "The model does not exist or you do not have access to it.",
            code="model_not_found",
        ),
    ),
    ErrorKind.BODY_NOT_JSON: (
        400,
        rules.error_body("We could not parse the body of your request."),
    ),
    ErrorKind.TASK_FAILED: (
        500,
        rules.error_body("The image could not be generated.", "server_error"),
    ),
    ErrorKind.TASK_NOT_FOUND: (404, rules.error_body("Not found.")),
}
"""OpenAI has no tasks and no separate credits error: a spent quota is a 429 with
``insufficient_quota``, unlike a rate limit's ``rate_limit_exceeded``."""
