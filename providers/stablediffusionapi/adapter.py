"""The sans-I/O adapter of StableDiffusionAPI.com v3 inpainting.

``POST /api/v3/inpaint`` answers at once with the images (``status: success``) or with
``status: processing`` plus an ``eta`` and an ``id``; the runtime then polls
``POST /api/v3/fetch/{id}`` (body: only the key, which the runtime adds) until success or
failure.  The poll request is built from the task id, never by following the absolute
``fetch_result`` URL of the answer: the runtime sends the key only to the provider's base URL.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from inpaintkit.provider import (
    HttpRequest,
    HttpResponse,
    PreparedRequest,
    ProviderSpec,
    TaskHandle,
    TaskState,
)

from .capabilities import SPEC
from .responses import parse_answer
from .wire import submit_body

__all__ = ["FETCH_PATH", "SUBMIT_PATH", "StableDiffusionApiAdapter"]

SUBMIT_PATH = "/api/v3/inpaint"
FETCH_PATH = "/api/v3/fetch/{id}"


def _body(response: HttpResponse) -> Any:
    parsed = response.json()
    return parsed if parsed is not None else response.text()


class StableDiffusionApiAdapter:
    """Translates neutral jobs to v3 requests and v3 answers to task states (no I/O)."""

    @property
    def spec(self) -> ProviderSpec:
        """The provider's data (:data:`~.capabilities.SPEC`)."""
        return SPEC

    def build_submit(self, request: PreparedRequest) -> HttpRequest:
        """``POST /api/v3/inpaint`` with the flat body of :func:`~.wire.submit_body`."""
        return HttpRequest("POST", SUBMIT_PATH, json=submit_body(request))

    def parse_submit(self, request: PreparedRequest, response: HttpResponse) -> TaskState:
        """``Done`` for an immediate success, ``Pending`` for processing, else ``Failed``."""
        return parse_answer(
            _body(response), status=response.status, headers=response.headers, phase="submit"
        )

    def build_poll(self, handle: TaskHandle) -> HttpRequest:
        """``POST /api/v3/fetch/{id}`` with an empty object for the runtime to put the key in."""
        return HttpRequest("POST", FETCH_PATH.format(id=quote(handle.task_id, safe="")), json={})

    def parse_poll(self, handle: TaskHandle, response: HttpResponse) -> TaskState:
        """The fetch answer's state; an empty success falls back to the handle's future_links."""
        return parse_answer(
            _body(response),
            status=response.status,
            headers=response.headers,
            phase="poll",
            handle=handle,
        )

    def parse_webhook(self, body: Any) -> TaskState:
        """A webhook call (ModelsLab's payload, reference 3.5) read like a fetch answer."""
        return parse_answer(body, status=200, phase="webhook")

    def __repr__(self) -> str:
        return f"StableDiffusionApiAdapter(id={SPEC.id!r})"
