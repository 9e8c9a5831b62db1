"""``inpaintkit conformance``: run the suite for installed providers and write the matrix.

The command writes a small test module with one :class:`ProviderConformance` subclass per
provider, runs it with :func:`pytest.main` in this process,
collects every test report, and renders a compatibility matrix: each neutral field per provider
as ``native`` / ``emulated`` / ``unsupported`` from the table, or ``FAILING`` when a probe of
that field failed (``disputed`` for a known disagreement).  Exit status 1 on any failure.

A plugin package that ships its own subclass (with its skips and settings) publishes it in the
``inpaintkit.conformance`` entry-point group under its provider id, e.g.
``sdwebui = "inpaintkit_sdwebui.conformance:SdWebUiConformance"``; the generated class then
derives from it.  Otherwise the settings are derived from the capability table: an image at the
provider's minimum size and a placeholder model when one is required.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from inpaintkit.matrix import field_table, markdown_table
from inpaintkit.plugins import ProviderRegistry, make_plugin_manager
from inpaintkit.provider import ProviderSpec, Support

if TYPE_CHECKING:
    import pytest

__all__ = [
    "Outcome",
    "missing_requirements",
    "render_compat_matrix",
    "run_conformance",
    "suite_settings",
]

REQUIREMENTS = ("pytest", "hypothesis")
"""What the suite imports beyond the core: the ``conformance`` extra."""


def missing_requirements() -> str | None:
    """A message naming the extra to install when the suite's requirements are missing."""
    missing = [name for name in REQUIREMENTS if importlib.util.find_spec(name) is None]
    if not missing:
        return None
    return (
        f"the conformance suite needs {' and '.join(missing)}: "
        "pip install 'inpaintkit[conformance]'"
    )


@contextmanager
def _hypothesis_home(folder: str) -> Iterator[None]:
    """Point hypothesis's storage at ``folder``, so a run leaves no ``.hypothesis/`` behind
    in the caller's working directory."""
    from hypothesis import configuration

    previous = vars(configuration).get("__hypothesis_home_directory")
    configuration.set_hypothesis_home_dir(folder)
    try:
        yield
    finally:
        configuration.set_hypothesis_home_dir(previous)


PLACEHOLDER_MODEL = "conformance-inpainting-model"
_FIELD_IN_TEXT = re.compile(r"([a-z_]+(?:\[\])?(?:\.[a-z_]+)?) = ")
_MODELS = {"novita": "realisticVisionV40_v40VAE-inpainting_81543.safetensors"}


@attrs.frozen
class Outcome:
    """One test's result for one provider."""

    provider: str
    test: str
    case: str | None
    outcome: str  # passed, failed, skipped
    text: str = ""


def suite_settings(spec: ProviderSpec) -> dict[str, Any]:
    """Class attributes for a generated subclass, derived from the capability table."""
    size = 64
    for name in ("width", "height"):
        row = spec.capabilities.get(name)
        if row is not None and row.support is Support.NATIVE and row.minimum is not None:
            size = max(size, int(row.minimum))
    defaults: dict[str, Any] = {}
    model = spec.capabilities.get("model")
    if model is not None and model.required and model.default is None:
        defaults["model"] = _MODELS.get(spec.id, PLACEHOLDER_MODEL)
    return {"image_size": (size, size), "job_defaults": defaults}


ENTRY_POINT_GROUP = "inpaintkit.conformance"


def published_suites() -> dict[str, str]:
    """Provider id -> ``module:Class`` of suites plugins publish (entry-point group above)."""
    from importlib.metadata import entry_points

    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _module_text(providers: Sequence[str], settings: Mapping[str, Mapping[str, Any]]) -> str:
    lines = [
        "import importlib",
        "from inpaintkit.conformance import ProviderConformance",
        "from inpaintkit.conformance.known import KNOWN_DISAGREEMENTS",
        "",
        "def _published(ref):",
        "    module, _, name = ref.partition(':')",
        "    return getattr(importlib.import_module(module), name)",
        "",
    ]
    published = published_suites()
    for index, pid in enumerate(providers):
        s = settings[pid]
        lines.append("")
        if pid in published:
            lines += [
                f"class TestProvider{index}(_published({published[pid]!r})):",
                f"    provider_id = {pid!r}",
            ]
            continue
        lines += [
            f"class TestProvider{index}(ProviderConformance):",
            f"    provider_id = {pid!r}",
            f"    image_size = {s['image_size']!r}",
            f"    job_defaults = {s['job_defaults']!r}",
            f"    expected_disagreements = KNOWN_DISAGREEMENTS.get({pid!r}, {{}})",
        ]
    return "\n".join(lines) + "\n"


class _Collector:
    """A pytest plugin object that keeps one :class:`Outcome` per test."""

    def __init__(self, providers: Sequence[str]) -> None:
        self.providers = list(providers)
        self.outcomes: list[Outcome] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call" and not (report.failed or report.skipped):
            return
        match = re.search(r"TestProvider(\d+)::(\w+)(?:\[(.*)\])?$", report.nodeid)
        if match is None:
            return
        provider = self.providers[int(match.group(1))]
        text = str(report.longrepr) if report.longrepr is not None else ""
        self.outcomes.append(
            Outcome(provider, match.group(2), match.group(3), report.outcome, text)
        )


