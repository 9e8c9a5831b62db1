"""Mutation fuzz of valid submits: every field, hostile values; never a 5xx, always the
provider's own error shape.

Where ``test_mock_fuzz`` replaces a member with arbitrary (tame) JSON, this one aims at what
breaks servers: wrong types, numeric extremes, unicode edge cases (lone surrogates, NUL, BOM,
right-to-left marks), nesting deep enough to exhaust a recursive parser, and huge strings.  Deep
nesting is spliced into the body as raw JSON text, since building it as a Python object would
exhaust the test's own ``json.dumps``.  Hostile API keys go in the header and the body.
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

PLACEHOLDER = "__FUZZ_PLACEHOLDER__"
DEPTH = 1_100

UNICODE_EDGES = [
    "\ud800",  # lone high surrogate
    "\udfff",  # lone low surrogate
    "a\ud83dbench",  # half an emoji
    "\x00",
    "\ufeffbom",
    "\u202eevil",
    "e\u0301" * 50,
    "\U0001f600" * 30,
    "\uffff",
    "",
    " ",
]
EXTREMES = [
    0,
    -1,
    2**31,
    -(2**31) - 1,
    2**63,
    10**40,
    -(10**40),
    1e308,
    -1e308,
    5e-324,
    -0.0,
    0.5,
]
WRONG_TYPES: list[Any] = [None, True, False, [], {}, [1, "a"], {"a": {"b": None}}, "1", "yes"]
HUGE = ["x" * 1_000_000, "\ud800" * 10_000, "9" * 100_000]

# Raw JSON fragments: these cannot be produced by json.dumps in the test process.
DEEP = ["[" * DEPTH + "]" * DEPTH, '{"a":' * DEPTH + "1" + "}" * DEPTH]

VALUES: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(UNICODE_EDGES),
    st.sampled_from(EXTREMES),
    st.sampled_from(WRONG_TYPES),
    st.sampled_from(HUGE),
    st.text(st.characters(codec=None, categories=("Cs", "Cc", "Zs", "Lo")), max_size=8),
    st.integers(),
)

PROVIDERS = {
    "novita": ("/v3/async/inpainting", novita_body(image_num=1)),
    "stablediffusionapi": ("/api/v3/inpaint", sdapi_body()),
    "modelslab": ("/api/v6/images/inpaint", modelslab_body()),
}


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


def field_paths(valid: dict[str, Any]) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []
    for key, value in valid.items():
        paths.append((key,))
        if isinstance(value, dict):
            paths.extend((key, inner) for inner in value)
    return paths


def mutate(valid: dict[str, Any], path: tuple[str, ...], value: Any, raw: str | None) -> bytes:
    """``valid`` with the member at ``path`` set to ``value`` (or to raw JSON text ``raw``)."""
    body = json.loads(json.dumps(valid))
    target = body
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = PLACEHOLDER if raw is not None else value
    text = json.dumps(body)  # ensure_ascii: lone surrogates travel as \\udXXX escapes
    if raw is not None:
        text = text.replace(json.dumps(PLACEHOLDER), raw)
    return text.encode()


def post(url: str, data: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=data, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        payload = exc.read()
        try:
            return int(exc.code), json.loads(payload)
        except ValueError:
            return int(exc.code), payload


def assert_provider_shape(provider: str, status: int, body: Any) -> None:
    """Refusals are JSON in the provider's own error shape (not aiohttp's text pages)."""
    assert status < 500, (status, repr(body)[:300])
    assert isinstance(body, dict), repr(body)[:300]
    if status >= 400 or body.get("status") == "error":
        if provider == "novita":
            assert {"code", "reason", "message"} <= set(body), body
        else:
            assert body.get("status") in ("error", "failed"), body


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_mutated_submits_get_the_providers_error_shape(
    server: MockServer, data: st.DataObject
) -> None:
    provider = data.draw(st.sampled_from(sorted(PROVIDERS)))
    path, valid = PROVIDERS[provider]
    where = data.draw(st.sampled_from(field_paths(valid)))
    raw = data.draw(st.none() | st.sampled_from(DEEP))
    value = data.draw(VALUES)
    status, body = post(
        server.url + path,
        mutate(valid, where, value, raw),
        {**AUTH, "Content-Type": "application/json"},
    )
    assert_provider_shape(provider, status, body)


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
@pytest.mark.parametrize("prompt", ["\ud800", "a red \udfff bench", "\x00\ufeff"])
def test_unicode_edge_prompts_are_answered(server: MockServer, provider: str, prompt: str) -> None:
    """Found by the fuzz: a lone surrogate in the prompt answered 500 on every provider."""
    path, valid = PROVIDERS[provider]
    field = ("request", "prompt") if provider == "novita" else ("prompt",)
    status, body = post(
        server.url + path,
        mutate(valid, field, prompt, None),
        {**AUTH, "Content-Type": "application/json"},
    )
    assert_provider_shape(provider, status, body)


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
@pytest.mark.parametrize("raw", DEEP)
def test_deeply_nested_bodies_are_refused_cleanly(
    server: MockServer, provider: str, raw: str
) -> None:
    """Found by the fuzz: ``RecursionError`` escaped the JSON reader as a 500."""
    path, valid = PROVIDERS[provider]
    status, body = post(
        server.url + path,
        mutate(valid, (next(iter(valid)),), None, raw),
        {**AUTH, "Content-Type": "application/json"},
    )
    assert 400 <= status < 500
    assert_provider_shape(provider, status, body)
    status, _ = post(server.url + "/__mock/faults", raw.encode(), {})
    assert status == 400


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
@pytest.mark.parametrize("key", ["\ud800", "k\udfffk", "\x00"])
def test_hostile_keys_in_the_body_are_refused_cleanly(
    server: MockServer, provider: str, key: str
) -> None:
    path, valid = PROVIDERS[provider]
    if provider == "novita":
        headers = {"Authorization": "Bearer \xff\xfe", "Content-Type": "application/json"}
        status, body = post(server.url + path, json.dumps(valid).encode(), headers)
    else:
        status, body = post(
            server.url + path,
            mutate(valid, ("key",), key, None),
            {"Content-Type": "application/json"},
        )
    assert_provider_shape(provider, status, body)


# Content-Encoding: br is refused by aiohttp's HTTP parser itself (a plain 400) when Brotli is
# not installed, before any mock code runs; it is left out here.
HEADER_NAMES = ["Authorization", "Content-Type", "key", "Accept", "Host", "Content-Encoding"]
HEADER_VALUES = st.one_of(
    st.sampled_from(
        [
            "",
            "Bearer",
            "Bearer ",
            "Bearer \xff\xfe",
            "application/json; charset=utf-16",
            "application/json; charset=bogus",
            "multipart/form-data",
            "multipart/form-data; boundary=x",
            "application/x-www-form-urlencoded",
            "text/plain",
            "gzip",
            "deflate",
            "x" * 8000,
            "[::1]:99999",
        ]
    ),
    # valid HTTP field values (RFC 9110: no controls); malformed HTTP is the parser's business
    st.text(
        st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
        max_size=30,
    ).filter(lambda v: not any(0x80 <= ord(c) < 0xA0 for c in v)),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_hostile_headers_get_the_providers_error_shape(
    server: MockServer, data: st.DataObject
) -> None:
    provider = data.draw(st.sampled_from(sorted(PROVIDERS)))
    path, valid = PROVIDERS[provider]
    headers = {**AUTH, "Content-Type": "application/json"}
    for name in data.draw(st.lists(st.sampled_from(HEADER_NAMES), min_size=1, max_size=3)):
        headers[name] = data.draw(HEADER_VALUES)
    status, body = post(server.url + path, json.dumps(valid).encode(), headers)
    assert_provider_shape(provider, status, body)


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_body_not_matching_its_content_encoding_is_refused_cleanly(
    server: MockServer, provider: str
) -> None:
    """Found by the header fuzz: a plain body sent as ``Content-Encoding: gzip`` was a 500."""
    path, valid = PROVIDERS[provider]
    headers = {**AUTH, "Content-Type": "application/json", "Content-Encoding": "gzip"}
    status, body = post(server.url + path, json.dumps(valid).encode(), headers)
    assert 400 <= status < 500
    assert_provider_shape(provider, status, body)
