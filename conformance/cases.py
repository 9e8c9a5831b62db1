"""Which values to probe: boundary cases derived from a capability table (and the mock's hints).

For every neutral field a provider's capability table constrains natively, the suite probes
``min-1, min, min+1, max-1, max, max+1``, non-multiples, every member of the neutral enum (those
outside the row's choices are the off-enum probes), the length bounds of strings, an integer
where a float is expected, and "missing" for required fields.  Values the neutral schema itself
refuses are not probes: no plugin ever sees them.

The mock's contract tables may add boundary values (its own ``min``/``max`` of the same wire
field).  They only choose WHERE to probe; the verdict on each probe still comes from the mock's
HTTP answer and is compared with the plugin's local verdict, never with the table.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
from inpaintkit.errors import ValidationError
from inpaintkit.job import Embedding, InpaintJob, Lora, MaskOptions, SafetyCheck
from inpaintkit.provider import Capability, CapabilityTable, Support
from inpaintkit.schema import Rule, check_value, rule_of

from .wire import row_path

__all__ = [
    "Bounds",
    "Case",
    "apply_changes",
    "boundary_cases",
    "field_path_of_error",
    "mock_bounds",
    "neutral_rule",
    "probed_fields",
]

_OWNERS: Mapping[str, type] = {
    "mask_options": MaskOptions,
    "safety": SafetyCheck,
    "loras[]": Lora,
    "embeddings[]": Embedding,
}
_LORA_NAME = "conformance-lora"


@attrs.frozen
class Case:
    """One probe: set neutral ``field`` to ``value`` on the baseline job.

    ``value`` ``None`` means "unset" (the missing-required probe).  :attr:`id` is stable across
    runs and is the key for ``ProviderConformance.expected_disagreements``.
    """

    field: str
    value: Any
    label: str

    @property
    def id(self) -> str:
        return f"{self.field}={show(self.value)}"


@attrs.frozen
class Bounds:
    """Limits on one wire field as the mock transcribes them (only used to pick probes)."""

    minimum: float | None = None
    maximum: float | None = None
    multiple_of: int | None = None
    choices: tuple[Any, ...] | None = None
    min_length: int | None = None
    max_length: int | None = None


def show(value: Any) -> str:
    """A short, stable rendering of a probe value for ids and messages."""
    if isinstance(value, enum.Enum):
        return repr(value.value)
    if value is None:
        return "unset"
    if isinstance(value, str):
        if len(value) > 24:
            return f"<{len(value)} chars>"
        return repr(value)
    if isinstance(value, float):
        return repr(round(value, 10))
    return repr(value)


def neutral_rule(field: str) -> Rule | None:
    """The neutral schema's rule for a field path (``steps``, ``mask_options.blur``...)."""
    head, _, rest = field.partition(".")
    owner: type = InpaintJob
    name = head
    if rest:
        owner_type = _OWNERS.get(head)
        if owner_type is None:
            return None
        owner, name = owner_type, rest
    fields = attrs.fields_dict(owner)
    if name not in fields:
        return None
    return rule_of(fields[name])


def probed_fields(table: CapabilityTable) -> list[Capability]:
    """Rows the suite probes: native, with a limit or a required flag, on a settable field."""
    rows = []
    for row in table:
        if row.support is not Support.NATIVE or row.field in ("image", "mask", "extras"):
            continue
        rule = neutral_rule(row.field)
        if rule is None or rule.kind not in ("int", "float", "enum", "str"):
            continue
        limited = any(
            v is not None
            for v in (
                row.minimum,
                row.maximum,
                row.choices,
                row.multiple_of,
                row.min_length,
                row.max_length,
            )
        )
        missing_probe = row.required and rule.optional
        if limited or missing_probe:
            rows.append(row)
    return rows


