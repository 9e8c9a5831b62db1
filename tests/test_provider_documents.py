"""The provider plugins against the provider documents (seeds and wire facts), rule by rule.

Each test names the document it checks; each failed on the code before its fix.
"""

from __future__ import annotations

import json
from typing import Any

from inpaintkit.provider import HttpResponse
from inpaintkit.providers.novita import NovitaAdapter


def _response(status: int, body: Any, headers: dict[str, str] | None = None) -> HttpResponse:
    return HttpResponse(status=status, body=json.dumps(body).encode(), headers=headers or {})


# --- Novita: the model list --------------------------------------------------------------------


def test_novita_models_give_the_checkpoints_sd_name_for_model_name() -> None:
    """Seed 001 model_name: 'Retrieve the corresponding sd_name value by invoking the Query Model
    API with filter.types=checkpoint&filter.is_inpainting=true'; sd_name_in_api is what the LoRA
    and embedding model_name take.  A checkpoint whose two names differ must give its sd_name."""
    entry = {
        "id": 1,
        "name": "Some inpainting",
        "sd_name": "someModel_v1-inpainting_123.safetensors",
        "sd_name_in_api": "someModel_v1-inpainting_123",
        "type": {"name": "checkpoint", "display_name": "Checkpoint"},
        "base_model_type": "Inpainting",
    }
    body = {"models": [entry], "pagination": {"next_cursor": ""}}
    page = NovitaAdapter().parse_models(_response(200, body))
    (model,) = page.models
    assert model.model == "someModel_v1-inpainting_123.safetensors"


def test_novita_models_fall_back_to_sd_name_in_api_without_an_sd_name() -> None:
    entry = {"name": "x", "sd_name_in_api": "only_api_name", "type": {"name": "checkpoint"}}
    page = NovitaAdapter().parse_models(_response(200, {"models": [entry]}))
    assert [m.model for m in page.models] == ["only_api_name"]
