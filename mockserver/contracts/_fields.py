"""Contract tables as data, and the one engine that checks a JSON value against them.

A provider's contract is a tuple of :class:`Field` rows.  Validation (this module), the error
messages (derived from the same row by each provider's formatter) and the OpenAPI schemas
(:mod:`inpaintkit.mockserver.openapi`) all read the rows, so a range is written exactly once.

How lenient the provider's server is about JSON types is a property of its stack, not of a field,
so it lives in a :class:`Dialect`: StableDiffusionAPI and ModelsLab run a Laravel-style validator
(numeric strings, ``yes``/``no``, empty strings treated as absent); Novita runs a typed decoder in
which an optional field holding its zero value is indistinguishable from an absent one.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

__all__ = [
    "UNSET",
    "Dialect",
    "Field",
    "ImageLimits",
    "Kind",
    "Rule",
    "Violation",
    "in_range",
    "rule_text",
    "short_value",
    "validate_object",
]

INT_STRING = re.compile(r"-?\d+")
NUMBER_STRING = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")
INLINE_PREFIX = "data:"
URL_SCHEMES = ("http://", "https://")


class Kind(enum.Enum):
    """The JSON shape a row describes."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    OBJECT = "object"
    ARRAY = "array"
    NUMBER_LIST = "number_list"  # a number, or comma-separated numbers in a string (ModelsLab LoRA)


class ImageMode(enum.Enum):
    """How an image field carries its image."""

    BASE64 = "base64"  # inline base64 only (Novita)
    URL = "url"  # http(s) or data: URL (StableDiffusionAPI)
    URL_OR_INLINE = "url_or_inline"  # a URL, or inline base64 when a flag field is true (ModelsLab)


@attrs.frozen
class ImageLimits:
    """Limits the server applies after decoding an image field."""

    mode: ImageMode
    max_bytes: int | None = None
    max_pixels: int | None = None
    same_resolution_as: str | None = None  # wire name of the field whose resolution must match
    inline_flag: str | None = None  # for URL_OR_INLINE: the boolean field that permits inline data
    formats: tuple[str, ...] = ()  # accepted decoded formats (lower case); empty = any decodable


@attrs.frozen
class Field:
    """One wire field: its JSON shape, its rules, and where the rules come from.

    ``source`` cites the seed file or reference section the row transcribes; ``note`` records
    what another source says where it disagrees, and any decision taken.
    """

    name: str
    kind: Kind
    source: str
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    multiple_of: int | None = None
    enum: tuple[Any, ...] | None = None
    min_length: int | None = None
    max_length: int | None = None
    max_items: int | None = None
    fields: tuple[Field, ...] = ()  # OBJECT members, or the members of each ARRAY item
    uri: bool = False  # STRING that must be an http(s) URL
    image: ImageLimits | None = None
    default: Any = None
    aliases: tuple[str, ...] = ()  # other wire names accepted for the same value
    accepts_bool: bool = False  # INTEGER 0/1 field that also takes JSON true/false
    description: str = ""
    note: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@attrs.frozen
class Dialect:
    """How a provider's server reads JSON types (see the module docstring)."""

    numeric_strings: bool  # "512" is an integer, "7.5" a number
    yes_no: bool  # "yes"/"no" are booleans
    zero_is_unset: bool  # an optional number holding 0 outside its range counts as absent


class Rule(enum.Enum):
    """Which rule of a row a value broke; providers word each one their own way."""

    REQUIRED = "required"
    TYPE = "type"
    RANGE = "range"
    ENUM = "enum"
    LENGTH = "length"
    ITEMS = "items"
    MULTIPLE = "multiple"
    URL = "url"
    FORMAT = "format"  # a string that does not decode (base64)


@attrs.frozen
class Violation:
    """The first broken rule: where, which row, which rule, and the value found."""

    path: str
    field: Field
    rule: Rule
    value: Any = attrs.field(default=None, repr=False)


LIST_DIALECT = Dialect(numeric_strings=True, yes_no=False, zero_is_unset=False)


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def _fmt_num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def range_text(field: Field) -> str | None:
    """The row's numeric range in interval notation, e.g. ``[1, 100]`` or ``(0, 100]``."""
    lo, hi = field.minimum, field.maximum
    if lo is None and hi is None:
        return None
    left = "(" if field.exclusive_minimum else "["
    lo_text = "-inf" if lo is None else _fmt_num(lo)
    hi_text = "+inf" if hi is None else _fmt_num(hi)
    return f"{left}{lo_text}, {hi_text}{']' if hi is not None else ')'}"


