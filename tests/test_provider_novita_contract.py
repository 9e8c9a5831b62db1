"""Novita under provider contract v2: the table alone builds the body, nothing unchecked is sent.

* Every plain row (a :class:`~inpaintkit.wiremap.Wire` on a native field) produces its wire
  field from the table alone: :func:`~inpaintkit.wiremap.build_fields` on a job that sets the
  field holds, at the row's path, exactly the JSON value seed 001 documents (``1`` for a flag,
  not ``true``), and the row's own encoder gives the same.  The adapter adds only the images.
* The probes of issue 9 fail before any request: through :class:`~inpaintkit.client.InpaintClient`
  over a :class:`~inpaintkit.transport.MemoryTransport` that records what it is asked to send,
  a job with ``steps=500``, an unknown option or the webhook test mode without a webhook ends
  in a :class:`ValidationError` naming the field, the value and the rule, and zero requests.
"""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit.checking import check_built, check_request
from inpaintkit.client import InpaintClient
from inpaintkit.errors import ValidationError
from inpaintkit.job import (
    Embedding,
    InpaintJob,
    Lora,
    MaskOptions,
    OutputFormat,
    S3Storage,
    SafetyCheck,
    Sampler,
    Webhook,
)
from inpaintkit.planning import get_path
from inpaintkit.plugins import ProviderRegistry, make_plugin_manager
from inpaintkit.provider import (
    Capability,
    HttpResponse,
    PreparedImage,
    PreparedRequest,
    Support,
)
from inpaintkit.providers.novita import CAPABILITIES, REASONS, SPEC, NovitaAdapter
from inpaintkit.providers.novita.errors import error_from_body
from inpaintkit.transport import MemoryTransport, OutgoingRequest
from inpaintkit.wiremap import Custom, Wire, build_fields

W, H = 64, 48
IMAGE = png_bytes(gradient_image(W, H))
MASK = png_bytes(rect_mask(W, H, (8, 8, 40, 32)))
ADAPTER = NovitaAdapter()


def job(**fields: Any) -> InpaintJob:
    base: dict[str, Any] = {"image": IMAGE, "mask": MASK, "prompt": "a red door", "model": "m.ckpt"}
    base.update(fields)
    return InpaintJob(**base)


def prepared(j: InpaintJob) -> PreparedRequest:
    return PreparedRequest(
        job=j, image=PreparedImage(IMAGE, "png", W, H), mask=PreparedImage(MASK, "png", W, H)
    )


def at_path(body: Any, path: str) -> Any:
    """The value at a wire path; ``list[].x`` reads every item's ``x``."""
    if "[]." in path:
        list_path, item = path.split("[].", 1)
        return [at_path(element, item) for element in at_path(body, list_path)]
    for part in path.split("."):
        body = body[part]
    return body


# --- every plain row, from the table alone -----------------------------------------------------

LORAS = (Lora("add_detail", 0.7), Lora("film", 0.0))
STORAGE = S3Storage(region="us-east-1", bucket="b", path="out/", save_to_path_directly=True)

