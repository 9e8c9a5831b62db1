"""Every code snippet of docs/writing-a-plugin.md runs, in order, and does what the text says.

The guide is the contract's front door: a snippet that no longer runs teaches a plugin author
something false.  The fenced ``python`` blocks are executed one after another in one namespace
(as a reader would paste them into one file); the snippets assert on their own results, and the
tests below check what they build from the outside.  The guide's end-to-end snippets talk to a
loopback mock and to a ``MemoryTransport`` only: nothing reaches the internet.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "writing-a-plugin.md"
FENCE = re.compile(r"^```(?P<lang>[\w+-]*)\n(?P<code>.*?)^```$", re.MULTILINE | re.DOTALL)
KNOWN_LANGUAGES = {"python", "toml", "text", "sh"}


def blocks() -> list[tuple[str, int, str]]:
    """Every fenced block: (language, first line number, code)."""
    text = DOC.read_text(encoding="utf-8")
    return [
        (m["lang"], text.count("\n", 0, m.start()) + 2, m["code"]) for m in FENCE.finditer(text)
    ]


def python_blocks() -> list[tuple[int, str]]:
    return [(line, code) for lang, line, code in blocks() if lang == "python"]


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    """The namespace after running every python snippet of the guide in order."""
    namespace: dict[str, Any] = {"__name__": "writing_a_plugin_doc"}
    for line, code in python_blocks():
        # Compiled with padding so a traceback points at the guide's own line numbers.
        source = "\n" * (line - 1) + code
        exec(compile(source, str(DOC), "exec"), namespace)
    return namespace


def test_every_block_has_a_known_language_and_the_python_ones_are_many() -> None:
    languages = {lang for lang, _, _ in blocks()}
    assert languages <= KNOWN_LANGUAGES, f"unlabelled or unknown fences: {languages}"
    assert len(python_blocks()) >= 10


def test_the_snippets_run_in_order(doc: dict[str, Any]) -> None:
    for name in ("SPEC", "RetouchAdapter", "RetouchMock", "PixelforgeAdapter", "result"):
        assert name in doc, f"the guide no longer defines {name}"


def test_the_hooks_register_the_adapter_and_the_mock(doc: dict[str, Any]) -> None:
    providers: list[Any] = []
    mocks: list[Any] = []
    doc["register_providers"](providers.append)
    doc["register_mocks"](mocks.append)
    assert [p.spec.id for p in providers] == ["retouch"]
    assert [m.id for m in mocks] == ["retouch"]


def test_the_table_is_complete_as_data(doc: dict[str, Any]) -> None:
    table = doc["CAPABILITIES"]
    assert table.unmapped_native_rows() == ()
    assert table.field_for_wire("params.cfg") == "guidance_scale"
    assert table.field_for_wire("schedule") == "sampler"


def test_the_queue_adapter_hands_out_tasks_and_polls_them(doc: dict[str, Any]) -> None:
    adapter = doc["RetouchQueueAdapter"]()
    response = doc["HttpResponse"]
    queued = adapter.parse_submit(doc["checked"], response(202, b'{"id": 7}'))
    assert queued.handle.task_id == "7"
    assert adapter.build_poll(queued.handle).path == "/v1/tasks/7"
    running = adapter.parse_poll(queued.handle, response(200, b'{"state": "running", "eta": 3}'))
    assert running.eta == 3
    failed = adapter.parse_poll(queued.handle, response(401, b'{"message": "revoked"}'))
    assert type(failed.error).__name__ == "AuthenticationError"


def test_the_end_to_end_run_went_through_the_mock(doc: dict[str, Any]) -> None:
    assert len(doc["result"].images) == 1
    assert doc["result"].provider == "retouch"


def test_the_multipart_request_carried_fields_and_files(doc: dict[str, Any]) -> None:
    sent = doc["transport"].requests
    assert len(sent) == 1
    body = sent[0].content
    assert body.count(b"Content-Disposition: form-data") == 4  # prompt, steps, image, mask
    assert b'name="image"; filename="image.png"\r\nContent-Type: image/png' in body
    assert doc["edited"].images[0].format == "png"
