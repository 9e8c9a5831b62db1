"""Wire mappings as data: how a neutral field reaches the provider's request.

A capability row's ``wire`` says where its field goes, as data the core can act on:

* :class:`Wire`: one wire field at a plain path (``"request.steps"``, ``"loras[].model_name"``
  for list items, ``"steps"`` in a flat body or form) with an optional encoder and what to send
  when the job leaves the field unset.  The core builds these into the body itself
  (:func:`build_fields`), so a plain row needs no adapter code at all.
* :class:`Composite`: one neutral field that spans several wire fields (a sampler that becomes
  ``scheduler`` + ``use_karras_sigmas`` + ``algorithm_type``), built by a named pure function of
  the neutral value.  Also built by the core.
* :class:`Fixed`: no wire field at all, because the provider always behaves one way (Novita's
  NSFW detection only reports, Novita never rewrites the prompt).  The row says which neutral
  value that behaviour is; a job asking for another value is unsupported.
* :class:`Custom`: wire fields that only the adapter can write because they need more than the
  field's value (the input images, whose encoding depends on transport; an output size that
  falls back to the prepared image's size).  The row still names its wire paths, so error
  mapping and the matrix know them.

The same rows answer the reverse question, "which neutral field is ``num_inference_steps``?"
(:func:`field_for_wire`), which is how provider validation errors are mapped back to the job.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, TypeVar

import attrs

if TYPE_CHECKING:
    from .job import InpaintJob
    from .provider import Capability

__all__ = [
    "OMIT",
    "Composite",
    "Custom",
    "Fixed",
    "Unset",
    "Wire",
    "WireMapping",
    "as_int",
    "as_string",
    "build_fields",
    "enum_value",
    "field_for_wire",
    "neutral_unset",
    "path_text",
    "set_path",
    "wire_paths",
    "yes_no",
]

_PATH = re.compile(r"^[A-Za-z_][\w-]*(\[\])?(\.[A-Za-z_][\w-]*(\[\])?)*$")


class _Omit:
    """The encoder's way of saying "send nothing for this value"."""

    def __repr__(self) -> str:
        return "OMIT"


OMIT: Final = _Omit()
"""Returned by an encoder to leave the wire field out (for example an empty negative prompt)."""


class Unset(enum.StrEnum):
    """What a :class:`Wire` row sends when the job leaves its field unset."""

    OMIT = "omit"
    """Nothing: the provider's own default applies."""
    NULL = "null"
    """An explicit JSON ``null`` (as some providers' own examples send)."""
    DEFAULT = "default"
    """The row's ``default``, encoded like a value (for fields the provider requires)."""
    NEUTRAL = "neutral"
    """The neutral meaning of an unset field (:data:`inpaintkit.job.NEUTRAL_UNSET`), encoded
    like a value: for fields whose provider defaults differ (strength, enhance_prompt...)."""


def _check_path(path: str) -> str:
    if not _PATH.match(path):
        raise ValueError(f"wire path {path!r} must be dotted names, with [] after a list name")
    return path


def _plain(value: Any) -> Any:
    """The default encoder: values as they are, enum members as their wire values."""
    return value.value if isinstance(value, enum.Enum) else value


def _paths(paths: Iterable[str]) -> tuple[str, ...]:
    return tuple(_check_path(p) for p in paths)


@attrs.frozen
class Wire:
    """A neutral field sent as one wire field at ``path``, through ``encode``."""

    path: str = attrs.field(converter=_check_path)
    encode: Callable[[Any], Any] = attrs.field(default=_plain, eq=False)
    unset: Unset = attrs.field(default=Unset.OMIT, converter=Unset)

    @property
    def paths(self) -> tuple[str, ...]:
        """The wire paths this mapping writes."""
        return (self.path,)

    def describe(self) -> str:
        """The mapping as text for the capability matrix."""
        encoder = getattr(self.encode, "__name__", "")
        shown = f"{self.path} ({encoder})" if encoder not in ("", "_plain") else self.path
        return shown + (f", {self.unset.value} when unset" if self.unset is not Unset.OMIT else "")