def rule_text(field: Field, rule: Rule) -> str:
    """A human-readable statement of ``rule`` for ``field``, derived from the row."""
    if rule is Rule.REQUIRED:
        return "is required"
    if rule is Rule.ENUM:
        assert field.enum is not None or field.kind is Kind.BOOLEAN
        options = field.enum if field.enum is not None else ("yes", "no", True, False)
        return "must be one of " + ", ".join(repr(o) for o in options)
    if rule is Rule.RANGE:
        text = range_text(field)
        return f"must be in {text}" if text else "out of range"
    if rule is Rule.MULTIPLE:
        return f"must be a multiple of {field.multiple_of}"
    if rule is Rule.LENGTH:
        return f"length must be in [{field.min_length or 0}, {field.max_length}]"
    if rule is Rule.ITEMS:
        return f"must have at most {field.max_items} items"
    if rule is Rule.URL:
        if field.image is not None and field.image.mode is ImageMode.URL_OR_INLINE:
            return f"must be an http(s) URL, or base64 data when {field.image.inline_flag} is yes"
        return "must be an http(s) or data: URL"
    if rule is Rule.FORMAT:
        return "must be valid base64 (plain or a data: URL)"
    return "must be " + _type_text(field)


def _type_text(field: Field) -> str:
    return {
        Kind.STRING: "a string",
        Kind.INTEGER: "an integer" + (" (or a boolean)" if field.accepts_bool else ""),
        Kind.NUMBER: "a number",
        Kind.BOOLEAN: "a boolean",
        Kind.OBJECT: "an object",
        Kind.ARRAY: "an array",
        Kind.NUMBER_LIST: "a number or comma-separated numbers",
    }[field.kind]


