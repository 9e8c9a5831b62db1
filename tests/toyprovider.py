"""A toy provider used by the core runtime tests: small, explicit, and fully scripted.

Wire format: ``POST /toy/submit`` with ``{"prompt", "image", "mask", "n", "seed"}`` answers either
``{"state": "done", "images": [...]}`` (sync) or ``{"state": "pending", "id": ..., "eta": ...}``;
``GET /toy/tasks/{id}`` answers the same shapes, or ``{"state": "failed", "reason": ...}``.
Errors: 401 -> auth, 429 (+ Retry-After) -> rate limited, 5xx -> provider error.
"""

from __future__ import annotations

import base64
from typing import Any

from inpaintkit.checking import CheckedRequest
from inpaintkit.errors import (
    AuthenticationError,
    InpaintError,
    ProviderError,
    RateLimitedError,
    TaskFailedError,
)
from inpaintkit.job import OutputFormat
from inpaintkit.provider import (
    BearerAuth,
    Capability,
    CapabilityTable,
    Done,
    Failed,
    HttpRequest,
    HttpResponse,
    ImageTransport,
    Pending,
    PollPolicy,
    ProviderSpec,
    RemoteImage,
    Support,
    TaskHandle,
    TaskState,
)
from inpaintkit.wiremap import Custom, Unset, Wire

N = Support.NATIVE
E = Support.EMULATED

TOY_TABLE = CapabilityTable(
    rows=(
        Capability("image", N, wire=Custom(("image",), "base64 of the prepared bytes")),
        Capability("mask", N, wire=Custom(("mask",), "base64 of the prepared bytes")),
        Capability("prompt", N, wire=Wire("prompt"), min_length=1, max_length=100, source="toy"),
        Capability("num_images", N, wire=Wire("n"), minimum=1, maximum=2, split_above_maximum=True),
        Capability("steps", N, wire=Wire("steps"), minimum=1, maximum=50),
        Capability("seed", N, wire=Wire("seed", unset=Unset.NULL)),
        Capability("model", N, wire=Wire("model")),
        Capability("mask_options.invert", E),
        Capability("mask_options.blur", E),
        Capability("mask_options.masked_only", E),
        Capability("mask_options.padding", E),
        Capability("output_format", E, choices=tuple(OutputFormat)),
        Capability("width", E),
        Capability("height", E),
    )
)


class ToyAdapter:
    """A complete, minimal ProviderAdapter."""

    def __init__(self, *, polling: PollPolicy | None = None, provider_id: str = "toy") -> None:
        self._spec = ProviderSpec(
            id=provider_id,
            name="Toy",
            base_url="http://toy.invalid",
            auth=BearerAuth(),
            env_var="TOY_API_KEY",
            capabilities=TOY_TABLE,
            polling=polling or PollPolicy(initial_delay=1.0, interval=2.0, deadline=60.0),
            image_transport=ImageTransport.BASE64,
        )

    @property
    def spec(self) -> ProviderSpec:
        return self._spec

    def build_submit(self, request: CheckedRequest) -> HttpRequest:
        assert request.image.data is not None
        assert request.mask.data is not None
        body = request.body()  # prompt, n, steps, seed, model: built by the core from the table
        body["image"] = base64.b64encode(request.image.data).decode()
        body["mask"] = base64.b64encode(request.mask.data).decode()
        return HttpRequest("POST", "/toy/submit", json=body)

    def parse_submit(self, request: CheckedRequest, response: HttpResponse) -> TaskState:
        return self._parse(response, None)

    def build_poll(self, handle: TaskHandle) -> HttpRequest:
        return HttpRequest("GET", f"/toy/tasks/{handle.task_id}")

    def parse_poll(self, handle: TaskHandle, response: HttpResponse) -> TaskState:
        return self._parse(response, handle)

    def parse_webhook(self, body: Any) -> TaskState:
        return self._state(body, None)

    def _parse(self, response: HttpResponse, handle: TaskHandle | None) -> TaskState:
        body = response.json()
        if response.status == 401:
            return Failed(AuthenticationError("bad key", provider="toy", raw_body=body, status=401))
        if response.status == 429:
            retry = response.header("Retry-After")
            return Failed(
                RateLimitedError(
                    "slow down",
                    provider="toy",
                    raw_body=body,
                    status=429,
                    retry_after=float(retry) if retry else None,
                )
            )
        if response.status >= 400:
            return Failed(
                ProviderError("server error", provider="toy", raw_body=body, status=response.status)
            )
        return self._state(body, handle)

    def _state(self, body: Any, handle: TaskHandle | None) -> TaskState:
        state = body.get("state")
        if state == "done":
            return Done(
                images=tuple(
                    RemoteImage(
                        url=i.get("url"),
                        data=base64.b64decode(i["b64"]) if "b64" in i else None,
                        ttl=i.get("ttl"),
                    )
                    for i in body["images"]
                ),
                task_id=str(body.get("id", handle.task_id if handle else "")),
                seed=body.get("seed"),
                raw=body,
            )
        if state == "pending":
            new = handle or TaskHandle(provider="toy", task_id=str(body["id"]))
            return Pending(new, eta=body.get("eta"), progress=body.get("progress"), raw=body)
        if state == "failed":
            return Failed(
                TaskFailedError(body.get("reason", "failed"), provider="toy", raw_body=body),
                raw=body,
            )
        return Failed(InpaintError(f"unknown state {state!r}", provider="toy", raw_body=body))
