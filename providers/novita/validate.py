"""Novita's own request checks: its provider-only ``extras``.

Everything the capability table knows (a missing model, out-of-range values, fields Novita
cannot honour) is checked by the core's :func:`inpaintkit.planning.check_prepared`, which the
adapter calls with these extra errors so that all problems are reported together.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inpaintkit.errors import FieldError
from inpaintkit.job import InpaintJob

from .capabilities import EXTRA_KEYS

__all__ = ["extras_errors", "novita_extras"]

PROVIDER_ID = "novita"


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
