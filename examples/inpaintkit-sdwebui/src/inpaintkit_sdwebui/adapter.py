"""The sans-I/O adapter of the Stable Diffusion web UI (AUTOMATIC1111, Forge).

``POST /sdapi/v1/img2img`` is synchronous: the answer holds the images, so :meth:`parse_submit`
returns :class:`~inpaintkit.provider.Done` or :class:`~inpaintkit.provider.Failed` and never a
handle to poll.  The web UI has no task endpoint and no webhooks, so :meth:`build_poll` and
:meth:`parse_webhook` refuse clearly instead of inventing one.  The adapter never sees the
credential: the runtime adds the ``Authorization: Basic`` header from the spec.
"""

from __future__ import annotations

from typing import Final

import attrs
from inpaintkit.provider import (
    HttpRequest,
    HttpResponse,
    PreparedRequest,
    ProviderSpec,
    TaskState,
)

from .capabilities import SPEC, SUBMIT_PATH
from .responses import parse_img2img
from .validate import check_prepared
from .wire import build_body

__all__ = ["SdWebUiAdapter"]

_JSON_HEADERS: Final = {"Content-Type": "application/json", "Accept": "application/json"}


@attrs.frozen
class SdWebUiAdapter:
    """:class:`inpaintkit.provider.ProviderAdapter` for the SD web UI API."""

    spec: ProviderSpec = SPEC

    def build_submit(self, request: PreparedRequest) -> HttpRequest:
        """The img2img request; raises a typed error for a job the table already refuses."""
        check_prepared(request, self.spec.capabilities)
        return HttpRequest(
            method="POST",
            path=SUBMIT_PATH,
            json=build_body(request, self.spec.capabilities),
            headers=dict(_JSON_HEADERS),
        )

    def parse_submit(self, request: PreparedRequest, response: HttpResponse) -> TaskState:
        """The finished result, or the typed error the answer carries."""
        return parse_img2img(response)
