"""Property: a generated body is accepted iff every generated field is within its table rule.

For each provider, hypothesis draws for every scalar field of the contract table either "leave it
out", a value inside the row's rule, or one that breaks it (one below the minimum, one above the
maximum, an off-multiple, an off-enum value, a wrong type).  The expected verdict comes from those
labels, not from the validator; and the OpenAPI request schema, a second derivation of the table
checked by jsonschema, must give the same verdict.
"""

from __future__ import annotations

import math
from typing import Any

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st
from inpaintkit.mockserver.contracts import (
    Field,
    Kind,
    Rejection,
    SubmitRequest,
    get_contract,
)
from inpaintkit.mockserver.openapi import openapi_document

KEY = "SECRET-prop-key"
URL = "https://files.example/i.png"
B64 = "aGVsbG8="


def _is_int(field: Field) -> bool:
    return field.kind is Kind.INTEGER


def valid_values(field: Field, numeric_strings: bool, yes_no: bool) -> st.SearchStrategy[Any]:
    if field.enum is not None:
        return st.sampled_from(field.enum)
    if field.kind is Kind.BOOLEAN:
        return st.sampled_from([True, False, "yes", "no"] if yes_no else [True, False])
    if field.kind in (Kind.INTEGER, Kind.NUMBER):
        lo = field.minimum
        hi = field.maximum
        if _is_int(field):
            lo_i = None if lo is None else math.floor(lo) + (1 if field.exclusive_minimum else 0)
            hi_i = None if hi is None else math.floor(hi)
            step = field.multiple_of or 1
            base: st.SearchStrategy[Any] = st.integers(
                None if lo_i is None else math.ceil(lo_i / step),
                None if hi_i is None else hi_i // step,
            ).map(lambda n: n * step)
        else:
            base = st.floats(
                lo, hi, allow_nan=False, allow_infinity=False, exclude_min=field.exclusive_minimum
            )
        if numeric_strings:
            return st.one_of(base, base.map(str))
        return base
    if field.uri:
        return st.just("https://hook.example/cb")
    return st.text(min_size=field.min_length or 1, max_size=min(field.max_length or 20, 20))


def invalid_values(field: Field, zero_is_unset: bool) -> list[Any]:
    bad: list[Any] = []
    if field.enum is not None:
        bad.append("not-an-option" if isinstance(field.enum[0], str) else 99)
    elif field.kind is Kind.BOOLEAN:
        bad.append("maybe")
    elif field.kind in (Kind.INTEGER, Kind.NUMBER):
        step = 1 if _is_int(field) else 0.25
        if field.minimum is not None:
            below = field.minimum if field.exclusive_minimum else field.minimum - step
            if not (zero_is_unset and below == 0):  # Novita: 0 reads as "not set"
                bad.append(below)
        if field.maximum is not None:
            bad.append(field.maximum + step)
        if field.multiple_of is not None and field.minimum is not None:
            bad.append(field.minimum + 1)
        bad.append("abc")
        if _is_int(field):
            bad.append(1.5)
    elif field.kind is Kind.STRING:
        bad.append(12345)
        if field.max_length is not None:
            bad.append("x" * (field.max_length + 1))
        if field.uri:
            bad.append("ftp://nope")
    return bad


SCALARS = (Kind.INTEGER, Kind.NUMBER, Kind.BOOLEAN, Kind.STRING)


def _generated_fields(fields: tuple[Field, ...]) -> list[Field]:
    return [
        f
        for f in fields
        if f.kind in SCALARS and f.image is None and f.name not in ("key",) and not f.aliases
    ]


@st.composite
def bodies(draw: st.DrawFn, provider: str) -> tuple[dict[str, Any], set[str]]:
    """A body and the set of wire paths deliberately broken in it."""
    contract = get_contract(provider)
    dialect = contract.dialect
    table = contract.table()
    fields = next(f for f in table if f.name == "request").fields if provider == "novita" else table
    values: dict[str, Any] = {}
    broken: set[str] = set()
    for field in _generated_fields(fields):
        choices = ["valid", "invalid"] if field.required else ["omit", "valid", "invalid"]
        bad = invalid_values(field, dialect.zero_is_unset)
        if not bad:
            choices.remove("invalid")
        choice = draw(st.sampled_from(choices))
        if choice == "valid":
            values[field.name] = draw(valid_values(field, dialect.numeric_strings, dialect.yes_no))
        elif choice == "invalid":
            values[field.name] = draw(st.sampled_from(bad))
            broken.add(field.name)
    if provider == "novita":
        request = {"image_base64": B64, "mask_image_base64": B64, **values}
        return {"request": request}, {f"request.{name}" for name in broken}
    images = {"init_image": URL, "mask_image": URL}
    return {"key": KEY, **images, **values}, broken


def _schema(provider: str) -> jsonschema.Draft202012Validator:
    doc = openapi_document(provider)
    name = "InpaintingRequest" if provider == "novita" else "InpaintRequest"
    return jsonschema.Draft202012Validator(doc["components"]["schemas"][name])


SCHEMAS = {
    provider: _schema(provider) for provider in ("novita", "stablediffusionapi", "modelslab")
}


def _check(provider: str, body: dict[str, Any], broken: set[str]) -> None:
    result = get_contract(provider).validate_submit(body, KEY)
    if broken:
        assert isinstance(result, Rejection), (body, broken)
        assert result.field in broken
        assert KEY not in repr(result)
    else:
        assert isinstance(result, SubmitRequest), (body, result)
    assert SCHEMAS[provider].is_valid(body) == (not broken), (body, broken)


@settings(max_examples=60, deadline=None)
@given(bodies("novita"))
def test_novita_verdict_matches_the_table(case: tuple[dict[str, Any], set[str]]) -> None:
    _check("novita", *case)


@settings(max_examples=60, deadline=None)
@given(bodies("stablediffusionapi"))
def test_sdapi_verdict_matches_the_table(case: tuple[dict[str, Any], set[str]]) -> None:
    _check("stablediffusionapi", *case)


@settings(max_examples=60, deadline=None)
@given(bodies("modelslab"))
def test_modelslab_verdict_matches_the_table(case: tuple[dict[str, Any], set[str]]) -> None:
    _check("modelslab", *case)
