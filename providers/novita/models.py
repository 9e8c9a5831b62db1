"""Novita's model list, ``GET /v3/model`` (ref 1.8): the request for one page and its reading.

A Novita job cannot run without a valid ``model_name`` (an inpainting checkpoint's ``sd_name``,
seed 001), and the list is where those names come from.  The request filters on checkpoints
(``filter.types=checkpoint``) and, for inpainting, ``filter.is_inpainting=true``, the query seed
001 names; pages are followed with the opaque ``pagination.next_cursor`` ("" on the last
page).  Pure functions: the client sends and follows the cursors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from inpaintkit.errors import ProviderError
from inpaintkit.provider import HttpRequest, HttpResponse, ModelInfo, ModelPage

from .errors import error_from_response, raw_body_of

__all__ = ["MODELS_PATH", "PAGE_LIMIT", "build_models_request", "parse_models_response"]

PROVIDER_ID = "novita"
MODELS_PATH: Final = "/v3/model"
PAGE_LIMIT: Final = 100
"""``pagination.limit``: the largest page ref 1.8 allows (range (0, 100])."""


def build_models_request(
    *, inpainting: bool, cursor: str | None, headers: Mapping[str, str]
) -> HttpRequest:
    """``GET /v3/model`` for one page of checkpoints (inpainting ones only if asked)."""
    query = {"filter.types": "checkpoint", "pagination.limit": str(PAGE_LIMIT)}
    if inpainting:
        query["filter.is_inpainting"] = "true"
    if cursor:
        query["pagination.cursor"] = cursor
    return HttpRequest(method="GET", path=MODELS_PATH, query=query, headers=dict(headers))


def parse_models_response(response: HttpResponse) -> ModelPage:
    """The page, or the typed error of an error answer (raised)."""
    if not 200 <= response.status < 300:
        raise error_from_response(response)
    body = response.json()
    entries = body.get("models") if isinstance(body, Mapping) else None
    if not isinstance(entries, list):
        raise ProviderError(
            "Novita's model list has no models array",
            provider=PROVIDER_ID,
            raw_body=raw_body_of(response),
            status=response.status,
        )
    models = tuple(m for m in (_model(e) for e in entries) if m is not None)
    pagination = body.get("pagination")
    cursor = pagination.get("next_cursor") if isinstance(pagination, Mapping) else None
    return ModelPage(
        models=models, next_cursor=cursor if isinstance(cursor, str) and cursor else None
    )


def _model(entry: Any) -> ModelInfo | None:
    """One ``models[]`` entry; entries without an ``sd_name`` cannot be used and are skipped.

    A checkpoint's ``model_name`` is its ``sd_name`` (seed 001: "Retrieve the corresponding
    sd_name value"); ``sd_name_in_api`` is what LoRAs and embeddings take, used here only when
    an entry has no ``sd_name``."""
    if not isinstance(entry, Mapping):
        return None
    sd_name = entry.get("sd_name") or entry.get("sd_name_in_api")
    if not isinstance(sd_name, str) or not sd_name.strip():
        return None
    name = entry.get("name")
    kind = entry.get("type")
    kind_name = kind.get("name") if isinstance(kind, Mapping) else None
    base_type = entry.get("base_model_type")
    return ModelInfo(
        model=sd_name.strip(),
        name=name if isinstance(name, str) and name else sd_name.strip(),
        base_model=_text(entry.get("base_model")),
        inpainting=base_type == "Inpainting" if isinstance(base_type, str) else None,
        sdxl=entry["is_sdxl"] if isinstance(entry.get("is_sdxl"), bool) else None,
        kind=_text(kind_name),
        raw=entry,
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
