"""The OpenAPI documents agree with the server, both ways: whatever the server accepts, the
document allows, and whatever the document allows, the server accepts.

Hypothesis draws values for every query parameter and every top-level request member (wrong
types, numbers in and out of range, numeric strings, empties, nulls, enums and near-misses);
the document's verdict (jsonschema, with query strings coerced to the declared type the way
OpenAPI tools such as Prism do) must equal the contract's verdict.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from inpaintkit.mockserver.contracts import (
    Rejection,
    get_contract,
    validate_model_query,
    validate_task_result_query,
)
from inpaintkit.mockserver.openapi import PARSED_AS, openapi_document
from seed_examples import modelslab_seed_body, novita_seed_body, sdapi_seed_body

EDGE_STRINGS = [
    "",
    " ",
    "0",
    "1",
    "-1",
    "10",
    "05",
    "100",
    "101",
    "1.5",
    "1e3",
    "true",
    "false",
    "True",
    "TRUE",
    "t",
    "yes",
    "no",
    "abc",
    "public",
    "checkpoint",
    "lora,vae",
    "c_5",
    "+1",
]
VALUES: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 200),
    st.sampled_from([0, 1, 7.5, 0.5, 1.0, -0.0, 2**40, 1e30]),
    st.sampled_from(EDGE_STRINGS),
    st.just([]),
    st.just({}),
    st.text(max_size=6),
)


def _types(schema: dict[str, Any]) -> set[str]:
    found = set()
    if "type" in schema:
        found.add(schema["type"])
    for branch in schema.get("anyOf", []):
        found |= _types(branch)
    return found


def coerced(value: str, schema: dict[str, Any]) -> list[Any]:
    """A query string as an OpenAPI tool reads it for ``schema`` (every plausible typing)."""
    out: list[Any] = [value]
    types = _types(schema)
    if "integer" in types and re.fullmatch(r"-?\d+", value):
        out.append(int(value))
    if "number" in types and re.fullmatch(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", value):
        out.append(float(value))
    return out


def _parsed_as(
    validator: Any, subschema: dict[str, Any], instance: Any, schema: dict[str, Any]
) -> Any:
    """The document's ``x-parsed-as``: a numeric string's number must match ``subschema``."""
    if not isinstance(instance, str):
        return
    try:
        number: float | int = int(instance) if re.fullmatch(r"-?\d+", instance) else float(instance)
    except ValueError:
        return
    yield from validator.descend(number, subschema)


Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {PARSED_AS: _parsed_as})


def allowed(schema: dict[str, Any], value: Any, document: dict[str, Any]) -> bool:
    resolver_schema = {**schema, "components": document.get("components", {})}
    return bool(Validator(resolver_schema).is_valid(value))


NOVITA = openapi_document("novita")
MODEL_PARAMS = {p["name"]: p for p in NOVITA["paths"]["/v3/model"]["get"]["parameters"]}
TASK_PARAMS = {p["name"]: p for p in NOVITA["paths"]["/v3/async/task-result"]["get"]["parameters"]}


def query_allowed(params: dict[str, Any], query: dict[str, str]) -> bool:
    for name, param in params.items():
        if name not in query:
            if param["required"]:
                return False
            continue
        if not any(
            allowed(param["schema"], v, NOVITA) for v in coerced(query[name], param["schema"])
        ):
            return False
    return True


@settings(max_examples=300, deadline=None)
@given(
    query=st.dictionaries(
        st.sampled_from(sorted(MODEL_PARAMS)),
        st.sampled_from(EDGE_STRINGS) | st.text(max_size=5),
        max_size=3,
    )
)
def test_model_list_query_both_ways(query: dict[str, str]) -> None:
    server = not isinstance(validate_model_query(query), Rejection)
    assert server == query_allowed(MODEL_PARAMS, query), query


@settings(max_examples=100, deadline=None)
@given(
    query=st.dictionaries(
        st.just("task_id"), st.sampled_from(EDGE_STRINGS) | st.text(max_size=5), max_size=1
    )
)
def test_task_result_query_both_ways(query: dict[str, str]) -> None:
    server = not isinstance(validate_task_result_query(query), Rejection)
    assert server == query_allowed(TASK_PARAMS, query), query


BODIES = {
    "novita": ("/v3/async/inpainting", novita_seed_body),
    "stablediffusionapi": ("/api/v3/inpaint", sdapi_seed_body),
    "modelslab": ("/api/v6/images/inpaint", modelslab_seed_body),
}


def request_schema(provider: str) -> tuple[dict[str, Any], dict[str, Any]]:
    document = openapi_document(provider)
    path = BODIES[provider][0]
    ref = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return document, ref


@pytest.mark.parametrize("provider", sorted(BODIES))
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_submit_bodies_both_ways(provider: str, data: st.DataObject) -> None:
    document, ref = request_schema(provider)
    body = copy.deepcopy(BODIES[provider][1]())
    target = body["request"] if provider == "novita" else body
    if provider == "novita" and data.draw(st.booleans()):
        target = body.setdefault("extra", {})
    name = data.draw(st.sampled_from([*sorted(target), "unknown_member"]))
    target[name] = data.draw(VALUES)
    server = not isinstance(get_contract(provider).validate_submit(body, "key"), Rejection)
    doc = allowed(ref, body, document)
    assert server == doc, (name, target[name], server, doc)
