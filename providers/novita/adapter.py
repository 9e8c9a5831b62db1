"""The Novita adapter: pure translation between checked jobs and Novita's async task API.

Submit is ``POST /v3/async/inpainting`` with ``{"extra": ..., "request": ...}``; Novita answers
with a task id, which is polled with ``GET /v3/async/task-result?task_id=<id>`` until it
succeeds or fails; a webhook, if asked for, posts the same task result.  So the adapter is a
submit, polling and webhook adapter (:mod:`inpaintkit.provider`'s protocols).  The core has
checked every request against the table and built its plain fields before ``build_submit``
sees it; the adapter never sees the API key (the runtime adds the Bearer header) and never
performs I/O.
"""

from __future__ import annotations

from typing import Any, Final

import attrs
from inpaintkit.checking import CheckedRequest
from inpaintkit.errors import ValidationError
from inpaintkit.provider import HttpRequest, HttpResponse, ProviderSpec, TaskHandle, TaskState

from .options import NovitaOptions
from .results import parse_submit_response, parse_task_result_response, parse_webhook_event
from .spec import POLL_PATH, SPEC, SUBMIT_PATH
from .wire import build_body

__all__ = ["NovitaAdapter"]

_JSON_HEADERS: Final = {"Content-Type": "application/json", "Accept": "application/json"}
"""Novita marks ``Content-Type: application/json`` as required on every call (seed 001)."""


@attrs.frozen
class NovitaAdapter:
    """Submit, polling and webhook adapter for Novita AI."""

    spec: ProviderSpec = SPEC

    def build_submit(self, request: CheckedRequest) -> HttpRequest:
        """The submit request: the table-built body plus the images.

        Raises a :class:`ValidationError` for the one rule spanning options and job (the
        webhook test mode needs a webhook); the core has checked everything else.
        """
        if isinstance(request.options, NovitaOptions):
            errors = request.options.job_errors(request.job)
            if errors:
                raise ValidationError(errors, provider=self.spec.id)
        return HttpRequest(
            method="POST",
            path=SUBMIT_PATH,
            json=build_body(request),
            headers=dict(_JSON_HEADERS),
        )

    def parse_submit(self, request: CheckedRequest, response: HttpResponse) -> TaskState:
        """Novita is asynchronous: a success is always a handle to poll."""
        return parse_submit_response(response)

    def build_poll(self, handle: TaskHandle) -> HttpRequest:
        """The task-result request, built from the task id alone."""
        return HttpRequest(
            method="GET",
            path=POLL_PATH,
            query={"task_id": handle.task_id},
            headers=dict(_JSON_HEADERS),
        )

    def parse_poll(self, handle: TaskHandle, response: HttpResponse) -> TaskState:
        """Pending (with eta and progress), done (with image URLs), or failed."""
        return parse_task_result_response(handle, response)

    def parse_webhook(self, body: Any) -> TaskState:
        """An ``ASYNC_TASK_RESULT`` event as the same states as a poll; other events raise
        :class:`~inpaintkit.providers.novita.results.IgnoredWebhookEvent`."""
        return parse_webhook_event(body)
