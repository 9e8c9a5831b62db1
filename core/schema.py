"""Field rules declared as data, checked the same way on construction and on JSON input.

Each attrs field of a neutral schema class carries a :class:`Rule` in its metadata (what type it
takes, its range or choices).  :func:`check_fields` collects *every* broken rule of an instance,
with its path, so a job with five bad fields reports five errors.  The strict cattrs converter in
:mod:`inpaintkit.convert` generates its per-field structure hooks from the same rules, so the
ranges are written once.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from .errors import FieldError, ValidationError
from .limits import Limits

__all__ = [
    "Rule",
    "check_fields",
    "check_value",
    "default_of",
    "raise_if_invalid",
    "rule_metadata",
    "rule_of",
]

_RULE_KEY = "inpaintkit.rule"


@attrs.frozen
class Rule:
    """What one field accepts.

    ``kind`` is one of ``"str"``, ``"int"``, ``"float"``, ``"bool"``, ``"enum"``, ``"bytes"``,
    ``"object"`` (a nested schema class), ``"tuple"`` (of ``item`` schema class),
    ``"mapping"`` (JSON object) or ``"any"`` (validated by a custom loader).  ``minimum`` and
    ``maximum`` are inclusive.  ``loader`` converts a JSON value for kinds that need it (for
    example an image given as a path, a URL or base64).
    """

    kind: str
    optional: bool = False
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    enum_type: type[enum.Enum] | None = None
    item: type | None = None
    loader: Callable[[Any, str], Any] | None = None
    doc: str = ""

    @property
    def limits(self) -> Limits:
        """The rule's bounds as the one :class:`~inpaintkit.limits.Limits` type (for a tuple,
        ``maximum`` is its item count)."""
        if self.kind == "tuple":
            return Limits(max_items=int(self.maximum) if self.maximum is not None else None)
        return Limits(minimum=self.minimum, maximum=self.maximum, min_length=self.min_length)

    def describe(self) -> str:
        """A short human description of the rule, used in error messages and docs."""
        return self.limits.describe_rule() if self.limits.describe_range() else ""


def rule_metadata(rule: Rule, doc: str = "") -> dict[str, Rule]:
    """attrs metadata carrying ``rule``; ``doc`` is the field's one meaning, shown in docs.

    Schema fields are declared with ``attrs.field(..., metadata=rule_metadata(rule, doc))``
    directly, so type checkers see which fields are required and what converters accept."""
    return {_RULE_KEY: attrs.evolve(rule, doc=doc or rule.doc)}


def default_of(a: attrs.Attribute[Any]) -> Any:
    """The default value of an attrs attribute, calling its factory if it has one."""
    default = a.default
    factory = getattr(default, "factory", None)
    if callable(factory) and hasattr(default, "takes_self"):
        return factory()
    return default


def rule_of(a: attrs.Attribute[Any]) -> Rule | None:
    """The :class:`Rule` attached to an attrs attribute, if any."""
    rule = a.metadata.get(_RULE_KEY)
    return rule if isinstance(rule, Rule) else None


_TYPE_WORDS = {
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "a boolean",
    "bytes": "bytes",
    "mapping": "an object",
    "tuple": "a list",
}


def check_value(rule: Rule, value: Any, path: str) -> list[FieldError]:
    """Type and range errors of one already-typed value (construction path)."""
    if value is None:
        return [] if rule.optional else [FieldError.missing(path)]
    kind = rule.kind
    if kind == "str":
        if not isinstance(value, str):
            return [FieldError(path, "must be a string", value)]
        if not _is_unicode_text(value):
            # A lone surrogate (from a bad decode) cannot be encoded as UTF-8 for the wire.
            return [
                FieldError(path, "must be valid Unicode text (it holds a lone surrogate)", value)
            ]
        return rule.limits.violations(value, path)
    if kind == "bool":
        return [] if isinstance(value, bool) else [FieldError(path, "must be a boolean", value)]
    if kind in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return [FieldError(path, f"must be {_TYPE_WORDS[kind]}", value)]
        if kind == "int" and not isinstance(value, int):
            return [FieldError(path, "must be an integer", value)]
        return rule.limits.violations(value, path)
    if kind == "enum":
        assert rule.enum_type is not None
        if not isinstance(value, rule.enum_type):
            return [FieldError(path, f"must be one of {_choices(rule.enum_type)}", value)]
        return []
    if kind == "object":
        if rule.item is not None and not isinstance(value, rule.item):
            return [FieldError(path, f"must be a {rule.item.__name__}", value)]
        return check_fields(value, path)
    if kind == "tuple":
        if not isinstance(value, tuple):
            return [FieldError(path, "must be a tuple", value)]
        errors: list[FieldError] = []
        for i, item in enumerate(value):
            item_path = f"{path}[{i}]"
            if rule.item is not None and not isinstance(item, rule.item):
                errors.append(FieldError(item_path, f"must be a {rule.item.__name__}", item))
            elif attrs.has(type(item)):
                errors.extend(check_fields(item, item_path))
        return errors + rule.limits.violations(value, path)
    if kind == "mapping":
        return [] if isinstance(value, Mapping) else [FieldError(path, "must be a mapping", value)]
    return []


def _is_unicode_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _choices(enum_type: type[enum.Enum]) -> str:
    return ", ".join(repr(m.value) for m in enum_type)


def check_fields(instance: Any, path: str = "$") -> list[FieldError]:
    """Every broken field rule of an attrs instance (recursively), plus its cross-field checks.

    A class may define ``_cross_field_errors(self, path) -> list[FieldError]`` for rules that
    involve several fields (for example width and height given together).
    """
    errors: list[FieldError] = []
    cls: Any = type(instance)
    for name, rule in _rules(cls):
        errors.extend(check_value(rule, getattr(instance, name), f"{path}.{name}"))
    cross = getattr(instance, "_cross_field_errors", None)
    if cross is not None:
        known_bad = {e.path for e in errors}
        errors.extend(e for e in cross(path) if e.path not in known_bad)
    return errors


@functools.cache
def _rules(cls: Any) -> tuple[tuple[str, Rule], ...]:
    """The ruled attributes of an attrs class, read once per class (every job construction
    checks them)."""
    out: list[tuple[str, Rule]] = []
    for a in attrs.fields(cls):
        rule = rule_of(a)
        if rule is not None:
            out.append((a.name, rule))
    return tuple(out)


def raise_if_invalid(instance: Any) -> None:
    """Raise one :class:`ValidationError` listing every broken rule of ``instance``."""
    errors = check_fields(instance)
    if errors:
        raise ValidationError(errors)
