"""pytest fixtures of the conformance suite (registered through the ``pytest11`` entry point).

pytest loads this module in every session of an environment where inpaintkit is installed, so it
imports only pytest at load time: the suite itself (hypothesis, the mock server, Pillow) is
imported by a :class:`~inpaintkit.conformance.ProviderConformance` subclass's module, and the
hooks below do nothing for tests that are not in such a class.  An environment without
hypothesis therefore runs its own tests as usual; only the suite needs the ``conformance`` extra.

Fixtures are class-scoped where they are expensive (the mock server, the plugin manager, the
clock, the harness) and every test gets them reset: :func:`conformance_harness` and
:func:`conformance_differential` reset the mock (tasks, journal, faults, configuration) and the
recorded requests and sleeps before the test, so no test sees another's faults, in any order.
The mock and the client share ONE :class:`~inpaintkit.clock.VirtualClock`, so a client that
sleeps through a poll interval moves the mock's tasks forward by exactly that much, and
``clock.sleeps`` shows every wait.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import pluggy
    from inpaintkit.clock import VirtualClock
    from inpaintkit.job import InpaintJob

    from .differential import Differential
    from .harness import Harness
    from .suite import ProviderConformance

__all__ = [
    "conformance_base_job",
    "conformance_clock",
    "conformance_differential",
    "conformance_harness",
    "conformance_mock",
    "conformance_plugin_manager",
    "make_test_images",
]

_SUITE_MODULE = "inpaintkit.conformance.suite"


def _suite_class(cls: type | None) -> type[ProviderConformance] | None:
    """``cls`` if it is a ProviderConformance subclass with a provider id, else ``None``.

    Read from the class's own bases, so a foreign session never imports the suite (nor
    hypothesis) through these hooks, and a class stays recognised when the suite module was
    imported again (pytest's in-process runs restore ``sys.modules`` between sessions, while
    ``inpaintkit.conformance`` keeps the class it handed out first).
    """
    if cls is None or not isinstance(cls, type):
        return None
    if any(
        base.__name__ == "ProviderConformance" and base.__module__ == _SUITE_MODULE
        for base in cls.__mro__
    ) and getattr(cls, "provider_id", None):
        return cls
    return None


def _suite(request: pytest.FixtureRequest) -> type[ProviderConformance]:
    cls = _suite_class(request.cls)
    if cls is None:
        raise pytest.UsageError(
            "conformance fixtures need a ProviderConformance subclass with provider_id set"
        )
    return cls


def make_test_images(size: tuple[int, int]) -> tuple[bytes, bytes]:
    """A PNG image with structure, and a PNG mask that is white (repaint) in one rectangle."""
    from PIL import Image, ImageDraw

    w, h = size
    image = Image.new("RGB", size, (40, 140, 200))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, w // 3, h // 3), fill=(200, 30, 30))
    draw.line((0, h - 1, w - 1, 0), fill=(250, 250, 0), width=max(1, w // 32))
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rectangle((w // 4, h // 4, w // 2, h // 2), fill=255)
    out = []
    for picture in (image, mask):
        buffer = io.BytesIO()
        picture.save(buffer, format="PNG")
        out.append(buffer.getvalue())
    return out[0], out[1]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize the boundary probes and the error cases from the subclass's provider."""
    cls = _suite_class(metafunc.cls)
    if cls is None:
        return
    if "conformance_case" in metafunc.fixturenames:
        cases = cls.boundary_cases()
        metafunc.parametrize("conformance_case", cases, ids=[c.id for c in cases])
    if "conformance_error_case" in metafunc.fixturenames:
        error_cases = cls.error_cases
        metafunc.parametrize("conformance_error_case", error_cases, ids=[c.id for c in error_cases])


@pytest.fixture(autouse=True)
def _conformance_skips(request: pytest.FixtureRequest) -> None:
    """Apply the subclass's ``skip`` declarations (by test name or full id), with the reason."""
    cls = _suite_class(request.cls)
    if cls is None:
        return
    node = request.node
    for key in (node.name, getattr(node, "originalname", node.name)):
        if key in cls.skip:
            pytest.skip(f"declared by {cls.__name__}: {cls.skip[key]}")


@pytest.fixture(scope="class")
def conformance_plugin_manager(request: pytest.FixtureRequest) -> pluggy.PluginManager:
    """The plugins under test, from the subclass's ``plugin_manager()`` (third parties too)."""
    return _suite(request).plugin_manager()


@pytest.fixture(scope="class")
def conformance_clock() -> VirtualClock:
    """The one virtual clock the client and the mock share."""
    from inpaintkit.clock import VirtualClock

    return VirtualClock()


@pytest.fixture(scope="class")
def conformance_mock(
    conformance_plugin_manager: pluggy.PluginManager, conformance_clock: VirtualClock
) -> Iterator[Any]:
    """The mock server (in a background thread), reading the shared clock."""
    from inpaintkit.mockserver import MockServer

    from .harness import conformance_mock_config

    with MockServer(
        conformance_mock_config(),
        plugin_manager=conformance_plugin_manager,
        clock=conformance_clock,
    ) as server:
        yield server


@pytest.fixture(scope="class")
def _conformance_harness(
    request: pytest.FixtureRequest,
    conformance_plugin_manager: pluggy.PluginManager,
    conformance_mock: Any,
    conformance_clock: VirtualClock,
) -> Iterator[Harness]:
    from .harness import Harness

    with Harness(
        _suite(request).provider_id,
        plugin_manager=conformance_plugin_manager,
        mock=conformance_mock,
        clock=conformance_clock,
        mask_encoding=_suite(request).mask_encoding,
    ) as harness:
        yield harness


@pytest.fixture
def conformance_harness(_conformance_harness: Harness) -> Harness:
    """The harness (client for the provider under test, the mock, the clock), freshly reset."""
    _conformance_harness.reset()
    return _conformance_harness


@pytest.fixture(scope="class")
def conformance_base_job(request: pytest.FixtureRequest) -> InpaintJob:
    """The valid job every probe starts from: generated image and mask plus ``job_defaults``."""
    from inpaintkit.job import InpaintJob

    cls = _suite(request)
    image, mask = make_test_images(cls.image_size)
    return InpaintJob(image=image, mask=mask, prompt="a red park bench", **dict(cls.job_defaults))


@pytest.fixture(scope="class")
def _conformance_differential(
    request: pytest.FixtureRequest,
    _conformance_harness: Harness,
    conformance_base_job: InpaintJob,
) -> Differential:
    from .differential import Differential

    return Differential(
        _conformance_harness, conformance_base_job, image_size=_suite(request).image_size
    )


@pytest.fixture
def conformance_differential(
    conformance_harness: Harness, _conformance_differential: Differential
) -> Differential:
    """The differential oracle for the class's provider, on a freshly reset mock (the reset
    makes it rediscover where fields land, since its cached carriers point at the old mock)."""
    return _conformance_differential
