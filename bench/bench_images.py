"""Micro-benchmark of inpaintkit.images against naive baselines, side by side in one process.

Run: ``.venv/bin/python bench/bench_images.py``.  Each line prints the best time of several runs
for the candidate and its baseline, and their ratio (candidate / baseline; < 1 is faster).

* ``load_image`` (byte check, header-first bomb guard, full decode) vs. a bare
  ``Image.open(...).load()`` on a realistic 2048x2048 PNG: the cost of the checks.
* the same two on an 8000x8000 decompression bomb: what the header-first guard saves.
* ``crop_to_mask`` + ``paste_back`` of a 2048x2048 image with a 300x200 mask vs. pasting a
  full-size generated image through the full mask (what a client without masked-only does).
* encoding the request payload (PNG + base64) for the crop vs. for the full image.
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from imagegen import bomb_png, gradient_image, png_bytes, rect_mask
from inpaintkit.errors import ValidationError
from inpaintkit.images import (
    crop_to_mask,
    encode_image,
    load_image,
    paste_back,
    to_base64,
)

SIZE = 2048
MASK_BOX = (900, 800, 1200, 1000)
PADDING = 32


def compare(
    candidate: Callable[[], object], baseline: Callable[[], object], runs: int
) -> tuple[float, float]:
    """Best-of-``runs`` seconds for each, alternating the two so machine noise hits both alike."""
    best = [float("inf"), float("inf")]
    for _ in range(runs):
        for index, fn in enumerate((candidate, baseline)):
            start = time.perf_counter()
            fn()
            best[index] = min(best[index], time.perf_counter() - start)
    return best[0], best[1]


def realistic_image() -> Image.Image:
    """A 2048x2048 gradient with photographic-looking noise, so PNG does not compress it away."""
    base = gradient_image(SIZE, SIZE)
    noise = Image.effect_noise((SIZE, SIZE), 24).convert("RGB")
    return Image.blend(base, noise, 0.25)


def naive_load(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        image.load()


def guarded_load_of_bomb(data: bytes) -> None:
    try:
        load_image(data)
    except ValidationError:
        return
    raise AssertionError("the bomb was accepted")


def run() -> list[tuple[str, float, float]]:
    """Measure every pair; return ``(name, candidate_seconds, baseline_seconds)`` rows."""
    rows: list[tuple[str, float, float]] = []
    image = realistic_image()
    data = png_bytes(image)
    print(f"test image: {SIZE}x{SIZE} RGB PNG, {len(data) / 1e6:.1f} MB")

    rows.append(
        (
            "load_image vs Image.open().load() (2048^2 PNG)",
            *compare(lambda: load_image(data), lambda: naive_load(data), 7),
        )
    )

    bomb = bomb_png(8000, 8000)
    rows.append(
        (
            f"load_image vs naive decode (8000^2 bomb, {len(bomb) // 1000} KB)",
            *compare(lambda: guarded_load_of_bomb(bomb), lambda: naive_load(bomb), 3),
        )
    )

    mask = rect_mask(SIZE, SIZE, MASK_BOX)

    def crop_and_paste() -> Image.Image:
        plan = crop_to_mask(image, mask, padding=PADDING)
        generated = ImageOps.invert(plan.image)  # stands in for the provider's output
        return paste_back(image, generated, plan, mask=plan.mask)

    def full_paste() -> Image.Image:
        generated = ImageOps.invert(image)
        result = image.copy()
        result.paste(generated, (0, 0), mask)
        return result

    assert crop_and_paste().tobytes() == full_paste().tobytes()  # same output, less work
    rows.append(
        (
            "crop_to_mask+paste_back vs full-image paste",
            *compare(crop_and_paste, full_paste, 10),
        )
    )

    plan = crop_to_mask(image, mask, padding=PADDING)
    rows.append(
        (
            f"payload PNG+base64: crop {plan.size[0]}x{plan.size[1]} vs full image",
            *compare(
                lambda: to_base64(encode_image(plan.image, "png")),
                lambda: to_base64(encode_image(image, "png")),
                3,
            ),
        )
    )
    return rows


def main() -> None:
    rows = run()
    width = max(len(name) for name, _c, _b in rows)
    print(f"{'benchmark':<{width}}  {'candidate':>10}  {'baseline':>10}  {'ratio':>7}")
    for name, candidate, baseline in rows:
        print(
            f"{name:<{width}}  {candidate * 1e3:>8.2f}ms  {baseline * 1e3:>8.2f}ms  "
            f"{candidate / baseline:>7.3f}"
        )


if __name__ == "__main__":
    main()
