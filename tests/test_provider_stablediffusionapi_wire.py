"""Golden tests of the StableDiffusionAPI v3 wire requests: exact bodies, paths and methods."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit.checking import CheckedRequest, check_request
from inpaintkit.errors import UnsupportedFieldError, ValidationError
from inpaintkit.job import (
    InpaintJob,
    Lora,
    MaskOptions,
    OutputFormat,
    S3Storage,
    SafetyCheck,
    SafetyMode,
    Sampler,
    Webhook,
)
from inpaintkit.prepare import fit_to_limits
from inpaintkit.provider import HttpRequest, PreparedImage, PreparedRequest, TaskHandle
from inpaintkit.providers.stablediffusionapi import (
    CAPABILITIES,
    SPEC,
    StableDiffusionApiAdapter,
    StableDiffusionApiOptions,
)
from inpaintkit.wiremap import wire_paths
from seed_examples import sdapi_seed_body

# The seed's image URLs (seed 002); in these tests they stand for URLs returned by an image host.
SEED_IMAGE_URL = (
    "https://raw.githubusercontent.com/CompVis/stable-diffusion/main/data/inpainting_examples/"
    "overture-creations-5sI6fQgYIuo.png"
)
SEED_MASK_URL = (
    "https://raw.githubusercontent.com/CompVis/stable-diffusion/main/data/inpainting_examples/"
    "overture-creations-5sI6fQgYIuo_mask.png"
)

# Seed 002's request example, as transcribed in seed_examples, without "key" (the runtime adds
# it) and the docs' trailing comma (an artefact of the page: the body is JSON).
SEED_EXAMPLE_BODY = {k: v for k, v in sdapi_seed_body().items() if k != "key"}

ADAPTER = StableDiffusionApiAdapter()

TABLE_ORDER = list(dict.fromkeys([p for row in CAPABILITIES for p in wire_paths(row)] + ["base64"]))
"""The body's key order, derived from the table (rows, then the options)."""