PLAIN_ROWS: dict[str, tuple[dict[str, Any], Any]] = {
    # neutral field: (job fields that set it, the JSON value seed 001 documents at its path)
    "prompt": ({"prompt": "a red door"}, "a red door"),
    "negative_prompt": ({"negative_prompt": "blurry"}, "blurry"),
    "model": ({"model": "m.ckpt"}, "m.ckpt"),
    "num_images": ({"num_images": 3}, 3),
    "steps": ({"steps": 30}, 30),
    "guidance_scale": ({"guidance_scale": 12.5}, 12.5),
    "strength": ({"strength": 0.6}, 0.6),
    "seed": ({"seed": 42}, 42),
    "sampler": ({"sampler": Sampler.DPMPP_2M_KARRAS}, "DPM++ 2M Karras"),
    "clip_skip": ({"clip_skip": 2}, 2),
    "initial_noise_multiplier": ({"initial_noise_multiplier": 1.5}, 1.5),
    "mask_options.blur": ({"mask_options": MaskOptions(blur=8)}, 8),
    "mask_options.invert": ({"mask_options": MaskOptions(invert=True)}, 1),
    "mask_options.masked_only": ({"mask_options": MaskOptions(masked_only=True)}, 1),
    "mask_options.padding": ({"mask_options": MaskOptions(masked_only=True, padding=32)}, 32),
    "loras": (
        {"loras": LORAS},
        [{"model_name": "add_detail", "strength": 0.7}, {"model_name": "film", "strength": 0.0}],
    ),
    "loras[].name": ({"loras": LORAS}, ["add_detail", "film"]),
    "loras[].strength": ({"loras": LORAS}, [0.7, 0.0]),
    "embeddings": ({"embeddings": (Embedding("EasyNegative"),)}, [{"model_name": "EasyNegative"}]),
    "embeddings[].name": ({"embeddings": (Embedding("EasyNegative"),)}, ["EasyNegative"]),
    "vae": ({"vae": "customVAE.safetensors"}, "customVAE.safetensors"),
    "output_format": ({"output_format": OutputFormat.WEBP}, "webp"),
    "safety.enabled": ({"safety": SafetyCheck(enabled=True)}, True),
    "safety.level": ({"safety": SafetyCheck(enabled=True, level=2)}, 2),
    "webhook": ({"webhook": Webhook("https://example.test/h")}, {"url": "https://example.test/h"}),
    "webhook.url": ({"webhook": Webhook("https://example.test/h")}, "https://example.test/h"),
    "storage": (
        {"storage": STORAGE},
        {"region": "us-east-1", "bucket": "b", "path": "out/", "save_to_path_directly": True},
    ),
    "storage.region": ({"storage": STORAGE}, "us-east-1"),
    "storage.bucket": ({"storage": STORAGE}, "b"),
    "storage.path": ({"storage": STORAGE}, "out/"),
    "storage.save_to_path_directly": ({"storage": STORAGE}, True),
}


def plain_rows() -> list[Capability]:
    return [r for r in CAPABILITIES if r.support is Support.NATIVE and isinstance(r.wire, Wire)]


def test_the_examples_cover_every_plain_row_and_the_rest_are_the_images() -> None:
    assert {r.field for r in plain_rows()} == set(PLAIN_ROWS)
    custom = {r.field for r in CAPABILITIES if isinstance(r.wire, Custom)}
    assert custom == {"image", "mask"}


@pytest.mark.parametrize("field", sorted(PLAIN_ROWS))
def test_every_plain_row_produces_its_wire_field_from_the_table_alone(field: str) -> None:
    row = CAPABILITIES.get(field)
    assert row is not None
    assert isinstance(row.wire, Wire)
    changes, expected = PLAIN_ROWS[field]
    j = job(**changes)
    got = at_path(build_fields(j, CAPABILITIES), row.wire.path)
    # JSON text, so 1 and true (a flag), or 1 and 1.0, are told apart
    assert json.dumps(got) == json.dumps(expected)
    value = get_path(j, field)
    is_container = attrs.has(type(value)) or (isinstance(value, tuple) and "[]" not in field)
    if "[]" not in field and not is_container:  # containers are written by their leaf rows
        assert json.dumps(row.wire.encode(value)) == json.dumps(expected)


def test_required_fields_left_unset_get_the_row_defaults_from_the_table() -> None:
    fields = build_fields(job(), CAPABILITIES)
    assert json.dumps(fields, sort_keys=True) == json.dumps(
        {
            "request": {
                "model_name": "m.ckpt",
                "prompt": "a red door",
                "image_num": 1,
                "steps": 20,
                "guidance_scale": 7.5,
                "sampler_name": "Euler a",
                "seed": -1,
                "inpainting_full_res": 0,
                "inpainting_mask_invert": 0,
            }
        },
        sort_keys=True,
    )