def apply_changes(
    base: InpaintJob, changes: Mapping[str, Any], *, image_size: tuple[int, int]
) -> InpaintJob | None:
    """``base`` with neutral fields set, or ``None`` when the neutral schema refuses a value.

    Fields that only mean something together are completed: ``width`` without ``height`` gets
    the image's own height (and vice versa), ``mask_options.padding`` turns ``masked_only`` on,
    ``safety.level`` enables the check, and ``loras[].strength`` adds one LoRA.
    """
    top: dict[str, Any] = {}
    mask: dict[str, Any] = {}
    try:
        for field, value in changes.items():
            head, _, rest = field.partition(".")
            if head == "mask_options":
                mask[rest] = value
                if rest == "padding":
                    mask.setdefault("masked_only", True)
            elif head == "safety":
                current = top.get("safety") or base.safety or SafetyCheck(enabled=True)
                top["safety"] = attrs.evolve(current, **{rest: value})
            elif head == "loras[]":
                lora = Lora(name=_LORA_NAME)
                top["loras"] = (attrs.evolve(lora, **{rest: value}),)
            elif head == "embeddings[]":
                top["embeddings"] = (Embedding(name=value),)
            else:
                top[field] = value
        if ("width" in top) != ("height" in top):
            if "width" in top and base.height is None:
                top["height"] = image_size[1]
            elif "height" in top and base.width is None:
                top["width"] = image_size[0]
        if mask:
            top["mask_options"] = attrs.evolve(base.mask_options, **mask)
        return attrs.evolve(base, **top)
    except (ValidationError, TypeError, ValueError):
        return None


def field_path_of_error(path: str) -> str:
    """``$.loras[0].strength`` -> ``loras[].strength``; ``$.steps`` -> ``steps``."""
    text = path.removeprefix("$.").removeprefix("$")
    parts = []
    for part in text.split("."):
        if "[" in part:
            part = part.split("[", 1)[0] + "[]"
        parts.append(part)
    return ".".join(parts)


