"""``inpaintkit conformance`` runs the suite class a plugin publishes, leaves nothing behind, and
names the extra to install when the suite's requirements are missing."""

from __future__ import annotations

import importlib
import sys
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


def test_a_subclass_is_recognised_after_the_suite_module_was_imported_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """pytest's in-process runs (pytester, IDE runners) restore ``sys.modules`` after each
    session, so the suite module is imported anew in the next one while
    ``inpaintkit.conformance`` still hands out the first ``ProviderConformance``.  The fixtures
    must recognise the subclass all the same: they used to raise "conformance fixtures need a
    ProviderConformance subclass", which made this repository's pytester tests of the suite
    depend on their order."""
    from inpaintkit.conformance import ProviderConformance
    from inpaintkit.conformance.pytest_plugin import _suite_class

    class Mine(ProviderConformance):
        provider_id = "mine"

    class Unnamed(ProviderConformance):
        pass

    import inpaintkit.conformance as package

    # Both undone after the test: the module table and the package's attribute for it.
    monkeypatch.setattr(package, "suite", sys.modules["inpaintkit.conformance.suite"])
    monkeypatch.delitem(sys.modules, "inpaintkit.conformance.suite")
    assert _suite_class(Mine) is Mine
    fresh = importlib.import_module("inpaintkit.conformance.suite")
    assert fresh.ProviderConformance is not ProviderConformance
    assert _suite_class(Mine) is Mine
    assert _suite_class(Unnamed) is None
    assert _suite_class(int) is None
    assert _suite_class(None) is None
