"""Wire mappings as data: the core builds bodies from plain rows and reads error paths back."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit.job import (
    InpaintJob,
    Lora,
    MaskOptions,
    S3Storage,
    SafetyCheck,
    Sampler,
    Webhook,
)
from inpaintkit.planning import get_path
from inpaintkit.plugins import ProviderRegistry
from inpaintkit.provider import Capability, CapabilityTable, Support
from inpaintkit.schema import Rule, rule_of
from inpaintkit.wiremap import (
    OMIT,
    Composite,
    Custom,
    Unset,
    Wire,
    as_string,
    build_fields,
    yes_no,
)

N = Support.NATIVE
IMAGE = png_bytes(gradient_image(16, 16))
MASK = png_bytes(rect_mask(16, 16, (4, 4, 12, 12)))


def job(**changes: Any) -> InpaintJob:
    return InpaintJob(image=IMAGE, mask=MASK, prompt="a cat", **changes)


def _sampler_pair(sampler: Sampler) -> dict[str, Any]:
    return {"scheduler": sampler.value.upper(), "karras": yes_no("Karras" in sampler.value)}


TABLE = CapabilityTable(
    rows=(
        Capability("prompt", N, wire=Wire("request.prompt")),
        Capability("negative_prompt", N, wire=Wire("request.negative", lambda s: s or OMIT)),
        Capability("steps", N, wire=Wire("request.steps", as_string, Unset.DEFAULT), default=20),
        Capability("seed", N, wire=Wire("request.seed", unset=Unset.NULL)),
        Capability("sampler", N, wire=Composite(("scheduler", "karras"), _sampler_pair)),
        Capability("loras", N, wire=Wire("request.loras")),
        Capability("loras[].name", N, wire=Wire("request.loras[].model_name")),
        Capability("loras[].strength", N, wire=Wire("request.loras[].weight")),
        Capability("safety", N),
        Capability("safety.enabled", N, wire=Wire("extra.nsfw", yes_no)),
        Capability("image", N, wire=Custom(("request.image",), "base64 of the prepared bytes")),
    )
)


def test_plain_rows_build_the_body_with_encoders_and_unset_policies() -> None:
    body = build_fields(job(negative_prompt=""), TABLE)
    assert body == {"request": {"prompt": "a cat", "steps": "20", "seed": None}}


def test_set_values_lists_composites_and_containers() -> None:
    body = build_fields(
        job(
            steps=31,
            seed=7,
            sampler=Sampler.DPMPP_2M_KARRAS,
            loras=(Lora("a", 0.5), Lora("b", 1.0)),
            safety=SafetyCheck(enabled=False),
        ),
        TABLE,
    )
    assert body["request"]["steps"] == "31"
    assert body["request"]["loras"] == [
        {"model_name": "a", "weight": 0.5},
        {"model_name": "b", "weight": 1.0},
    ]
    assert body["scheduler"] == "DPM++ 2M KARRAS"
    assert body["karras"] == "yes"
    assert body["extra"] == {"nsfw": "no"}
    assert "image" not in body["request"]  # Custom: the adapter writes it


def test_what_a_table_builds_is_worked_out_once_per_table() -> None:
    """Every job of a provider goes through one table: its rows are sorted once, not per job;
    a list of rows (which may change) is sorted afresh every time."""
    from inpaintkit.wiremap import _build_steps

    assert _build_steps(TABLE) is _build_steps(TABLE)
    rows = list(TABLE)
    first = _build_steps(rows)
    rows.pop(0)  # prompt
    assert "prompt" not in build_fields(job(), rows).get("request", {})
    assert _build_steps(rows) is not first


def test_an_unset_default_row_without_a_default_fails_when_built_unset() -> None:
    broken = CapabilityTable(rows=(Capability("steps", N, wire=Wire("steps", unset="default")),))
    assert build_fields(job(steps=5), broken) == {"steps": 5}  # set: nothing to work out
    with pytest.raises(ValueError, match="unset=DEFAULT needs a row default"):
        build_fields(job(), broken)


def test_a_composite_may_write_only_its_declared_paths() -> None:
    rogue = CapabilityTable(
        rows=(Capability("steps", N, wire=Composite(("a",), lambda v: {"a": v, "b": v})),)
    )
    with pytest.raises(ValueError, match="undeclared wire paths"):
        build_fields(job(steps=3), rogue)


def test_wire_paths_are_checked_and_prose_is_refused() -> None:
    with pytest.raises(ValueError, match="dotted names"):
        Wire("scheduler + use_karras_sigmas")
    with pytest.raises(TypeError, match="must be a Wire, Composite, Custom or Fixed"):
        Capability("steps", N, wire="steps")  # type: ignore[arg-type]


def test_error_paths_map_back_to_neutral_fields_from_the_same_rows() -> None:
    assert TABLE.field_for_wire("request.steps") == "steps"
    assert TABLE.field_for_wire("steps") == "steps"
    assert TABLE.field_for_wire("karras") == "sampler"
    assert TABLE.field_for_wire("request.loras[1].model_name") == "loras[].name"
    assert TABLE.field_for_wire("nsfw") == "safety.enabled"
    assert TABLE.field_for_wire("request.image") == "image"
    assert TABLE.field_for_wire("unknown_field") is None


def test_unmapped_native_rows_are_found() -> None:
    assert TABLE.unmapped_native_rows() == ()
    bare = CapabilityTable(rows=(Capability("steps", N),))
    assert [r.field for r in bare.unmapped_native_rows()] == ["steps"]


# --- every installed provider: plain rows produce their wire fields from the table alone -----


def _value_for(rule: Rule, row: Capability) -> Any:
    """A value of ``rule``'s kind inside ``row``'s limits (and the schema's own)."""
    if row.choices is not None:
        return row.choices[-1]
    if rule.kind == "enum":
        assert rule.enum_type is not None
        return next(iter(rule.enum_type))
    if rule.kind == "bool":
        return True
    if rule.kind == "str":
        if row.field.endswith("url"):
            return "https://example.com/hook"
        return "x" * max(row.min_length or 1, rule.min_length or 1)
    low = max(v for v in (row.minimum, rule.minimum, 1) if v is not None)
    high = min((v for v in (row.maximum, rule.maximum) if v is not None), default=low + 8)
    value = low if row.multiple_of is None else row.multiple_of * -(-low // row.multiple_of)
    value = min(value, high)
    return int(value) if rule.kind == "int" else float(value)


_REQUIRED: dict[type, dict[str, Any]] = {
    Webhook: {"url": "https://example.com/hook"},
    S3Storage: {"region": "r", "bucket": "b", "path": "p"},
    SafetyCheck: {"enabled": True},
}


def _sample_job(row: Capability) -> InpaintJob:
    """A job that sets ``row.field`` (and what it needs) to a value within the row's limits."""
    head, _, leaf = row.field.partition(".")
    a = attrs.fields_dict(InpaintJob)[head]
    rule = rule_of(a)
    assert rule is not None
    if not leaf:
        value = _value_for(rule, row)
        if head in ("width", "height"):
            return job(width=value, height=value)
        if head == "prompt":
            return InpaintJob(image=IMAGE, mask=MASK, prompt=value)
        return job(**{head: value})
    container = rule.item if head != "mask_options" else MaskOptions
    assert container is not None
    leaf_rule = rule_of(attrs.fields_dict(container)[leaf])
    assert leaf_rule is not None
    fields = {**_REQUIRED.get(container, {}), leaf: _value_for(leaf_rule, row)}
    if leaf == "padding":
        fields["masked_only"] = True
    return job(**{head: container(**fields)})


def _at(body: Any, path: str) -> Any:
    for part in path.split("."):
        body = body[part]
    return body


def _is_value_row(row: Capability) -> bool:
    """A native plain row whose field holds one value (not an input image, not a container)."""
    if row.support is not Support.NATIVE or not isinstance(row.wire, Wire) or "[]" in row.field:
        return False
    head = row.field.partition(".")[0]
    rule = rule_of(attrs.fields_dict(InpaintJob)[head])
    return head not in ("image", "mask") and (
        "." in row.field or (rule is not None and rule.kind not in ("object", "tuple", "mapping"))
    )


def _plain_rows() -> list[tuple[str, Capability]]:
    registry = ProviderRegistry.default()
    return [
        (pid, row)
        for pid in sorted(registry)
        for row in registry[pid].spec.capabilities
        if _is_value_row(row)
    ]


@pytest.mark.parametrize(
    ("provider", "row"), _plain_rows(), ids=lambda v: v if isinstance(v, str) else v.field
)
def test_every_plain_row_produces_its_wire_field_from_the_table_alone(
    provider: str, row: Capability
) -> None:
    sample = _sample_job(row)
    assert isinstance(row.wire, Wire)
    table = CapabilityTable(rows=(row,))
    body = build_fields(sample, table)
    value = get_path(sample, row.field)
    expected = row.wire.encode(value)
    assert value is not None, f"{provider}: the sample job leaves {row.field} unset"
    if expected is OMIT:
        assert row.wire.path.split(".")[-1] not in str(body), f"{provider}: {row.field}"
    else:
        assert _at(body, row.wire.path) == expected, f"{provider}: {row.field}"
