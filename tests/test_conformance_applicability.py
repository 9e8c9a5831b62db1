"""Which conformance checks apply is derived from the provider's spec, not listed by hand; and
``inpaintkit conformance`` runs the suite class a plugin publishes."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest
from inpaintkit.conformance.runner import missing_requirements, run_conformance
from inpaintkit.conformance.suite import not_applicable_to
from inpaintkit.plugins import ProviderRegistry
from inpaintkit.provider import HttpRequest, NoAuth, ProviderSpec, TaskHandle
from toyprovider import ToyAdapter


class _KeylessToy(ToyAdapter):
    @property
    def spec(self) -> ProviderSpec:
        return attrs.evolve(super().spec, auth=NoAuth())


class _TasklessToy(ToyAdapter):
    def build_poll(self, handle: TaskHandle) -> HttpRequest:
        raise NotImplementedError("answers synchronously")


def test_builtin_providers_run_every_check() -> None:
    registry = ProviderRegistry.default()
    for pid in ("novita", "stablediffusionapi", "modelslab"):
        assert not_applicable_to(registry[pid]) == {}, pid


def test_a_provider_without_keys_skips_the_key_checks() -> None:
    skipped = not_applicable_to(_KeylessToy())
    assert set(skipped) == {
        "test_error_mapping[bad_key]",
        "test_error_mapping[invalid_key]",
        "test_error_mapping[missing_key]",
    }
    assert "NoAuth" in skipped["test_error_mapping[bad_key]"]
    assert not_applicable_to(ToyAdapter()) == {}


def test_a_provider_without_tasks_skips_the_polling_checks() -> None:
    skipped = not_applicable_to(_TasklessToy())
    assert set(skipped) == {"test_poll_path", "test_error_mapping[task_failed]"}


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
    assert "no task to poll" in skipped[("test_poll_path", None)]
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
