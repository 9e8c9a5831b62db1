"""The suite must catch a broken plugin: planted faults in copies of built-in plugins.

Two copies are registered under new ids through a plugin manager, exactly as a third party's
plugin would be:

- ``novita-planted``: Novita with ``steps`` allowed up to 150 (Novita's limit is 100);
- ``sdapi-planted``: StableDiffusionAPI sending ``guidance_scale`` under the wire name ``cfg``;
- ``novita-inverted``: Novita sending the mask inverted (black = repaint) in its body;
- ``sdapi-inverted``: StableDiffusionAPI whose image host uploads the mask inverted.

The checks the suite runs are called directly (and once through pytester on a subclass), and
the failure text must name the neutral field, the wire field, the value and both verdicts.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pluggy
import pytest
from inpaintkit.checking import CheckedRequest
from inpaintkit.clock import VirtualClock
from inpaintkit.conformance import Differential, Harness, conformance_mock_config
from inpaintkit.conformance.harness import API_KEY
from inpaintkit.conformance.meaning import end_to_end_polarity
from inpaintkit.conformance.pytest_plugin import make_test_images
from inpaintkit.hookspecs import hookimpl
from inpaintkit.job import InpaintJob
from inpaintkit.mockserver import MockServer
from inpaintkit.plugins import make_plugin_manager
from inpaintkit.provider import (
    CapabilityTable,
    Done,
    HostContext,
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
from inpaintkit.providers.modelslab import ModelsLabUploadHost
from PIL import Image, ImageChops

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


def narrow_seed_adapter() -> ProviderAdapter:
    """Novita, correct, but with a smaller seed range (31 bits), as some providers have."""
    table = _with_row(novita.SPEC.capabilities, "seed", maximum=2**31 - 1)
    return novita.NovitaAdapter(
        spec=attrs.evolve(novita.SPEC, id="novita-narrow-seed", capabilities=table)
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


def inverted_png(data: bytes) -> bytes:
    """``data`` with its grey levels inverted (a mask with the wrong polarity)."""
    buffer = io.BytesIO()
    ImageChops.invert(Image.open(io.BytesIO(data)).convert("L")).save(buffer, format="PNG")
    return buffer.getvalue()


@attrs.frozen
class InvertedMaskNovita:
    """Novita with the one subtle mistake: the mask goes out inverted (black = repaint)."""

    inner: novita.NovitaAdapter = attrs.field(factory=novita.NovitaAdapter)
    spec: ProviderSpec = attrs.field(
        factory=lambda: attrs.evolve(novita.SPEC, id="novita-inverted")
    )

    def build_submit(self, request: CheckedRequest) -> HttpRequest:
        built = self.inner.build_submit(request)
        assert request.mask.data is not None
        body = {**built.json, "request": dict(built.json["request"])}
        wrong = base64.b64encode(inverted_png(request.mask.data)).decode("ascii")
        body["request"]["mask_image_base64"] = wrong
        return attrs.evolve(built, json=body)

    def parse_submit(self, request: CheckedRequest, response: HttpResponse) -> TaskState:
        return self.inner.parse_submit(request, response)

    def build_poll(self, handle: TaskHandle) -> HttpRequest:
        return self.inner.build_poll(handle)

    def parse_poll(self, handle: TaskHandle, response: HttpResponse) -> TaskState:
        return self.inner.parse_poll(handle, response)


def _first_image_only(state: TaskState) -> TaskState:
    return attrs.evolve(state, images=state.images[:1]) if isinstance(state, Done) else state


@attrs.frozen
class FirstImageOnly:
    """Another adapter with the mistake of parsing only the first image of every result."""

    inner: ProviderAdapter
    spec: ProviderSpec

    def build_submit(self, request: CheckedRequest) -> HttpRequest:
        return self.inner.build_submit(request)

    def parse_submit(self, request: CheckedRequest, response: HttpResponse) -> TaskState:
        return _first_image_only(self.inner.parse_submit(request, response))

    def build_poll(self, handle: TaskHandle) -> HttpRequest:
        return self.inner.build_poll(handle)

    def parse_poll(self, handle: TaskHandle, response: HttpResponse) -> TaskState:
        return _first_image_only(self.inner.parse_poll(handle, response))


class InvertingHost:
    """The StableDiffusionAPI image host with the mistake: single-channel images (the mask)
    are uploaded inverted, so the URL in mask_image serves black = repaint."""

    async def upload(self, data: bytes, media_type: str, context: HostContext) -> str:
        if Image.open(io.BytesIO(data)).mode == "L":
            data = inverted_png(data)
        host = ModelsLabUploadHost(key=API_KEY, for_providers=("sdapi-inverted",))
        return await host.upload(data, media_type, context)


class PlantedPlugin:
    """Registers the planted copies (and image hosts for the URL-only ones)."""

    @hookimpl
    def register_providers(self, register: Callable[[ProviderAdapter], None]) -> None:
        register(planted_range_adapter())
        register(narrow_seed_adapter())
        register(planted_mapping_adapter())
        register(InvertedMaskNovita())
        for inner, short_id in (
            (novita.NovitaAdapter(), "novita-first-image"),
            (stablediffusionapi.StableDiffusionApiAdapter(), "sdapi-first-image"),
        ):
            register(FirstImageOnly(inner, attrs.evolve(inner.spec, id=short_id)))
        inner = stablediffusionapi.StableDiffusionApiAdapter()
        register(RenamingAdapter(inner, attrs.evolve(inner.spec, id="sdapi-inverted"), "", ""))

    @hookimpl
    def image_host(self, provider_id: str) -> ImageHost | None:
        if provider_id == "sdapi-inverted":
            return InvertingHost()
        host = ModelsLabUploadHost(
            key=API_KEY, for_providers=("sdapi-planted", "sdapi-first-image")
        )
        return host.image_host(provider_id)


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


def test_split_seeds_wrapped_in_a_narrow_range_are_expected_by_the_meaning_check(
    mock_and_clock: Any,
) -> None:
    """A correct plugin whose seed range ends at 2**31-1: a split job's second request carries
    the seed wrapped into that range (as the runtime sends it), which the meaning check must
    expect instead of reporting the plugin (found by a new user's random conformance run)."""
    for diff in differential(mock_and_clock, "novita-narrow-seed", model=NOVITA_MODEL):
        result = diff.check({"seed": 2**31 - 2, "num_images": 9}, "split")
        assert result.ok, result.describe("novita-narrow-seed")


def test_correct_plugin_passes_the_same_checks(mock_and_clock: Any) -> None:
    """Control: the unmodified built-in passes exactly the probes the plants fail."""
    for diff in differential(mock_and_clock, "novita", model=NOVITA_MODEL):
        assert diff.check({"steps": 101}, "max+1").ok
        assert diff.check({"guidance_scale": 7.5}, "value").ok


@pytest.mark.parametrize(
    ("provider", "defaults"),
    [("novita-inverted", {"model": NOVITA_MODEL}), ("sdapi-inverted", {})],
)
def test_an_inverted_mask_fails_the_end_to_end_polarity_check(
    mock_and_clock: Any, provider: str, defaults: dict[str, Any]
) -> None:
    """The provider repaints what the job keeps: the downloaded result shows it, whether the
    mask travels inline (Novita) or as a URL (StableDiffusionAPI)."""
    mock, clock, pm = mock_and_clock
    image, mask = make_test_images((64, 64))
    job = InpaintJob(image=image, mask=mask, prompt="a red park bench", **defaults)
    with Harness(provider, plugin_manager=pm, mock=mock, clock=clock) as h:
        h.reset()
        problems = end_to_end_polarity(h, job)
    assert isinstance(problems, list)
    assert any("the answer changed pixels the mask keeps" in p for p in problems), problems


@pytest.mark.parametrize(
    ("provider", "defaults"),
    [("novita", {"model": NOVITA_MODEL}), ("stablediffusionapi", {}), ("modelslab", None)],
)
def test_the_real_plugins_pass_the_end_to_end_polarity_check(
    provider: str, defaults: dict[str, Any] | None
) -> None:
    """Control: the built-ins repaint exactly the white area of the same asymmetric mask."""
    size = (512, 512) if defaults is None else (64, 64)  # ModelsLab's sides start at 512
    image, mask = make_test_images(size)
    extra = {"model": "pony_realism"} if defaults is None else defaults
    job = InpaintJob(image=image, mask=mask, prompt="a red park bench", **extra)
    clock = VirtualClock()
    pm = make_plugin_manager(entry_points=False)
    with (
        MockServer(conformance_mock_config(), plugin_manager=pm, clock=clock) as mock,
        Harness(provider, plugin_manager=pm, mock=mock, clock=clock) as h,
    ):
        assert end_to_end_polarity(h, job) == []


def test_wire_check_names_the_inverted_mask(mock_and_clock: Any) -> None:
    for diff in differential(mock_and_clock, "novita-inverted", model=NOVITA_MODEL):
        text = diff.check({}, "baseline").describe("novita-inverted")
        assert (
            "mask: wire field request.mask_image_base64 has the wrong polarity (inverted)" in text
        )


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


def test_suite_run_by_pytest_fails_on_the_inverted_mask(pytester: pytest.Pytester) -> None:
    """The suite's own end-to-end polarity test FAILS for the inverted-mask plant."""
    pytester.makepyfile(
        inverted_suite=f"""
        import sys
        sys.path.insert(0, {str(__import__("pathlib").Path(__file__).parent)!r})
        from test_conformance_planted import planted_plugin_manager
        from inpaintkit.conformance import ProviderConformance

        class TestInverted(ProviderConformance):
            provider_id = "novita-inverted"
            mock_contract = "novita"
            job_defaults = {{"model": {NOVITA_MODEL!r}}}

            @classmethod
            def plugin_manager(cls):
                return planted_plugin_manager()
        """
    )
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    node = "inverted_suite.py::TestInverted::test_mask_polarity_end_to_end"
    result = pytester.runpytest_inprocess("-q", "-p", "no:randomly", node)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*the answer changed pixels the mask keeps*"])


@pytest.mark.parametrize(
    ("provider", "defaults", "node"),
    [
        ("novita-first-image", {"model": NOVITA_MODEL}, "test_poll_path"),
        ("sdapi-first-image", {}, "test_sync_answer"),
    ],
)
def test_suite_run_by_pytest_fails_on_a_result_with_images_missing(
    pytester: pytest.Pytester, provider: str, defaults: dict[str, Any], node: str
) -> None:
    """The poll path and the sync answer run a two-image job to its result: a plugin that
    parses the first image only FAILS them (the range probes hold their tasks in processing,
    so they never see a result), whether it drops the images in parse_poll (Novita) or in
    parse_submit (StableDiffusionAPI)."""
    pytester.makepyfile(
        short_suite=f"""
        import sys
        sys.path.insert(0, {str(__import__("pathlib").Path(__file__).parent)!r})
        from test_conformance_planted import planted_plugin_manager
        from inpaintkit.conformance import ProviderConformance

        class TestShort(ProviderConformance):
            provider_id = {provider!r}
            job_defaults = {defaults!r}

            @classmethod
            def plugin_manager(cls):
                return planted_plugin_manager()
        """
    )
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    result = pytester.runpytest_inprocess(
        "-q", "-p", "no:randomly", f"short_suite.py::TestShort::{node}"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*the job asked for 2 images, the result has 1*"])
