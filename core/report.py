"""JSON forms of what the command line reports: dry runs, results and errors.

``--json`` on every reporting command prints these, so scripts read the same facts the human
output shows, and ``compare`` and the demo write them into their summaries.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .dryrun import DryRun
from .errors import FieldError, InpaintError, ValidationError
from .result import InpaintResult

__all__ = ["dry_run_json", "error_json", "field_error_json", "result_json"]


def field_error_json(error: FieldError) -> dict[str, Any]:
    """One failing field: path, rule, and the value when there was one (as text)."""
    out: dict[str, Any] = {"path": error.path, "rule": error.rule}
    if error.has_value:
        out["value"] = error.value if _plain(error.value) else repr(error.value)
    return out


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, bool | int | float | str)


def error_json(exc: InpaintError, *, interface: str = "cli") -> dict[str, Any]:
    """An error as data: its class, message, hint for ``interface``, and field errors."""
    out: dict[str, Any] = {
        "type": type(exc).__name__,
        "message": exc.message,
        "hint": exc.hint_for(interface),
        "provider": exc.provider,
    }
    if exc.status is not None:
        out["status"] = exc.status
    if exc.task_id is not None:
        out["task_id"] = exc.task_id
    if isinstance(exc, ValidationError):
        out["errors"] = [field_error_json(e) for e in exc.errors]
    return out


def dry_run_json(dry: DryRun) -> dict[str, Any]:
    """What ``validate --json`` prints for one provider."""
    out: dict[str, Any] = {"provider": dry.provider, "ok": dry.ok, "notes": list(dry.notes)}
    error = dry.error()
    if error is not None:
        out["error"] = error_json(error)
    if dry.plan is not None:
        out["outcomes"] = [
            {"field": o.field, "disposition": o.disposition.value, "note": o.note}
            for o in dry.plan.outcomes
        ]
        out["batches"] = list(dry.plan.batches)
    return out


def result_json(result: InpaintResult, files: Sequence[str] = ()) -> dict[str, Any]:
    """A finished job: its files, seed, tasks, timings, and what was emulated or dropped."""
    return {
        "provider": result.provider,
        "ok": True,
        "files": list(files),
        "images": [f"{i.width}x{i.height} {i.format}" for i in result.images],
        "seed": result.seed,
        "task_ids": list(result.task_ids),
        "native": [o.field for o in result.outcomes if o.disposition == "native"],
        "emulated": list(result.emulated),
        "dropped": list(result.dropped),
        "seconds": round(result.timings.total, 3),
        "polls": result.timings.polls,
    }
