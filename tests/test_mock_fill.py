"""The mock's classical fill: continued from the surroundings, exact outside the mask, seeded."""

from __future__ import annotations

from inpaintkit.mockserver.fill import TEXTURE_AMPLITUDE, finish_fill, prepare_fill
from PIL import Image, ImageChops, ImageDraw


def hole(size: tuple[int, int], box: tuple[int, int, int, int]) -> Image.Image:
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rectangle(box, fill=255)
    return mask


def rgb(image: Image.Image, x: int, y: int) -> tuple[int, ...]:
    pixel = image.getpixel((x, y))
    assert isinstance(pixel, tuple)
    return tuple(int(v) for v in pixel)


def two_colours(size: tuple[int, int]) -> Image.Image:
    """Red on the left half, blue on the right."""
    image = Image.new("RGB", size, (200, 0, 0))
    image.paste((0, 0, 200), (size[0] // 2, 0, size[0], size[1]))
    return image


def test_the_fill_continues_the_colours_around_the_hole() -> None:
    size = (256, 128)
    image = two_colours(size)
    out = finish_fill(prepare_fill(image, hole(size, (64, 32, 191, 95))), seed=1)
    left, middle, right = (rgb(out, x, 64) for x in (70, 128, 185))
    assert left[0] > 120 > left[2]  # reddish next to the red side
    assert right[2] > 120 > right[0]  # bluish next to the blue side
    assert abs(middle[0] - middle[2]) < 80  # a blend in between, no hard seam


def test_a_flat_surrounding_gives_a_flat_fill_up_to_the_grain() -> None:
    image = Image.new("RGB", (96, 96), (90, 140, 30))
    out = finish_fill(prepare_fill(image, hole((96, 96), (20, 20, 75, 75))), seed=3)
    for x, y in ((30, 30), (48, 48), (70, 60)):
        pixel = rgb(out, x, y)
        assert all(
            abs(a - b) <= TEXTURE_AMPLITUDE + 1 for a, b in zip(pixel, (90, 140, 30), strict=True)
        )


def test_unmasked_pixels_are_exact_and_seeds_vary_the_grain() -> None:
    size = (128, 96)
    image = two_colours(size)
    mask = hole(size, (10, 10, 60, 50))
    prepared = prepare_fill(image, mask, invert=False)
    a, b, again = (finish_fill(prepared, seed=s, mask_blur=3) for s in (1, 2, 1))
    for out in (a, b):
        assert ImageChops.difference(out, image).getbbox() is not None  # the hole changed
        # out, with the hole put back from the original, is the original: nothing else changed
        assert ImageChops.difference(Image.composite(image, out, mask), image).getbbox() is None
    assert a.tobytes() == again.tobytes()
    assert a.tobytes() != b.tobytes()


def test_inverted_mask_and_an_empty_mask() -> None:
    image = two_colours((64, 64))
    nothing = Image.new("L", (64, 64), 0)
    assert finish_fill(prepare_fill(image, nothing), seed=1).tobytes() == image.tobytes()
    everything_kept = finish_fill(
        prepare_fill(image, Image.new("L", (64, 64), 255), invert=True), seed=1
    )
    assert everything_kept.tobytes() == image.tobytes()
