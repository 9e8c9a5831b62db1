"""The body of ``POST /v3/async/inpainting``: the table's fields plus the two images.

Every plain field (prompt, steps, sampler, mask flags, LoRAs, webhook, storage, options...) is
built by the core from the capability table and :class:`~.options.NovitaOptions` and arrives
in ``request.body()``.  What is left here is what only the adapter can write: the image and the
mask as plain base64 of the prepared bytes (no ``data:`` prefix, seed 001's example code).
"""

from __future__ import annotations

from typing import Any

from inpaintkit.checking import CheckedRequest
from inpaintkit.errors import FieldError, ValidationError
from inpaintkit.images import to_base64
from inpaintkit.provider import PreparedImage

__all__ = ["build_body"]

PROVIDER_ID = "novita"


def build_body(request: CheckedRequest) -> dict[str, Any]:
    """The JSON body for ``request`` (without the API key, which the runtime sends)."""
    body = request.body()
    wire = body.setdefault("request", {})
    wire["image_base64"] = _base64(request.image, "$.image")
    wire["mask_image_base64"] = _base64(request.mask, "$.mask")
    return body


def _base64(image: PreparedImage, path: str) -> str:
    if image.data is None:
        raise ValidationError(
            [
                FieldError(
                    path,
                    "must be image bytes: Novita takes base64 only, so the client must load a "
                    "URL image before building the request",
                    image.url,
                )
            ],
            provider=PROVIDER_ID,
        )
    return to_base64(image.data)
