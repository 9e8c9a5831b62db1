"""A local check of a prepared job against Novita's capability table, before anything is sent.

The runtime's planner checks jobs against the table first; this module is the adapter's own
backstop, so that :meth:`NovitaAdapter.build_submit` never builds a request Novita would reject
for a reason the table already knows (a missing model, an out-of-range value, an unsupported
field that reached the adapter), whoever calls it.  Every rule comes from the table: nothing is
restated here.  All failures are collected and reported together, each naming the neutral path,
the value and the rule.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any, Final

from inpaintkit.errors import FieldError, UnsupportedFieldError, ValidationError
from inpaintkit.job import InpaintJob
from inpaintkit.provider import Capability, CapabilityTable, PreparedRequest, Support
from inpaintkit.schema import fmt_number

from .capabilities import EXTRA_KEYS

__all__ = ["check_prepared", "extras_errors", "novita_extras", "values_at"]

PROVIDER_ID = "novita"


def values_at(job: InpaintJob, field: str) -> Iterator[tuple[str, Any]]:
    """``(json_path, value)`` for every place a table path points at in ``job``.

    ``"steps"`` gives one pair, ``"mask_options.blur"`` one (or none if a parent is unset), and
    ``"loras[].strength"`` one per LoRA, at ``$.loras[i].strength``.
    """
    yield from _walk(job, field.split("."), "$")


def _walk(obj: Any, parts: list[str], path: str) -> Iterator[tuple[str, Any]]:
    head, rest = parts[0], parts[1:]
    many = head.endswith("[]")
    name = head.removesuffix("[]")
    value = getattr(obj, name, None)
    here = f"{path}.{name}"
    if many:
        for index, item in enumerate(value or ()):
            item_path = f"{here}[{index}]"
            if rest:
                yield from _walk(item, rest, item_path)
            else:
                yield item_path, item
        return
    if not rest:
        yield here, value
    elif value is not None:
        yield from _walk(value, rest, here)


def _is_set(value: Any) -> bool:
    """Whether a value counts as used (``None``, ``False`` and empty collections do not)."""
    return value is not None and value is not False and value != () and value != {}


def check_prepared(request: PreparedRequest, table: CapabilityTable) -> None:
    """Raise if ``request`` cannot be sent as it is.

    :class:`UnsupportedFieldError` lists fields that Novita cannot honour and that should have
    been rejected or dropped before reaching the adapter; :class:`ValidationError` lists
    required fields without a default and values outside Novita's limits.
    """
    job = request.job
    unsupported: list[FieldError] = []
    invalid: list[FieldError] = []
    for row in table:
        if row.field == "extras" or not _meaningful(job, row.field):
            continue
        for path, value in values_at(job, row.field):
            if row.support is Support.UNSUPPORTED:
                if _is_set(value):
                    unsupported.append(FieldError(path, _unsupported_rule(row), value))
            elif row.support is Support.EMULATED:
                if _is_set(value) and not _already_emulated(row.field, value, request):
                    unsupported.append(
                        FieldError(
                            path,
                            "is emulated by the client and must be applied before the request "
                            "is built (Novita has no such wire field)",
                            value,
                        )
                    )
            elif value is None:
                if row.required and row.default is None:
                    invalid.append(FieldError.missing(path, _required_rule(row)))
            else:
                invalid.extend(_range_errors(row, path, value))
    invalid.extend(extras_errors(job))
    if unsupported:
        raise UnsupportedFieldError(unsupported, provider=PROVIDER_ID)
    if invalid:
        raise ValidationError(invalid, provider=PROVIDER_ID)


_ONLY_WITH: Final = {"mask_options.padding": "mask_options.masked_only"}
"""Fields that mean nothing (and are not sent) unless another field is set, as in
:meth:`InpaintJob.used_fields`."""


def _meaningful(job: InpaintJob, field: str) -> bool:
    companion = _ONLY_WITH.get(field)
    return companion is None or any(_is_set(v) for _, v in values_at(job, companion))


def novita_extras(job: InpaintJob) -> Mapping[str, Any]:
    """``job.extras["novita"]`` (empty when absent); other providers' namespaces are ignored."""
    value = job.extras.get(PROVIDER_ID, {})
    return value if isinstance(value, Mapping) else {}


def extras_errors(job: InpaintJob) -> list[FieldError]:
    """Every problem with ``extras["novita"]``: unknown keys, bad values, missing companions."""
    base = f"$.extras.{PROVIDER_ID}"
    raw = job.extras.get(PROVIDER_ID)
    if raw is None:
        return []
    if not isinstance(raw, Mapping):
        return [FieldError(base, "must be an object", raw)]
    known = {key.name: key for key in EXTRA_KEYS}
    errors: list[FieldError] = []
    for name, value in raw.items():
        path = f"{base}.{name}"
        key = known.get(name)
        if key is None:
            allowed = ", ".join(sorted(known))
            errors.append(FieldError(path, f"is not a Novita extra (allowed: {allowed})", value))
            continue
        errors.extend(key.check(value, path))
        if key.needs is not None and getattr(job, key.needs, None) is None:
            errors.append(FieldError(path, f"needs $.{key.needs} to be set", value))
    return errors


def _already_emulated(field: str, value: Any, request: PreparedRequest) -> bool:
    """A width/height that already equals the prepared image's size needs nothing more."""
    if field == "width":
        return bool(value == request.image.width)
    if field == "height":
        return bool(value == request.image.height)
    return False


def _unsupported_rule(row: Capability) -> str:
    rule = "is not supported by Novita"
    return f"{rule} ({row.note})" if row.note else rule


def _required_rule(row: Capability) -> str:
    rule = f"is required by Novita ({row.wire}, which has no default)"
    return f"{rule}: {row.note}" if row.note else rule


def _range_errors(row: Capability, path: str, value: Any) -> list[FieldError]:
    where = f" (Novita {row.wire})" if row.wire else ""
    if row.choices is not None and not _in_choices(value, row.choices):
        return [FieldError(path, f"must be {row.describe_range()}{where}", _plain(value))]
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            return [FieldError(path, "must be a finite number", value)]
        low, high = row.minimum, row.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            return [FieldError(path, f"must be {_bounds(low, high)}{where}", value)]
    if isinstance(value, str):
        low_len, high_len = row.min_length, row.max_length
        if (low_len is not None and len(value) < low_len) or (
            high_len is not None and len(value) > high_len
        ):
            rule = f"must have a length in [{low_len or 0}, {high_len if high_len else '...'}]"
            detail = f"Novita {row.wire}; length {len(value)}"
            return [FieldError(path, f"{rule} ({detail})", value)]
    if isinstance(value, tuple) and row.max_items is not None and len(value) > row.max_items:
        return [
            FieldError(
                path,
                f"must have at most {row.max_items} items (Novita {row.wire}; {len(value)} given)",
                value,
            )
        ]
    return []


def _in_choices(value: Any, choices: tuple[Any, ...]) -> bool:
    return any(value == c and isinstance(value, bool) == isinstance(c, bool) for c in choices)


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)


def _bounds(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"in [{fmt_number(low)}, {fmt_number(high)}]"
    if low is not None:
        return f">= {fmt_number(low)}"
    assert high is not None
    return f"<= {fmt_number(high)}"
