"""The generated OpenAPI 3.1 documents: valid, complete, and faithful to the contract tables."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from inpaintkit.mockserver.contracts import Field, Kind, get_contract
from inpaintkit.mockserver.openapi import openapi_document
from openapi_spec_validator import validate
from seed_examples import (
    HEAD_EXAMPLE,
    MODELSLAB_PY,
    SDK_CAPTURE,
    modelslab_seed_body,
    novita_seed_body,
    sdapi_seed_body,
)

PROVIDERS = ("novita", "stablediffusionapi", "modelslab")
REQUEST_SCHEMA = {
    "novita": "InpaintingRequest",
    "stablediffusionapi": "InpaintRequest",
    "modelslab": "InpaintRequest",
}
PATHS = {
    "novita": {"/v3/async/inpainting", "/v3/async/task-result", "/v3/model"},
    "stablediffusionapi": {"/api/v3/inpaint", "/api/v3/fetch/{id}", "/api/v3/system_load"},
    "modelslab": {
        "/api/v6/images/inpaint",
        "/api/v6/images/fetch",
        "/api/v6/images/fetch/{id}",
        "/api/v6/base64_to_url",
    },
}


@pytest.fixture(scope="module", params=PROVIDERS)
def provider(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


def test_document_is_valid_openapi_31(provider: str) -> None:
    doc = openapi_document(provider)
    validate(doc)
    assert doc["openapi"] == "3.1.0"
    assert set(doc["paths"]) == PATHS[provider]
    json.dumps(doc)  # serialisable as served


def test_server_url_can_point_at_the_mock(provider: str) -> None:
    doc = openapi_document(provider, "http://127.0.0.1:8123")
    assert doc["servers"] == [{"url": "http://127.0.0.1:8123"}]


def _rows(fields: tuple[Field, ...], schema: dict[str, Any]) -> list[tuple[Field, dict[str, Any]]]:
    """Every row with its property schema, recursing into objects and array items."""
    out = []
    for field in fields:
        prop = schema["properties"][field.name]
        out.append((field, prop))
        core = prop["anyOf"][0] if not field.required and "anyOf" in prop else prop
        if field.kind is Kind.OBJECT:
            out.extend(_rows(field.fields, core))
        elif field.kind is Kind.ARRAY:
            out.extend(_rows(field.fields, core["items"]))
    return out


def _numbers(schema: Any, key: str) -> set[Any]:
    """Every value of ``key`` anywhere inside ``schema``."""
    found: set[Any] = set()
    if isinstance(schema, dict):
        for k, v in schema.items():
            if k == key and not isinstance(v, (dict, list)):
                found.add(v)
            found |= _numbers(v, key)
    elif isinstance(schema, list):
        for item in schema:
            found |= _numbers(item, key)
    return found


def test_every_table_rule_appears_in_the_schema(provider: str) -> None:
    doc = openapi_document(provider)
    schema = doc["components"]["schemas"][REQUEST_SCHEMA[provider]]
    rows = _rows(get_contract(provider).table(), schema)
    assert len(rows) >= 15
    for field, prop in rows:
        assert prop["x-source"] == field.source
        if field.minimum is not None:
            key = "exclusiveMinimum" if field.exclusive_minimum else "minimum"
            assert field.minimum in _numbers(prop, key), field.name
        if field.maximum is not None:
            assert field.maximum in _numbers(prop, "maximum"), field.name
        if field.multiple_of is not None:
            assert field.multiple_of in _numbers(prop, "multipleOf"), field.name
        if field.max_length is not None:
            assert field.max_length in _numbers(prop, "maxLength"), field.name
        if field.max_items is not None:
            assert field.max_items in _numbers(prop, "maxItems"), field.name
        if field.enum is not None:
            enums = list(_enum_lists(prop))
            assert list(field.enum) in enums, field.name
        if field.required:
            parent_required = _required_of(schema, field)
            assert parent_required, field.name


def _enum_lists(schema: Any) -> list[list[Any]]:
    found = []
    if isinstance(schema, dict):
        for k, v in schema.items():
            if k == "enum":
                found.append(v)
            else:
                found.extend(_enum_lists(v))
    elif isinstance(schema, list):
        for item in schema:
            found.extend(_enum_lists(item))
    return found


def _required_of(schema: Any, field: Field) -> bool:
    """Whether some object schema lists ``field`` as required (or as one of its aliases)."""
    if isinstance(schema, dict):
        if field.name in schema.get("required", []) and field.name in schema.get("properties", {}):
            return True
        return any(_required_of(v, field) for v in schema.values())
    if isinstance(schema, list):
        return any(_required_of(v, field) for v in schema)
    return False


def test_spot_checks_of_documented_ranges() -> None:
    novita = openapi_document("novita")["components"]["schemas"]["InpaintingRequest"]
    request = novita["properties"]["request"]
    steps = request["properties"]["steps"]
    assert (steps["type"], steps["minimum"], steps["maximum"]) == ("integer", 1, 100)
    assert "steps" in request["required"]
    ml = openapi_document("modelslab")["components"]["schemas"]["InpaintRequest"]
    width = ml["properties"]["width"]["anyOf"][0]["anyOf"][0]
    assert (width["minimum"], width["maximum"], width["multipleOf"]) == (512, 1024, 8)
    assert ml["properties"]["num_inference_steps"] == ml["properties"]["steps"]


def test_seed_examples_validate_against_the_request_schemas() -> None:
    cases = {
        "novita": [novita_seed_body(), SDK_CAPTURE],
        "stablediffusionapi": [sdapi_seed_body()],
        "modelslab": [modelslab_seed_body(), HEAD_EXAMPLE, MODELSLAB_PY],
    }
    for provider, bodies in cases.items():
        doc = openapi_document(provider)
        validator = jsonschema.Draft202012Validator(
            doc["components"]["schemas"][REQUEST_SCHEMA[provider]]
        )
        for body in bodies:
            errors = [e.message for e in validator.iter_errors(body)]
            assert errors == [], (provider, errors)


def test_error_examples_match_the_error_schema(provider: str) -> None:
    doc = openapi_document(provider)
    validator = jsonschema.Draft202012Validator(doc["components"]["schemas"]["Error"])
    post = next(iter(doc["paths"].values()))
    operation = post.get("post") or post["get"]
    statuses = set()
    for status, response in operation["responses"].items():
        if status == "200":
            continue
        statuses.add(int(status))
        for example in response["content"]["application/json"]["examples"].values():
            assert validator.is_valid(example["value"]), example
    assert {400, 429} <= statuses
    if provider != "novita":
        assert {401, 402, 500, 503} <= statuses
    else:
        assert {403, 404} <= statuses