def prepared(
    job: InpaintJob,
    *,
    size: tuple[int, int] = (512, 512),
    image_url: str | None = SEED_IMAGE_URL,
    mask_url: str | None = SEED_MASK_URL,
) -> CheckedRequest:
    """The request as the core hands it to the adapter: checked against the table."""
    w, h = size
    image = png_bytes(gradient_image(w, h))
    mask = png_bytes(rect_mask(w, h, (w // 4, h // 4, w // 2, h // 2)))
    request = PreparedRequest(
        job=job,
        image=PreparedImage(image, "png", w, h, url=image_url),
        mask=PreparedImage(mask, "png", w, h, url=mask_url),
    )
    return check_request(request, SPEC)


def make_job(**fields: Any) -> InpaintJob:
    w, h = fields.pop("size", (512, 512))
    return InpaintJob(
        image=png_bytes(gradient_image(w, h)),
        mask=png_bytes(rect_mask(w, h, (0, 0, w // 2, h // 2))),
        prompt=fields.pop("prompt", "a cat sitting on a bench"),
        **fields,
    )


def seed_example_job() -> InpaintJob:
    return make_job(
        num_images=1,
        steps=30,
        safety=SafetyCheck(enabled=False),
        enhance_prompt=True,
        guidance_scale=7.5,
        strength=0.7,
        # The seed sends base64 "no" (the provider's default) explicitly.
        extras={"stablediffusionapi": StableDiffusionApiOptions(base64=False)},
    )


def accepted_by_table(job: InpaintJob) -> list[str]:
    """The table's verdict on a job's native values (what the planner checks), as problems."""
    problems = []
    for path in job.used_fields():
        row = CAPABILITIES.get(path)
        assert row is not None, path
        value = getattr(job, path)
        if row.minimum is not None and value < row.minimum:
            problems.append(path)
        if row.maximum is not None and value > row.maximum and not row.split_above_maximum:
            problems.append(path)
    return problems


# --- the seed example ------------------------------------------------------------------------


def test_seed_example_reproduced_field_by_field() -> None:
    request = ADAPTER.build_submit(prepared(seed_example_job()))
    assert request.method == "POST"
    assert request.path == "/api/v3/inpaint"
    assert dict(request.query) == {}
    assert request.json == SEED_EXAMPLE_BODY
    # The same JSON types as the documentation, keys in the table's order.
    assert list(request.json) == [name for name in TABLE_ORDER if name in request.json]
    for name, value in SEED_EXAMPLE_BODY.items():
        assert type(request.json[name]) is type(value), name


def test_seed_example_is_accepted_by_the_capability_table() -> None:
    assert accepted_by_table(seed_example_job()) == []


def test_key_is_never_in_the_body() -> None:
    body = ADAPTER.build_submit(prepared(seed_example_job())).json
    assert "key" not in body


def test_url_against_base() -> None:
    request = ADAPTER.build_submit(prepared(seed_example_job()))
    assert request.url(ADAPTER.spec.base_url) == "https://stablediffusionapi.com/api/v3/inpaint"


# --- other golden bodies ----------------------------------------------------------------------


def test_minimal_job_sends_nulls_neutral_defaults_and_omits_the_rest() -> None:
    body = ADAPTER.build_submit(prepared(make_job(prompt="a red door"))).json
    assert body == {
        "prompt": "a red door",
        "negative_prompt": None,
        "init_image": SEED_IMAGE_URL,
        "mask_image": SEED_MASK_URL,
        "width": "512",
        "height": "512",
        "samples": "1",
        # unset means the same on every provider: no check, no rewrite, strength 0.7
        "safety_checker": "no",
        "enhance_prompt": "no",
        "strength": 0.7,
        "seed": None,
        "webhook": None,
        "track_id": None,
    }


def test_every_native_field_set() -> None:
    job = make_job(
        prompt="a lighthouse at dusk",
        negative_prompt="blurry, low quality",
        num_images=4,
        steps=51,
        guidance_scale=20,
        strength=1.0,
        seed=4294967295,
        width=768,
        height=1024,
        safety=SafetyCheck(enabled=True, mode=SafetyMode.BLANK),
        enhance_prompt=False,
        webhook=Webhook(url="https://hooks.example/sd", track_id="job-42"),
        extras={"stablediffusionapi": {"base64": True}},
    )
    body = ADAPTER.build_submit(prepared(job)).json
    assert body == {
        "prompt": "a lighthouse at dusk",
        "negative_prompt": "blurry, low quality",
        "init_image": SEED_IMAGE_URL,
        "mask_image": SEED_MASK_URL,
        "width": "768",
        "height": "1024",
        "samples": "4",
        "num_inference_steps": "51",
        "safety_checker": "yes",
        "enhance_prompt": "no",
        "guidance_scale": 20.0,
        "strength": 1.0,
        "base64": "yes",
        "seed": 4294967295,
        "webhook": "https://hooks.example/sd",
        "track_id": "job-42",
    }
    assert list(body) == TABLE_ORDER
    assert isinstance(body["guidance_scale"], float)


def test_the_report_safety_mode_is_unsupported_on_the_platform() -> None:
    # safety_checker blanks flagged images: asking for a report must not silently blank them.
    with pytest.raises(UnsupportedFieldError) as info:
        prepared(make_job(safety=SafetyCheck(enabled=True, mode=SafetyMode.REPORT)))
    assert info.value.paths == ("$.safety.mode",)
    assert "'blank'" in str(info.value)


def test_webhook_without_track_id_sends_null_track_id() -> None:
    job = make_job(webhook=Webhook(url="https://hooks.example/x"))
    body = ADAPTER.build_submit(prepared(job)).json
    assert body["webhook"] == "https://hooks.example/x"
    assert body["track_id"] is None


def test_seed_zero_is_sent_not_nulled() -> None:
    body = ADAPTER.build_submit(prepared(make_job(seed=0))).json
    assert body["seed"] == 0


def test_num_images_share_of_a_split_is_what_is_sent() -> None:
    # The runtime splits 6 over two requests (4 + 2) and hands each share to the adapter.
    body = ADAPTER.build_submit(prepared(make_job(num_images=2))).json
    assert body["samples"] == "2"


def test_emulated_fields_not_applied_never_reach_the_adapter() -> None:
    # Emulations are the client's to apply first; the core refuses a job that still has them.
    job = make_job(
        mask_options=MaskOptions(blur=4, invert=True, masked_only=True, padding=16),
        output_format=OutputFormat.WEBP,
    )
    with pytest.raises(UnsupportedFieldError) as info:
        prepared(job)
    assert set(info.value.paths) == {
        "$.output_format",
        "$.mask_options.blur",
        "$.mask_options.invert",
        "$.mask_options.masked_only",
        "$.mask_options.padding",
    }


# --- width and height -------------------------------------------------------------------------


def test_unset_size_is_the_image_size() -> None:
    body = ADAPTER.build_submit(prepared(make_job(size=(640, 384)), size=(640, 384))).json
    assert (body["width"], body["height"]) == ("640", "384")


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((2048, 1536), (1024, 768)),
        ((1536, 2048), (768, 1024)),
        ((3000, 1000), (1024, 341)),
        ((1024, 1024), None),
        ((1025, 10), (1024, 10)),
    ],
)
def test_unset_size_of_a_large_image_fits_the_maximum(
    size: tuple[int, int], expected: tuple[int, int] | None
) -> None:
    """The size the core fits an unset size to (the rows' fit_when_unset), aspect kept."""
    assert fit_to_limits(size, SPEC) == expected


def test_unknown_image_size_omits_width_and_height() -> None:
    job = InpaintJob(image=SEED_IMAGE_URL, mask=SEED_MASK_URL, prompt="x")
    request = PreparedRequest(
        job=job,
        image=PreparedImage(None, None, None, None, url=SEED_IMAGE_URL),
        mask=PreparedImage(None, None, None, None, url=SEED_MASK_URL),
    )
    body = ADAPTER.build_submit(check_request(request, SPEC)).json
    assert "width" not in body
    assert "height" not in body
    assert body["init_image"] == SEED_IMAGE_URL


def test_explicit_size_wins_over_the_image_size() -> None:
    body = ADAPTER.build_submit(prepared(make_job(width=256, height=320))).json
    assert (body["width"], body["height"]) == ("256", "320")


# --- refusals ---------------------------------------------------------------------------------


def test_unplanned_unsupported_fields_are_refused_with_their_paths() -> None:
    job = make_job(
        model="some-model",
        sampler=Sampler.EULER_A,
        loras=[Lora(name="x", strength=0.5)],
        storage=S3Storage(region="eu-west-1", bucket="b", path="p"),
        safety=SafetyCheck(enabled=True, mode=SafetyMode.BLANK, level=2),
    )
    with pytest.raises(UnsupportedFieldError) as info:
        ADAPTER.build_submit(prepared(job))
    assert {
        "$.model",
        "$.sampler",
        "$.loras",
        "$.storage",
        "$.safety.level",
    } <= set(info.value.paths)
    assert "some-model" in str(info.value)


def test_missing_image_url_is_a_clear_error() -> None:
    with pytest.raises(ValidationError) as info:
        ADAPTER.build_submit(prepared(make_job(), image_url=None))
    assert info.value.paths == ("$.image",)
    assert "image host" in str(info.value)


@pytest.mark.parametrize(
    ("extras", "path"),
    [
        ({"base64": "yes"}, "$.extras.stablediffusionapi.base64"),
        ({"model_id": "x"}, "$.extras.stablediffusionapi.model_id"),
    ],
)
def test_bad_extras_name_their_path(extras: dict[str, Any], path: str) -> None:
    job = make_job(extras={"stablediffusionapi": extras})
    with pytest.raises(ValidationError) as info:
        ADAPTER.build_submit(prepared(job))
    assert info.value.paths == (path,)


def test_other_providers_extras_are_ignored() -> None:
    job = make_job(extras={"novita": {"enterprise_plan": {"enabled": True}}})
    assert (
        ADAPTER.build_submit(prepared(job)).json == ADAPTER.build_submit(prepared(make_job())).json
    )


# --- polling ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task_id", "path"),
    [("12384052", "/api/v3/fetch/12384052"), ("abc/def 1", "/api/v3/fetch/abc%2Fdef%201")],
)
def test_poll_request_is_built_from_the_id(task_id: str, path: str) -> None:
    request = ADAPTER.build_poll(TaskHandle("stablediffusionapi", task_id))
    assert request == HttpRequest("POST", path, json={})


# --- property: every value the table accepts round-trips through the wire format ---------------


def _bounds(field: str) -> tuple[float, float]:
    row = CAPABILITIES.get(field)
    assert row is not None
    assert row.maximum is not None
    return (row.minimum if row.minimum is not None else 1), row.maximum


_JOB = make_job()


@settings(max_examples=50, deadline=None)
@given(
    steps=st.integers(*map(int, _bounds("steps"))),
    samples=st.integers(*map(int, _bounds("num_images"))),
    width=st.integers(*map(int, _bounds("width"))),
    height=st.integers(*map(int, _bounds("height"))),
    guidance=st.floats(*_bounds("guidance_scale")),
    strength=st.floats(*_bounds("strength")),
    seed=st.none() | st.integers(0, 2**32 - 1),
    enhance=st.none() | st.booleans(),
)
def test_values_in_the_table_round_trip_through_the_wire(
    steps: int,
    samples: int,
    width: int,
    height: int,
    guidance: float,
    strength: float,
    seed: int | None,
    enhance: bool | None,
) -> None:
    job = _JOB.with_changes(
        steps=steps,
        num_images=samples,
        width=width,
        height=height,
        guidance_scale=guidance,
        strength=strength,
        seed=seed,
        enhance_prompt=enhance,
    )
    body = json.loads(json.dumps(ADAPTER.build_submit(prepared(job)).json))
    assert int(body["num_inference_steps"]) == steps
    assert int(body["samples"]) == samples
    assert (int(body["width"]), int(body["height"])) == (width, height)
    assert body["guidance_scale"] == guidance
    assert body["strength"] == strength
    assert body["seed"] == seed
    assert body["enhance_prompt"] == ("yes" if enhance else "no")
    for name in ("width", "height", "samples", "num_inference_steps"):
        assert isinstance(body[name], str)
    assert list(body) == [name for name in TABLE_ORDER if name in body]
