"""Tests for inpaintkit.images on generated images: good ones, broken ones and hostile ones."""

from __future__ import annotations

import base64
import io
import tracemalloc
import warnings
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from imagegen import (
    bomb_png,
    gradient_image,
    jpeg_bytes,
    png_bytes,
    rect_mask,
    truncated_png,
    webp_bytes,
)
from inpaintkit.errors import ValidationError
from inpaintkit.images import (
    DEFAULT_LIMITS,
    CropPlan,
    ImageLimits,
    LoadedImage,
    Resolution,
    blur_mask,
    convert_format,
    crop_to_mask,
    encode_image,
    from_base64,
    invert_mask,
    load_image,
    load_pair,
    mask_bbox,
    normalize_mask,
    paste_back,
    sniff_format,
    to_base64,
    to_data_url,
)
from PIL import Image, ImageOps

# --- helpers ---------------------------------------------------------------------------------


def same_pixels(a: Image.Image, b: Image.Image) -> bool:
    """True when two images have the same mode, size and every pixel byte-identical."""
    return a.mode == b.mode and a.size == b.size and a.tobytes() == b.tobytes()


def blank_box(img: Image.Image, box: tuple[int, int, int, int]) -> Image.Image:
    """A copy of ``img`` with ``box`` filled with zeros, to compare only what lies outside it."""
    out = img.copy()
    out.paste(Image.new(img.mode, (box[2] - box[0], box[3] - box[1])), box[:2])
    return out


def outside_unchanged(
    original: Image.Image, result: Image.Image, box: tuple[int, int, int, int]
) -> bool:
    return same_pixels(blank_box(original, box), blank_box(result, box))


def only_rule(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    assert len(exc.value.errors) == 1, exc.value.errors
    return exc.value.errors[0].rule


def pillow_allocations() -> tuple[int, int]:
    """How many images Pillow's C core has created, and how many memory blocks it handed out."""
    stats = Image.core.get_stats()  # type: ignore[attr-defined]
    return stats["new_count"], stats["allocated_blocks"] + stats["reused_blocks"]


# --- load_image: good input --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encode", "fmt"), [(png_bytes, "png"), (jpeg_bytes, "jpeg"), (webp_bytes, "webp")]
)
def test_load_image_describes_a_valid_file(
    encode: Callable[[Image.Image], bytes], fmt: str
) -> None:
    data = encode(gradient_image(40, 30))
    loaded = load_image(data)
    assert loaded.format == fmt
    assert loaded.size == (40, 30)
    assert (loaded.width, loaded.height) == (40, 30)
    assert loaded.mode == "RGB"
    assert loaded.data == data


def test_load_image_keeps_mode_and_accepts_bytearray() -> None:
    data = png_bytes(gradient_image(8, 8, "RGBA"))
    loaded = load_image(bytearray(data))
    assert loaded.mode == "RGBA"
    assert isinstance(loaded.data, bytes)
    assert loaded.data == data


def test_load_image_accepts_a_memoryview() -> None:
    data = png_bytes(gradient_image(5, 3))
    assert load_image(memoryview(data)).data == data


def test_resolution_prints_as_width_x_height() -> None:
    assert repr(Resolution(640, 480)) == str(Resolution(640, 480)) == "640x480"
    assert Resolution(640, 480).pixels == 307_200


def test_loaded_image_repr_does_not_dump_bytes() -> None:
    data = png_bytes(gradient_image(64, 64))
    text = repr(load_image(data))
    assert f"<{len(data)} bytes>" in text
    assert "\\x89PNG" not in text
    assert len(text) < 200


def test_to_pil_returns_a_fresh_decoded_copy_each_time() -> None:
    source = gradient_image(16, 12)
    loaded = load_image(png_bytes(source))
    first = loaded.to_pil()
    assert same_pixels(first, source)
    first.paste((0, 0, 0), (0, 0, 16, 12))
    second = loaded.to_pil()
    assert same_pixels(second, source)
    assert second is not first


