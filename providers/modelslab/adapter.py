"""The sans-I/O ModelsLab v6 adapter: jobs -> requests, responses -> task states.

ModelsLab is "sync with a fallback": the inpaint call may answer ``success`` with the images at
once, or ``processing`` with an ``eta`` and an ``id`` to fetch later.  The adapter translates
(:mod:`.wire`), parses (:mod:`.responses`) and maps errors (:mod:`.errors`); it never performs
I/O and never sees the API key (the runtime adds ``key`` to every JSON body).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from inpaintkit.errors import FieldError, ValidationError
from inpaintkit.provider import (
    HttpRequest,
    HttpResponse,
    PreparedRequest,
    ProviderSpec,
    TaskHandle,
    TaskState,
)

from .capabilities import FETCH_PATH, PROVIDER_ID, SPEC, SUBMIT_PATH
from .responses import state_from_body, state_from_response
from .wire import build_body

__all__ = ["ModelsLabAdapter"]


class ModelsLabAdapter:
    """Translates neutral jobs for ModelsLab's ``/api/v6/images/inpaint``.

    ``data_url_prefix`` chooses how inline images are written: ``True`` (the default) sends
    ``data:image/png;base64,...``, ``False`` bare base64.  ModelsLab documents neither form
    exactly for this endpoint (reference 3.2); the switch exists so that users can follow the
    provider if it turns out to want the other one, without patching the plugin.
    """

    def __init__(self, *, data_url_prefix: bool = True, spec: ProviderSpec = SPEC) -> None:
        self._data_url_prefix = data_url_prefix
        self._spec = spec

    @property
    def spec(self) -> ProviderSpec:
        """The ModelsLab spec (id ``modelslab``, body-key auth, capability table, poll policy)."""
        return self._spec

    def build_submit(self, request: PreparedRequest) -> HttpRequest:
        """``POST /api/v6/images/inpaint`` with the flat body (the runtime adds ``key``)."""
        body = build_body(request, data_url_prefix=self._data_url_prefix)
        return HttpRequest("POST", SUBMIT_PATH, json=body)

    def parse_submit(self, request: PreparedRequest, response: HttpResponse) -> TaskState:
        """``success`` -> Done, ``processing`` -> Pending (eta, future links), else Failed."""
        return state_from_response(response)

    def build_poll(self, handle: TaskHandle) -> HttpRequest:
        """``POST /api/v6/images/fetch/{id}``; the body holds only the key, added by the runtime.

        The path is built from the task id, never from the response's ``fetch_result`` URL, so
        the key is only ever sent to the configured base URL.
        """
        task_id = handle.task_id.strip()
        if not task_id:
            raise ValidationError(
                [FieldError("$.task_id", "must be a non-empty ModelsLab task id", handle.task_id)],
                provider=PROVIDER_ID,
            )
        return HttpRequest("POST", FETCH_PATH.format(id=quote(task_id, safe="")), json={})

    def parse_poll(self, handle: TaskHandle, response: HttpResponse) -> TaskState:
        """A fetch answer: ``processing`` (``output: ""``) keeps polling; success uses the
        handle's remembered ``future_links`` when its own ``output`` is empty."""
        return state_from_response(response, handle=handle)

    def parse_webhook(self, body: Any) -> TaskState:
        """ModelsLab's webhook POST (``status`` success/failed, ``id``, ``track_id``)."""
        return state_from_body(body)

    def __repr__(self) -> str:
        return f"ModelsLabAdapter(data_url_prefix={self._data_url_prefix})"
