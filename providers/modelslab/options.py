"""ModelsLab's documented request fields that have no neutral home, as typed options.

Users set them with ``extras={"modelslab": {"temp": true, "safety_checker_type": "blur"}}`` (or
``ModelsLabOptions(...)``); the core checks them (a misspelt or mistyped option is an error at
``$.extras.modelslab.<name>``) and sends them.  Unset options send nothing, so ModelsLab's own
defaults apply.  Flags go out as ``"yes"``/``"no"``, the platform's convention for options in
seed 003 (``use_karras_sigmas``, ``safety_checker``) and in the ``meta`` echo of reference 3.3
(``"temp": "no"``, ``"instant_response": "no"``, ``"upscale": "no"``), although the OpenAPI
calls some of them booleans (reference 3.2).
"""

from __future__ import annotations

import enum

import attrs
from inpaintkit.options import option
from inpaintkit.schema import Rule
from inpaintkit.wiremap import Wire, enum_value, yes_no

__all__ = ["ModelsLabOptions", "SafetyCheckerType"]

R32 = "reference 3.2"


class SafetyCheckerType(enum.StrEnum):
    """What replaces a flagged image (OpenAPI enum, reference 3.2; default
    ``sensitive_content_text``)."""

    BLUR = "blur"
    SENSITIVE_CONTENT_TEXT = "sensitive_content_text"
    PIXELATE = "pixelate"
    BLACK = "black"


def _flag(name: str, doc: str) -> bool | None:
    rule = Rule("bool", optional=True)
    return option(rule, wire=Wire(name, encode=yes_no), doc=doc)  # type: ignore[no-any-return]


def _text(name: str, doc: str) -> str | None:
    rule = Rule("str", optional=True, min_length=1)
    return option(rule, wire=Wire(name), doc=doc)  # type: ignore[no-any-return]


@attrs.frozen
class ModelsLabOptions:
    """Options for ``extras["modelslab"]`` (reference 3.2 unless noted)."""

    temp: bool | None = _flag(
        "temp", "Store the output in temporary storage, cleaned every 24 hours (OpenAPI)."
    )
    instant_response: bool | None = _flag(
        "instant_response",
        "Answer at once with future_links instead of waiting (echoed in meta, reference 3.3).",
    )
    # An attrs field carrying its rule as metadata, not a shared default (as core/job.py).
    safety_checker_type: SafetyCheckerType | None = option(  # noqa: RUF009
        Rule("enum", optional=True, enum_type=SafetyCheckerType),
        wire=Wire("safety_checker_type", encode=enum_value),
        doc="What replaces an image the safety checker flags (blur, sensitive_content_text, "
        "pixelate, black); only meaningful with safety on.",
    )
    enhance_style: str | None = _text(
        "enhance_style",
        "A style for prompt enhancement (OLD docs: a long enum, not transcribed; sent as given).",
    )
    tomesd: bool | None = _flag("tomesd", "Token merging for speed (OLD docs and SDK).")
    upscale: bool | None = _flag("upscale", "Upscale the output (echoed in meta, reference 3.3).")
    base64: bool | None = _flag(
        "base64",
        "Send local images inline as base64 instead of uploading them to base64_to_url, and get "
        "the output as base64 too: the platform's one switch does both ('Pass init_image and "
        "mask_image as base64 strings to get a base64 response', reference 3.2; no current "
        "ModelsLab page shows the inline form).  Unset: local images are uploaded through the "
        "documented base64_to_url and the output stays links.",
    )
    embeddings_model: str | None = _text(
        "embeddings_model",
        "A textual-inversion embedding id: only the old 'modelslab' 0.2 SDK sends it "
        "(reference 3.6); no current page documents it.",
    )
