"""The sans-I/O adapter for ``POST /v1/images/edits``: a multipart form in, JSON out.

The endpoint answers with the images, so the adapter implements only
:class:`~inpaintkit.provider.SubmitAdapter` and the core derives the mode "sync"; there is
nothing to poll and no webhook.  The core has already checked the request against the table and
built the plain fields (``prompt``, ``n``, ``model``); the adapter adds only what needs more
than a field's value: the two files (the image in a PNG mode dall-e-2 reads, the mask as an
alpha mask: :mod:`.alpha`), the size of the prepared image and the answer format.
It never sees the key (the runtime adds ``Authorization: Bearer``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import attrs
from inpaintkit.provider import Form, FormFile, HttpRequest, HttpResponse, ProviderSpec

from .alpha import alpha_mask, edit_image
from .capabilities import SPEC, SUBMIT_PATH
from .responses import parse_edit

if TYPE_CHECKING:
    from inpaintkit.checking import CheckedRequest
    from inpaintkit.provider import Done

__all__ = ["RESPONSE_FORMAT", "OpenAIAdapter", "form_text"]

RESPONSE_FORMAT: Final = "b64_json"
"""Always asked for: images inline, nothing to download before a URL's 60 minutes run out."""

_PNG: Final = "image/png"


def form_text(value: Any) -> str:
    """A table-built value as form text (OpenAI reads ``n=2`` from the text ``"2"``)."""
    return value if isinstance(value, str) else str(value)


@attrs.frozen
class OpenAIAdapter:
    """:class:`inpaintkit.provider.SubmitAdapter` for OpenAI's image edit endpoint."""

    spec: ProviderSpec = SPEC

    def build_submit(self, request: CheckedRequest) -> HttpRequest:
        """The multipart edit request for a checked request."""
        image, mask = request.image, request.mask
        if image.data is None or mask.data is None:
            raise TypeError("the openai plugin sends image bytes: the core must load them")
        fields = {name: form_text(value) for name, value in request.body().items()}
        fields["size"] = f"{image.width}x{image.height}"
        fields["response_format"] = RESPONSE_FORMAT
        files = {
            "image": FormFile(edit_image(image.data), "image.png", _PNG),
            "mask": FormFile(alpha_mask(mask.data), "mask.png", _PNG),
        }
        return HttpRequest(
            "POST",
            SUBMIT_PATH,
            form=Form(fields=fields, files=files),
            headers={"Accept": "application/json"},
        )

    def parse_submit(self, request: CheckedRequest, response: HttpResponse) -> Done:
        """The images of the answer; an error answer raises its typed error."""
        return parse_edit(response)
