"""Wall time of the conformance suite for the three built-in providers, against baselines.

Run: ``.venv/bin/python bench/bench_conformance.py``.  Issue 6 requires the suite for the three
built-ins to run in under a minute on a 2-core machine; this script measures it and exits 1 if
it does not.  Each run is a fresh ``pytest`` process (imports, plugin loading and the mock's
start-up included, as a user would see them), alternating candidate and baselines, best of
``ROUNDS``:

* candidate: ``tests/test_conformance_builtin.py``, the whole suite;
* baseline A: the same suite without its hypothesis-driven tests (generated jobs, the state
  machine, webhook orderings): what the property-based part costs;
* baseline B: the built-in providers' own unit tests (``tests/test_provider_*.py``): the suite's
  cost relative to the tests a plugin author writes anyway.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 2
LIMIT_SECONDS = 60.0

RUNS: dict[str, list[str]] = {
    "conformance suite (3 built-ins)": ["tests/test_conformance_builtin.py"],
    "  baseline A: suite without hypothesis": [
        "tests/test_conformance_builtin.py",
        "-k",
        "not range_generated and not state_machine and not webhook",
    ],
    "  baseline B: providers' unit tests": sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_provider_*.py")
    ),
}


def timed(args: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            *args,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        check=False,
    )
    elapsed = time.perf_counter() - started
    summary = (done.stdout.strip().splitlines() or ["?"])[-1]
    if done.returncode != 0:
        raise SystemExit(f"pytest {' '.join(args)} failed:\n{done.stdout[-3000:]}")
    return elapsed, summary


def main() -> int:
    best: dict[str, float] = {}
    summaries: dict[str, str] = {}
    for _ in range(ROUNDS):
        for name, args in RUNS.items():
            elapsed, summary = timed(args)
            best[name] = min(best.get(name, elapsed), elapsed)
            summaries[name] = summary
    suite = best["conformance suite (3 built-ins)"]
    print(f"{os.cpu_count()} CPUs, best of {ROUNDS} fresh pytest processes each")
    for name, seconds in best.items():
        ratio = suite / seconds
        print(f"{name:<42} {seconds:7.2f} s  suite/this = {ratio:5.2f}x  ({summaries[name]})")
    verdict = "OK" if suite < LIMIT_SECONDS else "TOO SLOW"
    print(f"limit {LIMIT_SECONDS:.0f} s: {verdict}")
    return 0 if suite < LIMIT_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
