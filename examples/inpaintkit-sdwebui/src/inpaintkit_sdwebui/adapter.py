"""The sans-I/O adapter of the Stable Diffusion web UI (AUTOMATIC1111, Forge).

``POST /sdapi/v1/img2img`` is synchronous: the answer holds the images.  So the adapter is a
:class:`~inpaintkit.provider.SubmitAdapter` and nothing more (no task to poll, no webhook), and
the core derives the "sync" mode from that.

The core has already checked the request against the capability table and built every plain
field (``request.body()``: prompt, steps, sampler and scheduler, mask options, overrides, the
typed options...).  What is left here is what a row's value alone cannot give:

- ``init_images`` and ``mask``: the prepared images as plain base64;
- ``width``/``height``: the job's size, else the image's own (the API would resize to 512x512);
- ``n_iter``: always 1, so one request is one batch of ``batch_size`` images;
- ``inpainting_fill``: the option's default when the job gives no options at all.
"""

from __future__ import annotations

from typing import Final

import attrs
from inpaintkit.checking import CheckedRequest
from inpaintkit.errors import FieldError, ValidationError
from inpaintkit.images import to_base64
from inpaintkit.provider import Done, Failed, HttpRequest, HttpResponse, PreparedImage, ProviderSpec

from .capabilities import PROVIDER_ID, SPEC, SUBMIT_PATH
from .options import DEFAULT_INPAINTING_FILL
from .responses import parse_img2img

__all__ = ["SdWebUiAdapter"]

_JSON_HEADERS: Final = {"Content-Type": "application/json", "Accept": "application/json"}


@attrs.frozen
class SdWebUiAdapter:
    """:class:`inpaintkit.provider.SubmitAdapter` for the SD web UI API."""

    spec: ProviderSpec = SPEC

    def build_submit(self, request: CheckedRequest) -> HttpRequest:
        """The img2img request: the core's fields plus images, size and batch shape."""
        body = request.body()
        body["init_images"] = [_base64(request.image, "$.image")]
        body["mask"] = _base64(request.mask, "$.mask")
        body["width"], body["height"] = _size(request)
        body["n_iter"] = 1
        body.setdefault("inpainting_fill", int(DEFAULT_INPAINTING_FILL))
        return HttpRequest("POST", SUBMIT_PATH, json=body, headers=dict(_JSON_HEADERS))

    def parse_submit(self, request: CheckedRequest, response: HttpResponse) -> Done | Failed:
        """The finished result, or the typed error the answer carries."""
        return parse_img2img(response)


def _size(request: CheckedRequest) -> tuple[int, int]:
    job = request.job
    if job.width is not None and job.height is not None:
        return job.width, job.height
    width, height = request.image.width, request.image.height
    if width is None or height is None:
        rule = "is needed: the image's size is unknown"
        raise ValidationError([FieldError.missing("$.width", rule)], provider=PROVIDER_ID)
    return width, height


def _base64(image: PreparedImage, path: str) -> str:
    if image.data is None:
        rule = f"must be image bytes ({PROVIDER_ID} takes base64 only)"
        raise ValidationError([FieldError(path, rule, image.url)], provider=PROVIDER_ID)
    return to_base64(image.data)