def test_limits_reject_non_positive_values() -> None:
    with pytest.raises(ValueError, match="max_pixels"):
        ImageLimits(max_pixels=0)
    with pytest.raises(ValueError, match="max_bytes"):
        ImageLimits(max_bytes=-1)
    assert ImageLimits(max_pixels=16_000_000, max_bytes=30 * 1024 * 1024) == DEFAULT_LIMITS


# --- load_image: bad input -----------------------------------------------------------------------


def test_truncated_png_is_rejected_with_the_field_path() -> None:
    data = truncated_png()
    # The header alone is fine, which is why a full decode is needed to notice.
    assert Image.open(io.BytesIO(data)).size == (64, 64)
    with pytest.raises(ValidationError) as exc:
        load_image(data, path="$.init_image")
    assert exc.value.paths == ("$.init_image",)
    assert "complete" in only_rule(exc)
    assert "truncated" in only_rule(exc)


def test_truncated_jpeg_is_rejected() -> None:
    data = jpeg_bytes(gradient_image(64, 64))
    with pytest.raises(ValidationError) as exc:
        load_image(data[: len(data) // 2])
    assert exc.value.paths == ("$.image",)


def test_corrupt_png_checksum_is_rejected() -> None:
    data = bytearray(png_bytes(gradient_image(32, 32)))
    idat = data.index(b"IDAT")
    data[idat + 10] ^= 0xFF  # flips a byte of compressed data: the CRC no longer matches
    with pytest.raises(ValidationError) as exc:
        load_image(bytes(data))
    assert exc.value.paths == ("$.image",)


@pytest.mark.parametrize(
    "data", [b"this is not an image", b"\x89PNG\r\n\x1a\n", b"\x00" * 100, b"GIF89a"]
)
def test_non_image_bytes_are_rejected(data: bytes) -> None:
    with pytest.raises(ValidationError) as exc:
        load_image(data, path="$.mask")
    assert exc.value.paths == ("$.mask",)
    assert "image file" in only_rule(exc)
    assert f"<{len(data)} bytes>" in str(exc.value)


def test_empty_and_non_bytes_input_are_rejected() -> None:
    with pytest.raises(ValidationError) as exc:
        load_image(b"")
    assert "non-empty" in only_rule(exc)
    with pytest.raises(ValidationError) as exc:
        load_image("iVBORw0KGgo=")  # type: ignore[arg-type]
    assert "bytes" in only_rule(exc)


def test_formats_outside_the_allow_list_are_not_decoded() -> None:
    # PPM is a format Pillow decodes happily; no provider takes it, so it is refused.
    buffer = io.BytesIO()
    gradient_image(8, 8).save(buffer, format="PPM")
    with pytest.raises(ValidationError) as exc:
        load_image(buffer.getvalue())
    assert "png, jpeg, webp" in only_rule(exc)


def test_over_size_bytes_are_rejected_before_decoding() -> None:
    data = png_bytes(gradient_image(32, 32))
    limits = ImageLimits(max_bytes=len(data) - 1)
    with pytest.raises(ValidationError) as exc:
        load_image(data, limits=limits)
    assert only_rule(exc) == f"must be at most {len(data) - 1} bytes"
    assert load_image(data, limits=ImageLimits(max_bytes=len(data))).size == (32, 32)


def test_too_many_pixels_is_rejected_at_the_exact_boundary() -> None:
    limits = ImageLimits(max_pixels=100)
    assert load_image(png_bytes(gradient_image(10, 10)), limits=limits).size == (10, 10)
    with pytest.raises(ValidationError) as exc:
        load_image(png_bytes(gradient_image(11, 10)), limits=limits)
    expected = "$.image: must have at most 100 pixels (110 given), got 11x10"
    assert str(exc.value.errors[0]) == expected


def test_decompression_bomb_is_rejected_from_the_header_without_decoding() -> None:
    # 64 megapixels in ~8 KB: over the 16 MP default, under Pillow's own 89 MP warning level,
    # so only inpaintkit's header check stands between this file and a 64 MB allocation.
    data = bomb_png(8000, 8000)
    assert len(data) < 16_000
    images_before, blocks_before = pillow_allocations()
    tracemalloc.start()
    try:
        with pytest.raises(ValidationError) as exc:
            load_image(data)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "at most 16000000 pixels" in only_rule(exc)
    assert exc.value.errors[0].value == Resolution(8000, 8000)
    # No image buffer was created by Pillow's C core, and Python-side memory stayed tiny.
    assert pillow_allocations() == (images_before, blocks_before)
    assert peak < 2 * 1024 * 1024


def test_the_naive_decode_of_the_bomb_does_allocate() -> None:
    """Control for the test above: the same measurement sees a real decode."""
    data = bomb_png(2000, 2000)
    images_before, _blocks = pillow_allocations()
    with Image.open(io.BytesIO(data)) as image:
        image.load()
    assert pillow_allocations()[0] > images_before


def test_pillows_own_bomb_error_becomes_a_validation_error() -> None:
    # 400 MP is over twice Image.MAX_IMAGE_PIXELS: Pillow raises while reading the header.
    with pytest.raises(ValidationError) as exc:
        load_image(bomb_png(20000, 20000))
    assert exc.value.paths == ("$.image",)
    assert "decompression bomb" in only_rule(exc)


def test_pillows_bomb_warning_becomes_a_validation_error_without_leaking_filters() -> None:
    # A caller who raises max_pixels past Pillow's own limit still gets Pillow's guard.
    assert Image.MAX_IMAGE_PIXELS is not None
    side = int(Image.MAX_IMAGE_PIXELS**0.5) + 100
    filters_before = list(warnings.filters)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValidationError) as exc:
            load_image(bomb_png(side, side), limits=ImageLimits(max_pixels=10**10))
    assert "decompression bomb" in only_rule(exc)
    assert not [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]
    assert warnings.filters == filters_before


# --- load_pair -------------------------------------------------------------------------------


def test_load_pair_returns_both_images() -> None:
    image, mask = load_pair(
        png_bytes(gradient_image(48, 32)), png_bytes(rect_mask(48, 32, (4, 4, 20, 20)))
    )
    assert image.size == mask.size == (48, 32)
    assert mask.mode == "L"


def test_mask_of_another_resolution_is_named_with_both_sizes() -> None:
    with pytest.raises(ValidationError) as exc:
        load_pair(png_bytes(gradient_image(512, 512)), png_bytes(rect_mask(500, 512, (0, 0, 9, 9))))
    assert [str(e) for e in exc.value.errors] == [
        "$.mask: must have the image's resolution 512x512, got 500x512"
    ]


def test_load_pair_reports_image_problems_and_the_mismatch_together() -> None:
    with pytest.raises(ValidationError) as exc:
        load_pair(
            truncated_png(64, 64),
            png_bytes(rect_mask(32, 64, (0, 0, 8, 8))),
            image_path="$.image_base64",
            mask_path="$.mask_image_base64",
        )
    assert exc.value.paths == ("$.image_base64", "$.mask_image_base64")
    assert "truncated" in exc.value.errors[0].rule
    assert "resolution 64x64" in exc.value.errors[1].rule


def test_load_pair_reports_errors_of_both_files() -> None:
    limits = ImageLimits(max_pixels=1000)
    with pytest.raises(ValidationError) as exc:
        load_pair(png_bytes(gradient_image(40, 40)), b"not a mask", limits=limits)
    assert exc.value.paths == ("$.image", "$.mask")
    assert "at most 1000 pixels" in exc.value.errors[0].rule
    assert "image file" in exc.value.errors[1].rule
    assert "2 field errors" in str(exc.value)


# --- masks -----------------------------------------------------------------------------------


def values(img: Image.Image) -> set[int]:
    return {v for v, count in enumerate(img.histogram()) if count}


def test_normalize_thresholds_grey_levels() -> None:
    grey = Image.frombytes("L", (5, 1), bytes([0, 127, 128, 200, 255]))
    assert list(normalize_mask(grey).tobytes()) == [0, 0, 255, 255, 255]
    assert list(normalize_mask(grey, threshold=201).tobytes()) == [0, 0, 0, 0, 255]
    with pytest.raises(ValueError, match="threshold"):
        normalize_mask(grey, threshold=0)


def test_normalize_colour_mask_uses_luminance() -> None:
    rgb = Image.new("RGB", (3, 1))
    rgb.putpixel((0, 0), (255, 255, 255))
    rgb.putpixel((1, 0), (0, 0, 255))  # pure blue: luminance 29, keep
    rgb.putpixel((2, 0), (0, 255, 0))  # pure green: luminance 150, repaint
    result = normalize_mask(rgb)
    assert result.mode == "L"
    assert list(result.tobytes()) == [255, 0, 255]


def test_normalize_rgba_mask_treats_transparent_as_keep() -> None:
    rgba = Image.new("RGBA", (4, 1))
    rgba.putpixel((0, 0), (255, 255, 255, 255))  # opaque white: repaint
    rgba.putpixel((1, 0), (255, 255, 255, 0))  # transparent white: keep
    rgba.putpixel((2, 0), (0, 0, 0, 255))  # opaque black: keep
    rgba.putpixel((3, 0), (255, 255, 255, 100))  # mostly transparent white: keep
    assert list(normalize_mask(rgba).tobytes()) == [255, 0, 0, 0]


def test_normalize_opaque_rgba_mask_is_plain_luminance() -> None:
    mask = rect_mask(16, 16, (2, 3, 9, 12))
    rgba = Image.merge("RGBA", (mask, mask, mask, Image.new("L", mask.size, 255)))
    assert same_pixels(normalize_mask(rgba), mask)


@pytest.mark.parametrize("mode", ["1", "P", "LA", "RGB", "I;16"])
def test_normalize_other_modes_gives_binary_l(mode: str) -> None:
    mask = rect_mask(20, 10, (5, 2, 15, 8))
    if mode == "I;16":
        wide = Image.new("I;16", mask.size)
        wide.paste(65535, (5, 2, 15, 8))
        source = wide
    else:
        source = mask.convert(mode)
    result = normalize_mask(source)
    assert result.mode == "L"
    assert same_pixels(result, mask)


def test_normalize_soft_mask_is_binary() -> None:
    soft = blur_mask(rect_mask(40, 40, (10, 10, 30, 30)), 4)
    assert len(values(soft)) > 2
    assert values(normalize_mask(soft)) == {0, 255}


def test_invert_twice_is_identity_and_swaps_values() -> None:
    mask = rect_mask(30, 20, (3, 4, 17, 15))
    inverted = invert_mask(mask)
    assert mask_bbox(inverted) == (0, 0, 30, 20)
    assert inverted.getpixel((5, 5)) == 0
    assert inverted.getpixel((0, 0)) == 255
    assert same_pixels(invert_mask(inverted), mask)


def test_invert_keeps_a_soft_mask_soft() -> None:
    soft = blur_mask(rect_mask(30, 30, (10, 10, 20, 20)), 2)
    assert same_pixels(invert_mask(soft), Image.eval(soft, lambda v: 255 - v))


def test_invert_normalizes_other_modes_first() -> None:
    mask = rect_mask(8, 8, (0, 0, 4, 8))
    assert same_pixels(invert_mask(mask.convert("RGB")), ImageOps.invert(mask))


def test_blur_radius_zero_is_an_equal_copy() -> None:
    mask = rect_mask(24, 24, (4, 4, 12, 20))
    blurred = blur_mask(mask, 0)
    assert blurred is not mask
    assert same_pixels(blurred, mask)


def test_blur_softens_edges_only() -> None:
    mask = rect_mask(64, 64, (16, 16, 48, 48))
    soft = blur_mask(mask, 3)
    assert soft.mode == "L"
    assert soft.getpixel((32, 32)) == 255  # deep inside: still repaint
    assert soft.getpixel((2, 2)) == 0  # far outside: still keep
    edge_inside, edge_outside = soft.getpixel((16, 32)), soft.getpixel((15, 32))
    assert isinstance(edge_inside, int)
    assert isinstance(edge_outside, int)
    assert 0 < edge_outside < 128 < edge_inside < 255
    with pytest.raises(ValueError, match="radius"):
        blur_mask(mask, -1)


def test_mask_bbox() -> None:
    assert mask_bbox(rect_mask(50, 40, (7, 9, 23, 31))) == (7, 9, 23, 31)
    assert mask_bbox(rect_mask(50, 40, (0, 0, 0, 0))) is None
    assert mask_bbox(Image.new("RGBA", (5, 5), (255, 255, 255, 0))) is None
    soft = blur_mask(rect_mask(50, 40, (20, 20, 30, 30)), 2)
    box = mask_bbox(soft)
    assert box is not None
    assert box[0] < 20
    assert box[2] > 30


# --- crop and paste back -------------------------------------------------------------------------


def test_crop_expands_the_mask_box_by_padding() -> None:
    image = gradient_image(100, 80)
    plan = crop_to_mask(image, rect_mask(100, 80, (30, 20, 50, 40)), padding=8)
    assert plan.box == (22, 12, 58, 48)
    assert plan.size == plan.image.size == plan.mask.size == (36, 36)
    assert plan.original_size == (100, 80)
    assert same_pixels(plan.image, image.crop((22, 12, 58, 48)))


def test_crop_padding_is_clamped_at_the_image_borders() -> None:
    image = gradient_image(100, 80)
    plan = crop_to_mask(image, rect_mask(100, 80, (2, 70, 97, 80)), padding=10)
    assert plan.box == (0, 60, 100, 80)
    corner = crop_to_mask(image, rect_mask(100, 80, (0, 0, 1, 1)), padding=1000)
    assert corner.box == (0, 0, 100, 80)


def test_crop_of_an_empty_mask_is_the_whole_image() -> None:
    image = gradient_image(40, 30)
    plan = crop_to_mask(image, Image.new("L", (40, 30)), padding=4)
    assert plan.box == (0, 0, 40, 30)
    assert same_pixels(plan.image, image)


def test_crop_rejects_bad_arguments() -> None:
    image = gradient_image(40, 30)
    with pytest.raises(ValidationError) as exc:
        crop_to_mask(image, rect_mask(30, 30, (0, 0, 5, 5)), padding=0)
    assert str(exc.value.errors[0]) == "$.mask: must have the image's resolution 40x30, got 30x30"
    with pytest.raises(ValueError, match="padding"):
        crop_to_mask(image, rect_mask(40, 30, (0, 0, 5, 5)), padding=-1)


def fake_provider(crop: Image.Image, size: tuple[int, int] | None = None) -> Image.Image:
    """What a provider might send back: different pixels, possibly at another size."""
    out = ImageOps.invert(crop.convert("RGB"))
    return out.resize(size) if size is not None else out


def test_paste_back_leaves_everything_outside_the_box_identical() -> None:
    # A JPEG round trip gives the original realistic noise in its low bits.
    original = load_image(jpeg_bytes(gradient_image(200, 150), quality=70)).to_pil()
    plan = crop_to_mask(original, rect_mask(200, 150, (60, 40, 120, 90)), padding=12)
    result = paste_back(original, fake_provider(plan.image), plan)
    assert result.size == original.size
    assert result.mode == original.mode
    assert outside_unchanged(original, result, plan.box)
    assert same_pixels(result.crop(plan.box), fake_provider(plan.image))
    assert not same_pixels(result, original)


def test_paste_back_with_a_binary_mask_changes_only_masked_pixels() -> None:
    original = gradient_image(120, 90)
    mask = rect_mask(120, 90, (30, 30, 70, 60))
    plan = crop_to_mask(original, mask, padding=16)
    generated = fake_provider(plan.image)
    result = paste_back(original, generated, plan, mask=plan.mask)
    # Outside the mask, not only outside the box, every pixel is the original's.
    assert same_pixels(
        Image.composite(Image.new("RGB", original.size), result, mask),
        Image.composite(Image.new("RGB", original.size), original, mask),
    )
    expected_inside = fake_provider(original.crop((30, 30, 70, 60)))
    assert same_pixels(result.crop((30, 30, 70, 60)), expected_inside)


def test_paste_back_resizes_a_crop_of_another_size() -> None:
    original = gradient_image(100, 100)
    plan = crop_to_mask(original, rect_mask(100, 100, (33, 27, 61, 58)), padding=5)
    assert plan.size == (38, 41)
    generated = fake_provider(plan.image, size=(64, 64))  # provider rounded up to 64x64
    result = paste_back(original, generated, plan, mask=plan.mask)
    assert result.size == (100, 100)
    assert outside_unchanged(original, result, plan.box)
    assert not same_pixels(result.crop(plan.box), original.crop(plan.box))


def test_paste_back_with_a_blurred_mask_blends_the_edge() -> None:
    original = gradient_image(100, 100)
    plan = crop_to_mask(original, rect_mask(100, 100, (40, 40, 60, 60)), padding=10)
    soft = blur_mask(plan.mask, 3)
    result = paste_back(original, fake_provider(plan.image), plan, mask=soft)
    assert outside_unchanged(original, result, plan.box)
    # Where the soft mask is 0 nothing changes; at the centre the generated pixel wins.
    zero = Image.eval(soft, lambda v: 255 if v == 0 else 0)
    crop_result, crop_original = result.crop(plan.box), original.crop(plan.box)
    black = Image.new("RGB", plan.size)
    assert same_pixels(
        Image.composite(crop_result, black, zero), Image.composite(crop_original, black, zero)
    )
    centre = (20, 20)
    assert crop_result.getpixel(centre) == fake_provider(plan.image).getpixel(centre)


@pytest.mark.parametrize("mode", ["RGBA", "L", "P"])
def test_paste_back_other_modes(mode: str) -> None:
    source = gradient_image(60, 40, "RGBA" if mode == "RGBA" else "RGB")
    original = source.convert(mode) if mode != "RGBA" else source
    plan = crop_to_mask(original, rect_mask(60, 40, (10, 10, 30, 25)), padding=3)
    result = paste_back(original, fake_provider(plan.image), plan, mask=plan.mask)
    reference = original if mode != "P" else original.convert("RGB")
    assert result.mode == reference.mode
    assert outside_unchanged(reference, result, plan.box)


def test_paste_back_rejects_mismatched_inputs() -> None:
    original = gradient_image(50, 50)
    plan = crop_to_mask(original, rect_mask(50, 50, (10, 10, 20, 20)), padding=2)
    with pytest.raises(ValueError, match="plan was made for 50x50"):
        paste_back(gradient_image(40, 50), plan.image, plan)
    with pytest.raises(ValueError, match="crop box is 14x14"):
        paste_back(original, plan.image, plan, mask=rect_mask(50, 50, (0, 0, 1, 1)))


boxes = st.tuples(
    st.integers(8, 96),
    st.integers(8, 96),
    st.floats(0, 1),
    st.floats(0, 1),
    st.floats(0, 1),
    st.floats(0, 1),
)


@settings(max_examples=50, deadline=None)
@given(dims=boxes, padding=st.integers(0, 40), resize=st.booleans(), use_mask=st.booleans())
def test_crop_then_paste_back_properties(
    dims: tuple[int, int, float, float, float, float], padding: int, resize: bool, use_mask: bool
) -> None:
    w, h, fx0, fy0, fx1, fy1 = dims
    left, right = sorted((int(fx0 * w), int(fx1 * w)))
    top, bottom = sorted((int(fy0 * h), int(fy1 * h)))
    original = gradient_image(w, h)
    mask = rect_mask(w, h, (left, top, right, bottom))
    plan = crop_to_mask(original, mask, padding=padding)
    # The box holds the mask, lies within the image, and is the mask box grown by the padding.
    bl, bt, br, bb = plan.box
    assert 0 <= bl <= br <= w
    assert 0 <= bt <= bb <= h
    mbox = mask_bbox(mask)
    if mbox is None:
        assert plan.box == (0, 0, w, h)
    else:
        assert plan.box == (
            max(0, mbox[0] - padding),
            max(0, mbox[1] - padding),
            min(w, mbox[2] + padding),
            min(h, mbox[3] + padding),
        )
    assert plan.image.size == plan.mask.size == plan.size
    generated = fake_provider(plan.image, size=(64, 48) if resize else None)
    result = paste_back(original, generated, plan, mask=plan.mask if use_mask else None)
    assert result.size == original.size
    assert outside_unchanged(original, result, plan.box)
    if use_mask:
        black = Image.new("RGB", original.size)
        assert same_pixels(
            Image.composite(black, result, mask), Image.composite(black, original, mask)
        )
    elif not resize:
        assert same_pixels(result.crop(plan.box), generated)


def test_crop_plan_is_compared_by_identity() -> None:
    image = gradient_image(10, 10)
    mask = rect_mask(10, 10, (1, 1, 3, 3))
    first, second = crop_to_mask(image, mask, padding=1), crop_to_mask(image, mask, padding=1)
    assert isinstance(first, CropPlan)
    assert first != second
    assert first.box == second.box


# --- base64 and data URLs ------------------------------------------------------------------------


def test_base64_round_trip() -> None:
    data = png_bytes(gradient_image(9, 7))
    text = to_base64(data)
    assert not text.startswith("data:")
    assert text == base64.b64encode(data).decode()
    assert from_base64(text, path="$.image") == data


def test_from_base64_accepts_data_urls_whitespace_and_missing_padding() -> None:
    data = bytes(range(256))  # 256 = 3 * 85 + 1 bytes: base64 ends in "=="
    text = to_base64(data)
    assert text.endswith("==")
    assert from_base64(text.rstrip("="), path="$.image") == data
    wrapped = "\n".join(text[i : i + 76] for i in range(0, len(text), 76))
    assert from_base64(f"  {wrapped}\n", path="$.image") == data
    assert from_base64(to_data_url(data, "png"), path="$.image") == data
    assert from_base64("data:image/jpeg;charset=x;base64," + text, path="$.image") == data
    urlsafe = base64.urlsafe_b64encode(data).decode().rstrip("=")
    assert from_base64(urlsafe, path="$.image") == data


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("not base64!", "must be valid base64"),
        ("abcde", "must be valid base64"),  # a length of 4n+1 cannot be base64
        ("", "must be non-empty base64"),
        ("data:image/png;base64,", "must be non-empty base64"),
        ("data:image/png,iVBORw0KGgo", "must be a base64 data URL (data:<mime>;base64,...)"),
    ],
)
def test_from_base64_rejects_invalid_text(text: str, rule: str) -> None:
    with pytest.raises(ValidationError) as exc:
        from_base64(text, path="$.mask_image_base64")
    assert exc.value.paths == ("$.mask_image_base64",)
    assert only_rule(exc) == rule


