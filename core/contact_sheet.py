"""A contact sheet: the input, the mask and every provider's outputs side by side, in one PNG.

``inpaintkit compare`` and ``make demo`` end with it, so the differences between providers are
seen rather than read from JSON.  The first row holds the input and the mask; then one row per
provider: a tile per output image, or one tile with the error when the provider failed.  Under
every tile a label strip names the provider, the seed, the time, and what the client emulated
or dropped.  Pillow only: ImageDraw with Pillow's default font.

:func:`layout` computes the tile boxes without drawing, so tests (and anything else) can check
where each tile is; :func:`render` draws them.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import attrs
from PIL import Image, ImageDraw, ImageFont

__all__ = ["SheetEntry", "SheetLayout", "Tile", "layout", "render"]

BACKGROUND = (255, 255, 255)
LABEL_BACKGROUND = (238, 238, 238)
TEXT = (20, 20, 20)
ERROR_BACKGROUND = (250, 228, 228)
ERROR_TEXT = (150, 20, 20)
FONT_SIZE = 12
LINE_HEIGHT = FONT_SIZE + 3
LABEL_LINES = 5
GAP = 8


@attrs.frozen(eq=False)
class SheetEntry:
    """One provider's row: its images (empty when it failed), or its error text."""

    provider: str
    images: tuple[Image.Image, ...] = ()
    seed: int | None = None
    seconds: float | None = None
    emulated: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    error: str | None = None


@attrs.frozen
class Tile:
    """Where one tile is: its picture box and its label strip, ``(left, top, right, bottom)``.

    ``kind`` is ``"input"``, ``"mask"``, ``"output"`` or ``"error"``; ``provider`` and
    ``index`` say which output it is.
    """

    kind: str
    image_box: tuple[int, int, int, int]
    label_box: tuple[int, int, int, int]
    provider: str | None = None
    index: int = 0


@attrs.frozen
class SheetLayout:
    """The size of the sheet and its tiles, in drawing order."""

    size: tuple[int, int]
    tiles: tuple[Tile, ...]

    def outputs(self, provider: str) -> list[Tile]:
        """The output tiles of ``provider``."""
        return [t for t in self.tiles if t.provider == provider and t.kind == "output"]


def layout(entries: Sequence[SheetEntry], tile: int = 192) -> SheetLayout:
    """The sheet's geometry: input and mask on the first row, a row per provider below."""
    label = LABEL_LINES * LINE_HEIGHT + 4
    row_height = tile + label + GAP
    columns = max([2, *(max(1, len(e.images)) for e in entries)])
    width = GAP + columns * (tile + GAP)
    height = GAP + (1 + len(entries)) * row_height
    tiles: list[Tile] = []

    def place(row: int, column: int, kind: str, provider: str | None, index: int) -> None:
        left = GAP + column * (tile + GAP)
        top = GAP + row * row_height
        tiles.append(
            Tile(
                kind=kind,
                image_box=(left, top, left + tile, top + tile),
                label_box=(left, top + tile, left + tile, top + tile + label),
                provider=provider,
                index=index,
            )
        )

    place(0, 0, "input", None, 0)
    place(0, 1, "mask", None, 0)
    for row, entry in enumerate(entries, start=1):
        if entry.error is not None or not entry.images:
            place(row, 0, "error", entry.provider, 0)
            continue
        for index in range(len(entry.images)):
            place(row, index, "output", entry.provider, index)
    return SheetLayout(size=(width, height), tiles=tuple(tiles))


def _font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=FONT_SIZE)


def _fit(image: Image.Image, box: tuple[int, int, int, int]) -> tuple[Image.Image, int, int]:
    """``image`` scaled to fit ``box`` keeping its aspect ratio, and where to paste it."""
    left, top, right, bottom = box
    width, height = right - left, bottom - top
    thumb = image.convert("RGB")
    thumb.thumbnail((width, height), Image.Resampling.LANCZOS)
    return thumb, left + (width - thumb.width) // 2, top + (height - thumb.height) // 2


def _lines(text: str, width_px: int) -> list[str]:
    chars = max(8, width_px // (FONT_SIZE * 6 // 10))
    return textwrap.wrap(text, chars) or [""]


def _label_lines(entry: SheetEntry, index: int, width_px: int) -> list[str]:
    head = f"{entry.provider} #{index + 1}"
    facts = []
    if entry.seed is not None:
        facts.append(f"seed {entry.seed}")
    if entry.seconds is not None:
        facts.append(f"{entry.seconds:.1f} s")
    lines = [head, ", ".join(facts)]
    lines += _lines("emulated: " + (", ".join(entry.emulated) or "-"), width_px)
    lines += _lines("dropped: " + (", ".join(entry.dropped) or "-"), width_px)
    return lines[:LABEL_LINES]


def render(
    image: Image.Image,
    mask: Image.Image,
    entries: Sequence[SheetEntry],
    *,
    tile: int = 192,
) -> tuple[Image.Image, SheetLayout]:
    """Draw the sheet; returns it with its layout."""
    geometry = layout(entries, tile)
    sheet = Image.new("RGB", geometry.size, BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    font = _font()
    by_provider = {e.provider: e for e in entries}
    for t in geometry.tiles:
        draw.rectangle(t.label_box, fill=LABEL_BACKGROUND)
        text_width = t.label_box[2] - t.label_box[0] - 8
        if t.kind in ("input", "mask"):
            picture = image if t.kind == "input" else mask
            thumb, x, y = _fit(picture, t.image_box)
            sheet.paste(thumb, (x, y))
            lines = [t.kind, f"{picture.width}x{picture.height}"]
            if t.kind == "mask":
                lines.append("white = repaint")
        else:
            assert t.provider is not None
            entry = by_provider[t.provider]
            if t.kind == "output":
                thumb, x, y = _fit(entry.images[t.index], t.image_box)
                sheet.paste(thumb, (x, y))
                lines = _label_lines(entry, t.index, text_width)
            else:
                draw.rectangle(t.image_box, fill=ERROR_BACKGROUND)
                message = _lines(entry.error or "no images returned", text_width)
                max_lines = (t.image_box[3] - t.image_box[1] - 8) // LINE_HEIGHT
                for n, line in enumerate(message[:max_lines]):
                    position = (t.image_box[0] + 4, t.image_box[1] + 4 + n * LINE_HEIGHT)
                    draw.text(position, line, fill=ERROR_TEXT, font=font)
                lines = [f"{entry.provider} FAILED"]
        for n, line in enumerate(lines[:LABEL_LINES]):
            position = (t.label_box[0] + 4, t.label_box[1] + 2 + n * LINE_HEIGHT)
            draw.text(position, line, fill=TEXT, font=font)
    return sheet, geometry