def mocked_providers() -> set[str]:
    """Ids the installed mock plugins serve (a provider without a mock cannot be checked)."""
    pm = make_plugin_manager()
    ids: list[str] = []
    pm.hook.register_mocks(register=lambda mock: ids.append(str(mock.id)))
    return set(ids)


def run_conformance(
    providers: Sequence[str] | None = None,
    *,
    matrix_out: Path | None = None,
    pytest_args: Sequence[str] = (),
) -> tuple[int, str, list[Outcome]]:
    """Run the suite; returns (exit status, matrix Markdown, outcomes).

    Raises :class:`ModuleNotFoundError` naming the ``conformance`` extra when pytest or
    hypothesis is missing.
    """
    problem = missing_requirements()
    if problem is not None:
        raise ModuleNotFoundError(problem)
    import pytest

    registry = ProviderRegistry.default()
    chosen = (
        list(providers) if providers else sorted(p for p in registry if p in mocked_providers())
    )
    for pid in chosen:
        registry[pid]  # raises UnknownProviderError naming the installed ones
    settings = {pid: suite_settings(registry[pid].spec) for pid in chosen}
    collector = _Collector(chosen)
    with tempfile.TemporaryDirectory(prefix="inpaintkit-conformance-") as folder:
        # A name of its own: a second run in the same process must not find the first's module.
        name = "test_" + Path(folder).name.replace("-", "_")
        module = Path(folder) / f"{name}.py"
        module.write_text(_module_text(chosen, settings), encoding="utf-8")
        ini = "[pytest]\n"
        if importlib.util.find_spec("pytest_asyncio") is not None:  # silences its warning
            ini += "asyncio_default_fixture_loop_scope = function\n"
        (Path(folder) / "pytest.ini").write_text(ini, encoding="utf-8")
        with _hypothesis_home(str(Path(folder) / ".hypothesis")):
            code = pytest.main(
                [
                    str(module),
                    "-q",
                    "-p",
                    "no:cacheprovider",
                    "--rootdir",
                    folder,
                    # This process imported inpaintkit (and hypothesis) before pytest started.
                    "-W",
                    "ignore::pytest.PytestAssertRewriteWarning",
                    *pytest_args,
                ],
                plugins=[collector],
            )
        sys.modules.pop(name, None)
    matrix = render_compat_matrix(registry, chosen, collector.outcomes)
    if matrix_out is not None:
        matrix_out.write_text(matrix, encoding="utf-8")
    failed = any(o.outcome == "failed" for o in collector.outcomes)
    status = 1 if failed or int(code) not in (0, 5) else 0
    return status, matrix, collector.outcomes


def _failing_fields(outcomes: Sequence[Outcome]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for o in outcomes:
        if o.outcome != "failed":
            continue
        fields = out.setdefault(o.provider, set())
        if o.case and "=" in o.case and o.test == "test_range_boundary":
            fields.add(o.case.split("=", 1)[0])
        elif o.test in ("test_range_generated", "test_baseline_job"):
            fields.update(_FIELD_IN_TEXT.findall(o.text))
    return out


def render_compat_matrix(
    registry: ProviderRegistry, providers: Sequence[str], outcomes: Sequence[Outcome]
) -> str:
    """The field x provider compatibility matrix as Markdown."""
    failing = _failing_fields(outcomes)
    disputed = {
        (o.provider, (o.case or "").split("=", 1)[0])
        for o in outcomes
        if o.outcome == "skipped" and "expected disagreement" in o.text
    }

    def cell(field: str, pid: str) -> str:
        support = registry[pid].spec.capabilities.support(field).value
        if field in failing.get(pid, set()):
            return "**FAILING**"
        if (pid, field) in disputed:
            return f"{support} (disputed)"
        return support

    def counts(pid: str, test: str) -> str:
        mine = [o for o in outcomes if o.provider == pid and o.test == test]
        passed = sum(o.outcome == "passed" for o in mine)
        failed = sum(o.outcome == "failed" for o in mine)
        skipped = sum(o.outcome == "skipped" for o in mine)
        text = f"{passed} passed" + (f", **{failed} FAILING**" if failed else "")
        return text + (f", {skipped} skipped" if skipped else "")

    check_rows = [
        (f"`{test}`", [counts(pid, test) for pid in providers])
        for test in sorted({o.test for o in outcomes})
    ]
    lines = [
        "# Conformance matrix",
        "",
        "Generated by `inpaintkit conformance`: each cell is the capability table's claim,",
        "checked against the mock server. *FAILING*: a probe of the field failed (plugin and mock",
        "disagree, or the request did not carry the job's meaning); *disputed*: a known,",
        "documented disagreement awaiting a decision (`inpaintkit.conformance.known`).",
        "",
        *field_table(providers, cell),
        "",
        *markdown_table("check", providers, check_rows),
    ]
    return "\n".join(lines) + "\n"
