"""The console script, and the generated docs that must stay in step with the tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from inpaintkit.cli import main
from inpaintkit.clock import VirtualClock
from inpaintkit.matrix import neutral_fields, render_matrix
from inpaintkit.plugins import ProviderRegistry, make_plugin_manager

ROOT = Path(__file__).resolve().parent.parent
BUILTINS = {"novita", "stablediffusionapi", "modelslab"}


def cli(argv: list[str]) -> int:
    """The console script on a virtual clock: polling against the mock takes no real time."""
    return main(argv, clock=VirtualClock())


def builtin_registry() -> ProviderRegistry:
    return ProviderRegistry.from_plugin_manager(make_plugin_manager(entry_points=False))


def test_providers_json_lists_the_builtins_with_capabilities(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli(["providers", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    by_id = {p["id"]: p for p in data}
    assert set(by_id) >= BUILTINS
    novita_steps = next(c for c in by_id["novita"]["capabilities"] if c["field"] == "steps")
    assert novita_steps["limits"] == "[1, 100]"
    assert by_id["stablediffusionapi"]["auth"] == "BodyKeyAuth"


def test_providers_show_each_documented_rate_limit(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["providers", "--json"]) == 0
    by_id = {p["id"]: p for p in json.loads(capsys.readouterr().out)}
    assert by_id["novita"]["rate_limit"] == {
        "requests_per_minute": None,
        "images_per_minute": 10,
        "concurrency": None,
        "description": "10 images/min",
    }
    assert by_id["modelslab"]["rate_limit"]["concurrency"] == 5
    assert cli(["providers"]) == 0
    header, *rows = capsys.readouterr().out.splitlines()
    assert "RATE LIMIT" in header
    row = {r.split()[0]: r for r in rows}
    assert "10 images/min" in row["novita"]
    assert "5 jobs at once" in row["modelslab"]
    matrix = render_matrix(builtin_registry())
    assert "- Rate limit enforced by the client: 10 images/min. Source: Novita" in matrix
    assert "- Rate limit enforced by the client: 5 jobs at once. Source: 5 queued" in matrix


def test_docs_capability_matrix_is_in_step_with_the_tables() -> None:
    committed = (ROOT / "docs" / "providers.md").read_text(encoding="utf-8")
    assert committed == render_matrix(builtin_registry()), (
        "docs/providers.md is stale: run `inpaintkit matrix --builtins -o docs/providers.md`"
    )


def test_every_builtin_table_covers_every_neutral_field() -> None:
    registry = builtin_registry()
    assert set(registry) == BUILTINS
    for pid in BUILTINS:
        table = registry[pid].spec.capabilities
        listed = {row.field for row in table}
        missing = [f for f in neutral_fields() if f not in listed]
        assert not missing, f"{pid} has no capability row for {missing}"
        uncited = [row.field for row in table if not row.source]
        assert not uncited, f"{pid} rows without a source: {uncited}"


def test_validate_reports_every_bad_field_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = tmp_path / "job.json"
    job.write_text(
        json.dumps(
            {"image": "i.png", "mask": "m.png", "prompt": "x", "steps": 500, "guidance_scale": 99}
        )
    )
    assert cli(["validate", str(job), "--provider", "novita"]) == 2
    err = capsys.readouterr().err
    assert "$.steps: must be in [1, 100] for novita, got 500" in err
    assert "$.guidance_scale" in err
    assert "$.model" in err


def test_validate_shows_emulations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image

    Image.new("RGB", (512, 512)).save(tmp_path / "i.png")
    Image.new("L", (512, 512)).save(tmp_path / "m.png")
    job = tmp_path / "job.json"
    job.write_text(
        json.dumps(
            {
                "image": "i.png",
                "mask": "m.png",
                "prompt": "x",
                "model": "pony_realism",
                "mask_options": {"invert": True},
            }
        )
    )
    assert cli(["validate", str(job), "--provider", "modelslab"]) == 0
    out = capsys.readouterr().out
    assert "mask_options.invert" in out
    assert "emulated" in out


def test_run_against_the_embedded_mock_writes_images(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from PIL import Image, ImageDraw

    Image.new("RGB", (64, 64), (10, 120, 200)).save(tmp_path / "image.png")
    mask = Image.new("L", (64, 64), 0)
    ImageDraw.Draw(mask).rectangle((16, 16, 47, 47), fill=255)
    mask.save(tmp_path / "mask.png")
    job = tmp_path / "job.json"
    job.write_text(
        json.dumps(
            {
                "image": "image.png",
                "mask": "mask.png",
                "prompt": "a boat",
                "model": "realisticVisionV40_v40VAE-inpainting_81543.safetensors",
                "num_images": 2,
                "seed": 3,
            }
        )
    )
    out = tmp_path / "out"
    assert cli(["run", str(job), "--provider", "novita", "--mock", "--out", str(out)]) == 0
    files = sorted(p.name for p in out.iterdir())
    assert files == ["novita-0.png", "novita-1.png"]
    result = Image.open(out / "novita-0.png").convert("RGB")
    assert result.size == (64, 64)
    assert result.getpixel((2, 2)) == (10, 120, 200)  # outside the mask: kept


def test_sdapi_with_local_files_and_no_host_says_how_to_configure_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 10 item 2: v3 takes links only and documents no upload; a job with local files
    fails before any request, and the command line gets the hint in its own terms.  (Against
    the embedded mock, `--mock` supplies the offline host the demo uses; a real run does not,
    so this one points at a closed local port, which is never reached.)"""
    monkeypatch.setenv("STABLEDIFFUSIONAPI_API_KEY", "sdapi-key")
    from PIL import Image

    Image.new("RGB", (64, 64)).save(tmp_path / "image.png")
    Image.new("L", (64, 64)).save(tmp_path / "mask.png")
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"image": "image.png", "mask": "mask.png", "prompt": "a boat"}))
    out = str(tmp_path / "out")
    argv = ["run", str(job), "-p", "stablediffusionapi", "--base-url", "http://127.0.0.1:9"]
    code = cli([*argv, "--out", out])
    assert code == 2
    err = capsys.readouterr().err
    assert "no image host is configured" in err
    assert "image_host hook" in err
    assert "ModelsLabUploadHost" in err
    assert "InpaintClient(" not in err  # the Python form is not shown on the command line


def test_validate_shows_a_fitted_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 10 item 4: an unset size outside ModelsLab's limits is fitted, and validate says so."""
    from PIL import Image

    Image.new("RGB", (300, 200)).save(tmp_path / "i.png")
    Image.new("L", (300, 200)).save(tmp_path / "m.png")
    job = tmp_path / "job.json"
    job.write_text(
        json.dumps({"image": "i.png", "mask": "m.png", "prompt": "x", "model": "pony_realism"})
    )
    assert cli(["validate", str(job), "--provider", "modelslab"]) == 0
    out = capsys.readouterr().out
    assert "300x200" in out
    assert "emulated" in out
