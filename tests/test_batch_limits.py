"""``inpaintkit batch`` under the provider's limits: fresh jobs go through ``client.map`` (so
ModelsLab's job limit holds), and ``--rate-limit``/``--images-per-minute``/``--no-rate-limit``
reach the client (``run`` and ``compare`` share the options).

The times are the client's: events logged with their ``at`` on the VirtualClock given to
``main``, against a mock on 127.0.0.1 whose tasks finish on their first poll.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from inpaintkit.cli import main
from inpaintkit.clock import VirtualClock
from inpaintkit.mockserver import MockServer
from test_batch import config, job, results, write_manifest


@pytest.fixture
def mock(monkeypatch: pytest.MonkeyPatch) -> Iterator[MockServer]:
    monkeypatch.setenv("NOVITA_API_KEY", "k")
    monkeypatch.setenv("MODELSLAB_API_KEY", "k")
    with MockServer(config()) as server:
        yield server


def run_batch(
    tmp_path: Path, mock: MockServer, provider: str, jobs: int, *extra: str
) -> tuple[int, list[logging.LogRecord]]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    lines = [job(i, id=f"j{i}", width=512, height=512) for i in range(jobs)]
    manifest = write_manifest(tmp_path, lines)
    argv = ["batch", str(manifest), "-p", provider, "--out", str(tmp_path / "out")]
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("inpaintkit")
    handler, level = Keep(logging.INFO), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        code = main([*argv, "--base-url", mock.url, "-q", *extra], clock=VirtualClock())
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    return code, records


def submit_times(records: list[logging.LogRecord]) -> list[float]:
    return sorted(r.at for r in records if getattr(r, "event", None) == "submitted")  # type: ignore[attr-defined]


def peak_in_flight(records: list[logging.LogRecord]) -> int:
    """Jobs submitted but not yet finished, at most (each job is submitted once, ends once)."""
    now = peak = 0
    for record in records:
        kind = getattr(record, "event", None)
        if kind == "submitted":
            now += 1
            peak = max(peak, now)
        elif kind in ("finished", "failed"):
            now -= 1
    return peak


def test_batch_keeps_modelslab_job_limit_by_default_and_caps_a_larger_concurrency(
    mock: MockServer, tmp_path: Path
) -> None:
    code, records = run_batch(tmp_path / "a", mock, "modelslab", 16)
    assert code == 0
    assert len(results(tmp_path / "a" / "out")) == 16
    assert 1 < peak_in_flight(records) <= 5  # ModelsLab's documented 5 queued requests
    code, records = run_batch(tmp_path / "b", mock, "modelslab", 16, "--concurrency", "12")
    assert code == 0
    assert 1 < peak_in_flight(records) <= 5


def test_rate_limit_spaces_the_submits(mock: MockServer, tmp_path: Path) -> None:
    code, records = run_batch(
        tmp_path, mock, "novita", 4, "--rate-limit", "6", "--images-per-minute", "600"
    )
    assert code == 0
    times = submit_times(records)
    assert len(times) == 4
    assert times[-1] >= 29.9, times  # 6 a minute: one every 10 s, the 4th not before 30 s
    code, records = run_batch(
        tmp_path / "fast", mock, "novita", 4, "--rate-limit", "600", "--images-per-minute", "6000"
    )
    assert code == 0
    assert submit_times(records)[-1] < 10.0, submit_times(records)


def test_no_rate_limit_lifts_the_documented_one(mock: MockServer, tmp_path: Path) -> None:
    # Novita documents 10 images a minute: 4 submits take at least 18 s under it.
    code, records = run_batch(tmp_path / "a", mock, "novita", 4)
    assert code == 0
    assert submit_times(records)[-1] >= 17.9, submit_times(records)
    code, records = run_batch(tmp_path / "b", mock, "novita", 4, "--no-rate-limit")
    assert code == 0
    assert submit_times(records)[-1] < 10.0, submit_times(records)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--rate-limit", "0"], "argument --rate-limit: must be a number per minute above 0"),
        (["--rate-limit", "fast"], "argument --rate-limit: must be a number per minute above 0"),
        (["--images-per-minute", "-3"], "argument --images-per-minute: must be a number"),
        (["--rate-limit", "inf"], "argument --rate-limit: must be a number per minute above 0"),
        (["--rate-limit", "5", "--no-rate-limit"], "not allowed with argument --rate-limit"),
    ],
)
@pytest.mark.parametrize("command", ["batch", "run", "compare"])
def test_bad_rate_limit_values_exit_2_with_the_rule(
    command: str,
    extra: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = {
        "batch": ["batch", "m.jsonl", "-p", "novita", "--out", str(tmp_path)],
        "run": ["run", "job.json", "-p", "novita"],
        "compare": ["compare", "job.json", "-p", "novita", "-p", "modelslab"],
    }[command]
    with pytest.raises(SystemExit) as exited:
        main([*argv, *extra])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    if "--no-rate-limit" not in extra:
        assert repr(extra[1]) in err  # the value given is named