@attrs.frozen
class Composite:
    """A neutral field spread over several wire fields by ``build(value) -> {path: value}``.

    ``build`` is a pure function of the neutral value; it must write only the declared
    ``paths`` (checked when the body is built).  ``unset`` applies as for :class:`Wire`, with
    ``build`` called on the row default for :attr:`Unset.DEFAULT`.
    """

    paths: tuple[str, ...] = attrs.field(converter=_paths)
    build: Callable[[Any], Mapping[str, Any]] = attrs.field(eq=False)
    unset: Unset = attrs.field(default=Unset.OMIT, converter=Unset)

    def describe(self) -> str:
        """The mapping as text for the capability matrix."""
        name = getattr(self.build, "__name__", "composite")
        return f"{' + '.join(self.paths)} ({name})"


@attrs.frozen
class Custom:
    """Wire fields the adapter writes itself; ``why`` says what it needs beyond the value."""

    paths: tuple[str, ...] = attrs.field(converter=_paths)
    why: str = ""

    def describe(self) -> str:
        """The mapping as text for the capability matrix."""
        return " + ".join(self.paths) + " (adapter)"


@attrs.frozen
class Fixed:
    """Nothing is sent: the provider always behaves as neutral ``value`` (``why`` cites it).

    Planning accepts the field when the job leaves it unset or sets exactly ``value``; any other
    value is unsupported (an error under the default policy; with ``warn``/``drop`` it is
    replaced by ``value`` and recorded as dropped, which is what the provider does anyway).
    """

    value: Any
    why: str = ""

    @property
    def paths(self) -> tuple[str, ...]:
        """No wire paths: nothing is sent."""
        return ()

    def describe(self) -> str:
        """The mapping as text for the capability matrix."""
        return f"always {getattr(self.value, 'value', self.value)!s} (nothing sent)"


WireMapping = Wire | Composite | Custom | Fixed


def path_text(mapping: WireMapping | None) -> str:
    """The wire paths of a mapping joined with `` + `` (empty for none), for messages."""
    return " + ".join(mapping.paths) if mapping is not None else ""


def as_string(value: Any) -> str:
    """Numbers sent as strings (``"30"``), as some providers' documented examples do."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(getattr(value, "value", value))


def as_int(value: Any) -> int:
    """Booleans sent as ``0``/``1`` flags."""
    return int(value)


def yes_no(value: Any) -> str:
    """Booleans sent as ``"yes"``/``"no"``."""
    return "yes" if value else "no"


def enum_value(value: Any) -> Any:
    """An enum member's wire value (``OutputFormat.PNG`` -> ``"png"``)."""
    return getattr(value, "value", value)


def wire_paths(row: Capability) -> tuple[str, ...]:
    """The wire paths a row writes (none for rows without a mapping)."""
    return row.wire.paths if row.wire is not None else ()


def set_path(body: dict[str, Any], path: str, value: Any) -> None:
    """Put ``value`` at dotted ``path`` in ``body``, creating objects on the way."""
    if "." not in path:
        body[path] = value
        return
    *parents, leaf = path.split(".")
    _put(body, parents, leaf, value, path)


def _put(body: dict[str, Any], parents: Sequence[str], leaf: str, value: Any, path: str) -> None:
    """:func:`set_path` with the path already split (``path`` only names it in the error)."""
    node = body
    for part in parents:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ValueError(f"wire path {path!r} runs through a value that is not an object")
        node = child
    node[leaf] = value


def _leaf_name(path: str) -> str:
    return path.rsplit(".", 1)[-1].removesuffix("[]")


