"""The strict cattrs converter for job files and other JSON forms of the neutral schema.

cattrs is lenient by default: it turns ``"30"`` into ``30`` and ``1`` into ``True``.  A job file
with ``"steps": "30"`` is almost always a mistake (or a provider's wire format leaking into the
neutral one), so this converter rejects wrong types instead.  Its per-field structure hooks are
generated from the :class:`~inpaintkit.schema.Rule` metadata of each schema class, so ranges and
types are written once, and cattrs' detailed validation collects every failing field; the errors
are then reported as one :class:`~inpaintkit.errors.ValidationError` with JSON paths.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from .errors import FieldError, ValidationError
from .files import read_file
from .job import ImageInput, InpaintJob, iter_schema_classes
from .schema import Rule, check_value, rule_of

__all__ = [
    "converter",
    "dump_job",
    "job_from_dict",
    "job_to_dict",
    "load_job",
    "make_converter",
    "structure_options",
]

T = TypeVar("T")


class _RuleViolation(ValueError):
    """Raised inside a structure hook; carries ready-made field errors (relative paths)."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


def _field_hook(conv: cattrs.Converter, rule: Rule) -> Callable[[Any, Any], Any]:
    """A structure hook for one field, enforcing its rule strictly."""

    def hook(value: Any, _type: Any) -> Any:
        if value is None:
            if rule.optional:
                return None
            raise _RuleViolation([FieldError("$", "must not be null", value)])
        if rule.loader is not None:
            try:
                return rule.loader(value, "$")
            except ValidationError as exc:
                raise _RuleViolation(list(exc.errors)) from None
        if rule.kind == "enum":
            assert rule.enum_type is not None
            try:
                return rule.enum_type(value)
            except ValueError:
                raise _RuleViolation(check_value(rule, value, "$")) from None
        if rule.kind == "object":
            assert rule.item is not None
            return conv.structure(value, rule.item)
        if rule.kind == "tuple":
            assert rule.item is not None
            if not isinstance(value, list):
                raise _RuleViolation([FieldError("$", "must be a list", value)])
            # Item counts are checked when the enclosing class is constructed (check_fields).
            return conv.structure(value, tuple[rule.item, ...])  # type: ignore[name-defined]
        if rule.kind == "mapping":
            if not isinstance(value, dict):
                raise _RuleViolation([FieldError("$", "must be an object", value)])
            return value
        if rule.kind == "float" and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        errors = check_value(rule, value, "$")
        if errors:
            raise _RuleViolation(errors)
        return value

    return hook


def _class_hook(conv: cattrs.Converter, cls: type) -> Callable[[Any, Any], Any]:
    overrides = {
        a.name: override(struct_hook=_field_hook(conv, rule))
        for a in attrs.fields(cls)
        if (rule := rule_of(a)) is not None
    }
    make_fn = cast(Any, make_dict_structure_fn)
    inner: Callable[[Any, Any], Any] = make_fn(
        cls, conv, _cattrs_forbid_extra_keys=True, **overrides
    )

    def hook(value: Any, _type: Any) -> Any:
        if not isinstance(value, dict):
            raise _RuleViolation([FieldError("$", "must be an object", value)])
        try:
            return inner(value, cls)
        except ValidationError as exc:  # cross-field rules raised by the constructor
            raise _RuleViolation(list(exc.errors)) from None

    return hook


def make_converter() -> cattrs.Converter:
    """A fresh strict converter for the neutral schema (extend it for your own classes)."""
    conv = cattrs.Converter(detailed_validation=True, forbid_extra_keys=True)
    from . import job as job_module

    for cls in iter_schema_classes():
        attrs.resolve_types(cls, globalns=vars(job_module))
    # Leaves first: cattrs binds a field's hook when the enclosing class's function is generated.
    for cls in reversed(tuple(iter_schema_classes())):
        if cls is ImageInput:
            conv.register_structure_hook(
                ImageInput,
                lambda v, _t: ImageInput.from_json(v, "$") if not isinstance(v, ImageInput) else v,
            )
            conv.register_unstructure_hook(ImageInput, lambda img: img.to_json())
            continue
        conv.register_structure_hook(cls, _class_hook(conv, cls))
        enum_fields = {
            a.name: override(unstruct_hook=lambda e: None if e is None else e.value)
            for a in attrs.fields(cls)
            if (rule := rule_of(a)) is not None and rule.kind == "enum"
        }
        conv.register_unstructure_hook(
            cls,
            cast(Any, make_dict_unstructure_fn)(
                cls, conv, _cattrs_omit_if_default=True, **enum_fields
            ),
        )
    return conv


