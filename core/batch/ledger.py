"""The batch ledger: one SQLite file in the output folder, written before every step.

Why before: a process can die (SIGKILL, power, Ctrl-C) between any two instructions.  Writing
"submitting" before the submit is sent means a job found in that state on the next run *may*
have been accepted and billed, so it is not sent again blindly; writing the stored job
(:class:`~inpaintkit.jobstate.StoredJob`) as soon as the submit returns means it is finished with
``client.resume`` instead of being submitted twice.  Each step is one transaction (WAL,
``synchronous=FULL``), so a row is always in exactly one state::

    planned -> submitting -> submitted -> downloaded -> finished
                          \\-> unknown (the submit's outcome is not known)

``finished`` covers errors too (``outcome`` says ok, failed or invalid).  An exclusive lock on
``ledger.lock`` keeps two runs from sharing a folder; the kernel drops it when a process dies.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import attrs

__all__ = ["STATES", "Ledger", "LedgerError", "LedgerRow", "PlannedJob"]

STATES = ("planned", "submitting", "submitted", "downloaded", "finished", "unknown")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    line INTEGER NOT NULL,
    provider TEXT,
    digest TEXT NOT NULL,
    state TEXT NOT NULL,
    stored TEXT,
    files TEXT,
    outcome TEXT,
    row TEXT,
    updated REAL NOT NULL
);
"""


class LedgerError(Exception):
    """The output folder's ledger cannot be used for this run (another manifest or shard,
    a run already going on, a changed job that was already submitted)."""


@attrs.frozen
class PlannedJob:
    """What the ledger records of a manifest line when planning."""

    id: str
    line: int
    provider: str | None
    digest: str
    finished_row: dict[str, Any] | None = None
    """A line that failed before anything could be sent is finished at planning."""


@attrs.frozen
class LedgerRow:
    """One job as the ledger has it."""

    id: str
    line: int
    provider: str | None
    state: str
    stored: str | None
    files: tuple[str, ...]
    outcome: str | None
    row: dict[str, Any] | None


class Ledger:
    """The ledger of one output folder (see the module docstring)."""

    FILE = "ledger.sqlite"

    def __init__(self, folder: Path) -> None:
        self.path = folder / self.FILE
        self._lock = _lock(folder / "ledger.lock")
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            self._lock.close()
            raise LedgerError(f"cannot open the ledger {self.path} ({exc})") from None

    def close(self) -> None:
        self._db.close()
        self._lock.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _step(self) -> Iterator[sqlite3.Connection]:
        """One transaction, committed before the caller goes on to the step it records."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- planning --------------------------------------------------------------------------

    def check_meta(self, meta: dict[str, str]) -> None:
        """Record ``meta`` (manifest, shard) on the first run; refuse another one later."""
        with self._step() as db:
            known = dict(db.execute("SELECT key, value FROM meta").fetchall())
            for key, value in meta.items():
                if key in known and known[key] != value:
                    raise LedgerError(
                        f"the ledger in {self.path.parent} is for {key} {known[key]!r}, not "
                        f"{value!r}; use another --out folder"
                    )
                db.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)", (key, value))

    def plan(self, jobs: Sequence[PlannedJob]) -> None:
        """Add new jobs; take a changed line again only if nothing of it was ever sent.

        A line whose text (or provider) changed after its submit may have been billed in its
        old form: that is a :class:`LedgerError`, not a silent second job.
        """
        now = time.time()
        with self._step() as db:
            known = {
                r[0]: (r[1], r[2], r[3])
                for r in db.execute("SELECT id, digest, state, stored FROM jobs")
            }
            conflicts = []
            for job in jobs:
                old = known.pop(job.id, None)
                digest = f"{job.digest}|{job.provider}"
                if old is not None and old[0] == digest:
                    db.execute("UPDATE jobs SET line = ? WHERE id = ?", (job.line, job.id))
                    continue
                if old is not None and (old[2] is not None or old[1] in ("submitting", "unknown")):
                    conflicts.append(job.id)
                    continue
                state, outcome, row = "planned", None, None
                if job.finished_row is not None:
                    state, outcome, row = "finished", "invalid", json.dumps(job.finished_row)
                db.execute(
                    "INSERT OR REPLACE INTO jobs VALUES (?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?)",
                    (job.id, job.line, job.provider, digest, state, outcome, row, now),
                )
            if conflicts:
                listed = ", ".join(conflicts[:5]) + (" ..." if len(conflicts) > 5 else "")
                raise LedgerError(
                    f"{len(conflicts)} job(s) changed in the manifest after they were submitted "
                    f"({listed}); use another --out folder"
                )
            for job_id, (_digest, state, stored) in known.items():
                if stored is None and state not in ("submitting", "unknown"):
                    db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    # --- the steps -------------------------------------------------------------------------

    def submitting(self, job_id: str) -> None:
        """Before the submit is sent."""
        self._set(job_id, state="submitting", stored=None, outcome=None, row=None)

    def submitted(self, job_id: str, stored: str) -> None:
        """The stored job, as soon as the submit returned."""
        self._set(job_id, state="submitted", stored=stored)

    def downloaded(self, job_id: str, files: Iterable[str]) -> None:
        """The result is in memory; ``files`` are about to be written."""
        self._set(job_id, state="downloaded", files=json.dumps(list(files)))

    def finished(self, job_id: str, outcome: str, row: dict[str, Any]) -> None:
        """The job's result line (``outcome`` ok, failed or invalid)."""
        self._set(job_id, state="finished", outcome=outcome, row=json.dumps(row))

    def unknown(self, job_id: str, row: dict[str, Any]) -> None:
        """The submit may or may not have been accepted: never resent without being asked."""
        self._set(job_id, state="unknown", outcome="unknown", row=json.dumps(row))

    def _set(self, job_id: str, **values: Any) -> None:
        columns = ", ".join(f"{k} = ?" for k in values)
        with self._step() as db:
            cursor = db.execute(
                f"UPDATE jobs SET {columns}, updated = ? WHERE id = ?",  # column names are ours
                (*values.values(), time.time(), job_id),
            )
            if cursor.rowcount != 1:
                raise LedgerError(f"job {job_id!r} is not in the ledger")

    # --- reading ---------------------------------------------------------------------------

    def rows(self) -> list[LedgerRow]:
        """Every job, in manifest order."""
        cursor = self._db.execute(
            "SELECT id, line, provider, state, stored, files, outcome, row FROM jobs ORDER BY line"
        )
        return [
            LedgerRow(
                id=r[0],
                line=r[1],
                provider=r[2],
                state=r[3],
                stored=r[4],
                files=tuple(json.loads(r[5])) if r[5] else (),
                outcome=r[6],
                row=json.loads(r[7]) if r[7] else None,
            )
            for r in cursor.fetchall()
        ]


def _lock(path: Path) -> IO[bytes]:
    """An exclusive, non-blocking lock on ``path``, held while the returned file is open."""
    handle = path.open("a+b")
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no second-run protection
        return handle
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise LedgerError(
            f"another `inpaintkit batch` is using {path.parent}; wait for it or use another --out"
        ) from None
    return handle
