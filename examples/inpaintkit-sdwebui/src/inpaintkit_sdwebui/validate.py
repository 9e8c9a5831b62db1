"""The adapter's own check of a prepared job, before it builds a request.

The runtime plans every job against the capability table first; this is the backstop for anyone
calling the adapter directly, and the only place ``extras["sdwebui"]`` is checked (the neutral
schema passes extras through).  Every limit is read from the table; nothing is restated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inpaintkit.errors import FieldError, UnsupportedFieldError, ValidationError
from inpaintkit.job import InpaintJob
from inpaintkit.planning import check_native, get_path
from inpaintkit.provider import CapabilityTable, PreparedRequest, Support

from .capabilities import INPAINTING_FILL_CHOICES, PROVIDER_ID

__all__ = ["EXTRA_KEYS", "check_prepared", "sdwebui_extras"]

EXTRA_KEYS: Mapping[str, tuple[Any, ...]] = {"inpainting_fill": INPAINTING_FILL_CHOICES}
"""``extras["sdwebui"]`` key -> allowed values."""


def _is_set(value: Any) -> bool:
    return value is not None and value is not False and value != ()


def check_prepared(request: PreparedRequest, table: CapabilityTable) -> None:
    """Raise if ``request`` cannot be sent: unsupported fields that are set, values outside the
    table's limits, bad extras, or images without bytes (this provider takes base64 only)."""
    job = request.job
    unsupported: list[FieldError] = []
    invalid: list[FieldError] = []
    for row in table:
        if row.field in ("extras", "image", "mask") or "[]" in row.field:
            continue
        value = get_path(job, row.field)
        if row.support is Support.UNSUPPORTED:
            if _is_set(value):
                unsupported.append(
                    FieldError(f"$.{row.field}", f"is not supported by {PROVIDER_ID}", value)
                )
        elif row.support is Support.NATIVE:
            invalid.extend(check_native(row, value, f"$.{row.field}", PROVIDER_ID))
    for name, image in (("image", request.image), ("mask", request.mask)):
        if image.data is None:
            invalid.append(
                FieldError(
                    f"$.{name}",
                    f"must be image bytes: {PROVIDER_ID} takes base64 only, so the client "
                    "loads URL images before building the request",
                    image.url,
                )
            )
    invalid.extend(extras_errors(job))
    if unsupported:
        raise UnsupportedFieldError([*unsupported, *invalid], provider=PROVIDER_ID)
    if invalid:
        raise ValidationError(invalid, provider=PROVIDER_ID)


def sdwebui_extras(job: InpaintJob) -> Mapping[str, Any]:
    """``job.extras["sdwebui"]`` (empty when absent or malformed; see :func:`extras_errors`)."""
    value = job.extras.get(PROVIDER_ID, {})
    return value if isinstance(value, Mapping) else {}


def extras_errors(job: InpaintJob) -> list[FieldError]:
    """Every problem with ``extras["sdwebui"]``: unknown keys and values off their choices."""
    base = f"$.extras.{PROVIDER_ID}"
    raw = job.extras.get(PROVIDER_ID)
    if raw is None:
        return []
    if not isinstance(raw, Mapping):
        return [FieldError(base, "must be an object", raw)]
    errors: list[FieldError] = []
    for name, value in raw.items():
        choices = EXTRA_KEYS.get(name)
        if choices is None:
            allowed = ", ".join(sorted(EXTRA_KEYS))
            errors.append(
                FieldError(
                    f"{base}.{name}", f"is not an {PROVIDER_ID} extra (allowed: {allowed})", value
                )
            )
        elif isinstance(value, bool) or value not in choices:
            shown = ", ".join(str(c) for c in choices)
            errors.append(FieldError(f"{base}.{name}", f"must be one of {shown}", value))
    return errors