converter = make_converter()
"""The shared strict converter.  It holds no per-call state, so sharing it is safe."""


def _join(path: str, rel: str) -> str:
    return path + rel[1:] if rel.startswith("$") else f"{path}.{rel}"


def _collect(exc: BaseException, path: str) -> list[FieldError]:
    """Flatten cattrs' exception groups into field errors with JSON paths."""
    if isinstance(exc, ClassValidationError | IterableValidationError):
        errors: list[FieldError] = []
        with_notes, without = exc.group_exceptions()
        for sub, note in with_notes:
            if isinstance(note, AttributeValidationNote):
                errors.extend(_collect(sub, f"{path}.{note.name}"))
            elif isinstance(note, IterableValidationNote):
                errors.extend(_collect(sub, f"{path}[{note.index}]"))
            else:  # pragma: no cover - defensive
                errors.extend(_collect(sub, path))
        for sub in without:
            errors.extend(_collect(sub, path))
        return errors
    if isinstance(exc, ForbiddenExtraKeysError):
        name = exc.cl.__name__ if exc.cl is not None else "the object"
        return [
            FieldError(f"{path}.{key}", f"is not a field of {name}", None, has_value=False)
            for key in sorted(exc.extra_fields)
        ]
    if isinstance(exc, _RuleViolation):
        return [attrs.evolve(e, path=_join(path, e.path)) for e in exc.errors]
    if isinstance(exc, KeyError):
        return [FieldError.missing(path)]
    if isinstance(exc, ValidationError):
        return [attrs.evolve(e, path=_join(path, e.path)) for e in exc.errors]
    return [FieldError(path, f"is invalid ({type(exc).__name__}: {exc})", None, has_value=False)]


def structure(data: Any, cls: type[T], conv: cattrs.Converter | None = None) -> T:
    """Structure ``data`` into ``cls`` strictly; raise one ValidationError listing every error."""
    conv = conv or converter
    try:
        return conv.structure(data, cls)
    except (ClassValidationError, IterableValidationError, _RuleViolation, ValidationError) as exc:
        raise ValidationError(_collect(exc, "$")) from None


_OPTION_HOOKS: set[type] = set()


def structure_options(data: Any, cls: type[T]) -> T:
    """Structure a provider's options (an attrs class of :func:`inpaintkit.options.option`
    fields) strictly, like the neutral schema: unknown keys and wrong types are errors."""
    if cls not in _OPTION_HOOKS:
        converter.register_structure_hook(cls, _class_hook(converter, cls))
        _OPTION_HOOKS.add(cls)
    return structure(data, cls)


def job_from_dict(data: Any, *, base_dir: Path | None = None) -> InpaintJob:
    """Build a job from JSON-like data; relative image paths resolve against ``base_dir``."""
    job = structure(data, InpaintJob)
    if base_dir is not None:
        changes: dict[str, Any] = {}
        for name in ("image", "mask"):
            img: ImageInput = getattr(job, name)
            if img.path is not None and not img.path.is_absolute():
                changes[name] = ImageInput(path=base_dir / img.path)
        if changes:
            job = attrs.evolve(job, **changes)
    return job


def job_to_dict(job: InpaintJob) -> dict[str, Any]:
    """The JSON form of a job; fields at their defaults are omitted."""
    data = converter.unstructure(job)
    assert isinstance(data, dict)
    return data


def load_job(path: str | Path) -> InpaintJob:
    """Read a JSON job file; image paths in it are relative to the file's folder."""
    path = Path(path)

    def fail(rule: str) -> ValidationError:
        return ValidationError([FieldError.missing("$", f"{rule} (job file {str(path)!r})")])

    try:
        text = read_file(path).decode("utf-8")
    except OSError as exc:
        raise fail(f"cannot be read: {exc.strerror or type(exc).__name__}") from None
    except UnicodeDecodeError as exc:
        raise fail(f"is not UTF-8 text (invalid byte at offset {exc.start})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(f"is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise fail("is nested too deeply to be a job") from None
    try:
        return job_from_dict(data, base_dir=path.parent)
    except RecursionError:
        raise fail("is nested too deeply to be a job") from None


def dump_job(job: InpaintJob, path: str | Path) -> None:
    """Write a job as a JSON file (the inverse of :func:`load_job`)."""
    Path(path).write_text(json.dumps(job_to_dict(job), indent=2) + "\n", encoding="utf-8")
