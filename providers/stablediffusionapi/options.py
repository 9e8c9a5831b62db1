"""StableDiffusionAPI v3's own request field with no neutral home, as a typed option.

Seed 002 documents one: ``base64`` ('Get response as base64 string, default: "no", options:
yes/no').  Users set it with ``extras={"stablediffusionapi": {"base64": true}}`` (or
``StableDiffusionApiOptions(base64=True)``); the core checks and sends it.  Unset, nothing is
sent and the provider's default ("no": output as links) applies.
"""

from __future__ import annotations

import attrs
from inpaintkit.options import option
from inpaintkit.schema import Rule
from inpaintkit.wiremap import Wire, yes_no

__all__ = ["StableDiffusionApiOptions"]


@attrs.frozen
class StableDiffusionApiOptions:
    """Options for ``extras["stablediffusionapi"]`` (seed 002)."""

    base64: bool | None = option(
        Rule("bool", optional=True),
        wire=Wire("base64", encode=yes_no),
        doc="Ask for the output as base64 instead of links (sent as 'yes'/'no'; seed 002).  "
        "The output's shape with 'yes' is unverified (reference 3.2): inline base64 strings "
        "and data URLs are decoded, http(s) links are returned as URLs.",
    )
