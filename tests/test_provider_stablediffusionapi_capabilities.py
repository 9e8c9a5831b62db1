"""Meta-tests of the StableDiffusionAPI v3 capability table and provider spec."""

from __future__ import annotations

import attrs
import pytest
from inpaintkit.job import ImageInput, InpaintJob
from inpaintkit.provider import (
    EMULATABLE_FIELDS,
    BodyKeyAuth,
    ImageTransport,
    PollingAdapter,
    ProviderAdapter,
    Support,
    WebhookAdapter,
    adapter_mode,
)
from inpaintkit.providers.stablediffusionapi import (
    CAPABILITIES,
    SPEC,
    StableDiffusionApiAdapter,
)
from inpaintkit.schema import rule_of
from inpaintkit.wiremap import path_text


def neutral_paths() -> set[str]:
    """Every neutral field and nested path of InpaintJob, from the schema's own rules.

    Images are values rather than settings (their inner data/path/url are not fields a provider
    supports or not), and ``mask_options`` is only a container: a job never "uses" it, only its
    fields (``InpaintJob.used_fields``), so it has no row of its own.  ``extras`` holds provider
    options, which are the options class's (the core checks and sends them), not a row's.
    """
    paths: set[str] = set()
    for a in attrs.fields(InpaintJob):
        rule = rule_of(a)
        if a.name not in ("mask_options", "extras"):
            paths.add(a.name)
        if rule is None or rule.item is None or rule.item is ImageInput:
            continue
        prefix = f"{a.name}[]" if rule.kind == "tuple" else a.name
        paths.update(f"{prefix}.{sub.name}" for sub in attrs.fields(rule.item))
    return paths


def test_the_path_walk_sees_nested_fields() -> None:
    assert {"mask_options.blur", "loras[].strength", "safety.level", "webhook.track_id"} <= (
        neutral_paths()
    )


def test_every_neutral_path_has_exactly_one_row() -> None:
    rows = [row.field for row in CAPABILITIES]
    assert len(rows) == len(set(rows))
    assert set(rows) == neutral_paths()


def test_every_row_cites_a_source() -> None:
    for row in CAPABILITIES:
        assert row.source.startswith(("seed 002", "reference")), row.field


def test_native_rows_name_their_wire_field_and_others_do_not() -> None:
    assert CAPABILITIES.unmapped_native_rows() == ()
    for row in CAPABILITIES:
        if row.support is not Support.NATIVE:
            assert row.wire is None, row.field


def test_emulated_rows_are_emulatable() -> None:
    emulated = {row.field for row in CAPABILITIES if row.support is Support.EMULATED}
    assert emulated == {
        "mask_options.blur",
        "mask_options.invert",
        "mask_options.masked_only",
        "mask_options.padding",
        "output_format",
    }
    assert emulated <= EMULATABLE_FIELDS


def test_containers_leave_the_wire_to_their_fields() -> None:
    # safety and webhook are objects; safety.enabled and webhook.url/track_id carry the wire.
    for container in ("safety", "webhook"):
        row = CAPABILITIES.get(container)
        assert row is not None
        assert row.support is Support.NATIVE
        assert row.wire is None


@pytest.mark.parametrize(
    "field",
    [
        "model",
        "sampler",
        "clip_skip",
        "loras",
        "embeddings",
        "vae",
        "initial_noise_multiplier",
        "storage",
        "safety.level",
    ],
)
def test_unsupported_fields(field: str) -> None:
    assert CAPABILITIES.support(field) is Support.UNSUPPORTED


# Literal numbers copied from seed 002's attribute table.
@pytest.mark.parametrize(
    ("field", "wire", "minimum", "maximum"),
    [
        ("num_images", "samples", 1, 4),  # "The maximum value is 4."
        ("guidance_scale", "guidance_scale", 1, 20),  # "(minimum: 1; maximum: 20)"
        ("width", "width", None, 1024),  # "Max Height: Width: 1024x1024"
        ("height", "height", None, 1024),
        ("strength", "strength", 0, 1),  # "1.0 corresponds to full destruction"
    ],
)
def test_seed_ranges(field: str, wire: str, minimum: float | None, maximum: float) -> None:
    row = CAPABILITIES.get(field)
    assert row is not None
    assert (path_text(row.wire), row.minimum, row.maximum) == (wire, minimum, maximum)


def test_num_images_above_four_is_split() -> None:
    row = CAPABILITIES.get("num_images")
    assert row is not None
    assert row.split_above_maximum


def test_steps_holds_the_listed_values_and_the_seed_example() -> None:
    row = CAPABILITIES.get("steps")
    assert row is not None
    assert row.minimum is not None
    assert row.maximum is not None
    assert path_text(row.wire) == "num_inference_steps"
    # "Available values: 21, 31, 41, 51" and the example's "30" are all accepted.
    for steps in (21, 31, 41, 51, 30):
        assert row.minimum <= steps <= row.maximum
    assert (row.minimum, row.maximum) == (1, 51)
    assert "21, 31, 41, 51" in row.note
    assert "1..50" in row.note


def test_disagreements_are_noted() -> None:
    for field, words in [
        ("width", "1024x768"),
        ("strength", "prompt_strength"),
        ("width", "divisible by 8"),
    ]:
        row = CAPABILITIES.get(field)
        assert row is not None
        assert words in row.note, field


def test_spec() -> None:
    assert SPEC.id == "stablediffusionapi"
    assert SPEC.base_url == "https://stablediffusionapi.com"
    assert SPEC.auth == BodyKeyAuth("key")
    assert SPEC.env_var == "STABLEDIFFUSIONAPI_API_KEY"
    assert adapter_mode(StableDiffusionApiAdapter()) == "polling"
    assert SPEC.image_transport is ImageTransport.URL
    assert SPEC.capabilities is CAPABILITIES


def test_poll_policy_honours_eta_and_polls_modestly() -> None:
    policy = SPEC.polling
    assert policy.poll_delay(0, eta=35.941116006399994) == pytest.approx(35.941116006399994)
    # After the first poll a tiny eta no longer shortens the backoff schedule (no busy loop).
    assert policy.poll_delay(3, eta=0.25) == policy.poll_delay(3)
    assert policy.poll_delay(0, eta=0.25) == 0.25
    delays = [policy.poll_delay(n) for n in range(10)]
    assert all(1.0 <= d <= 15.0 for d in delays)
    assert delays == sorted(delays)


def test_adapter_satisfies_the_protocols() -> None:
    adapter = StableDiffusionApiAdapter()
    assert isinstance(adapter, ProviderAdapter)
    assert isinstance(adapter, PollingAdapter)
    assert isinstance(adapter, WebhookAdapter)
    assert adapter.spec is SPEC