def field_for_wire(rows: Iterable[Capability], wire_name: str) -> str | None:
    """The neutral field whose row writes the wire field ``wire_name``.

    ``wire_name`` may be a full path (``"request.steps"``) or a provider's bare field name as it
    appears in an error (``"steps"``, ``"num_inference_steps"``).  Leaf rows win over their
    containers, list item rows over the list, and an exact path over a bare name.
    """
    wire_name = re.sub(r"\[\d+\]|\.\d+(?=\.|$)", "", wire_name)
    exact: str | None = None
    by_leaf: str | None = None
    for row in rows:
        for path in wire_paths(row):
            plain = path.replace("[]", "")
            if wire_name in (path, plain):
                exact = row.field
            elif _leaf_name(path) == wire_name:
                by_leaf = row.field
    return exact or by_leaf


def neutral_unset(field: str) -> Any:
    """The value an unset ``field`` means on every provider (``Unset.NEUTRAL``)."""
    from .job import NEUTRAL_UNSET

    if field not in NEUTRAL_UNSET:
        raise ValueError(f"{field}: unset=NEUTRAL, but the neutral schema defines no unset value")
    return NEUTRAL_UNSET[field]


def _unset_value(row: Capability) -> Any:
    """The neutral value to encode for an unset field, or OMIT / None (meaning null)."""
    mapping = row.wire
    assert isinstance(mapping, Wire | Composite)
    if mapping.unset is Unset.DEFAULT:
        if row.default is None:
            raise ValueError(f"{row.field}: unset=DEFAULT needs a row default")
        return row.default
    if mapping.unset is Unset.NEUTRAL:
        return neutral_unset(row.field)
    if mapping.unset is Unset.NULL:
        return None
    return OMIT


def _emit(body: dict[str, Any], row: Capability, value: Any, *, path_prefix: str = "") -> None:
    mapping = row.wire
    if isinstance(mapping, Wire):
        encoded = None if value is None else mapping.encode(value)
        if encoded is not OMIT:
            set_path(body, path_prefix + mapping.path, encoded)
    elif isinstance(mapping, Composite):
        if value is None:
            for path in mapping.paths:
                set_path(body, path, None)
            return
        produced = dict(mapping.build(value))
        stray = set(produced) - set(mapping.paths)
        if stray:
            raise ValueError(f"{row.field}: composite wrote undeclared wire paths {sorted(stray)}")
        for path, encoded in produced.items():
            if encoded is not OMIT:
                set_path(body, path, encoded)


def build_fields(job: InpaintJob, rows: Iterable[Capability]) -> dict[str, Any]:
    """The wire fields of every plain row (:class:`Wire` and :class:`Composite`), as a body.

    Only native rows are built; emulated and dropped fields arrive cleared by planning.  A list
    item row (``loras[].name`` -> ``request.loras[].model_name``) writes one object per item at
    the list's wire path.  Custom rows are left to the adapter.
    """
    from .job import field_applies

    body: dict[str, Any] = {}
    for step in _build_steps(rows):
        row = step.row
        if step.conditional and not field_applies(job, row.field):
            continue  # the padding without masked_only: it means nothing, so nothing is sent
        if step.item:
            _emit_items(body, row, job)
            continue
        value = step.read(job)
        if step.skips_containers and _is_container(value):
            continue  # safety, webhook, storage, loras: their leaf and item rows write them
        if value is None or value == ():
            value = step.unset
            if value is OMIT:
                continue
            if isinstance(value, _Broken):
                raise ValueError(value.why)
        step.emit(body, value)
    return body


@attrs.frozen
class _BuildStep:
    """One plain row, with what :func:`build_fields` would otherwise work out per job."""

    row: Capability
    read: Callable[[Any], Any]
    item: bool
    conditional: bool
    skips_containers: bool
    unset: Any
    """What an unset value becomes (:func:`_unset_value`), or :class:`_Broken`."""
    emit: Callable[[dict[str, Any], Any], None]


@attrs.frozen
class _Broken:
    """A row whose unset value cannot be worked out: the error, raised when it is needed."""

    why: str


def _unset_or_broken(row: Capability) -> Any:
    try:
        return _unset_value(row)
    except ValueError as exc:
        return _Broken(str(exc))


