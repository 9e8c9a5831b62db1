"""The plugin manager: entry-point loading, hook validation, the provider registry."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pluggy
import pytest
from inpaintkit.plugins import ProviderRegistry, UnknownProviderError, make_plugin_manager
from toyprovider import ToyAdapter

PLUGIN_SOURCE = """
from inpaintkit.hookspecs import hookimpl
from toyprovider import ToyAdapter

@hookimpl
def register_providers(register):
    register(ToyAdapter(provider_id="toy-from-entry-point"))
"""


@pytest.fixture
def installed_plugin(tmp_path: Path) -> Iterator[str]:
    """A third-party distribution installed the way pip would: a module plus .dist-info with an
    ``inpaintkit`` entry point, on sys.path."""
    module = "inpaintkit_test_toy_plugin"
    (tmp_path / f"{module}.py").write_text(PLUGIN_SOURCE)
    dist = tmp_path / "inpaintkit_test_toy_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: inpaintkit-test-toy-plugin\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text(f"[inpaintkit]\ntoy = {module}\n")
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    try:
        yield module
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop(module, None)
        importlib.invalidate_caches()


def test_entry_point_plugin_is_loaded(installed_plugin: str) -> None:
    pm = make_plugin_manager()
    assert pm.get_plugin("toy") is sys.modules[installed_plugin]
    registry = ProviderRegistry.from_plugin_manager(pm)
    assert "toy-from-entry-point" in registry


def test_entry_points_can_be_skipped(installed_plugin: str) -> None:
    pm = make_plugin_manager(entry_points=False)
    assert pm.get_plugin("toy") is None


def test_unknown_hook_is_refused() -> None:
    class Typo:
        @pluggy.HookimplMarker("inpaintkit")
        def register_provider(self, register: object) -> None:  # missing "s"
            raise AssertionError("never called")

    with pytest.raises(pluggy.PluginValidationError, match="register_provider"):
        make_plugin_manager(entry_points=False, plugins=[Typo()])


def test_each_manager_is_fresh() -> None:
    class Extra:
        @pluggy.HookimplMarker("inpaintkit")
        def register_providers(self, register: object) -> None:
            register(ToyAdapter(provider_id="only-here"))  # type: ignore[operator]

    with_extra = ProviderRegistry.from_plugin_manager(
        make_plugin_manager(entry_points=False, plugins=[Extra()])
    )
    without = ProviderRegistry.from_plugin_manager(make_plugin_manager(entry_points=False))
    assert "only-here" in with_extra
    assert "only-here" not in without


def test_duplicate_provider_ids_are_an_error() -> None:
    with pytest.raises(ValueError, match="registered by two plugins"):
        ProviderRegistry([ToyAdapter(), ToyAdapter()])


def test_unknown_provider_lists_the_installed_ones() -> None:
    registry = ProviderRegistry([ToyAdapter()])
    with pytest.raises(UnknownProviderError, match=r"'nope'.*installed: toy"):
        registry["nope"]


def test_non_adapters_are_refused() -> None:
    with pytest.raises(TypeError, match="ProviderAdapter"):
        ProviderRegistry([object()])  # type: ignore[list-item]
