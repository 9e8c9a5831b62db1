"""Building the plugin manager and the registry of providers.

There is no module-global plugin manager: :func:`make_plugin_manager` builds a fresh one each
time, so tests and embedding applications get isolated registries without monkeypatching.
The built-in providers are loaded through the same hooks (and, in an installed package, the
same ``inpaintkit`` entry-point group) as third-party plugins.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterable, Iterator, Mapping

import pluggy

from . import hookspecs
from .errors import InpaintError
from .exchange import check_wrappers
from .provider import ImageHost, ProviderAdapter

__all__ = [
    "BUILTIN_PLUGINS",
    "ProviderRegistry",
    "UnknownProviderError",
    "make_plugin_manager",
]

BUILTIN_PLUGINS: Mapping[str, str] = {
    "novita": "inpaintkit.providers.novita",
    "stablediffusionapi": "inpaintkit.providers.stablediffusionapi",
    "modelslab": "inpaintkit.providers.modelslab",
    "mockserver": "inpaintkit.mockserver.builtin",
}
"""Plugin name -> module of the built-in plugins.  The names match the entry points declared in
pyproject.toml, so loading entry points afterwards does not register them twice."""


class UnknownProviderError(InpaintError, LookupError):
    """A provider id that no installed plugin registered."""

    default_hint = "Run `inpaintkit providers` to list the installed providers."


MOCK_ENTRY_POINT = "mockserver"
"""The entry point name of the built-in mock server's plugin (``inpaintkit.mockserver.builtin``)."""


def make_plugin_manager(
    *,
    entry_points: bool = True,
    builtins: bool = True,
    plugins: Iterable[object] = (),
    mocks: bool = True,
) -> pluggy.PluginManager:
    """A fresh plugin manager with the hookspecs, built-ins, ``plugins`` and entry points loaded.

    ``check_pending()`` runs last, so a plugin implementing a hook that does not exist (a typo
    such as ``register_provider``) fails here with :class:`pluggy.PluginValidationError` instead
    of being silently ignored; so does an ``http_exchange`` that is not ``wrapper=True``.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    if builtins:
        for name, module_name in BUILTIN_PLUGINS.items():
            if name == MOCK_ENTRY_POINT and not mocks:
                continue  # blocked below
            module = _import_builtin(module_name)
            if module is not None:
                pm.register(module, name=name)
            else:
                # Absent from this build: block the name so its entry point is not loaded either.
                pm.set_blocked(name)
    for plugin in plugins:
        pm.register(plugin)
    if not mocks:
        # The built-in mock server's entry point only implements register_mocks; importing it
        # costs the whole mock (aiohttp.web, image generation) for nothing in a client.
        pm.set_blocked(MOCK_ENTRY_POINT)
    if entry_points:
        pm.load_setuptools_entrypoints(hookspecs.PROJECT_NAME)
    pm.check_pending()
    check_wrappers(pm)
    return pm


def _import_builtin(module_name: str) -> object | None:
    """Import a built-in plugin module; ``None`` if that module does not exist in this build."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise


class ProviderRegistry(Mapping[str, ProviderAdapter]):
    """The provider adapters registered through ``register_providers``, by id."""

    def __init__(self, adapters: Iterable[ProviderAdapter], pm: pluggy.PluginManager | None = None):
        self._adapters: dict[str, ProviderAdapter] = {}
        self._pm = pm
        for adapter in adapters:
            if not isinstance(adapter, ProviderAdapter):
                raise TypeError(f"{adapter!r} does not satisfy inpaintkit.provider.ProviderAdapter")
            pid = adapter.spec.id
            if pid in self._adapters:
                raise ValueError(f"provider id {pid!r} is registered by two plugins")
            self._adapters[pid] = adapter

    @classmethod
    def from_plugin_manager(cls, pm: pluggy.PluginManager) -> ProviderRegistry:
        """Collect every adapter the plugins register."""
        collected: list[ProviderAdapter] = []
        pm.hook.register_providers(register=collected.append)
        return cls(collected, pm)

    @classmethod
    def default(cls) -> ProviderRegistry:
        """The registry of a fresh default plugin manager (without the mock server's plugin,
        which registers no provider)."""
        return cls.from_plugin_manager(make_plugin_manager(mocks=False))

    @property
    def plugin_manager(self) -> pluggy.PluginManager | None:
        """The plugin manager the adapters came from (``None`` for a registry built from a
        list): the client runs its per-request hooks (``http_exchange``) through it."""
        return self._pm

    def __getitem__(self, provider_id: str) -> ProviderAdapter:
        try:
            return self._adapters[provider_id]
        except KeyError:
            known = ", ".join(sorted(self._adapters)) or "none"
            raise UnknownProviderError(
                f"no provider {provider_id!r} is installed (installed: {known})"
            ) from None

    def resolve(self, name: str) -> str:
        """The installed provider id ``name`` means: exact, else case-insensitive.

        An unknown name raises :class:`UnknownProviderError` whose message suggests the
        closest installed id ("did you mean 'novita'?"), for command lines and config files.
        """
        if name in self._adapters:
            return name
        folded = {pid.casefold(): pid for pid in self._adapters}
        if name.casefold() in folded:
            return folded[name.casefold()]
        close = difflib.get_close_matches(name.casefold(), list(folded), n=1, cutoff=0.6)
        known = ", ".join(sorted(self._adapters)) or "none"
        guess = f"; did you mean {folded[close[0]]!r}?" if close else ""
        raise UnknownProviderError(f"no provider {name!r} is installed{guess} (installed: {known})")

    def __contains__(self, provider_id: object) -> bool:
        return provider_id in self._adapters

    def __iter__(self) -> Iterator[str]:
        return iter(self._adapters)

    def __len__(self) -> int:
        return len(self._adapters)

    def image_host(self, provider_id: str) -> ImageHost | None:
        """The first image host a plugin offers for ``provider_id`` (``None`` if none does)."""
        if self._pm is None:
            return None
        host = self._pm.hook.image_host(provider_id=provider_id)
        return host if host is None or isinstance(host, ImageHost) else None
