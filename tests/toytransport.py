"""The toy provider as an in-memory transport: scripted answers, no socket at all.

Each entry of ``submits`` / ``polls`` answers one request of that kind (a JSON body, an
``HttpResponse``, or an exception to raise, such as ``TransportError``); when a script runs out
the default answer is used.  ``requests`` keeps every request in order (``MemoryTransport``).
"""

from __future__ import annotations

import json
from typing import Any

from inpaintkit.provider import HttpResponse
from inpaintkit.transport import MemoryTransport, OutgoingRequest


def answer(body: Any, status: int = 200, **headers: str) -> HttpResponse:
    """A JSON response."""
    return HttpResponse(
        status,
        json.dumps(body).encode(),
        {
            "content-type": "application/json",
            **{k.replace("_", "-"): v for k, v in headers.items()},
        },
    )


class ScriptedToy:
    def __init__(self) -> None:
        self.submits: list[Any] = []
        self.polls: list[Any] = []
        self.default_submit: Any = {"state": "pending", "id": "t1"}
        self.default_poll: Any = {"state": "pending", "id": "t1"}
        self.files: dict[str, bytes] = {}
        """Served at ``http://toy.invalid/files/<name>``."""
        self.transport = MemoryTransport(self.handle)

    def handle(self, request: OutgoingRequest) -> HttpResponse:
        if request.method == "POST" and request.url.endswith("/toy/submit"):
            item = self.submits.pop(0) if self.submits else self.default_submit
        elif "/toy/tasks/" in request.url:
            item = self.polls.pop(0) if self.polls else self.default_poll
        elif "/files/" in request.url and request.url.rsplit("/", 1)[1] in self.files:
            item = HttpResponse(200, self.files[request.url.rsplit("/", 1)[1]])
        else:
            return HttpResponse(404, b"not found")
        if isinstance(item, BaseException):
            raise item
        return item if isinstance(item, HttpResponse) else answer(item)

    @property
    def requests(self) -> list[OutgoingRequest]:
        return self.transport.requests
