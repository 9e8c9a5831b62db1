"""StableDiffusionAPI v3 against provider contract v2: the issue's probe through the client, the
table as the only source of wire fields, and the platform decisions where v3's old answer
changed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit.checking import check_request
from inpaintkit.client import InpaintClient
from inpaintkit.errors import (
    InsufficientCreditsError,
    RateLimitedError,
    UnsupportedFieldError,
    ValidationError,
)
from inpaintkit.job import InpaintJob, SafetyCheck, Webhook
from inpaintkit.provider import (
    Failed,
    HttpResponse,
    PollingAdapter,
    PreparedImage,
    PreparedRequest,
    Support,
    WebhookAdapter,
)
from inpaintkit.providers.stablediffusionapi import CAPABILITIES, SPEC, StableDiffusionApiAdapter
from inpaintkit.transport import MemoryTransport, OutgoingRequest
from inpaintkit.wiremap import Composite, Wire, build_fields, set_path

ADAPTER = StableDiffusionApiAdapter()
IMAGE = png_bytes(gradient_image(512, 512))
MASK = png_bytes(rect_mask(512, 512, (128, 128, 384, 384)))


def job(**fields: Any) -> InpaintJob:
    return InpaintJob(**{"image": IMAGE, "mask": MASK, "prompt": "a cat", **fields})


def refuse(request: OutgoingRequest) -> HttpResponse:
    raise AssertionError(f"nothing may be sent, got {request!r}")


async def submit_nothing(job: InpaintJob, **client: Any) -> tuple[Exception, MemoryTransport]:
    transport = MemoryTransport(refuse)
    async with InpaintClient(
        api_keys={"stablediffusionapi": "SECRET"}, transport=transport, **client
    ) as inpaint:
        with pytest.raises((ValidationError, UnsupportedFieldError)) as info:
            await inpaint.submit(job, "stablediffusionapi")
    return info.value, transport


# --- the probe: nothing beyond a limit is sent, nothing dropped silently ---------------


async def test_probe_steps_500_is_refused_before_any_request() -> None:
    # The old adapter sent num_inference_steps "500"; the table says [1, 51].
    error, transport = await submit_nothing(job(steps=500))
    assert transport.requests == []
    assert isinstance(error, ValidationError)
    [field] = error.errors
    assert (field.path, field.value) == ("$.steps", 500)
    assert "[1, 51]" in field.rule


async def test_options_of_another_shape_are_refused_before_any_request() -> None:
    error, transport = await submit_nothing(job(extras={"stablediffusionapi": {"model_id": "x"}}))
    assert transport.requests == []
    assert error.paths == ("$.extras.stablediffusionapi.model_id",)


# --- every plain row builds its wire field from the table alone --------------------------------

SAMPLES: dict[str, Any] = {
    "prompt": "a lighthouse",
    "negative_prompt": "blurry",
    "num_images": 3,
    "steps": 30,
    "guidance_scale": 7,
    "strength": 0.5,
    "seed": 42,
    "safety.enabled": True,
    "webhook.url": "https://hooks.example/x",
    "webhook.track_id": "t-1",
    "enhance_prompt": False,
}
"""A value for every plain row's field (a new plain row without one fails the test below)."""


def with_field(field: str, value: Any) -> InpaintJob:
    if field == "safety.enabled":
        return job(safety=SafetyCheck(enabled=value))
    if field.startswith("webhook."):
        track_id = value if field == "webhook.track_id" else None
        return job(webhook=Webhook(url="https://hooks.example/x", track_id=track_id))
    return job(**{field: value})


PLAIN_ROWS = [
    row
    for row in CAPABILITIES
    if row.support is Support.NATIVE and isinstance(row.wire, Wire | Composite)
]


def test_every_plain_row_has_a_sample() -> None:
    assert {row.field for row in PLAIN_ROWS} == set(SAMPLES)


@pytest.mark.parametrize("row", PLAIN_ROWS, ids=lambda row: row.field)
def test_plain_row_builds_its_wire_field_from_the_table_alone(row: Any) -> None:
    value = SAMPLES[row.field]
    expected: dict[str, Any] = {}
    if isinstance(row.wire, Wire):
        set_path(expected, row.wire.path, row.wire.encode(value))
    else:
        for path, encoded in row.wire.build(value).items():
            set_path(expected, path, encoded)
    built = build_fields(with_field(row.field, value), [row])
    assert built == expected
    # And the whole table builds the same value at those paths (no other row overwrites it).
    everything = build_fields(with_field(row.field, value), CAPABILITIES)
    assert {k: everything[k] for k in expected} == expected


def test_quoted_numbers_and_flags_follow_seed_002() -> None:
    # Seed 002 quotes samples and num_inference_steps and writes flags as "yes"/"no".
    built = build_fields(job(num_images=2, steps=30, enhance_prompt=True), CAPABILITIES)
    assert (built["samples"], built["num_inference_steps"]) == ("2", "30")
    assert built["enhance_prompt"] == "yes"
    # The fields the seed example sends as null when unused.
    assert {k: built[k] for k in ("negative_prompt", "seed", "webhook", "track_id")} == {
        "negative_prompt": None,
        "seed": None,
        "webhook": None,
        "track_id": None,
    }


def test_adapter_implements_fetch_and_webhooks() -> None:
    assert isinstance(ADAPTER, PollingAdapter)
    assert isinstance(ADAPTER, WebhookAdapter)


# --- platform decisions where v3's old answer changed -----------------------------------------


def answer(status: int, body: Any, headers: dict[str, str] | None = None) -> HttpResponse:
    return HttpResponse(status, json.dumps(body).encode(), headers or {})


def submitted(response: HttpResponse) -> Any:
    """The error a submit answer stands for."""
    url = PreparedImage(None, None, None, None, url="https://x/i.png")
    request = check_request(PreparedRequest(job(), url, url), SPEC)
    return error_of(ADAPTER.parse_submit(request, response))


def error_of(state: Any) -> Any:
    assert isinstance(state, Failed), state
    return state.error


def test_please_wait_alone_is_transient_not_a_hard_failure() -> None:
    # Was a ProviderError: a message telling the client to wait is a rate limit with a delay.
    body = {"status": "error", "message": "please wait for 30 seconds and try again"}
    error = submitted(answer(200, body))
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 30.0


def test_message_about_a_wire_field_names_the_neutral_field() -> None:
    # Was "$": the table knows num_inference_steps is steps.
    body = {"status": "error", "message": "num_inference_steps must be one of 21, 31, 41, 51"}
    error = submitted(answer(400, body))
    assert isinstance(error, ValidationError)
    assert error.paths == ("$.steps",)


def test_premium_403_is_a_plan_limit() -> None:
    # Unchanged for v3 (ModelsLab now agrees): reference 3.4's 403 means upgrade the plan.
    body = {"status": "error", "message": "This feature requires a premium subscription"}
    error = submitted(answer(403, body))
    assert isinstance(error, InsufficientCreditsError)
