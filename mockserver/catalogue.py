"""Novita's model list (``GET /v3/model``): a small built-in catalogue, filters and cursors.

The catalogue holds the seed documents' inpainting checkpoint plus a few models of each type so
that every filter has something to keep and something to drop.  Cursors are opaque keyset-style
strings like the documented ``c_WzgwNDY2NiwiNTUxOTkiXQ==`` (base64 of ``[offset, id]``); the
Python SDK's hand-built ``c_<offset>`` cursors are accepted too.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from .contracts import ModelQuery

__all__ = ["CATALOGUE", "decode_cursor", "encode_cursor", "query_models"]

_COVER = "https://next-app-static.s3.amazonaws.com/images-prod/mock/{}/width=450/cover.jpeg"


def _model(
    model_id: int,
    name: str,
    sd_name: str,
    *,
    kind: str = "checkpoint",
    inpainting: bool = False,
    sdxl: bool = False,
    visibility: str = "public",
    source: str = "civitai",
    tags: tuple[str, ...] = (),
) -> dict[str, Any]:
    display = {
        "checkpoint": "Checkpoint",
        "lora": "LoRA",
        "vae": "VAE",
        "controlnet": "ControlNet",
        "upscaler": "Upscaler",
        "textualinversion": "TextualInversion",
    }[kind]
    return {
        "id": model_id,
        "name": name,
        "hash_sha256": f"{model_id * 2654435761 % 16**10:010X}",
        "sd_name": sd_name,
        "type": {"name": kind, "display_name": display},
        "categories": [],
        "status": 1,
        "download_url": "",
        "tags": list(tags),
        "cover_url": _COVER.format(model_id),
        "source": source,
        "base_model": "SDXL 1.0" if sdxl else "SD 1.5",
        "base_model_type": "Inpainting" if inpainting else "Standard",
        "download_url_ttl": 2592000,
        "sd_name_in_api": sd_name,
        "is_sdxl": sdxl,
        "visibility": visibility,
    }


CATALOGUE: tuple[dict[str, Any], ...] = (
    _model(
        114600,
        "V4.0-inpainting (VAE)",
        "realisticVisionV40_v40VAE-inpainting_81543.safetensors",
        inpainting=True,
        tags=("photorealistic", "anatomical", "base model", "cgi", "realistic", "semi-realistic"),
    ),
    _model(
        114601,
        "V4.0 (VAE)",
        "realisticVisionV40_v40VAE_81510.safetensors",
        tags=("photorealistic", "realistic"),
    ),
    _model(
        120311,
        "DreamShaper 8 inpainting",
        "dreamshaper_8Inpainting_131004.safetensors",
        inpainting=True,
        tags=("anime", "fantasy", "illustration"),
    ),
    _model(
        130072,
        "Juggernaut XL inpainting",
        "juggernautXL_v9Inpainting_240840.safetensors",
        inpainting=True,
        sdxl=True,
        tags=("photorealistic", "sdxl"),
    ),
    _model(
        140001,
        "SDXL base 1.0",
        "sd_xl_base_1.0.safetensors",
        sdxl=True,
        tags=("base model", "sdxl"),
    ),
    _model(150010, "Detail Tweaker", "add_detail_44319", kind="lora", tags=("detail", "tool")),
    _model(
        150020,
        "Film grain",
        "filmgrain_private_1234",
        kind="lora",
        visibility="private",
        source="training",
    ),
    _model(160001, "vae-ft-mse-840000", "vae-ft-mse-840000-ema-pruned.safetensors", kind="vae"),
    _model(170001, "BadDream", "BadDream_53202", kind="textualinversion", tags=("negative",)),
    _model(180001, "4x-UltraSharp", "4x-UltraSharp", kind="upscaler", source="uploading"),
)


def encode_cursor(offset: int) -> str:
    model_id = CATALOGUE[offset]["id"] if offset < len(CATALOGUE) else 0
    return "c_" + base64.b64encode(json.dumps([offset, str(model_id)]).encode()).decode()


def decode_cursor(cursor: str | None) -> int | None:
    """The offset a cursor stands for; ``None`` if the cursor is malformed."""
    if not cursor:
        return 0
    if not cursor.startswith("c_"):
        return None
    rest = cursor[2:]
    if rest.isdigit():
        return int(rest)
    try:
        decoded = json.loads(base64.b64decode(rest, validate=True))
    except (binascii.Error, ValueError):
        return None
    if isinstance(decoded, list) and decoded and isinstance(decoded[0], int) and decoded[0] >= 0:
        return decoded[0]
    return None


def _matches(model: dict[str, Any], q: ModelQuery, legacy_type: str | None) -> bool:
    types = q.types or legacy_type
    if q.visibility is not None and model["visibility"] != q.visibility:
        return False
    if q.source is not None and model["source"] != q.source:
        return False
    if types is not None and model["type"]["name"] not in types.split(","):
        return False
    if q.is_sdxl is not None and model["is_sdxl"] != q.is_sdxl:
        return False
    if q.is_inpainting and model["base_model_type"] != "Inpainting":
        return False
    if q.query:
        needle = q.query.lower()
        haystack = [model["sd_name"], model["name"], *model["tags"]]
        if not any(needle in text.lower() for text in haystack):
            return False
    return True


def query_models(q: ModelQuery, offset: int, *, legacy_type: str | None = None) -> dict[str, Any]:
    """One page of matching models; ``next_cursor`` is ``""`` on the last page."""
    matching = [m for m in CATALOGUE if _matches(m, q, legacy_type)]
    limit = q.limit or 10
    page = matching[offset : offset + limit]
    end = offset + len(page)
    models = [{k: v for k, v in m.items() if k != "visibility"} for m in page]
    return {
        "models": models,
        "pagination": {"next_cursor": encode_cursor(end) if end < len(matching) else ""},
    }
