"""``inpaintkit batch``: the manifest, the ledger's decisions on a rerun, shards, reports.

The SIGKILL test of issue 12 is tests/test_batch_kill.py; these run the command in this
process on a VirtualClock against a mock on 127.0.0.1 (tasks finish on their first poll).
"""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit.batch import Ledger, LedgerError, Shard, read_manifest
from inpaintkit.cli import build_parser, main
from inpaintkit.clock import VirtualClock
from inpaintkit.mockserver import MockConfig, MockServer
from inpaintkit.progress import Progress

NOVITA_SUBMIT = "/v3/async/inpainting"
MODEL = "sd_xl_base_1.0.safetensors"


def config() -> MockConfig:
    return MockConfig(seed=2, clock="manual", finish_after_polls=1, novita_images_per_minute=None)


@pytest.fixture
def mock(monkeypatch: pytest.MonkeyPatch) -> Iterator[MockServer]:
    monkeypatch.setenv("NOVITA_API_KEY", "k")
    monkeypatch.setenv("MODELSLAB_API_KEY", "k")
    with MockServer(config()) as server:
        yield server


def job(i: int, **fields: object) -> dict[str, object]:
    return {
        "image": "image.png",
        "mask": "mask.png",
        "prompt": f"jar [{i}]",
        "model": MODEL,
        **fields,
    }


def write_manifest(folder: Path, lines: list[object]) -> Path:
    (folder / "image.png").write_bytes(png_bytes(gradient_image(64, 64)))
    (folder / "mask.png").write_bytes(png_bytes(rect_mask(64, 64, (8, 8, 40, 40))))
    path = folder / "jobs.jsonl"
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def batch(manifest: Path, out: Path, mock: MockServer, *extra: str) -> int:
    argv = ["batch", str(manifest), "-p", "novita", "--out", str(out), "--base-url", mock.url]
    return main([*argv, *extra], clock=VirtualClock())


