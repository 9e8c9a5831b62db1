"""Many jobs from a manifest, resumable after a crash: the engine of ``inpaintkit batch``.

The pieces have one job each: :mod:`.manifest` reads the JSON Lines manifest and picks a shard,
:mod:`.ledger` is the SQLite record written before every step, :mod:`.outputs` writes images
atomically and the ``results.jsonl``/``summary.json`` reports, and :mod:`.runner` drives the
client (dry run, submit, wait or resume) over a bounded pool of workers.
"""

from __future__ import annotations

from .ledger import Ledger, LedgerError
from .manifest import ManifestLine, Shard, read_manifest
from .runner import BatchOptions, BatchReport, run_batch

__all__ = [
    "BatchOptions",
    "BatchReport",
    "Ledger",
    "LedgerError",
    "ManifestLine",
    "Shard",
    "read_manifest",
    "run_batch",
]