def short_value(value: Any) -> str:
    """A bounded rendering of a wire value for messages (images are 40 MB of base64)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def validate_object(
    fields: Sequence[Field],
    obj: Mapping[str, Any],
    dialect: Dialect,
    prefix: str = "",
    ignored: list[str] | None = None,
) -> dict[str, Any] | Violation:
    """Check ``obj`` against ``fields`` in table order: the normalised members, or a violation.

    Absent and ``null`` (and ``""``, which both providers' servers read as absent) optional members
    are left out of the result.  Members no row names are left out too and recorded in ``ignored``.
    """
    out: dict[str, Any] = {}
    for field in fields:
        seen = False
        for name in field.names:
            path = join(prefix, name)
            result = check_value(field, obj.get(name), path, dialect, obj)
            if isinstance(result, Violation):
                return result
            if result is not UNSET:
                out[name] = result
                seen = True
        if field.required and not seen:
            return Violation(join(prefix, field.name), field, Rule.REQUIRED, None)
    if ignored is not None:
        known = {name for field in fields for name in field.names}
        ignored.extend(join(prefix, key) for key in obj if key not in known)
    return out


def check_value(
    field: Field, value: Any, path: str, dialect: Dialect, siblings: Mapping[str, Any]
) -> Any:
    """Normalise one present-or-absent value; ``UNSET`` when absent, a Violation when broken.

    ``required`` is enforced by the caller, so an aliased field can be given under either name.
    """
    if value is None or value == "":
        return UNSET
    kind = field.kind
    if kind is Kind.STRING:
        return _check_string(field, value, path, dialect, siblings)
    if kind in (Kind.INTEGER, Kind.NUMBER):
        number = _to_number(field, value, dialect)
        if number is None:
            return Violation(path, field, Rule.TYPE, value)
        if dialect.zero_is_unset and number == 0 and not field.required and not in_range(field, 0):
            return UNSET
        return _check_number(field, number, path, value)
    if kind is Kind.BOOLEAN:
        flag = to_bool(value, dialect)
        if flag is None:
            return Violation(path, field, Rule.ENUM if dialect.yes_no else Rule.TYPE, value)
        return flag
    if kind is Kind.OBJECT:
        if not isinstance(value, Mapping):
            return Violation(path, field, Rule.TYPE, value)
        return validate_object(field.fields, value, dialect, path)
    if kind is Kind.ARRAY:
        return _check_array(field, value, path, dialect)
    return _check_number_list(field, value, path, dialect)


def to_bool(value: Any, dialect: Dialect) -> bool | None:
    """JSON booleans always; ``"yes"``/``"no"`` where the dialect reads them."""
    if isinstance(value, bool):
        return value
    if dialect.yes_no and isinstance(value, str) and value in ("yes", "no"):
        return value == "yes"
    return None


def _check_string(
    field: Field, value: Any, path: str, dialect: Dialect, siblings: Mapping[str, Any]
) -> Any:
    if not isinstance(value, str):
        return Violation(path, field, Rule.TYPE, value)
    if field.enum is not None and value not in field.enum:
        return Violation(path, field, Rule.ENUM, value)
    if (field.min_length is not None and len(value) < field.min_length) or (
        field.max_length is not None and len(value) > field.max_length
    ):
        return Violation(path, field, Rule.LENGTH, value)
    if field.uri and not value.startswith(URL_SCHEMES):
        return Violation(path, field, Rule.URL, value)
    image = field.image
    if image is not None and image.mode is not ImageMode.BASE64:
        is_url = value.startswith((*URL_SCHEMES, INLINE_PREFIX))
        inline_ok = False
        if image.mode is ImageMode.URL_OR_INLINE and image.inline_flag is not None:
            inline_ok = to_bool(siblings.get(image.inline_flag), dialect) is True
        if not (is_url or inline_ok):
            return Violation(path, field, Rule.URL, value)
    return value


_MAX_NUMBER_CHARS = 1000


def _to_number(field: Field, value: Any, dialect: Dialect) -> float | int | None:
    if isinstance(value, bool):
        return int(value) if field.accepts_bool else None
    if isinstance(value, str):
        if not dialect.numeric_strings:
            return None
        pattern = INT_STRING if field.kind is Kind.INTEGER else NUMBER_STRING
        if not pattern.fullmatch(value) or len(value) > _MAX_NUMBER_CHARS:
            return None  # too long to be a number any provider parses (and int() refuses it)
        if field.kind is Kind.INTEGER:
            return int(value)
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, int):
        return value if field.kind is Kind.INTEGER else float(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if field.kind is Kind.INTEGER:
            return int(value) if value.is_integer() else None
        return value
    return None


def in_range(field: Field, number: float) -> bool:
    lo, hi = field.minimum, field.maximum
    if lo is not None and (number <= lo if field.exclusive_minimum else number < lo):
        return False
    return not (hi is not None and number > hi)


def _check_number(field: Field, number: float, path: str, raw: Any) -> Any:
    if field.enum is not None:
        if number not in field.enum:
            return Violation(path, field, Rule.ENUM, raw)
        return number
    if not in_range(field, number):
        return Violation(path, field, Rule.RANGE, raw)
    if field.multiple_of is not None and number % field.multiple_of != 0:
        return Violation(path, field, Rule.MULTIPLE, raw)
    return number


def _check_array(field: Field, value: Any, path: str, dialect: Dialect) -> Any:
    if not isinstance(value, list):
        return Violation(path, field, Rule.TYPE, value)
    if field.max_items is not None and len(value) > field.max_items:
        return Violation(path, field, Rule.ITEMS, len(value))
    items: list[Any] = []
    for index, item in enumerate(value):
        item_path = f"{path}[{index}]"
        if not isinstance(item, Mapping):
            return Violation(item_path, field, Rule.TYPE, item)
        result = validate_object(field.fields, item, dialect, item_path)
        if isinstance(result, Violation):
            return result
        items.append(result)
    return items


def _check_number_list(field: Field, value: Any, path: str, dialect: Dialect) -> Any:
    if isinstance(value, str):
        parts: list[Any] = [part.strip() for part in value.split(",")]
    elif isinstance(value, int | float) and not isinstance(value, bool):
        parts = [value]
    else:
        return Violation(path, field, Rule.TYPE, value)
    numbers: list[float] = []
    as_number = attrs.evolve(field, kind=Kind.NUMBER)
    for part in parts:
        number = _to_number(as_number, part, LIST_DIALECT)
        if number is None:
            return Violation(path, field, Rule.TYPE, value)
        if not in_range(field, number):
            return Violation(path, field, Rule.RANGE, value)
        numbers.append(float(number))
    return numbers
