"""What a batch leaves in its folder: images written atomically, ``results.jsonl`` and
``summary.json``.

Every file is written to a temporary name in the same folder and moved into place with
:func:`os.replace`, so a reader (or the next run after a SIGKILL) never sees half a file:
either the old content, or none, or the whole new one.  Temporary names start with
:data:`TEMP_PREFIX`; the next run removes any a killed run left behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..errors import InpaintError, ValidationError
from ..report import error_json, result_json
from ..result import InpaintResult
from .ledger import LedgerRow

__all__ = [
    "IMAGES",
    "RESULTS",
    "SUMMARY",
    "TEMP_PREFIX",
    "error_row",
    "output_names",
    "remove_temp_files",
    "result_row",
    "summary",
    "write_atomic",
    "write_reports",
]

RESULTS = "results.jsonl"
SUMMARY = "summary.json"
IMAGES = "images"
TEMP_PREFIX = ".inpaintkit-tmp-"

_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that no reader ever sees a partial file."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def remove_temp_files(folder: Path) -> int:
    """Delete the temporary files a killed run left in ``folder`` and its image folder."""
    removed = 0
    for where in (folder, folder / IMAGES):
        for path in where.glob(f"{TEMP_PREFIX}*") if where.is_dir() else ():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed += 1
    return removed


def file_stem(job_id: str) -> str:
    """A file name for a job id: the id itself when it is safe, else a cleaned form plus a
    short hash (so ``a/b`` and ``a_b`` cannot collide)."""
    clean = _SAFE.sub("_", job_id)[:80]
    if clean == job_id and not job_id.startswith("."):
        return job_id
    return f"{clean.lstrip('.') or 'job'}-{hashlib.sha256(job_id.encode()).hexdigest()[:8]}"


def output_names(job_id: str, result: InpaintResult) -> list[str]:
    """The files of a result, relative to the batch folder: ``images/<id>-<i>.<format>``."""
    stem = file_stem(job_id)
    return [f"{IMAGES}/{stem}-{i}.{image.format}" for i, image in enumerate(result.images)]


def result_row(
    job_id: str,
    line: int,
    result: InpaintResult,
    files: Sequence[str],
    *,
    seeds: Sequence[int | None],
    resumed: bool,
) -> dict[str, Any]:
    """The ``results.jsonl`` line of a finished job."""
    row = {"id": job_id, "line": line, "outcome": "ok", **result_json(result, files)}
    # The handle knows the seed of each request of a split job; a resumed job only the first.
    row["seeds"] = list(seeds) if any(s is not None for s in seeds) else [result.seed]
    row["resumed"] = resumed
    t = result.timings
    row["timings"] = {
        "total": round(t.total, 3),
        "submit": round(t.submit, 3),
        "waiting": round(t.waiting, 3),
        "download": round(t.download, 3),
        "polls": t.polls,
    }
    return row


def error_row(
    job_id: str, line: int, provider: str | None, error: InpaintError, *, outcome: str
) -> dict[str, Any]:
    """The ``results.jsonl`` line of a job that ended in a typed error."""
    detail = error_json(error)
    detail["task_ids"] = sorted({*error.task_ids, *([error.task_id] if error.task_id else [])})
    if isinstance(error, ValidationError):
        detail["paths"] = list(error.paths)
    return {
        "id": job_id,
        "line": line,
        "provider": provider,
        "outcome": outcome,
        "ok": False,
        "error": detail,
    }


def summary(rows: Iterable[LedgerRow], *, seconds: float, shard: str | None) -> dict[str, Any]:
    """Counts by outcome and by provider, and the time this run took."""
    by_outcome: Counter[str] = Counter()
    by_provider: dict[str, Counter[str]] = {}
    total = 0
    for row in rows:
        total += 1
        outcome = row.outcome or "pending"
        by_outcome[outcome] += 1
        by_provider.setdefault(row.provider or "-", Counter())[outcome] += 1
    return {
        "jobs": total,
        "outcomes": dict(sorted(by_outcome.items())),
        "providers": {p: dict(sorted(c.items())) for p, c in sorted(by_provider.items())},
        "shard": shard,
        "seconds": round(seconds, 3),
    }


def write_reports(folder: Path, rows: Sequence[LedgerRow], report: dict[str, Any]) -> None:
    """``results.jsonl`` (rebuilt from the ledger: one line per job) and ``summary.json``."""
    lines = []
    for row in rows:
        data = row.row
        if data is None:  # not finished (interrupted): say where it stands
            data = {"id": row.id, "line": row.line, "provider": row.provider}
            data.update(outcome="pending", ok=False, state=row.state)
        lines.append(json.dumps(data, sort_keys=False) + "\n")
    write_atomic(folder / RESULTS, "".join(lines).encode("utf-8"))
    write_atomic(folder / SUMMARY, (json.dumps(report, indent=2) + "\n").encode("utf-8"))
