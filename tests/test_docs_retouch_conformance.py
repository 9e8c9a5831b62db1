"""The guide's Retouch plugin passes the conformance suite it tells its reader to run.

docs/writing-a-plugin.md builds Retouch (table, adapter, mock) and ends with
``class TestRetouchConformance(RetouchConformance): pass``.  A reader who does exactly that must
get a green suite: a guide whose mock checks fewer rules than its table declares teaches a
failing plugin.  And the guide's mock must journal the fields it does not know, or the suite
cannot catch a plugin that writes a field where the provider never reads it.
"""

from __future__ import annotations

import contextlib
import types
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest
from inpaintkit.clock import VirtualClock
from inpaintkit.conformance import Differential, Harness, conformance_mock_config
from inpaintkit.conformance.pytest_plugin import make_test_images
from inpaintkit.hookspecs import hookimpl
from inpaintkit.job import InpaintJob
from inpaintkit.mockserver import MockServer
from inpaintkit.plugins import make_plugin_manager
from inpaintkit.provider import CapabilityTable
from inpaintkit.wiremap import Wire, as_string
from test_docs_writing_a_plugin import DOC, python_blocks


def _guide() -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "writing_a_plugin_conformance"}
    for line, code in python_blocks():
        exec(compile("\n" * (line - 1) + code, str(DOC), "exec"), namespace)
    return namespace


GUIDE = _guide()


class TestGuideRetouchConformance(GUIDE["RetouchConformance"]):  # type: ignore[misc]
    """What the guide's section 10 tells its reader to write."""


@attrs.frozen
class MisnamedRetouch:
    """The guide's adapter, but its table sends guidance under ``params.guidance``, a name
    Retouch does not read (Retouch reads ``params.cfg``)."""

    inner: Any = attrs.field(factory=lambda: GUIDE["RetouchAdapter"]())
    spec: Any = attrs.field(
        factory=lambda: attrs.evolve(
            GUIDE["SPEC"],
            capabilities=CapabilityTable(
                tuple(
                    attrs.evolve(row, wire=Wire("params.guidance", encode=as_string))
                    if row.field == "guidance_scale"
                    else row
                    for row in GUIDE["CAPABILITIES"]
                )
            ),
        )
    )

    def build_submit(self, request: Any) -> Any:
        body = request.body()
        body["image"] = GUIDE["image_base64"](request.image.data)
        body["mask"] = GUIDE["image_base64"](request.mask.data)
        return GUIDE["HttpRequest"]("POST", "/v1/inpaint", json=body)

    def parse_submit(self, request: Any, response: Any) -> Any:
        return self.inner.parse_submit(request, response)


@contextlib.contextmanager
def _differential(adapter: Any) -> Iterator[Differential]:
    """The suite's differential check of ``adapter`` against the guide's Retouch mock."""

    @hookimpl
    def register_providers(register: Callable[[Any], None]) -> None:
        register(adapter)

    plugin = types.SimpleNamespace(
        register_providers=register_providers, register_mocks=GUIDE["register_mocks"]
    )
    pm = make_plugin_manager(entry_points=False, builtins=False, plugins=[plugin])
    clock = VirtualClock()
    image, mask = make_test_images((64, 64))
    base = InpaintJob(image=image, mask=mask, prompt="a red park bench")
    with (
        MockServer(conformance_mock_config(), plugin_manager=pm, clock=clock) as mock,
        Harness("retouch", plugin_manager=pm, mock=mock, clock=clock) as h,
    ):
        yield Differential(h, base, image_size=(64, 64))


@pytest.fixture
def misnamed() -> Iterator[Differential]:
    with _differential(MisnamedRetouch()) as differential:
        yield differential


def test_the_suite_catches_a_field_sent_where_the_guide_mock_never_reads_it(
    misnamed: Differential,
) -> None:
    result = misnamed.check({"guidance_scale": 7.5}, "a value both sides accept")
    assert result.agree  # the request is accepted: only its meaning is wrong
    assert not result.ok
    text = result.describe("retouch")
    assert "wire field params.guidance: the mock ignored it as unknown" in text


@attrs.frozen
class FirstImageRetouch:
    """The guide's adapter with the mistake of keeping only the first image of an answer."""

    inner: Any = attrs.field(factory=lambda: GUIDE["RetouchAdapter"]())
    spec: Any = attrs.field(factory=lambda: GUIDE["SPEC"])

    def build_submit(self, request: Any) -> Any:
        return self.inner.build_submit(request)

    def parse_submit(self, request: Any, response: Any) -> Any:
        state = self.inner.parse_submit(request, response)
        return attrs.evolve(state, images=state.images[:1]) if hasattr(state, "images") else state


def test_the_suite_catches_a_result_with_images_missing() -> None:
    """Retouch answers every image at once: a probe asking for three must parse to three."""
    with _differential(FirstImageRetouch()) as differential:
        result = differential.check({"num_images": 3}, "max-1")
    assert result.agree
    assert not result.ok
    assert "num_images = 3: the answer to request 1 parsed to 1 image(s)" in result.describe(
        "retouch"
    )
