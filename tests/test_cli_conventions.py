"""The command line behaves like the tools people know: exit codes, flags, output, messages."""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit import __version__
from inpaintkit.cli import build_parser, main
from inpaintkit.clock import VirtualClock
from inpaintkit.errors import AuthenticationError, UnsupportedFieldError
from inpaintkit.errors import FieldError as FE
from inpaintkit.plugins import ProviderRegistry, UnknownProviderError
from inpaintkit.progress import Progress

NOVITA_MODEL = "realisticVisionV40_v40VAE-inpainting_81543.safetensors"


def cli(argv: list[str]) -> int:
    """The console script on a virtual clock: polling against the mock takes no real time."""
    return main(argv, clock=VirtualClock())


def write_job(folder: Path, **fields: object) -> Path:
    (folder / "image.png").write_bytes(png_bytes(gradient_image(64, 64)))
    (folder / "mask.png").write_bytes(png_bytes(rect_mask(64, 64, (16, 16, 48, 48))))
    job = folder / "job.json"
    data = {"image": "image.png", "mask": "mask.png", "prompt": "a boat", "seed": 3, **fields}
    job.write_text(json.dumps(data))
    return job


# --- conventions -----------------------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"inpaintkit {__version__}"


def test_python_dash_m_inpaintkit() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "inpaintkit", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"inpaintkit {__version__}"