def _numbers(
    lo: float | None,
    hi: float | None,
    *,
    integer: bool,
    multiple_of: int | None,
    prefix: str,
) -> list[tuple[Any, str]]:
    out: list[tuple[Any, str]] = []
    span = None if lo is None or hi is None else hi - lo
    step: float = 1.0 if integer or span is None or span >= 4 else 0.1
    for bound, name in ((lo, "min"), (hi, "max")):
        if bound is None:
            continue
        for delta, suffix in ((-step, "-1"), (0.0, ""), (step, "+1")):
            value = bound + delta
            out.append((_number(value, integer), f"{prefix}{name}{suffix}"))
    if multiple_of is not None and lo is not None:
        out.append((_number(lo + multiple_of, integer), f"{prefix}min+multiple"))
        out.append((_number(lo + multiple_of // 2 or 1, integer), f"{prefix}not a multiple"))
    if not integer and lo is not None:
        # An integer where a float is expected (the neutral schema allows it; JSON differs).
        out.append((math.ceil(lo) if lo == math.ceil(lo) else lo, f"{prefix}int for float"))
    return out


def _number(value: float, integer: bool) -> Any:
    if integer:
        return round(value)
    rounded = round(value, 10)
    return int(rounded) if float(rounded).is_integer() and rounded == value else rounded


def boundary_cases(table: CapabilityTable, hints: Mapping[str, Bounds] | None = None) -> list[Case]:
    """Every boundary probe for ``table``, each value once per field, in table order."""
    hints = hints or {}
    cases: list[Case] = []
    for row in probed_fields(table):
        rule = neutral_rule(row.field)
        assert rule is not None
        found: list[tuple[Any, str]] = []
        bounds = [("", _row_bounds(row))]
        hint = hints.get(row.field)
        if hint is not None:
            bounds.append(("mock ", hint))
        for prefix, b in bounds:
            found.extend(_values_for(rule, b, prefix))
        if row.required and rule.optional:
            found.append((None, "missing"))
        seen: set[tuple[str, str]] = set()
        for value, label in found:
            key = (type(value).__name__, repr(value))
            if key in seen or (value is not None and check_value(rule, value, "$")):
                continue  # a duplicate, or a value the neutral schema refuses before any plugin
            seen.add(key)
            cases.append(Case(row.field, value, label))
    return cases


def _row_bounds(row: Capability) -> Bounds:
    return Bounds(
        minimum=row.minimum,
        maximum=row.maximum,
        multiple_of=row.multiple_of,
        choices=row.choices,
        min_length=row.min_length,
        max_length=row.max_length,
    )


def _values_for(rule: Rule, b: Bounds, prefix: str) -> list[tuple[Any, str]]:
    if rule.kind == "enum":
        assert rule.enum_type is not None
        members: Iterable[enum.Enum] = rule.enum_type
        plain = {getattr(c, "value", c) for c in (b.choices or ())}
        return [
            (m, f"{prefix}in enum" if m.value in plain else f"{prefix}off-enum")
            for m in members
            if b.choices is not None
        ]
    if rule.kind == "str":
        out: list[tuple[Any, str]] = []
        if b.min_length is not None:
            out.append(("x" * max(0, b.min_length - 1), f"{prefix}min_length-1"))
            out.append(("x" * b.min_length, f"{prefix}min_length"))
        if b.max_length is not None:
            out.append(("x" * b.max_length, f"{prefix}max_length"))
            out.append(("x" * (b.max_length + 1), f"{prefix}max_length+1"))
        if b.choices is not None:
            out.extend((c, f"{prefix}in enum") for c in b.choices)
        return out
    if b.choices is not None:  # integer choices, e.g. safety.level
        values = sorted({int(c) for c in b.choices})
        picks = [(values[0] - 1, "below choices"), *((v, "in choices") for v in values)]
        picks.append((values[-1] + 1, "above choices"))
        return [(v, f"{prefix}{label}") for v, label in picks]
    return _numbers(
        b.minimum,
        b.maximum,
        integer=rule.kind == "int",
        multiple_of=b.multiple_of,
        prefix=prefix,
    )


def mock_bounds(contract_id: str, table: CapabilityTable) -> dict[str, Bounds]:
    """Boundary hints from the mock's contract for the built-in providers, by neutral field.

    A contract row is matched to a capability row through the wire path the PLUGIN declares
    (``row.wire``), so a plugin that sends a value under a name the mock does not know simply
    gets no hint here (and is caught by the meaning checks instead).
    """
    try:
        from inpaintkit.mockserver.contracts import get_contract
    except ImportError:  # pragma: no cover - the mock ships with the package
        return {}
    try:
        contract = get_contract(contract_id)
    except KeyError:
        return {}
    wire_bounds: dict[str, Bounds] = {}
    for path, f in _flatten(contract.table(), ""):
        bounds = Bounds(
            minimum=f.minimum,
            maximum=f.maximum,
            multiple_of=f.multiple_of,
            choices=f.enum,
            min_length=f.min_length,
            max_length=f.max_length,
        )
        if any(v is not None for v in attrs.astuple(bounds)):
            for alias in (f.name, *f.aliases):
                wire_bounds[path.rsplit(".", 1)[0] + "." + alias if "." in path else alias] = bounds
    out: dict[str, Bounds] = {}
    for row in table:
        wire_path = row_path(row)
        if wire_path and wire_path in wire_bounds:
            out[row.field] = wire_bounds[wire_path]
        elif row.field.startswith("loras[].") and wire_path:
            item = wire_path.replace("[]", "")
            if item in wire_bounds:
                out[row.field] = wire_bounds[item]
    return out


def _flatten(fields: Sequence[Any], prefix: str) -> Iterable[tuple[str, Any]]:
    for f in fields:
        path = f"{prefix}.{f.name}" if prefix else f.name
        yield path, f
        if f.fields:
            yield from _flatten(f.fields, path)
