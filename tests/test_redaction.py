"""Secrets are redacted where they occur as values, never as substrings of unrelated text.

With the API key ``k`` the old substring scrubbing turned ``/v3/async/task-result`` into
``/v3/async/tas<redacted>-result``.  Both the client's kept bodies (:func:`inpaintkit.credentials.
redact`) and the mock's journal now redact a key where it is a credential value: a whole string
equal to it, the value of a query parameter or ``key=``/``"key": ``/``Bearer`` position in text,
or anywhere as a whole token when the key is long enough that it cannot occur by accident.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st
from inpaintkit.credentials import REDACTED, may_hold, redact
from inpaintkit.mockserver import MockConfig, run_mock
from inpaintkit.mockserver.journal import REDACTED as JOURNAL_REDACTED
from test_mock_lifecycle import modelslab_body, novita_body, plugin_manager

UNRELATED = [
    "/v3/async/task-result",
    "a red wooden park bench",
    "kkk",
    "https://cdn.example/k/bucket/kite.png",
    "task_id=task-k-1",
]


@pytest.mark.parametrize("text", UNRELATED)
def test_unrelated_text_with_the_keys_letters_is_untouched(text: str) -> None:
    body = {"path": text, "items": [text], "nested": {"message": text}}
    assert redact(body, ("k",)) == body
    assert redact(text.encode(), ("k",)) == text.encode()


@pytest.mark.parametrize(
    ("leak", "kept"),
    [
        ({"key": "k"}, {"key": REDACTED}),
        ({"anything": "k"}, {"anything": REDACTED}),
        ("https://api.example/v1?key=k&x=1", f"https://api.example/v1?key={REDACTED}&x=1"),
        ("https://api.example/v1?a=1&token=k", f"https://api.example/v1?a=1&token={REDACTED}"),
        ('{"key": "k", "status": "error"}', f'{{"key": "{REDACTED}", "status": "error"}}'),
        ("Authorization: Bearer k", f"Authorization: Bearer {REDACTED}"),
        ("api_key=k; path=/task", f"api_key={REDACTED}; path=/task"),
    ],
)
def test_a_short_key_is_redacted_where_it_is_a_credential_value(leak: object, kept: object) -> None:
    assert redact(leak, ("k",)) == kept


def test_a_long_key_is_redacted_as_a_token_anywhere() -> None:
    key = "sk-live-0123456789abcdef"
    text = f"Invalid API key {key}. Check your dashboard."
    assert redact(text, (key,)) == f"Invalid API key {REDACTED}. Check your dashboard."
    assert redact({"message": [text]}, (key,)) == {"message": [redact(text, (key,))]}
    assert key.encode() not in redact(text.encode(), (key,))
    # but not when it is only part of a longer token
    longer = f"x{key}y"
    assert redact(longer, (key,)) == longer


def test_percent_encoded_keys_in_queries_are_redacted() -> None:
    key = "a/b+c"
    assert redact("https://h/p?key=a%2Fb%2Bc", (key,)) == f"https://h/p?key={REDACTED}"


def test_no_secrets_means_no_change() -> None:
    body = {"key": "k"}
    assert redact(body, ()) is body


def test_a_body_that_never_mentions_the_key_is_returned_as_it_is() -> None:
    """Every response of every job is redacted and almost none holds the key: the common case
    must cost one walk, not a copy of the body."""
    body = {"task": {"status": "ok", "eta": 3}, "images": [{"url": "https://h/i.png"}], "n": None}
    assert redact(body, ("secret-key",)) is body


@pytest.mark.parametrize(
    "body",
    [
        {"a": [{"b": ["x", {"c": "Bearer secret-key"}]}]},
        [1, 2.5, None, True, {"deep": {"deeper": ["secret-key"]}}],
        {"raw": b"token=secret-key"},
    ],
)
def test_a_key_deep_in_a_body_is_still_found(body: object) -> None:
    cleaned = redact(body, ("secret-key",))
    assert "secret-key" not in repr(cleaned)
    assert "secret-key" in repr(body)  # the caller's value is not changed


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='ab/=+%&?k:Bearer "\\é\n'),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(alphabet="abk", max_size=3), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(
    body=_json_values,
    key=st.sampled_from(["k", "a/b+c", "Bearer", "kk=", "é", 'q"']),
    ascii=st.booleans(),
)
def test_a_body_that_cannot_hold_the_key_needs_no_redaction(
    body: object, key: str, ascii: bool
) -> None:
    """The runtime skips redacting what it parsed from a response whose bytes cannot hold the
    key (may_hold): that must never skip a key the full redaction would have found, however
    the JSON spells it (escapes included)."""
    data = json.dumps(body, ensure_ascii=ascii).encode()
    if not may_hold(data, (key,)):
        assert redact(json.loads(data), (key,)) == json.loads(data)


def test_a_key_spelled_in_json_escapes_may_be_held() -> None:
    key = "secret-key"
    escaped = json.dumps({"token": key}).replace("s", "\\u0073").encode()
    assert key.encode() not in escaped
    assert may_hold(escaped, (key,))
    assert not may_hold(b'{"task": {"status": "ok"}}', (key,))
    assert may_hold(b'{"url": "https://h/p?key=a%2Fb%2Bc"}', ("a/b+c",))  # percent-encoded


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


async def test_journal_keeps_paths_and_prompts_with_a_one_letter_key(
    session: aiohttp.ClientSession,
) -> None:
    async with run_mock(MockConfig(finish_after_polls=1), plugin_manager=plugin_manager()) as mock:
        r = await session.post(
            f"{mock.url}/v3/async/inpainting",
            json=novita_body(prompt="a red wooden park bench"),
            headers={"Authorization": "Bearer k"},
        )
        task_id = (await r.json())["task_id"]
        await session.get(
            f"{mock.url}/v3/async/task-result",
            params={"task_id": task_id},
            headers={"Authorization": "Bearer k"},
        )
        await session.post(
            f"{mock.url}/api/v6/images/inpaint",
            json=modelslab_body(key="k", webhook="http://127.0.0.1:9/hook?key=k&kind=park"),
        )
        submit, poll, ml = mock.journal("request")
        assert submit["body"]["request"]["prompt"] == "a red wooden park bench"
        assert submit["headers"]["Authorization"] == JOURNAL_REDACTED
        assert poll["path"] == "/v3/async/task-result"
        assert poll["query"] == {"task_id": task_id}
        assert ml["body"]["key"] == JOURNAL_REDACTED
        assert ml["body"]["webhook"] == f"http://127.0.0.1:9/hook?key={JOURNAL_REDACTED}&kind=park"
        dumped = json.dumps(mock.journal())
        assert '"k"' not in dumped