@pytest.mark.parametrize(
    ("argv", "quiet", "verbose"),
    [
        (["-v", "providers"], False, 1),
        (["providers", "-v"], False, 1),
        (["-v", "providers", "-v"], False, 2),
        (["-q", "providers"], True, 0),
        (["--quiet", "providers", "--verbose"], True, 1),
        (["providers"], False, 0),
    ],
)
def test_quiet_and_verbose_are_taken_before_the_command_too(
    argv: list[str], quiet: bool, verbose: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``inpaintkit -v batch ...`` was "unrecognized arguments: -v"."""
    from inpaintkit import commands

    seen: list[argparse.Namespace] = []

    def record(args: argparse.Namespace) -> int:
        seen.append(args)
        return 0

    monkeypatch.setattr(commands, "cmd_providers", record)
    assert cli(argv) == 0
    assert (seen[0].quiet, seen[0].verbose) == (quiet, verbose)


def test_the_top_help_reads_as_prose(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli(["--help"])
    out = capsys.readouterr().out
    assert "``" not in out
    assert "inpainting" in out


def test_every_option_has_help() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    missing = []
    for name, command in sub.choices.items():
        for action in command._actions:
            if not isinstance(action, argparse._HelpAction) and not action.help:
                missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
    assert not missing


def test_run_refuses_several_providers_instead_of_running_the_last(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = write_job(tmp_path, model=NOVITA_MODEL)
    argv = ["run", str(job), "-p", "novita", "-p", "modelslab", "--mock", "--out", str(tmp_path)]
    assert cli(argv) == 2
    err = capsys.readouterr().err
    assert "inpaintkit compare" in err
    assert not list(tmp_path.glob("*-0.png"))


def test_provider_ids_are_case_insensitive(tmp_path: Path) -> None:
    job = write_job(tmp_path, model=NOVITA_MODEL)
    assert cli(["validate", str(job), "-p", "NoViTa", "-q"]) == 0


def test_unknown_provider_exits_2_with_a_suggestion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = write_job(tmp_path)
    assert cli(["validate", str(job), "-p", "modelslb"]) == 2
    assert "did you mean 'modelslab'?" in capsys.readouterr().err


def test_registry_resolve() -> None:
    registry = ProviderRegistry.default()
    assert registry.resolve("StableDiffusionAPI") == "stablediffusionapi"
    with pytest.raises(UnknownProviderError, match="installed"):
        registry.resolve("zzzz")


@pytest.mark.parametrize("command", ["run", "validate", "compare"])
def test_missing_job_file_exits_2_without_traceback(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli([command, str(tmp_path / "nope.json"), "-p", "novita"]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err
    assert "Traceback" not in err


def test_unwritable_output_folder_exits_2_before_sending(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = write_job(tmp_path, model=NOVITA_MODEL)
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    argv = ["run", str(job), "-p", "novita", "--mock", "--out", str(blocker / "out")]
    assert cli(argv) == 2
    err = capsys.readouterr().err
    assert "cannot write to output folder" in err
    assert "submitted" not in err


def test_busy_port_for_mock_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli(["mock", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"cannot serve the mock on 127.0.0.1:{port}" in err
    assert "Traceback" not in err


def test_run_writes_next_to_the_job_not_into_cwd_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "jobs"
    folder.mkdir()
    job = write_job(folder, model=NOVITA_MODEL)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    assert cli(["run", str(job), "-p", "novita", "--mock", "-q"]) == 0
    assert sorted(p.name for p in folder.glob("job-novita-*")) == ["job-novita-0.png"]
    assert not (cwd / "out").exists()


def test_messages_name_cli_flags_on_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = write_job(tmp_path, model="pony_realism", initial_noise_multiplier=0.5)
    assert cli(["run", str(job), "-p", "modelslab", "--mock"]) == 2
    err = capsys.readouterr().err
    assert "--unsupported warn" in err
    assert "unsupported='warn'" not in err


def test_errors_keep_the_python_wording_in_python() -> None:
    error = UnsupportedFieldError([FE("$.x", "is not supported")], provider="p")
    assert "unsupported='warn'" in str(error)
    assert "--unsupported warn" in error.describe("cli")
    custom = AuthenticationError("no key", hint="Ask your admin.")
    assert custom.hint_for("cli") == custom.hint_for("python") == "Ask your admin."
    with pytest.raises(ValueError, match="interface"):
        custom.hint_for("gui")


def test_dropped_fields_are_reported_in_cli_terms(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = write_job(tmp_path, model="pony_realism", width=512, height=512)
    job_data = json.loads(job.read_text())
    job_data["initial_noise_multiplier"] = 0.5
    job.write_text(json.dumps(job_data))
    from PIL import Image

    Image.new("RGB", (512, 512)).save(tmp_path / "image.png")
    Image.new("L", (512, 512), 255).save(tmp_path / "mask.png")
    argv = ["run", str(job), "-p", "modelslab", "--mock", "--unsupported", "warn", "--out"]
    assert cli([*argv, str(tmp_path / "o")]) == 0
    err = capsys.readouterr().err
    assert "initial_noise_multiplier dropped" in err
    assert "(--unsupported warn)" in err
    assert "unsupported='warn'" not in err


def test_missing_key_hint_names_the_environment_variable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOVITA_API_KEY", raising=False)
    job = write_job(tmp_path, model=NOVITA_MODEL)
    argv = ["run", str(job), "-p", "novita", "--base-url", "http://127.0.0.1:9"]
    assert cli(argv) == 1
    err = capsys.readouterr().err
    assert "NOVITA_API_KEY" in err
    assert "api_keys=" not in err


# --- output ------------------------------------------------------------------------------------


def test_json_on_run_and_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job = write_job(tmp_path, model=NOVITA_MODEL)
    assert cli(["validate", str(job), "-p", "novita", "--json"]) == 0
    [report] = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert report["provider"] == "novita"
    argv = ["run", str(job), "-p", "novita", "--mock", "--json", "--out", str(tmp_path / "o")]
    assert cli(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] is True
    assert result["seed"] == 3
    assert [Path(f).name for f in result["files"]] == ["novita-0.png"]


def test_validate_json_reports_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job = write_job(tmp_path, steps=500)
    assert cli(["validate", str(job), "-p", "novita", "--json"]) == 2
    [report] = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert {e["path"] for e in report["error"]["errors"]} == {"$.steps", "$.model"}


def test_providers_table_is_aligned_without_source_tags(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli(["providers"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines[0]
    for column in ("MODE", "BASE URL", "KEY FROM"):
        start = header.index(column)
        for line in lines[1:]:
            assert line[start - 2 : start] == "  ", (column, line)
            assert line[start] != " ", (column, line)
    assert cli(["providers", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert all("source" not in row for p in data for row in p["capabilities"])
    assert any(row["limits"] for p in data for row in p["capabilities"])


def test_progress_goes_to_stderr_and_quiet_silences_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = write_job(tmp_path, model=NOVITA_MODEL)
    out = str(tmp_path / "o")
    assert cli(["run", str(job), "-p", "novita", "--mock", "--out", out]) == 0
    captured = capsys.readouterr()
    assert "novita: submitted 1 request, waiting" in captured.err
    assert "novita: downloaded 1 image" in captured.err
    assert "submitted" not in captured.out
    assert cli(["run", str(job), "-p", "novita", "--mock", "--out", out, "-q"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.split() == [str(Path(out) / "novita-0.png")]  # only the result


def test_verbose_shows_the_clients_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job = write_job(tmp_path, model=NOVITA_MODEL)
    argv = ["run", str(job), "-p", "novita", "--mock", "--out", str(tmp_path / "o"), "-vv"]
    assert cli(argv) == 0
    assert "DEBUG inpaintkit: novita: POST" in capsys.readouterr().err


def test_progress_modes() -> None:
    ticks = iter([0.0, 1.0, 2.0])
    lines = io.StringIO()
    progress = Progress(lines, mode="auto", clock=lambda: next(ticks))
    assert progress.mode == "lines"  # a StringIO is not a terminal
    progress.step("novita", "submitted")
    assert lines.getvalue() == "[   1.0s] novita: submitted\n"

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Tty()
    progress = Progress(tty, clock=lambda: 0.0)
    progress.step("a", "one")
    progress.step("a", "two")
    progress.close()
    assert tty.getvalue() == "\r\x1b[2K[   0.0s] a: one\r\x1b[2K[   0.0s] a: two\n"
    silent = io.StringIO()
    Progress(silent, mode="quiet").step("a", "one")
    assert silent.getvalue() == ""


def test_help_documents_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli(["--help"])
    assert "exit codes: 0 success; 1" in capsys.readouterr().out.replace("\n", " ")


@pytest.mark.skipif(os.name != "posix", reason="POSIX paths")
def test_demo_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["demo", "--out", str(tmp_path), "-p", "novita", "--json", "-q"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["provider"] for r in rows] == ["novita"]
    assert (tmp_path / "contact-sheet.png").exists()


def test_the_demo_runs_on_every_installed_provider(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The main job: one job on every provider; what a provider cannot honour is dropped and
    recorded, never a failure (the OpenAI example takes no seed or guidance, for one)."""
    from inpaintkit.plugins import ProviderRegistry

    assert cli(["demo", "--out", str(tmp_path), "--json", "-q"]) == 0
    rows = {r["provider"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(rows) == set(ProviderRegistry.default())
    assert all(r["ok"] for r in rows.values()), rows
    if "openai" in rows:
        assert "seed" in rows["openai"]["dropped"]


def test_run_json_reports_the_error_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job = write_job(tmp_path, steps=500)
    argv = ["run", str(job), "-p", "novita", "--mock", "--json", "--out", str(tmp_path / "o")]
    assert cli(argv) == 2
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["ok"] is False
    assert report["error"]["type"] == "ValidationError"
    assert "$.steps" in captured.err


def test_validate_notes_a_missing_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOVITA_API_KEY", raising=False)
    job = write_job(tmp_path, model=NOVITA_MODEL)
    assert cli(["validate", str(job), "-p", "novita"]) == 0
    assert "note: NOVITA_API_KEY is not set" in capsys.readouterr().out
    monkeypatch.setenv("NOVITA_API_KEY", "k")
    assert cli(["validate", str(job), "-p", "novita"]) == 0
    assert "NOVITA_API_KEY" not in capsys.readouterr().out


def test_validate_honours_every_provider(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = write_job(tmp_path, model=NOVITA_MODEL)  # local files: v3 needs an image host
    assert cli(["validate", str(job), "-p", "novita", "-p", "stablediffusionapi"]) == 2
    captured = capsys.readouterr()
    assert "valid for novita" in captured.out
    assert "[stablediffusionapi]" in captured.err
    assert "$.image" in captured.err


def test_quiet_run_still_prints_its_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """-q means 'only results and errors': the output files are the results."""
    job = write_job(tmp_path, model=NOVITA_MODEL)
    out = tmp_path / "o"
    assert cli(["run", str(job), "-p", "novita", "--mock", "-q", "--out", str(out)]) == 0
    printed = capsys.readouterr().out.split()
    assert printed
    assert all(Path(p).exists() and Path(p).parent == out for p in printed)


def test_run_with_mock_gives_stablediffusionapi_the_offline_image_host(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """StableDiffusionAPI takes links only; against the embedded mock, `run --mock` uploads local
    images through the mock's ModelsLab route, as `make demo` does, instead of refusing them."""
    job = write_job(tmp_path)
    out = tmp_path / "o"
    code = cli(["run", str(job), "-p", "stablediffusionapi", "--mock", "-q", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["stablediffusionapi-0.png"]
