"""Hypothesis against every endpoint: whatever arrives, the mock never answers an unintended 5xx.

Bodies are arbitrary JSON, or a valid body with one field replaced by arbitrary JSON (which reaches
much deeper than random bytes).  The server runs in a background thread; the client is urllib.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inpaintkit.mockserver import MockConfig, MockServer
from test_mock_lifecycle import AUTH, modelslab_body, novita_body, plugin_manager, sdapi_body

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    config = MockConfig(
        seed=1,
        novita_images_per_minute=None,
        modelslab_max_queued=None,
        sdapi_duplicate_window=None,
        finish_after_polls=1,
    )
    with MockServer(config, plugin_manager=plugin_manager()) as mock:
        yield mock


def send(method: str, url: str, body: bytes | None, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            json.loads(response.read())
            return int(response.status)
    except urllib.error.HTTPError as exc:
        payload = exc.read()
        if exc.code < 500:
            json.loads(payload)  # every refusal is a JSON body
        return int(exc.code)


def mutated(valid: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A valid body with one (possibly nested) member replaced by arbitrary JSON."""
    paths: list[tuple[str, ...]] = []
    for key, value in valid.items():
        paths.append((key,))
        if isinstance(value, dict):
            paths.extend((key, inner) for inner in value)

    def replace(path: tuple[str, ...], value: Any) -> dict[str, Any]:
        body = json.loads(json.dumps(valid))
        target = body
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
        return body

    return st.builds(replace, st.sampled_from(paths), JSON)


ENDPOINTS = [
    ("/v3/async/inpainting", novita_body(image_num=1)),
    ("/api/v3/inpaint", sdapi_body()),
    ("/api/v6/images/inpaint", modelslab_body()),
    ("/api/v3/fetch/1", {"key": "k"}),
    ("/api/v6/images/fetch", {"key": "k", "request_id": "1"}),
    ("/api/v6/images/fetch/1", {"key": "k"}),
    ("/api/v6/base64_to_url", {"key": "k", "base64_string": "data:image/png;base64,AAAA"}),
    ("/api/v3/system_load", {"key": "k"}),
]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_posts_never_answer_an_unintended_5xx(server: MockServer, data: st.DataObject) -> None:
    path, valid = data.draw(st.sampled_from(ENDPOINTS))
    body = data.draw(st.one_of(mutated(valid), JSON))
    status = send(
        "POST",
        server.url + path,
        json.dumps(body).encode(),
        {**AUTH, "Content-Type": "application/json"},
    )
    assert status < 500, (path, body)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(["/v3/async/task-result", "/v3/model"]),
    query=st.dictionaries(
        st.sampled_from(
            [
                "task_id",
                "filter.visibility",
                "filter.types",
                "filter.is_sdxl",
                "filter.is_inpainting",
                "filter.query",
                "pagination.limit",
                "pagination.cursor",
            ]
        ),
        st.text(max_size=12),
        max_size=4,
    ),
)
def test_gets_never_answer_an_unintended_5xx(
    server: MockServer, path: str, query: dict[str, str]
) -> None:
    from urllib.parse import urlencode

    status = send("GET", f"{server.url}{path}?{urlencode(query)}", None, AUTH)
    assert status < 500, (path, query)


def test_raw_garbage_bodies_are_refused_cleanly(server: MockServer) -> None:
    for path, _ in ENDPOINTS:
        status = send("POST", server.url + path, b"\xff\xfe{garbage", dict(AUTH))
        assert 400 <= status < 500, path


def test_foreign_cursor_is_a_400_not_a_500(server: MockServer) -> None:
    """Found by the GET fuzz: a cursor this API never issued."""
    assert send("GET", f"{server.url}/v3/model?pagination.cursor=0", None, AUTH) == 400
