"""The one Limits type: schema rules and capability rows read and fail the same way."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from inpaintkit.errors import ValidationError
from inpaintkit.job import InpaintJob, OutputFormat
from inpaintkit.limits import ImageLimits, Limits
from inpaintkit.planning import seeds_for_batches
from inpaintkit.provider import Capability, Support
from inpaintkit.schema import Rule


def test_range_choice_multiple_length_and_items_each_name_their_rule() -> None:
    limits = Limits(minimum=1, maximum=50, multiple_of=2)
    assert limits.violations(10, "$.steps") == []
    (low,) = limits.violations(0, "$.steps", suffix=" for toy")
    assert (low.path, low.rule, low.value) == ("$.steps", "must be in [1, 50] for toy", 0)
    (odd,) = limits.violations(7, "$.steps")
    assert odd.rule == "must be a multiple of 2"
    (choice,) = Limits(choices=(OutputFormat.PNG,)).violations(OutputFormat.JPEG, "$.f")
    assert (choice.rule, choice.value) == ("must be one of 'png'", "jpeg")
    (length,) = Limits(min_length=1, max_length=3).violations("abcd", "$.p")
    assert length.rule == "must have a length in [1, 3] (length 4)"
    (items,) = Limits(max_items=1).violations((1, 2), "$.loras")
    assert items.rule == "must have at most 1 items"


def test_non_finite_numbers_break_any_range() -> None:
    (error,) = Limits(minimum=0).violations(math.nan, "$.x")
    assert error.rule == "must be a finite number"


def test_split_counts_may_pass_the_maximum_only_when_asked() -> None:
    limits = Limits(minimum=1, maximum=4)
    assert limits.violations(9, "$.n", ignore_maximum=True) == []
    assert limits.violations(9, "$.n") != []
    assert limits.violations(0, "$.n", ignore_maximum=True) != []


def test_schema_rules_and_capability_rows_share_the_type() -> None:
    rule = Rule("int", minimum=1, maximum=10)
    row = Capability("steps", Support.NATIVE, minimum=1, maximum=10)
    assert rule.limits == row.limits == Limits(minimum=1, maximum=10)
    with pytest.raises(ValidationError) as info:
        InpaintJob(image=b"x", mask=b"x", prompt="p", steps=0)
    assert "$.steps: must be >= 1" in str(info.value)


def test_image_limits_check_sides_pixels_aspect_multiples_and_formats() -> None:
    limits = ImageLimits(
        min_side=64, max_side=1024, max_pixels=512 * 512, max_aspect=2.0, side_multiple=8
    )
    assert limits.size_violations(512, 512, "$.image") == []
    rules = [e.rule for e in limits.size_violations(1000, 100, "$.image")]
    assert any("multiple of 8" in r for r in rules)
    assert any("aspect ratio" in r for r in rules)
    (small,) = limits.size_violations(32, 64, "$.image")
    assert small.path == "$.image.width"
    assert "[64, 1024]" in small.rule
    (pixels,) = limits.size_violations(1024, 1024, "$.image")
    assert pixels.rule.startswith("must have a pixel count in")
    assert pixels.value == "1024x1024"
    (fmt,) = limits.format_violations("GIF", "$.image.format", suffix=" for toy")
    assert fmt.rule == "must be one of the formats png, jpeg, webp for toy"
    assert fmt.value == "gif"
    with pytest.raises(ValueError, match="max_side must be > 0"):
        ImageLimits(max_side=0)


def test_split_seeds_stay_inside_the_providers_own_range() -> None:
    """seed=4294967294, num_images=2 over a provider whose maximum is 4294967294: the second
    request's seed used to be 4294967295, which that provider rejects."""
    provider = Limits(minimum=0, maximum=4294967294)
    assert seeds_for_batches(4294967294, (1, 1), provider) == [4294967294, 0]
    assert seeds_for_batches(4294967294, (1, 1)) == [4294967294, 4294967295]
    assert seeds_for_batches(None, (4, 4), provider) == [None, None]


@given(
    low=st.integers(-10, 10),
    span=st.integers(0, 100),
    seed=st.integers(-1000, 1000),
    counts=st.lists(st.integers(1, 8), min_size=1, max_size=6),
)
def test_every_split_seed_is_in_range(low: int, span: int, seed: int, counts: list[int]) -> None:
    limits = Limits(minimum=low, maximum=low + span)
    for value in seeds_for_batches(seed, tuple(counts), limits):
        assert value is not None
        assert low <= value <= low + span
