"""The sans-I/O adapter of StableDiffusionAPI.com v3 inpainting: the shared platform adapter
driven by this provider's record (:data:`~.capabilities.PLATFORM`).

``POST /api/v3/inpaint`` answers at once with the images (``status: success``) or with
``status: processing`` plus an ``eta`` and an ``id``; the runtime then fetches
``POST /api/v3/fetch/{id}`` until success or failure.  Everything v3 sends is a row of its
capability table or its one option (``base64``); the images go as URLs only (seed 002: 'Link to
the Initial Image'), hosted through the ``image_host`` hook when the job gives bytes.
"""

from __future__ import annotations

from .._platform import PlatformAdapter
from .capabilities import PLATFORM

__all__ = ["StableDiffusionApiAdapter"]


class StableDiffusionApiAdapter(PlatformAdapter):
    """Translates neutral jobs to v3 requests and v3 answers to task states (no I/O)."""

    def __init__(self) -> None:
        super().__init__(PLATFORM)
