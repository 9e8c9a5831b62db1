"""Hostile or broken provider answers: every adapter's parse functions end in a task state or
a typed error, whatever the body, status and headers (review 8)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inpaintkit.errors import InpaintError, ProviderError, ValidationError
from inpaintkit.provider import Done, Failed, HttpResponse, ModelPage, Pending, TaskHandle
from inpaintkit.providers.modelslab import ModelsLabAdapter
from inpaintkit.providers.novita import NovitaAdapter
from inpaintkit.providers.stablediffusionapi import StableDiffusionApiAdapter

ADAPTERS = [NovitaAdapter(), StableDiffusionApiAdapter(), ModelsLabAdapter()]
IDS = [a.spec.id for a in ADAPTERS]

_words = st.sampled_from(
    [
        "success",
        "processing",
        "error",
        "failed",
        "TASK_STATUS_SUCCEED",
        "TASK_STATUS_FAILED",
        "TASK_STATUS_QUEUED",
        "ASYNC_TASK_RESULT",
        "https://x.test/a.png",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "1e999",
        "-5",
    ]
)
_leaves = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | _words
)
_keys = st.sampled_from(
    [
        "status", "output", "id", "task", "task_id", "images", "image_url", "message", "messege",
        "error", "meta", "eta", "fetch_result", "future_links", "extra", "seed", "event_type",
        "payload", "models", "pagination", "next_cursor", "sd_name", "reason", "tip", "tips",
        "retry_after", "nsfw_content_detected", "image_url_ttl", "progress_percent",
    ]
) | st.text(max_size=4)  # fmt: skip
_json = st.recursive(
    _leaves, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=5),
    max_leaves=20,
)
_statuses = st.sampled_from([100, 200, 201, 202, 204, 302, 400, 401, 402, 403, 404, 418, 422,
                             429, 451, 500, 503, 599])  # fmt: skip
_headers = st.dictionaries(
    st.sampled_from(["retry-after", "content-type", "date"]),
    st.text(max_size=20) | st.sampled_from(["1e308", "-1", "nan", "application/json"]),
    max_size=2,
)


def _outcome(parse: Callable[..., Any], *args: Any) -> Any:
    """What ``parse(*args)`` returns, or the InpaintError it raises (anything else escapes)."""
    try:
        return parse(*args)
    except InpaintError as error:
        return error


def _check_every_parse(body: Any, raw: bytes, status: int, headers: dict[str, str]) -> None:
    response = HttpResponse(status, raw, headers)
    for adapter in ADAPTERS:
        handle = TaskHandle(adapter.spec.id, "t1", {"future_links": ["https://x.test/f.png"]})
        for parse, args in (
            (adapter.parse_submit, (None, response)),
            (adapter.parse_poll, (handle, response)),
            (adapter.parse_webhook, (body,)),
        ):
            outcome = _outcome(parse, *args)
            assert isinstance(outcome, Pending | Done | Failed | InpaintError), outcome
            error = outcome.error if isinstance(outcome, Failed) else outcome
            if isinstance(error, InpaintError):
                assert str(error)
                assert repr(error)
        parse_models = getattr(adapter, "parse_models", None)
        if parse_models is not None:
            outcome = _outcome(parse_models, response)
            assert isinstance(outcome, ModelPage | InpaintError), outcome


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=_json, status=_statuses, headers=_headers)
def test_any_json_answer_parses_to_a_state_or_a_typed_error(
    body: Any, status: int, headers: dict[str, str]
) -> None:
    _check_every_parse(body, json.dumps(body).encode(), status, headers)


@pytest.mark.parametrize(
    "message",
    [[None], [1, "width too big"], [[None]], [True], [{"width": [None]}, 3.5]],
    ids=repr,
)
@pytest.mark.parametrize("status", [200, 400, 422])
def test_a_platform_error_message_list_of_odd_items_is_a_typed_error(
    message: Any, status: int
) -> None:
    body = {"status": "error", "message": message}
    _check_every_parse(body, json.dumps(body).encode(), status, {})
    for adapter in ADAPTERS[1:]:
        state = adapter.parse_submit(None, HttpResponse(status, json.dumps(body).encode()))  # type: ignore[arg-type]
        assert isinstance(state, Failed)
        assert isinstance(state.error, ValidationError)


@pytest.mark.parametrize("message", [[[]], [], {"prompt": []}, [[], {}]], ids=repr)
@pytest.mark.parametrize("status", [100, 200, 400, 500])
def test_a_platform_error_message_naming_no_field_is_still_a_typed_error(
    message: Any, status: int
) -> None:
    """Found by the fuzz above: ``{"message": [[]]}`` flattened to no field error, and
    ``ValidationError([])`` raised a bare ``ValueError``."""
    body = {"message": message}
    _check_every_parse(body, json.dumps(body).encode(), status, {})


DEEP = {
    "array": b"[" * 100_000 + b"]" * 100_000,
    "object": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "message": b'{"status":"error","message":' + b'{"a":' * 900 + b'"x"' + b"}" * 900 + b"}",
}


@pytest.mark.parametrize("adapter", ADAPTERS, ids=IDS)
@pytest.mark.parametrize("name", list(DEEP))
@pytest.mark.parametrize("status", [200, 400, 500])
def test_a_deeply_nested_answer_is_a_typed_error_not_a_recursion_error(
    adapter: Any, name: str, status: int
) -> None:
    response = HttpResponse(status, DEEP[name], {"content-type": "application/json"})
    handle = TaskHandle(adapter.spec.id, "t1")
    for parse, first in ((adapter.parse_submit, None), (adapter.parse_poll, handle)):
        outcome = _outcome(parse, first, response)
        error = outcome.error if isinstance(outcome, Failed) else outcome
        # read as a body that is not JSON: a 400 is the request refused, the rest a provider fault
        assert isinstance(error, ValidationError if status == 400 else ProviderError), outcome


def test_json_of_a_response_refuses_absurd_nesting_but_reads_normal_answers() -> None:
    assert HttpResponse(200, DEEP["array"]).json() is None
    assert HttpResponse(200, b'{"a":' * 65 + b"1" + b"}" * 65).json() is None
    normal = b'{"a":' * 10 + b"[1, 2]" + b"}" * 10
    assert HttpResponse(200, normal).json() == json.loads(normal)
