"""``inpaintkit conformance`` runs the suite class a plugin publishes, leaves nothing behind, and
names the extra to install when the suite's requirements are missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from inpaintkit.conformance.runner import missing_requirements, run_conformance


def test_the_published_suite_of_a_plugin_is_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sdwebui example publishes its suite class; its declarations apply, and the run
    leaves no ``.hypothesis/`` in the working directory."""
    monkeypatch.chdir(tmp_path)
    code, matrix, outcomes = run_conformance(["sdwebui"])
    assert code == 0, [o for o in outcomes if o.outcome == "failed"][:3]
    skipped = {(o.test, o.case): o.text for o in outcomes if o.outcome == "skipped"}
    assert (
        "self-hosted server has no credits"
        in skipped[("test_error_mapping", "insufficient_credits")]
    )
    assert "no polling" in skipped[("test_poll_path", None)]
    assert "| field | sdwebui |" in matrix
    assert not (tmp_path / ".hypothesis").exists()


def test_missing_requirements_name_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from inpaintkit.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "hypothesis" else real(name, *a),
    )
    assert missing_requirements() == (
        "the conformance suite needs hypothesis: pip install 'inpaintkit[conformance]'"
    )
    assert main(["conformance"]) == 2
    with pytest.raises(ModuleNotFoundError, match=r"inpaintkit\[conformance\]"):
        run_conformance(["stablediffusionapi"])
