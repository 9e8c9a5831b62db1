"""How many core names does each installed provider plugin need?  A measure of the contract's size.

Run: ``.venv/bin/python bench/bench_plugin_imports.py [--names]`` (also run by ``make bench``).

For every installed plugin that registers providers (the built-ins and any package in the
``inpaintkit`` entry-point group), the plugin's source files are parsed (no import of the
plugin's code beyond locating its package) and every distinct name taken from ``inpaintkit.*``
is counted:

* ``from inpaintkit.x import a, b`` counts ``a`` and ``b``;
* ``import inpaintkit.x as m`` (or ``from inpaintkit import x``, a module) counts each attribute
  used on it (``m.Wire``), so importing a module cannot hide what is used from it;
* relative imports are resolved, and anything inside the plugin's own package is not counted.

A plugin's test support is counted apart, because it speaks to other surfaces than the provider
contract: its mock (a ``mock``/``mocks`` subpackage or ``mock.py``, written against
:mod:`inpaintkit.mockserver`) and its published conformance settings (``conformance.py``, a
subclass of the suite's base class).  Built-in mocks live in the core's ``mockserver`` package,
so their column is ``-``.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import sys
from collections.abc import Iterable, Iterator
from importlib.metadata import entry_points
from pathlib import Path

import attrs

CORE = "inpaintkit"
SUPPORT_PARTS = frozenset({"mock", "mocks", "conformance"})


@attrs.frozen
class PluginImports:
    """The core names one plugin imports, by the module they come from."""

    plugin: str
    package: str
    files: int
    names: frozenset[tuple[str, str]]
    """(module, name) pairs used by the plugin's adapter side."""
    support_names: frozenset[tuple[str, str]] | None
    """The same for its mock and conformance settings, or ``None`` when it ships neither."""

    @property
    def count(self) -> int:
        """Distinct names the adapter side needs (one name from two modules counts once)."""
        return len({name for _, name in self.names})

    @property
    def modules(self) -> int:
        return len({module for module, _ in self.names})

    @property
    def support_count(self) -> int | None:
        if self.support_names is None:
            return None
        return len({name for _, name in self.support_names})


def _resolve(module: str | None, level: int, package: str) -> str:
    """The absolute module of an import in a file of ``package`` (relative ones resolved)."""
    if level == 0:
        return module or ""
    base = package.split(".")
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def _is_core(module: str, own: str) -> bool:
    in_core = module == CORE or module.startswith(CORE + ".")
    in_own = module == own or module.startswith(own + ".")
    return in_core and not in_own


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def names_in_source(source: str, package: str, own: str) -> set[tuple[str, str]]:
    """The ``(module, name)`` pairs a source file of ``package`` takes from the core."""
    tree = ast.parse(source)
    found: set[tuple[str, str]] = set()
    aliases: dict[str, str] = {}  # local name -> core module it stands for
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = _resolve(node.module, node.level, package)
            if not _is_core(module, own):
                continue
            for alias in node.names:
                submodule = f"{module}.{alias.name}"
                if _is_module(submodule):
                    aliases[alias.asname or alias.name] = submodule
                else:
                    found.add((module, alias.name))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _is_core(alias.name, own):
                    aliases[alias.asname or alias.name.split(".")[0]] = (
                        alias.name if alias.asname else alias.name.split(".")[0]
                    )
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            dotted = _dotted(node)
            if dotted is None:
                continue
            head, *rest = dotted
            if head in aliases and rest:
                module, parts = aliases[head], list(rest)
                while len(parts) > 1 and _is_module(f"{module}.{parts[0]}"):
                    module = f"{module}.{parts.pop(0)}"
                if _is_core(module, own) and not _is_module(f"{module}.{parts[0]}"):
                    found.add((module, parts[0]))
    return found


def _dotted(node: ast.expr) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id, *reversed(parts)]


def _files(package_dir: Path) -> Iterator[tuple[Path, bool]]:
    """Every source file of a package, and whether it is test support (mock, conformance)."""
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir).with_suffix("").parts
        yield path, bool(SUPPORT_PARTS & set(parts))


def count_plugin(plugin: str, package: str) -> PluginImports:
    """Count the core names of the plugin whose top module is ``package``."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise LookupError(f"plugin {plugin}: cannot find module {package}")
    origin = Path(spec.origin)
    is_package = origin.name == "__init__.py"
    files = list(_files(origin.parent)) if is_package else [(origin, False)]
    names: set[tuple[str, str]] = set()
    support: set[tuple[str, str]] = set()
    has_support = False
    for path, is_support in files:
        relative = path.relative_to(origin.parent).with_suffix("").parts
        # The package a file's relative imports start from.
        file_package = (
            ".".join([package, *relative[:-1]]) if is_package else package.rpartition(".")[0]
        )
        found = names_in_source(path.read_text(encoding="utf-8"), file_package, package)
        (support if is_support else names).update(found)
        has_support = has_support or is_support
    return PluginImports(
        plugin=plugin,
        package=package,
        files=len(files),
        names=frozenset(names),
        support_names=frozenset(support) if has_support else None,
    )


def installed_plugins() -> dict[str, str]:
    """Plugin name -> module, for every installed plugin that registers providers."""
    from inpaintkit.plugins import BUILTIN_PLUGINS

    found = dict(BUILTIN_PLUGINS)
    for ep in entry_points(group=CORE):
        found.setdefault(ep.name, ep.value.partition(":")[0])
    providers: dict[str, str] = {}
    for name, module_name in sorted(found.items()):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        if hasattr(module, "register_providers"):
            providers[name] = module_name
    return providers


def count_installed() -> list[PluginImports]:
    """:func:`count_plugin` for every installed provider plugin."""
    return [count_plugin(name, module) for name, module in installed_plugins().items()]


def render(results: Iterable[PluginImports], *, show_names: bool = False) -> str:
    """A plain-text table (and each plugin's names with ``show_names``)."""
    rows = [("plugin", "package", "files", "core names", "modules", "mock+suite names")]
    for r in results:
        support = "-" if r.support_count is None else str(r.support_count)
        rows.append((r.plugin, r.package, str(r.files), str(r.count), str(r.modules), support))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    if show_names:
        for r in results:
            lines.append(f"\n{r.plugin}:")
            by_module: dict[str, list[str]] = {}
            for module, name in sorted(r.names):
                by_module.setdefault(module, []).append(name)
            lines += [f"  {m}: {', '.join(n)}" for m, n in by_module.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--names", action="store_true", help="list each plugin's names")
    args = parser.parse_args(argv)
    results = count_installed()
    print(render(results, show_names=args.names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
