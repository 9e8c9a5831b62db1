"""``inpaintkit conformance``: the runner, its exit status and its compatibility matrix."""

from __future__ import annotations

from pathlib import Path

import pytest
from inpaintkit.cli import main
from inpaintkit.conformance.runner import Outcome, render_compat_matrix, suite_settings
from inpaintkit.plugins import ProviderRegistry


def test_settings_follow_the_capability_table() -> None:
    registry = ProviderRegistry.default()
    assert suite_settings(registry["modelslab"].spec)["image_size"] == (512, 512)
    assert suite_settings(registry["stablediffusionapi"].spec) == {
        "image_size": (64, 64),
        "job_defaults": {},
    }
    assert "model" in suite_settings(registry["novita"].spec)["job_defaults"]


def test_matrix_marks_a_failing_field_and_a_disputed_one() -> None:
    registry = ProviderRegistry.default()
    outcomes = [
        Outcome("novita", "test_range_boundary", "steps=101", "failed", "..."),
        Outcome("novita", "test_range_boundary", "steps=100", "passed"),
        Outcome(
            "modelslab",
            "test_range_boundary",
            "sampler='DPM++ 2M'",
            "skipped",
            "expected disagreement (...)",
        ),
        Outcome(
            "novita",
            "test_range_generated",
            None,
            "failed",
            "[novita] guidance_scale = 31 (wire request.guidance_scale) [generated]",
        ),
    ]
    text = render_compat_matrix(registry, ["modelslab", "novita"], outcomes)
    assert "| `steps` | native | **FAILING** |" in text
    assert "| `guidance_scale` | native | **FAILING** |" in text
    assert "| `sampler` | native (disputed) | native |" in text
    assert "| `test_range_boundary` | 0 passed, 1 skipped | 1 passed, **1 FAILING** |" in text


def test_command_runs_the_suite_and_writes_the_matrix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "matrix.md"
    code = main(["conformance", "--provider", "stablediffusionapi", "--matrix-out", str(out)])
    assert code == 0, capsys.readouterr().out[-2000:]
    text = out.read_text()
    assert "| field | stablediffusionapi |" in text
    assert "| `steps` | native |" in text
    assert "| `test_state_machine` | 1 passed |" in text


def test_unknown_provider_is_an_error() -> None:
    assert main(["conformance", "--provider", "no-such-provider"]) == 2  # a usage error (issue 12)