def results(out: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def submits(mock: MockServer, prompt: str) -> int:
    return sum(prompt in json.dumps(e["body"]) for e in mock.journal("request", path=NOVITA_SUBMIT))


def test_bad_lines_are_reported_with_line_and_path_and_do_not_stop_the_others(
    mock: MockServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = write_manifest(
        tmp_path,
        [
            job(1, id="a"),
            "{not json",
            job(3, id="a"),  # duplicate id
            job(4, id=True),
            job(5, provider="novitta"),
            job(6, image="missing.png"),
            job(7, steps="30"),
            "",  # blank lines are not jobs
            job(9),
        ],
    )
    out = tmp_path / "out"
    assert batch(manifest, out, mock, "-q") == 2
    err = capsys.readouterr().err
    rows = {row["line"]: row for row in results(out)}
    assert sorted(rows) == [1, 2, 3, 4, 5, 6, 7, 9]
    assert rows[1]["outcome"] == rows[9]["outcome"] == "ok"
    assert rows[9]["id"] == "9"  # default id: the line number
    expected_paths = {
        2: "$",
        3: "$.id",
        4: "$.id",
        5: "$.provider",
        6: "$.image.path",
        7: "$.steps",
    }
    for line, path in expected_paths.items():
        row = rows[line]
        assert row["outcome"] == "invalid", row
        assert path in row["error"]["paths"], row  # type: ignore[index]
        assert f"line {line} (id " in err
    assert "line 1 has it" in err
    assert "did you mean" in err.lower() or "novita" in str(rows[5]["error"])
    assert submits(mock, "jar [1]") == submits(mock, "jar [9]") == 1
    summary = json.loads((out / "summary.json").read_text())
    assert summary["outcomes"] == {"invalid": 6, "ok": 2}
    assert (out / "images" / "a-0.png").is_file()


def test_an_unreadable_manifest_is_exit_2(
    mock: MockServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert batch(tmp_path / "nope.jsonl", tmp_path / "out", mock) == 2
    assert "manifest" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"\xff\xfe{}\n")
    assert batch(bad, tmp_path / "out", mock) == 2
    assert "not UTF-8" in capsys.readouterr().err


def test_a_job_killed_while_submitting_is_listed_not_resent_unless_asked(
    mock: MockServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = write_manifest(tmp_path, [job(1, id="x"), job(2, id="y")])
    out = tmp_path / "out"
    assert batch(manifest, out, mock, "-q") == 0
    # What a SIGKILL between "submitting" and the stored job leaves in the ledger:
    db = sqlite3.connect(out / "ledger.sqlite")
    db.execute(
        "UPDATE jobs SET state='submitting', stored=NULL, row=NULL, outcome=NULL WHERE id='y'"
    )
    db.commit()
    db.close()
    capsys.readouterr()
    assert batch(manifest, out, mock, "-q") == 1
    err = capsys.readouterr().err
    assert "(id y)" in err
    assert "--resubmit-unknown" in err
    assert submits(mock, "jar [2]") == 1  # the first run's only
    rows = {row["id"]: row for row in results(out)}
    assert rows["y"]["outcome"] == "unknown"
    assert rows["y"]["error"]["type"] == "SubmitOutcomeUnknownError"  # type: ignore[index]
    assert rows["x"]["outcome"] == "ok"
    assert batch(manifest, out, mock, "-q") == 1  # still listed, still not sent
    assert submits(mock, "jar [2]") == 1
    assert batch(manifest, out, mock, "-q", "--resubmit-unknown") == 0
    assert submits(mock, "jar [2]") == 2
    assert submits(mock, "jar [1]") == 1  # finished: never sent again
    assert [row["outcome"] for row in results(out)] == ["ok", "ok"]


def test_a_submitted_job_is_resumed_not_resubmitted(mock: MockServer, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, [job(1, id="x")])
    out = tmp_path / "out"
    assert batch(manifest, out, mock, "-q") == 0
    db = sqlite3.connect(out / "ledger.sqlite")
    db.execute("UPDATE jobs SET state='submitted', row=NULL, outcome=NULL")
    db.commit()
    db.close()
    (out / "images" / "x-0.png").unlink()
    assert batch(manifest, out, mock, "-q") == 0
    assert submits(mock, "jar [1]") == 1
    (row,) = results(out)
    assert row["resumed"] is True
    assert (out / "images" / "x-0.png").is_file()


def test_submit_outcome_unknown_is_a_typed_outcome(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NOVITA_API_KEY", "mock-fault:reset:first=1")
    manifest = write_manifest(tmp_path, [job(1, id="x")])
    with MockServer(config()) as server:
        assert batch(manifest, tmp_path / "out", server, "-q") == 1
    (row,) = results(tmp_path / "out")
    assert row["outcome"] == "unknown"
    assert row["error"]["type"] == "SubmitOutcomeUnknownError"  # type: ignore[index]
    assert "(id x)" in capsys.readouterr().err


def test_shards_split_deterministically_and_keep_their_own_folder(
    mock: MockServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = [f"j{i}" for i in range(60)]
    shards = [Shard.parse(f"{k}/3") for k in (1, 2, 3)]
    owners = [[s for s in shards if i in s] for i in ids]
    assert all(len(o) == 1 for o in owners)  # each job in exactly one shard
    assert all(10 <= sum(i in s for i in ids) <= 30 for s in shards)  # roughly even
    for text in ("0/3", "4/3", "1/0", "x", "1/2/3"):
        with pytest.raises(ValueError, match="K/N"):
            Shard.parse(text)

    manifest = write_manifest(tmp_path, [job(i, id=f"j{i}") for i in range(9)])
    seen: list[str] = []
    for k in (1, 2, 3):
        out = tmp_path / f"out{k}"
        assert batch(manifest, out, mock, "-q", "--shard", f"{k}/3") == 0
        mine = [str(row["id"]) for row in results(out)]
        assert all(i in Shard(k, 3) for i in mine)
        seen += mine
    assert sorted(seen) == sorted(f"j{i}" for i in range(9))
    capsys.readouterr()
    assert batch(manifest, tmp_path / "out1", mock, "--shard", "2/3") == 2
    assert "shard" in capsys.readouterr().err
    assert batch(manifest, tmp_path / "o", mock, "--shard", "5/3") == 2


def test_a_line_changed_after_its_submit_is_refused(
    mock: MockServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert batch(write_manifest(tmp_path, [job(1, id="x")]), out, mock, "-q") == 0
    changed = write_manifest(tmp_path, [job(1, id="x", seed=5)])
    assert batch(changed, out, mock, "-q") == 2
    assert "changed in the manifest after they were submitted" in capsys.readouterr().err


def test_a_second_run_on_the_same_folder_is_refused(
    mock: MockServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with Ledger(out):
        with pytest.raises(LedgerError, match="another"):
            Ledger(out)
        assert batch(write_manifest(tmp_path, [job(1)]), out, mock) == 2
    assert "another `inpaintkit batch`" in capsys.readouterr().err


def test_per_line_provider_and_overrides(mock: MockServer, tmp_path: Path) -> None:
    line = job(1, id="m", provider="ModelsLab", width=512, height=512)
    line["overrides"] = {"modelslab": {"model": "pony_realism"}}
    manifest = write_manifest(tmp_path, [line])
    assert read_manifest(manifest)[0].job_data("modelslab")["model"] == "pony_realism"
    assert batch(manifest, tmp_path / "out", mock, "-q", "--json") == 0
    (row,) = results(tmp_path / "out")
    assert row["provider"] == "modelslab"
    assert row["files"] == ["images/m-0.png"]
    assert set(row) >= {"seed", "seeds", "task_ids", "native", "emulated", "dropped", "timings"}


def test_progress_counts_with_rate_and_eta() -> None:
    now = [0.0]
    stream = io.StringIO()
    progress = Progress(stream, mode="lines", clock=lambda: now[0])
    progress.counts("batch", 0, 100)
    for done in range(1, 101):
        now[0] += 0.5
        progress.counts("batch", done, 100, failed=1)
    lines = stream.getvalue().splitlines()
    assert lines[0].endswith("batch: 0/100 done")
    assert "4/100 done, 1 failed, 2.0/s, ETA 48s" in lines[1]
    assert lines[-1].endswith("100/100 done, 1 failed, 2.0/s")
    assert len(lines) < 30  # plain lines are throttled
    quiet = io.StringIO()
    Progress(quiet, mode="quiet").counts("batch", 1, 2)
    assert quiet.getvalue() == ""


def test_batch_help_documents_every_option() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    batch_parser = sub.choices["batch"]  # type: ignore[attr-defined]
    options = {o for a in batch_parser._actions for o in a.option_strings}
    assert options >= {"--provider", "--out", "--base-url", "--mock", "--concurrency"}
    assert options >= {"--resubmit-unknown", "--shard", "--json", "-q", "-v"}
