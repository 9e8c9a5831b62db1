"""The conformance suite must catch a plugin that gets the alpha mask wrong.

A planted copy of the plugin, registered as ``openai-planted``, sends the alpha mask inverted
(transparent where the neutral mask is black): OpenAI's mock accepts it and edits the wrong
area.  The suite's meaning checks must name the mask's polarity on the wire (read through the
declared :class:`MaskEncoding`) and the kept pixels the answer changed (independently of any
declaration).  Also: the harness sends through a transport it is given.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
import attrs
import inpaintkit_openai
import pluggy
import pytest
from inpaintkit.checking import CheckedRequest
from inpaintkit.clock import VirtualClock
from inpaintkit.conformance import Differential, Harness, MaskEncoding, conformance_mock_config
from inpaintkit.conformance.pytest_plugin import make_test_images
from inpaintkit.hookspecs import hookimpl
from inpaintkit.job import InpaintJob
from inpaintkit.mockserver import MockServer
from inpaintkit.plugins import make_plugin_manager
from inpaintkit.provider import Form, FormFile, HttpRequest, HttpResponse, SubmitAdapter
from inpaintkit.transport import AiohttpTransport, OutgoingRequest
from inpaintkit_openai import SPEC, OpenAIAdapter, alpha_mask
from PIL import Image, ImageChops

SIZE = (256, 256)


@attrs.frozen
class InvertedMaskAdapter:
    """The plugin with its one subtle mistake: the alpha mask's polarity reversed."""

    spec: Any = attrs.field(factory=lambda: attrs.evolve(SPEC, id="openai-planted"))
    inner: OpenAIAdapter = attrs.field(factory=OpenAIAdapter)

    def build_submit(self, request: CheckedRequest) -> HttpRequest:
        built = self.inner.build_submit(request)
        assert built.form is not None
        assert request.mask.data is not None
        neutral = Image.open(io.BytesIO(request.mask.data)).convert("L")
        buffer = io.BytesIO()
        ImageChops.invert(neutral).save(buffer, format="PNG")
        files = {**built.form.files, "mask": FormFile(alpha_mask(buffer.getvalue()), "mask.png")}
        return attrs.evolve(built, form=Form(fields=built.form.fields, files=files))

    def parse_submit(self, request: CheckedRequest, response: HttpResponse) -> Any:
        return self.inner.parse_submit(request, response)


class Planted:
    @hookimpl
    def register_providers(self, register: Callable[[SubmitAdapter], None]) -> None:
        register(InvertedMaskAdapter())


@pytest.fixture(scope="module")
def setup() -> Iterator[tuple[MockServer, VirtualClock, pluggy.PluginManager]]:
    clock = VirtualClock()
    pm = make_plugin_manager(entry_points=False, plugins=[inpaintkit_openai, Planted()])
    with MockServer(conformance_mock_config(), plugin_manager=pm, clock=clock) as mock:
        yield mock, clock, pm


def baseline_problems(
    setup: tuple[MockServer, VirtualClock, pluggy.PluginManager],
    provider: str,
    encoding: MaskEncoding,
) -> tuple[str, ...]:
    mock, clock, pm = setup
    image, mask = make_test_images(SIZE)
    job = InpaintJob(image=image, mask=mask, prompt="a red park bench")
    with Harness(provider, plugin_manager=pm, mock=mock, clock=clock, mask_encoding=encoding) as h:
        h.reset()
        result = Differential(h, job, image_size=SIZE).check({}, "baseline")
    assert result.agree, result.describe(provider)
    return result.problems


def test_the_real_plugin_passes_with_its_declared_encoding(setup: Any) -> None:
    assert baseline_problems(setup, "openai", MaskEncoding.TRANSPARENT) == ()


def test_an_inverted_alpha_mask_is_caught_on_the_wire_and_in_the_answer(setup: Any) -> None:
    problems = baseline_problems(setup, "openai-planted", MaskEncoding.TRANSPARENT)
    text = "\n".join(problems)
    assert "mask: wire field mask has the wrong polarity (inverted)" in text
    assert "fully transparent pixels must mark the area to repaint" in text
    assert "the answer changed pixels the mask keeps" in text


def test_the_answer_check_does_not_trust_the_declaration(setup: Any) -> None:
    # Declared the neutral way, the wire mask reads wrong for both plugins, but only the
    # planted one repaints what the job keeps.
    real = "\n".join(baseline_problems(setup, "openai", MaskEncoding.WHITE))
    planted = "\n".join(baseline_problems(setup, "openai-planted", MaskEncoding.WHITE))
    assert "mask: wire field mask" in real
    assert "the answer changed" not in real
    assert "the answer changed pixels the mask keeps" in planted


class CountingTransport:
    """An aiohttp transport that counts what it sends."""

    def __init__(self) -> None:
        self.session = aiohttp.ClientSession()
        self.inner = AiohttpTransport(self.session)
        self.count = 0

    async def send(self, request: OutgoingRequest, *, timeout: float) -> HttpResponse:
        self.count += 1
        return await self.inner.send(request, timeout=timeout)


def test_the_harness_sends_through_the_transport_it_is_given(setup: Any) -> None:
    mock, clock, pm = setup
    made: list[CountingTransport] = []

    def factory() -> CountingTransport:
        made.append(CountingTransport())
        return made[-1]

    image, mask = make_test_images(SIZE)
    job = InpaintJob(image=image, mask=mask, prompt="moss")
    with Harness("openai", plugin_manager=pm, mock=mock, clock=clock, transport=factory) as h:
        h.reset()
        sub = h.submit(job)
        assert sub.error is None
        assert h.transport.inner is made[0]
        assert made[0].count == 1
        assert len(h.transport.sent) == 1
        assert h.transport.sent[0].form
        h.run(made[0].session.close())


def test_form_files_match_the_journal_by_digest() -> None:
    # The journal shape of the mock core's multipart reader: fields as values, files summarised.
    from inpaintkit.conformance.meaning import _journal_matches

    sent = {"prompt": "moss", "n": "2", "mask": FormFile(b"\x89PNG mask", "mask.png")}
    summary = {"filename": "mask.png", "content_type": "image/png", "bytes": 9}
    good = {
        "prompt": "moss",
        "n": "2",
        "mask": {**summary, "sha256": hashlib.sha256(b"\x89PNG mask").hexdigest()},
    }
    assert _journal_matches(sent, good) == []
    bad = {**good, "mask": {**summary, "sha256": "0" * 64}}
    assert _journal_matches(sent, bad) == [
        "wire field mask: the mock journaled no file with the sent bytes"
    ]
    assert _journal_matches(sent, {**good, "n": "3"})  # text fields are compared as before