def test_an_empty_negative_prompt_is_omitted_by_the_table() -> None:
    assert "negative_prompt" not in build_fields(job(negative_prompt=""), CAPABILITIES)["request"]


def test_the_adapter_adds_only_the_images_to_the_table_built_fields() -> None:
    j = job(
        negative_prompt="blurry",
        loras=LORAS,
        storage=STORAGE,
        safety=SafetyCheck(enabled=True, level=1),
        mask_options=MaskOptions(blur=4, masked_only=True, padding=16),
        extras={"novita": {"inpainting_fill": 1, "enterprise_plan": True}},
    )
    checked = check_request(prepared(j), SPEC)
    built = ADAPTER.build_submit(checked)
    check_built(built, checked, SPEC)
    body = built.json
    images = {body["request"].pop("image_base64"), body["request"].pop("mask_image_base64")}
    assert len(images) == 2
    assert body == checked.fields


def test_padding_without_masked_only_is_neither_built_nor_missed_by_check_built() -> None:
    checked = check_request(prepared(job(mask_options=MaskOptions(padding=400))), SPEC)
    assert "inpainting_full_res_padding" not in checked.fields["request"]
    check_built(ADAPTER.build_submit(checked), checked, SPEC)  # raises on a disagreement


# --- error mapping derives from the table ------------------------------------------------------


def test_every_reason_field_is_a_mapped_row() -> None:
    for reason, rule in REASONS.items():
        if rule.field is not None:
            row = CAPABILITIES.get(rule.field)
            assert row is not None, reason
            assert row.wire is not None, reason


def test_an_error_naming_an_option_maps_back_to_the_option() -> None:
    body = {"code": 400, "reason": "INVALID_REQUEST_BODY", "message": "inpainting_fill: bad"}
    error = error_from_body(400, body)
    assert isinstance(error, ValidationError)
    assert error.paths == ("$.request.inpainting_fill",)
    assert "neutral field $.extras.novita.inpainting_fill" in str(error)


# --- the probes: nothing is sent -----------------------------------------------------------------


def recording_client() -> tuple[InpaintClient, MemoryTransport]:
    def answer(_request: OutgoingRequest) -> HttpResponse:
        return HttpResponse(200, b'{"task_id": "t-1"}', {"content-type": "application/json"})

    transport = MemoryTransport(answer)
    registry = ProviderRegistry.from_plugin_manager(make_plugin_manager(entry_points=False))
    client = InpaintClient(api_keys={"novita": "sk-test"}, registry=registry, transport=transport)
    return client, transport


async def test_a_valid_job_is_sent_once_through_the_same_client() -> None:
    client, transport = recording_client()
    handle = await client.submit(job(steps=30), "novita")
    assert len(handle.tasks) == 1
    assert len(transport.requests) == 1
    sent = transport.requests[0]
    assert sent.content is not None
    assert json.loads(sent.content)["request"]["steps"] == 30


@pytest.mark.parametrize(
    ("changes", "path", "words"),
    [
        ({"steps": 500}, "$.steps", ["must be in [1, 100] for novita", "500"]),
        (
            {"extras": {"novita": {"steps": 500}}},
            "$.extras.novita.steps",
            ["is not a field of NovitaOptions"],
        ),
        (
            {"extras": {"novita": {"inpainting_fill": 7}}},
            "$.extras.novita.inpainting_fill",
            ["[0, 3]", "7"],
        ),
        (
            {"extras": {"novita": {"webhook_test_mode": "TASK_STATUS_FAILED"}}},
            "$.extras.novita.webhook_test_mode",
            ["needs $.webhook", "TASK_STATUS_FAILED"],
        ),
    ],
)
async def test_probes_fail_before_any_request_naming_field_value_and_rule(
    changes: dict[str, Any], path: str, words: list[str]
) -> None:
    client, transport = recording_client()
    with pytest.raises(ValidationError) as info:
        await client.submit(job(**changes), "novita")
    assert transport.requests == []
    assert info.value.paths == (path,)
    for word in words:
        assert word in str(info.value)