def _emitter(row: Capability) -> Callable[[dict[str, Any], Any], None]:
    """Writes a row's value into a body: a :class:`Wire` row's path split once, not per job."""
    mapping = row.wire
    if not isinstance(mapping, Wire) or "[]" in mapping.path:
        return lambda body, value: _emit(body, row, value)
    encode, path = mapping.encode, mapping.path
    *parents, leaf = path.split(".")

    def emit(body: dict[str, Any], value: Any) -> None:
        encoded = None if value is None else encode(value)
        if encoded is not OMIT:
            _put(body, parents, leaf, encoded, path)

    return emit


T = TypeVar("T")

_KEPT_PER_FUNCTION: Final = 64


def per_table(derive: Callable[[Iterable[Capability]], T]) -> Callable[[Iterable[Capability]], T]:
    """``derive(rows)`` worked out once per capability table instead of once per job.

    Every job of a provider goes through the same table, and sorting its rows cost more than
    the work they were sorted for.  A table (or tuple of rows) is immutable, so what is derived
    from it is kept, with the table itself, so that its ``id`` cannot be reused while kept; a
    list or an iterator is derived afresh each time.
    """
    kept: dict[int, tuple[object, T]] = {}

    @functools.wraps(derive)
    def derived(rows: Iterable[Capability]) -> T:
        entry = kept.get(id(rows))
        if entry is not None and entry[0] is rows:
            return entry[1]
        value = derive(rows)
        if not isinstance(rows, list | Iterator):
            if len(kept) >= _KEPT_PER_FUNCTION:
                kept.clear()
            kept[id(rows)] = (rows, value)
        return value

    return derived


@per_table
def _build_steps(rows: Iterable[Capability]) -> tuple[_BuildStep, ...]:
    """The rows :func:`build_fields` builds, with what it needs of each."""
    from .job import APPLIES_CONDITIONALLY

    return tuple(
        _BuildStep(
            row=row,
            read=_reader(row.field),
            item="[]." in row.field,
            conditional=row.field in APPLIES_CONDITIONALLY,
            skips_containers=isinstance(row.wire, Wire),
            unset=_unset_or_broken(row),
            emit=_emitter(row),
        )
        for row in rows
        if row.wire is not None
        and not isinstance(row.wire, Custom | Fixed)
        and row.support == "native"
    )


def _reader(field: str) -> Callable[[Any], Any]:
    """A function reading neutral ``field`` (``"mask_options.blur"``) off a job, ``None`` where
    a parent is unset (as :func:`inpaintkit.planning.get_path`)."""
    if "." not in field:
        return lambda job: getattr(job, field, None)
    parts = field.split(".")

    def read(job: Any) -> Any:
        value = job
        for part in parts:
            if value is None:
                return None
            value = getattr(value, part, None)
        return value

    return read


_SCALARS: Final = (str, int, float, bool, type(None))


def _is_container(value: Any) -> bool:
    if type(value) in _SCALARS:  # most fields: no attrs lookup needed
        return False
    if isinstance(value, tuple):
        return bool(value) and attrs.has(type(value[0]))
    return attrs.has(type(value))


def _emit_items(body: dict[str, Any], row: Capability, job: InpaintJob) -> None:
    list_name, item_field = row.field.split("[].", 1)
    items = getattr(job, list_name) or ()
    mapping = row.wire
    if not isinstance(mapping, Wire) or "[]." not in mapping.path:
        raise ValueError(f"{row.field}: an item row needs a Wire path like 'list[].name'")
    list_path, item_path = mapping.path.split("[].", 1)
    if not items:
        return
    *parents, leaf = list_path.split(".")
    node = body
    for part in parents:
        node = node.setdefault(part, {})
    wire_list = node.setdefault(leaf, [{} for _ in items])
    for element, target in zip(items, wire_list, strict=True):
        value = getattr(element, item_field)
        if value is None:
            continue
        encoded = mapping.encode(value)
        if encoded is not OMIT:
            set_path(target, item_path, encoded)
