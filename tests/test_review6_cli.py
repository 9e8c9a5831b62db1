"""Job files the command line cannot read as JSON (not UTF-8, nested too deeply): one
message naming the file's problem at ``$`` and exit 2, never a traceback (review 6)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit.cli import main
from inpaintkit.clock import VirtualClock
from inpaintkit.dryrun import check_job_file
from inpaintkit.plugins import ProviderRegistry

NOVITA_MODEL = "realisticVisionV40_v40VAE-inpainting_81543.safetensors"


def cli(argv: list[str]) -> int:
    return main(argv, clock=VirtualClock())


def unreadable_jobs(folder: Path) -> dict[str, tuple[Path, str]]:
    """Job files that are not JSON objects for reasons below JSON syntax, with the rule
    each must be reported under."""
    (folder / "image.png").write_bytes(png_bytes(gradient_image(64, 64)))
    (folder / "mask.png").write_bytes(png_bytes(rect_mask(64, 64, (16, 16, 48, 48))))
    latin1 = folder / "latin1.json"
    latin1.write_bytes(
        json.dumps({"image": "image.png", "mask": "mask.png", "prompt": "caf\u00e9"})
        .replace("\\u00e9", "\u00e9")
        .encode("latin-1")
    )
    deep = folder / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    deep_field = folder / "deep-field.json"
    deep_field.write_text(
        '{"image": "image.png", "mask": "mask.png", "prompt": "p", "extras": '
        + "[" * 100_000
        + "]" * 100_000
        + "}",
        encoding="utf-8",
    )
    return {
        "latin1": (latin1, "is not UTF-8 text (invalid byte at offset"),
        "deep": (deep, "is nested too deeply"),
        "deep-field": (deep_field, "is nested too deeply"),
    }


@pytest.mark.parametrize("which", ["latin1", "deep", "deep-field"])
@pytest.mark.parametrize("command", ["validate", "run", "compare"])
def test_a_job_file_that_is_not_json_text_is_a_usage_error_not_a_traceback(
    command: str, which: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, rule = unreadable_jobs(tmp_path)[which]
    argv = [command, str(path), "-p", "novita", "-q"]
    if command != "validate":
        argv += ["--mock", "--out", str(tmp_path / "out")]
    code = cli(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert f"$: {rule}" in err


@pytest.mark.parametrize("which", ["latin1", "deep", "deep-field"])
def test_check_job_file_reports_the_problem_at_the_root(which: str, tmp_path: Path) -> None:
    path, rule = unreadable_jobs(tmp_path)[which]
    dry = asyncio.run(check_job_file(path, ProviderRegistry.default()["novita"]))
    [error] = dry.errors
    assert error.path == "$"
    assert error.rule.startswith(rule)
    assert dry.job is None


def test_batch_reports_a_bad_line_with_its_hint_as_a_sentence_of_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "image.png").write_bytes(png_bytes(gradient_image(64, 64)))
    (tmp_path / "mask.png").write_bytes(png_bytes(rect_mask(64, 64, (16, 16, 48, 48))))
    line = {"image": "image.png", "mask": "mask.png", "prompt": "p", "model": NOVITA_MODEL}
    manifest = tmp_path / "jobs.jsonl"
    manifest.write_text(json.dumps({**line, "steps": 500}) + "\n", encoding="utf-8")
    argv = ["batch", str(manifest), "-p", "novita", "--out", str(tmp_path / "out"), "--mock"]
    assert cli([*argv, "-q"]) == 2
    err = capsys.readouterr().err
    assert f"{manifest} line 1 (id 1): ValidationError: " in err
    # As `run` and `validate` say it: the message, a full stop, then the hint.
    assert "$.steps: must be in [1, 100] for novita, got 500. Fix the fields" in err


def test_the_scaling_guide_names_every_exit_code_a_shard_can_end_with(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/scaling.md tells schedulers what a shard's exit code means: a shard with an
    invalid manifest line (the others still run) ends with 2, which it must name."""
    (tmp_path / "image.png").write_bytes(png_bytes(gradient_image(64, 64)))
    (tmp_path / "mask.png").write_bytes(png_bytes(rect_mask(64, 64, (16, 16, 48, 48))))
    manifest = tmp_path / "jobs.jsonl"
    manifest.write_text("{not json\n", encoding="utf-8")
    argv = ["batch", str(manifest), "-p", "novita", "--out", str(tmp_path / "out"), "--mock"]
    assert cli([*argv, "-q"]) == 2
    capsys.readouterr()
    guide = (Path(__file__).parents[1] / "docs" / "scaling.md").read_text(encoding="utf-8")
    section = " ".join(guide.split("## Shards on an existing engine", 1)[1].split())
    assert "2 a manifest line is invalid" in section
    assert "2 that some manifest lines are invalid" in section