def test_from_base64_rejects_non_strings() -> None:
    with pytest.raises(ValidationError) as exc:
        from_base64(b"aGVsbG8=", path="$.image")  # type: ignore[arg-type]
    assert only_rule(exc) == "must be a base64 string"


def test_to_data_url() -> None:
    assert to_data_url(b"hello", "png") == "data:image/png;base64,aGVsbG8="
    assert to_data_url(b"hello", "JPG").startswith("data:image/jpeg;base64,")
    with pytest.raises(ValueError, match="format must be one of"):
        to_data_url(b"hello", "svg")


# --- formats -------------------------------------------------------------------------------------


def test_sniff_format() -> None:
    image = gradient_image(8, 8)
    assert sniff_format(png_bytes(image)) == "png"
    assert sniff_format(jpeg_bytes(image)) == "jpeg"
    assert sniff_format(webp_bytes(image)) == "webp"
    for fmt, name in [("GIF", "gif"), ("BMP", "bmp"), ("TIFF", "tiff")]:
        buffer = io.BytesIO()
        image.save(buffer, format=fmt)
        assert sniff_format(buffer.getvalue()) == name
        assert load_image(buffer.getvalue()).format == name
    assert sniff_format(b"\x00\x00\x00\x1cftypavif") == "avif"
    assert sniff_format(b"hello world") is None
    assert sniff_format(b"") is None


