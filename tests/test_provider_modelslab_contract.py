"""ModelsLab against provider contract v2: the issue's probes through the client, the table as the
only source of wire fields, and the platform decisions where ModelsLab's old answer changed."""

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
    TaskFailedError,
    UnsupportedFieldError,
    ValidationError,
)
from inpaintkit.job import InpaintJob, Lora, MaskOptions, S3Storage, SafetyCheck, Sampler, Webhook
from inpaintkit.provider import (
    Failed,
    HttpResponse,
    PollingAdapter,
    PreparedImage,
    PreparedRequest,
    Support,
    TaskHandle,
    WebhookAdapter,
)
from inpaintkit.providers.modelslab import CAPABILITIES, SPEC, ModelsLabAdapter
from inpaintkit.transport import MemoryTransport, OutgoingRequest
from inpaintkit.wiremap import Composite, Wire, build_fields, set_path

ADAPTER = ModelsLabAdapter()
IMAGE = png_bytes(gradient_image(512, 512))
MASK = png_bytes(rect_mask(512, 512, (128, 128, 384, 384)))


def job(**fields: Any) -> InpaintJob:
    return InpaintJob(**{"image": IMAGE, "mask": MASK, "prompt": "a cat", "model": "m", **fields})


def refuse(request: OutgoingRequest) -> HttpResponse:
    raise AssertionError(f"nothing may be sent, got {request!r}")


async def submit_nothing(job: InpaintJob, **client: Any) -> tuple[Exception, MemoryTransport]:
    transport = MemoryTransport(refuse)
    async with InpaintClient(
        api_keys={"modelslab": "SECRET"}, transport=transport, **client
    ) as inpaint:
        with pytest.raises((ValidationError, UnsupportedFieldError)) as info:
            await inpaint.submit(job, "modelslab")
    return info.value, transport


# --- the probe: nothing beyond a limit is sent, nothing dropped silently ---------------


async def test_probe_steps_500_is_refused_before_any_request() -> None:
    error, transport = await submit_nothing(job(steps=500))
    assert transport.requests == []
    assert isinstance(error, ValidationError)
    [field] = error.errors
    assert (field.path, field.value) == ("$.steps", 500)
    assert "[1, 50]" in field.rule


async def test_probe_storage_is_refused_not_dropped() -> None:
    storage = S3Storage(region="eu-west-1", bucket="b", path="p")
    probe = job(steps=500, storage=storage, mask_options=MaskOptions(invert=True))
    error, transport = await submit_nothing(probe)
    assert transport.requests == []
    assert isinstance(error, UnsupportedFieldError)
    by_path = {e.path: e for e in error.errors}
    assert "$.storage" in by_path
    assert "not supported" in by_path["$.storage"].rule


async def test_probe_with_storage_dropped_still_refuses_steps_500() -> None:
    storage = S3Storage(region="eu-west-1", bucket="b", path="p")
    probe = job(steps=500, storage=storage, mask_options=MaskOptions(invert=True))
    error, transport = await submit_nothing(probe, unsupported="drop")
    assert transport.requests == []
    assert [(e.path, e.value) for e in error.errors] == [("$.steps", 500)]


def test_probe_unplanned_job_never_reaches_the_adapter() -> None:
    # The adapter takes only a CheckedRequest; the core's check refuses the unplanned probe
    # (storage unsupported, invert not yet applied by the client) instead of dropping it.
    storage = S3Storage(region="eu-west-1", bucket="b", path="p")
    probe = job(steps=500, storage=storage, mask_options=MaskOptions(invert=True))
    image = PreparedImage(IMAGE, "png", 512, 512)
    with pytest.raises(UnsupportedFieldError) as info:
        check_request(PreparedRequest(probe, image, image), SPEC)
    assert {"$.storage", "$.mask_options.invert"} <= set(info.value.paths)


# --- every plain row builds its wire field from the table alone --------------------------------

SAMPLES: dict[str, Any] = {
    "prompt": "a lighthouse",
    "negative_prompt": "blurry",
    "model": "pony_realism",
    "num_images": 3,
    "steps": 30,
    "guidance_scale": 7,
    "strength": 0.5,
    "seed": 42,
    "sampler": Sampler.EULER_A,
    "clip_skip": 2,
    "loras": (Lora("a", 0.5), Lora("b", 1.0)),
    "vae": "sdxl-vae",
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


def test_quoted_numbers_and_flags_follow_seed_003() -> None:
    # Seed 003 quotes width/height/samples/steps/clip_skip and writes flags as "yes"/"no".
    built = build_fields(
        job(num_images=2, steps=21, clip_skip=2, enhance_prompt=True), CAPABILITIES
    )
    assert (built["samples"], built["steps"], built["clip_skip"]) == ("2", "21", "2")
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


# --- platform decisions where ModelsLab's old answer changed -----------------------------------


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


def test_http_date_retry_after_is_honoured() -> None:
    # RFC 9110 10.2.3; measured against the response's own Date header. Was ignored (None).
    headers = {
        "Retry-After": "Sun, 29 Nov 2026 10:00:30 GMT",
        "Date": "Sun, 29 Nov 2026 10:00:00 GMT",
    }
    body = {"status": "error", "message": "Rate limit exceeded"}
    error = submitted(answer(429, body, headers))
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 30.0


def test_spam_filter_wait_is_the_retry_delay() -> None:
    # Reference 2.4's spam-filter body (same platform): was rate limited with no delay.
    body = {
        "status": "error",
        "messege": "Rate limit exceeded",
        "tips": "you are sending same request multiple times, spam filter is enabled, please "
        "wait for 30 seconds and try again",
    }
    error = submitted(answer(200, body))
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 30.0


def test_please_wait_alone_is_transient_not_a_hard_failure() -> None:
    body = {"status": "error", "message": "please wait for 30 seconds and try again"}
    error = submitted(answer(200, body))
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 30.0


def test_premium_403_is_a_plan_limit() -> None:
    body = {"status": "error", "message": "This feature requires a premium subscription"}
    error = submitted(answer(403, body))
    assert isinstance(error, InsufficientCreditsError)


def test_unknown_task_on_fetch_is_a_lost_task() -> None:
    # Reference 3.1: fetch lists 404 for an unknown id. Was a ProviderError (kept polling).
    handle = TaskHandle("modelslab", "134712448")
    body = {"status": "error", "message": "Request not found"}
    error = error_of(ADAPTER.parse_poll(handle, answer(404, body)))
    assert isinstance(error, TaskFailedError)
    assert error.task_id == "134712448"
