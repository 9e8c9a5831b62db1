"""The suite must catch a broken plugin: planted faults in copies of built-in plugins.

Two copies are registered under new ids through a plugin manager, exactly as a third party's
plugin would be:

- ``novita-planted``: Novita with ``steps`` allowed up to 150 (Novita's limit is 100);
- ``sdapi-planted``: StableDiffusionAPI sending ``guidance_scale`` under the wire name ``cfg``.

The checks the suite runs are called directly (and once through pytester on a subclass), and
the failure text must name the neutral field, the wire field, the value and both verdicts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pluggy
import pytest
from inpaintkit.clock import VirtualClock
from inpaintkit.conformance import Differential, Harness, conformance_mock_config
from inpaintkit.conformance.pytest_plugin import make_test_images
from inpaintkit.hookspecs import hookimpl
from inpaintkit.job import InpaintJob
from inpaintkit.mockserver import MockServer
from inpaintkit.plugins import make_plugin_manager
from inpaintkit.provider import (
    CapabilityTable,
    HttpRequest,
    HttpResponse,
    ImageHost,
    PreparedRequest,
    ProviderAdapter,
    ProviderSpec,
    TaskHandle,
    TaskState,
)
from inpaintkit.providers import novita, stablediffusionapi
from inpaintkit.providers.stablediffusionapi.host import Base64ToUrlHost

pytest_plugins = ["pytester"]

NOVITA_MODEL = "realisticVisionV40_v40VAE-inpainting_81543.safetensors"


def _with_row(table: CapabilityTable, field: str, **changes: Any) -> CapabilityTable:
    rows = tuple(attrs.evolve(r, **changes) if r.field == field else r for r in table)
    return CapabilityTable(rows)


def planted_range_adapter() -> ProviderAdapter:
    """Novita, but its table lets ``steps`` go up to 150."""
    table = _with_row(novita.SPEC.capabilities, "steps", maximum=150)
    return novita.NovitaAdapter(
        spec=attrs.evolve(novita.SPEC, id="novita-planted", capabilities=table)
    )


@attrs.frozen
class RenamingAdapter:
    """Another adapter with one top-level wire field renamed in every submit body."""

    inner: ProviderAdapter
    spec: ProviderSpec
    old: str
    new: str

    def build_submit(self, request: PreparedRequest) -> HttpRequest:
        wire = self.inner.build_submit(request)
        body = dict(wire.json)
        if self.old in body:
            body[self.new] = body.pop(self.old)
        return attrs.evolve(wire, json=body)

    def parse_submit(self, request: PreparedRequest, response: HttpResponse) -> TaskState:
        return self.inner.parse_submit(request, response)

    def build_poll(self, handle: TaskHandle) -> HttpRequest:
        return self.inner.build_poll(handle)

    def parse_poll(self, handle: TaskHandle, response: HttpResponse) -> TaskState:
        return self.inner.parse_poll(handle, response)

    def parse_webhook(self, body: Any) -> TaskState:
        return self.inner.parse_webhook(body)


def planted_mapping_adapter() -> ProviderAdapter:
    """StableDiffusionAPI, but ``guidance_scale`` goes out as ``cfg`` (its table still says
    ``guidance_scale``, as a careless copy would)."""
    inner = stablediffusionapi.StableDiffusionApiAdapter()
    spec = attrs.evolve(inner.spec, id="sdapi-planted")
    return RenamingAdapter(inner, spec, "guidance_scale", "cfg")


class PlantedPlugin:
    """Registers both planted copies (and an image host for the URL-only one)."""

    @hookimpl
    def register_providers(self, register: Callable[[ProviderAdapter], None]) -> None:
        register(planted_range_adapter())
        register(planted_mapping_adapter())

    @hookimpl
    def image_host(self, provider_id: str) -> ImageHost | None:
        return Base64ToUrlHost() if provider_id == "sdapi-planted" else None


def planted_plugin_manager() -> pluggy.PluginManager:
    return make_plugin_manager(entry_points=False, plugins=[PlantedPlugin()])


@pytest.fixture(scope="module")
def mock_and_clock() -> Iterator[tuple[MockServer, VirtualClock, pluggy.PluginManager]]:
    clock = VirtualClock()
    pm = planted_plugin_manager()
    with MockServer(conformance_mock_config(), plugin_manager=pm, clock=clock) as mock:
        yield mock, clock, pm


def differential(
    env: tuple[MockServer, VirtualClock, pluggy.PluginManager], provider: str, **defaults: Any
) -> Iterator[Differential]:
    mock, clock, pm = env
    image, mask = make_test_images((64, 64))
    base = InpaintJob(image=image, mask=mask, prompt="a red park bench", **defaults)
    with Harness(provider, plugin_manager=pm, mock=mock, clock=clock) as h:
        yield Differential(h, base, image_size=(64, 64))


@pytest.fixture
def novita_planted(mock_and_clock: Any) -> Iterator[Differential]:
    yield from differential(mock_and_clock, "novita-planted", model=NOVITA_MODEL)


@pytest.fixture
def sdapi_planted(mock_and_clock: Any) -> Iterator[Differential]:
    yield from differential(mock_and_clock, "sdapi-planted")


def test_wrong_range_fails_naming_the_field(novita_planted: Differential) -> None:
    result = novita_planted.check({"steps": 101}, "mock max+1")
    assert not result.ok
    text = result.describe("novita-planted")
    assert "steps = 101" in text
    assert "wire request.steps" in text
    assert "plugin ACCEPTS locally" in text
    assert "mock REJECTS the wire request" in text
    assert "request.steps: must be in [1, 100], got 101" in text


def test_wrong_range_still_agrees_inside_both_ranges(novita_planted: Differential) -> None:
    """The plant is caught at its boundary, not everywhere: 100 is fine on both sides."""
    assert novita_planted.check({"steps": 100}, "max").ok


def test_wrong_range_beyond_both_limits_is_probed_on_the_wire(
    novita_planted: Differential,
) -> None:
    """151 is refused locally, so the suite writes it into an accepted body: both refuse."""
    result = novita_planted.check({"steps": 151}, "max+1")
    assert result.plugin_accepts is False
    assert result.mock_accepts is False
    assert result.ok


def test_wrong_mapping_fails_naming_the_field(sdapi_planted: Differential) -> None:
    """Sending guidance_scale as ``cfg`` disagrees with the plugin's own table: the core stops
    it before anything reaches the provider, and the suite reports that, naming the field."""
    result = sdapi_planted.check({"guidance_scale": 7.5}, "mapping")
    assert not result.ok
    text = result.describe("sdapi-planted")
    assert "the core stopped the plugin's request" in text
    assert "guidance_scale: wire field guidance_scale is missing" in text


def test_correct_plugin_passes_the_same_checks(mock_and_clock: Any) -> None:
    """Control: the unmodified built-in passes exactly the probes the plants fail."""
    for diff in differential(mock_and_clock, "novita", model=NOVITA_MODEL):
        assert diff.check({"steps": 101}, "max+1").ok
        assert diff.check({"guidance_scale": 7.5}, "value").ok


def test_suite_run_by_pytest_fails_on_the_plant(pytester: pytest.Pytester) -> None:
    """A subclass for the planted plugin, run by pytest: the boundary probe FAILS with a
    message naming the field."""
    pytester.makepyfile(
        planted_suite=f"""
        import sys
        sys.path.insert(0, {str(__import__("pathlib").Path(__file__).parent)!r})
        from test_conformance_planted import planted_plugin_manager
        from inpaintkit.conformance import ProviderConformance

        class TestPlanted(ProviderConformance):
            provider_id = "novita-planted"
            mock_contract = "novita"
            job_defaults = {{"model": {NOVITA_MODEL!r}}}

            @classmethod
            def plugin_manager(cls):
                return planted_plugin_manager()
        """
    )
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    ids = [f"planted_suite.py::TestPlanted::test_range_boundary[steps={n}]" for n in (100, 101)]
    result = pytester.runpytest_inprocess("-q", "-p", "no:randomly", *ids)
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*steps = 101 (wire request.steps*", "*plugin ACCEPTS locally*"])
