"""Where each rule of the plugin (and of its mock) was transcribed from.

The one source is OpenAI's official OpenAPI description, ``openapi.yaml`` in the
``openai/openai-openapi`` repository (commit f85dbe2), which documents ``POST /v1/images/edits``
(operation ``createImageEdit``).  The constants name the sections, so a capability row's
``source`` can be checked against the file.
"""

from __future__ import annotations

from typing import Final

__all__ = ["EDIT", "ERRORS", "REQUEST", "RESPONSE", "SPEC_FILE"]

SPEC_FILE: Final = "openai/openai-openapi openapi.yaml@f85dbe2"
EDIT: Final = f"{SPEC_FILE} paths./images/edits.post (createImageEdit, multipart/form-data)"
REQUEST: Final = f"{SPEC_FILE} components.schemas.CreateImageEditRequest"
RESPONSE: Final = f"{SPEC_FILE} components.schemas.ImagesResponse and Image"
ERRORS: Final = f"{SPEC_FILE} components.schemas.ErrorResponse and Error"
