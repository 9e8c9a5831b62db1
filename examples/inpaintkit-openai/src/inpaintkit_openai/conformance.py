"""The conformance suite class of this plugin, published in the ``inpaintkit.conformance``
entry-point group so that ``inpaintkit conformance`` runs it with these declarations.

Imported only by the suite (it needs pytest and hypothesis); using the plugin never loads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from inpaintkit.conformance import ProviderConformance
from inpaintkit.conformance.meaning import MaskEncoding

__all__ = ["OpenAIConformance"]


class OpenAIConformance(ProviderConformance):
    """OpenAI's image edits against the plugin's mock."""

    provider_id = "openai"
    image_size = (256, 256)
    """dall-e-2's smallest square size."""
    mask_encoding = MaskEncoding.TRANSPARENT
    """OpenAI edits the mask's fully transparent pixels: the meaning checks read the mask on
    the wire by its alpha channel, and the answer's changed pixels prove the polarity."""
    skip: ClassVar[Mapping[str, str]] = {
        "test_error_mapping[task_failed]": "no tasks: a failed generation is the request's "
        "own error, covered by server_error",
    }
