"""What the installed distribution promises: light pytest plugins that never break a foreign
session, one version, its license and classifiers, absolute README links, exported types."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
import tomllib
import types
import typing
from importlib import metadata
from pathlib import Path

import inpaintkit
import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("aiohttp", "PIL", "hypothesis", "cattrs", "inpaintkit.mockserver", "inpaintkit.client")


def _run_python(code: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_loading_the_pytest_plugins_imports_nothing_heavy() -> None:
    done = _run_python(
        "import sys, inpaintkit, inpaintkit.pytest_plugin, inpaintkit.conformance.pytest_plugin\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_foreign_pytest_session_without_hypothesis_runs(tmp_path: Path) -> None:
    """inpaintkit installed, hypothesis not: pytest still starts and runs other tests."""
    (tmp_path / "test_other.py").write_text("def test_other():\n    assert 2 * 2 == 4\n")
    blocker = (
        "import sys, pytest\n"
        "class Missing:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('hypothesis', '_hypothesis_pytestplugin'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}')\n"
        "sys.meta_path.insert(0, Missing())\n"
        "sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', '-p', 'no:randomly',\n"
        "                      '-p', 'no:hypothesispytest', 'test_other.py']))\n"
    )
    done = _run_python(blocker, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout


def test_one_version_source() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project
    assert project["dynamic"] == ["version"]
    assert metadata.version("inpaintkit") == inpaintkit.__version__


def test_license_file_and_metadata_agree() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License")
    assert "inpaintkit contributors" in text
    meta = metadata.metadata("inpaintkit")
    assert meta["License-Expression"] == "MIT"


def test_classifiers_name_the_pythons_ci_runs() -> None:
    classifiers = metadata.metadata("inpaintkit").get_all("Classifier") or []
    claimed = {c.rsplit(" :: ", 1)[1] for c in classifiers if re.fullmatch(r".*:: 3\.\d+", c)}
    matrix = (ROOT / ".ci" / "matrix").read_text()
    tested = set(re.findall(r"^PYTHONS=\"([^\"]+)\"", matrix, re.M)[0].split())
    assert claimed == tested
    requires = metadata.metadata("inpaintkit")["Requires-Python"]
    assert requires == f">={min(tested, key=lambda v: tuple(map(int, v.split('.'))))}"


def test_readme_links_are_absolute() -> None:
    """The README is the package index's project page: relative links break there."""
    text = (ROOT / "README.md").read_text()
    links = re.findall(r"\]\(([^)]+)\)", text)
    assert links
    relative = [link for link in links if not link.startswith(("https://", "http://", "#"))]
    assert relative == []


def _has_events() -> bool:
    import importlib.util

    return importlib.util.find_spec("inpaintkit.events") is not None


def _classes(annotation: object) -> set[type]:
    out: set[type] = set()
    if isinstance(annotation, type):
        out.add(annotation)
    for arg in typing.get_args(annotation):
        out |= _classes(arg)
    return out


def _public_signature_types() -> dict[str, str]:
    """inpaintkit classes in the signatures of the exported callables -> where they appear."""
    found: dict[str, str] = {}
    for name in inpaintkit.__all__:
        obj = getattr(inpaintkit, name)
        members: list[tuple[str, object]] = []
        if inspect.isclass(obj):
            members += [
                (f"{name}.{m}", f)
                for m, f in vars(obj).items()
                if (not m.startswith("_") or m == "__init__") and callable(f)
            ]
            if hasattr(obj, "__attrs_attrs__"):
                members.append((name, obj))
        elif callable(obj) and not isinstance(obj, types.UnionType):
            members.append((name, obj))
        for where, func in members:
            try:
                hints = typing.get_type_hints(func)
            except (NameError, TypeError):
                continue
            for hint in hints.values():
                for cls in _classes(hint):
                    if cls.__module__.startswith("inpaintkit"):
                        found.setdefault(cls.__name__, where)
    return found


def test_every_type_in_a_public_signature_is_exported() -> None:
    """From the package root, or from ``inpaintkit.events`` (the progress events, whose names
    such as ``Failed`` would clash at the root)."""
    events = set(getattr(inpaintkit, "events", None).__all__) if _has_events() else set()
    missing = {
        n: w
        for n, w in _public_signature_types().items()
        if n not in inpaintkit.__all__ and n not in events
    }
    assert missing == {}
    for name in ("Secret", "Transport", "TaskHandle", "TaskState"):
        assert name in inpaintkit.__all__


@pytest.mark.parametrize("name", ["InpaintJob", "TaskState", "inpaint", "__version__"])
def test_lazy_names_resolve(name: str) -> None:
    assert getattr(inpaintkit, name) is not None
    assert name in dir(inpaintkit) or name == "__version__"
    with pytest.raises(AttributeError, match="no_such_name"):
        getattr(inpaintkit, "no_such_name")  # noqa: B009


def test_submodules_read_as_attributes() -> None:
    done = _run_python("import inpaintkit; print(inpaintkit.clock.VirtualClock.__name__)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "VirtualClock"
