"""The batch manifest: JSON Lines, one job per line, and the shard a run takes of it.

Each non-blank line is a job in the JSON job format (:func:`inpaintkit.convert.job_from_dict`),
its image and mask paths relative to the manifest, plus three optional keys that are not job
fields: ``id`` (a string or integer naming the job in the ledger, outputs and results; default
the line number), ``provider`` (this line's provider instead of ``--provider``) and
``overrides`` (``{provider: {field: value}}``: fields replaced when the line runs on that
provider, since model ids differ between providers).

A bad line becomes a :class:`ManifestLine` holding its :class:`~inpaintkit.errors.
ValidationError` (paths such as ``$.id``), never an exception: one bad line must not stop the
others.  Only a manifest that cannot be read at all raises :class:`ManifestUnreadable`.

Shards (:class:`Shard`) split by a stable hash of the job id, not by position, so a job stays
in its shard when lines are added or reordered, and every machine computes the same split.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import attrs

from ..errors import FieldError, ValidationError
from ..files import read_file

__all__ = ["MAX_ID_LENGTH", "ManifestLine", "ManifestUnreadable", "Shard", "read_manifest"]

MAX_ID_LENGTH = 200
"""Longest job id accepted (ids name output files)."""

RESERVED = ("id", "provider", "overrides")
"""Keys of a manifest line that are about the batch, not fields of the job."""


class ManifestUnreadable(Exception):
    """The manifest file cannot be read (missing, a folder, not UTF-8): nothing can run."""


@attrs.frozen
class ManifestLine:
    """One job of the manifest: where it is, what it is called, and its job data or error."""

    line: int
    """1-based line number in the manifest."""
    id: str
    provider: str | None
    """The line's own provider (not yet resolved against the registry), else ``None``."""
    data: dict[str, Any] | None
    """The job fields (reserved keys removed), ``None`` when the line is broken."""
    overrides: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    error: ValidationError | None = None
    digest: str = ""
    """SHA-256 of the line's text: tells the ledger whether a line changed between runs."""

    def job_data(self, provider: str) -> dict[str, Any]:
        """The job fields for ``provider``, with that provider's overrides applied."""
        assert self.data is not None
        for key, fields in self.overrides.items():
            if key.lower() == provider.lower():
                return {**self.data, **fields}
        return dict(self.data)


@attrs.frozen
class Shard:
    """Shard ``k`` of ``n`` (1-based): the jobs whose id hashes to ``k - 1`` modulo ``n``."""

    k: int
    n: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"K/N"`` with ``1 <= K <= N``; a :class:`ValueError` naming the rule otherwise."""
        k_text, sep, n_text = text.partition("/")
        try:
            k, n = int(k_text), int(n_text)
        except ValueError:
            k = n = 0
        if not sep or n < 1 or not 1 <= k <= n:
            raise ValueError(f"--shard takes K/N with 1 <= K <= N (e.g. 2/8), got {text!r}")
        return cls(k, n)

    def __contains__(self, job_id: object) -> bool:
        if not isinstance(job_id, str):
            return False
        digest = hashlib.sha256(job_id.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big") % self.n == self.k - 1

    def __str__(self) -> str:
        return f"{self.k}/{self.n}"


def read_manifest(path: Path) -> list[ManifestLine]:
    """Every job line of the manifest at ``path``, bad ones included (with their error)."""
    try:
        text = read_file(path).decode("utf-8")
    except OSError as exc:
        reason = "is a folder" if path.is_dir() else (exc.strerror or type(exc).__name__)
        raise ManifestUnreadable(f"cannot read manifest {path} ({reason})") from None
    except UnicodeDecodeError as exc:
        raise ManifestUnreadable(
            f"manifest {path} is not UTF-8 text (invalid byte at offset {exc.start})"
        ) from None
    lines: list[ManifestLine] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        entry = _parse_line(number, raw)
        if entry.error is None and entry.id in seen:
            error = FieldError(
                "$.id", f"must be unique in the manifest (line {seen[entry.id]} has it)", entry.id
            )
            # Its own ledger key, so that it cannot take the first line's place.
            entry = attrs.evolve(
                entry, id=f"{entry.id} (line {number})", data=None, error=ValidationError([error])
            )
        seen.setdefault(entry.id, number)
        lines.append(entry)
    return lines


def _parse_line(number: int, raw: str) -> ManifestLine:
    digest = hashlib.sha256(raw.strip().encode("utf-8")).hexdigest()
    default_id = str(number)

    def broken(errors: list[FieldError], job_id: str = default_id) -> ManifestLine:
        return ManifestLine(
            number, job_id, None, None, error=ValidationError(errors), digest=digest
        )

    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, RecursionError) as exc:
        why = f"{exc.msg} at column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else exc
        return broken([FieldError("$", f"is not valid JSON ({why})", None, has_value=False)])
    if not isinstance(data, dict):
        return broken([FieldError("$", "must be a JSON object (one job per line)", data)])
    errors: list[FieldError] = []
    raw_id = data.get("id", default_id)
    job_id = default_id
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int):
        errors.append(FieldError("$.id", "must be a string or an integer", raw_id))
    elif not str(raw_id).strip() or len(str(raw_id)) > MAX_ID_LENGTH:
        errors.append(
            FieldError("$.id", f"must be 1 to {MAX_ID_LENGTH} characters, not blank", raw_id)
        )
    else:
        job_id = str(raw_id)
    provider = data.get("provider")
    if provider is not None and (not isinstance(provider, str) or not provider):
        errors.append(FieldError("$.provider", "must be a provider id (a string)", provider))
    overrides = data.get("overrides", {})
    if not isinstance(overrides, dict) or not all(
        isinstance(k, str) and isinstance(v, dict) for k, v in overrides.items()
    ):
        errors.append(
            FieldError("$.overrides", "must map provider ids to objects of job fields", overrides)
        )
    if errors:
        return broken(errors, job_id)
    fields = {k: v for k, v in data.items() if k not in RESERVED}
    return ManifestLine(number, job_id, provider, fields, overrides=overrides, digest=digest)
