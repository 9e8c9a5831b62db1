"""Typed provider options: the fields one provider has and the neutral job does not.

A provider declares its options as one attrs class whose fields are made with :func:`option`:
each carries a :class:`~inpaintkit.schema.Rule` (type and limits, checked like the neutral
schema's own) and a wire mapping (:mod:`inpaintkit.wiremap`), so the core validates and sends
them exactly as it does capability rows, and no plugin code is needed for them::

    @attrs.frozen
    class NovitaOptions:
        enterprise_plan: bool | None = option(
            Rule("bool", optional=True), wire=Wire("extra.enterprise_plan.enabled")
        )

    SPEC = ProviderSpec(..., options=NovitaOptions)

Users give options under the provider's id in the job's ``extras``, as JSON
(``{"novita": {"enterprise_plan": true}}``) or as the class itself
(``extras={"novita": NovitaOptions(enterprise_plan=True)}``).  The strict converter structures
the JSON form, so a misspelt or mistyped option is a validation error with its path
(``$.extras.novita.enterprise_plan``) before anything is sent.  Another provider's namespace is
ignored, so one job file can carry options for several providers.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import attrs

from .errors import FieldError, ValidationError
from .schema import Rule, check_fields, rule_metadata
from .wiremap import OMIT, Composite, Custom, Wire, WireMapping, set_path

if TYPE_CHECKING:
    from .job import InpaintJob
    from .provider import ProviderSpec

__all__ = ["option", "option_fields", "option_paths", "option_wire", "options_for"]

_WIRE_KEY: Final = "inpaintkit.wire"


def option(
    kind: Rule | str | type[enum.Enum],
    *,
    wire: WireMapping,
    default: Any = None,
    minimum: float | None = None,
    maximum: float | None = None,
    doc: str = "",
) -> Any:
    """An attrs field of a provider options class: its rule, its wire mapping and its doc.

    ``kind`` is a :class:`~inpaintkit.schema.Rule`, or for the common cases simply the type's
    name (``"bool"``, ``"int"``, ``"float"``, ``"str"``) or an :class:`enum.Enum` class, with
    ``minimum``/``maximum``; options are always optional (unset sends nothing).
    """
    if isinstance(kind, Rule):
        rule = kind
    elif isinstance(kind, type) and issubclass(kind, enum.Enum):
        rule = Rule("enum", optional=True, enum_type=kind)
    else:
        rule = Rule(kind, optional=True, minimum=minimum, maximum=maximum)
    metadata = {**rule_metadata(rule, doc), _WIRE_KEY: wire}
    return attrs.field(default=default, metadata=metadata)


def option_wire(a: attrs.Attribute[Any]) -> WireMapping | None:
    """The wire mapping of an options field (``None`` for a plain attrs field)."""
    mapping = a.metadata.get(_WIRE_KEY)
    return mapping if isinstance(mapping, Wire | Composite | Custom) else None


def options_for(job: InpaintJob, spec: ProviderSpec) -> tuple[Any, list[FieldError]]:
    """The job's options for ``spec`` as an instance of ``spec.options`` (or ``None``), and
    every error found structuring them (paths under ``$.extras.<provider>``)."""
    raw = job.extras.get(spec.id)
    path = f"$.extras.{spec.id}"
    if raw is None:
        return None, []
    if spec.options is None:
        rule = f"{spec.id} takes no provider options (its table covers every field it has)"
        return None, [FieldError(path, rule, raw)]
    if isinstance(raw, spec.options):
        return raw, check_fields(raw, path)
    if not isinstance(raw, Mapping):
        return None, [FieldError(path, f"must be an object or a {spec.options.__name__}", raw)]
    from .convert import structure_options

    try:
        return structure_options(dict(raw), spec.options), []
    except ValidationError as exc:
        return None, [attrs.evolve(e, path=path + e.path[1:]) for e in exc.errors]


def option_fields(options: Any, body: dict[str, Any]) -> dict[str, Any]:
    """Add the wire fields of a structured options instance to ``body`` (unset options send
    nothing; :class:`~inpaintkit.wiremap.Custom` options are the adapter's to write)."""
    if options is None:
        return body
    for a in attrs.fields(type(options)):
        mapping = option_wire(a)
        value = getattr(options, a.name)
        if value is None:
            continue
        produced: Mapping[str, Any] = {}
        if isinstance(mapping, Wire):
            produced = {mapping.path: mapping.encode(value)}
        elif isinstance(mapping, Composite):
            produced = mapping.build(value)
        for path, encoded in produced.items():
            if encoded is not OMIT:
                set_path(body, path, encoded)
    return body


def option_paths(options_class: type | None) -> dict[str, str]:
    """Wire path -> option name, for every option of ``options_class``."""
    if options_class is None:
        return {}
    return {
        path: a.name
        for a in attrs.fields(options_class)
        if (mapping := option_wire(a)) is not None
        for path in mapping.paths
    }