@pytest.mark.parametrize("source_fmt", ["png", "jpeg", "webp"])
@pytest.mark.parametrize("target_fmt", ["png", "jpeg", "webp"])
def test_convert_format_round_trips(source_fmt: str, target_fmt: str) -> None:
    image = gradient_image(48, 32)
    data = encode_image(image, source_fmt)
    converted = convert_format(data, target_fmt)
    assert sniff_format(converted) == target_fmt
    loaded = load_image(converted)
    assert loaded.format == target_fmt
    assert loaded.size == (48, 32)
    if source_fmt == target_fmt:
        assert converted == data  # no needless lossy re-encode
    if source_fmt == target_fmt == "png":
        assert same_pixels(loaded.to_pil(), image)


def test_png_to_png_via_other_format_is_lossless_for_png() -> None:
    image = gradient_image(20, 20, "RGBA")
    back = load_image(convert_format(convert_format(png_bytes(image), "webp"), "png"))
    assert back.format == "png"
    assert back.size == (20, 20)
    assert same_pixels(load_image(encode_image(image, "png")).to_pil(), image)


def test_jpeg_composites_transparency_on_white() -> None:
    rgba = Image.new("RGBA", (16, 16), (0, 0, 0, 0))
    rgba.paste((200, 10, 10, 255), (0, 0, 8, 16))
    jpeg = load_image(convert_format(png_bytes(rgba), "jpeg")).to_pil()
    assert jpeg.mode == "RGB"
    transparent_side = jpeg.getpixel((12, 8))
    assert isinstance(transparent_side, tuple)
    assert min(transparent_side) > 240  # white, not black
    opaque_side = jpeg.getpixel((3, 8))
    assert isinstance(opaque_side, tuple)
    assert opaque_side[0] > 150 > opaque_side[1]


@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "CMYK", "I;16", "RGBA"])
@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_encode_image_handles_every_common_mode(mode: str, fmt: str) -> None:
    image = gradient_image(12, 10).convert(mode) if mode != "RGBA" else gradient_image(12, 10, mode)
    loaded = load_image(encode_image(image, fmt))
    assert loaded.format == fmt
    assert loaded.size == (12, 10)


def test_convert_format_errors() -> None:
    with pytest.raises(ValueError, match="format must be one of png, jpeg, webp"):
        convert_format(png_bytes(gradient_image(4, 4)), "gif")
    with pytest.raises(ValidationError) as exc:
        convert_format(truncated_png(), "jpeg", path="$.images[0]")
    assert exc.value.paths == ("$.images[0]",)
    with pytest.raises(ValueError, match="quality"):
        encode_image(gradient_image(4, 4), "jpeg", quality=0)


def test_loaded_image_is_frozen() -> None:
    loaded = load_image(png_bytes(gradient_image(4, 4)))
    assert isinstance(loaded, LoadedImage)
    with pytest.raises(AttributeError):
        loaded.width = 5  # type: ignore[misc]
