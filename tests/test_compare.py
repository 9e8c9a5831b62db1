"""`inpaintkit compare` and its contact sheet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit import contact_sheet
from inpaintkit.cli import main
from inpaintkit.clock import VirtualClock
from inpaintkit.contact_sheet import LABEL_BACKGROUND, SheetEntry, layout, render
from PIL import Image

NOVITA_MODEL = "realisticVisionV40_v40VAE-inpainting_81543.safetensors"


def cli(argv: list[str]) -> int:
    """The console script on a virtual clock: polling against the mock takes no real time."""
    return main(argv, clock=VirtualClock())


def _entries() -> list[SheetEntry]:
    red = Image.new("RGB", (64, 48), (200, 30, 30))
    blue = Image.new("RGB", (64, 64), (30, 30, 200))
    return [
        SheetEntry("alpha", images=(red, blue), seed=1, seconds=1.5, emulated=("output_format",)),
        SheetEntry("beta", images=(blue,), seed=2, seconds=0.5, dropped=("clip_skip",)),
        SheetEntry("gamma", error="[gamma] job rejected: $.steps: must be in [1, 100]"),
    ]


def test_layout_has_one_tile_per_output_and_one_per_failure() -> None:
    geometry = layout(_entries(), tile=100)
    kinds = [(t.kind, t.provider, t.index) for t in geometry.tiles]
    assert kinds == [
        ("input", None, 0),
        ("mask", None, 0),
        ("output", "alpha", 0),
        ("output", "alpha", 1),
        ("output", "beta", 0),
        ("error", "gamma", 0),
    ]
    width, height = geometry.size
    for t in geometry.tiles:
        assert t.image_box[2] - t.image_box[0] == 100
        assert t.image_box[3] == t.label_box[1]  # the label strip sits under its picture
        assert t.image_box[0] >= 0
        assert t.label_box[2] <= width
        assert t.label_box[3] <= height
    boxes = [t.image_box for t in geometry.tiles]
    assert len(set(boxes)) == len(boxes)
    assert [len(geometry.outputs(p)) for p in ("alpha", "beta", "gamma")] == [2, 1, 0]


def test_render_draws_pictures_and_labels() -> None:
    image = Image.new("RGB", (80, 80), (0, 160, 0))
    mask = Image.new("L", (80, 80), 255).convert("RGB")
    sheet, geometry = render(image, mask, _entries(), tile=100)
    assert sheet.size == geometry.size
    alpha0, alpha1 = geometry.outputs("alpha")
    cx = (alpha0.image_box[0] + alpha0.image_box[2]) // 2
    cy = (alpha0.image_box[1] + alpha0.image_box[3]) // 2
    assert sheet.getpixel((cx, cy)) == (200, 30, 30)
    cx = (alpha1.image_box[0] + alpha1.image_box[2]) // 2
    assert sheet.getpixel((cx, cy)) == (30, 30, 200)
    for t in geometry.tiles:
        strip = sheet.crop(t.label_box)
        colours = {c for _, c in strip.getcolors(maxcolors=1 << 16) or []}
        assert colours - {LABEL_BACKGROUND}, f"no label drawn under {t.kind} {t.provider}"
    [error] = [t for t in geometry.tiles if t.kind == "error"]
    colours = {c for _, c in sheet.crop(error.image_box).getcolors(maxcolors=1 << 16) or []}
    assert colours - {contact_sheet.ERROR_BACKGROUND}, "the error text is drawn in its tile"


def test_compare_runs_each_provider_and_writes_a_sheet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "image.png").write_bytes(png_bytes(gradient_image(64, 64)))
    (tmp_path / "mask.png").write_bytes(png_bytes(rect_mask(64, 64, (16, 16, 48, 48))))
    job = tmp_path / "job.json"
    job.write_text(
        json.dumps({"image": "image.png", "mask": "mask.png", "prompt": "a boat", "num_images": 2})
    )
    out = tmp_path / "cmp"
    argv = [
        "compare",
        str(job),
        "-p",
        "novita",
        "-p",
        "ModelsLab",
        "-p",
        "stablediffusionapi",
        "--model",
        f"novita={NOVITA_MODEL}",
        "--mock",
        "--out",
        str(out),
        "--json",
    ]
    # StableDiffusionAPI takes links only: against the mock its local images go through the
    # offline host; ModelsLab has no model (it has no default): its tile shows the error.
    assert cli(argv) == 2
    summary = json.loads(capsys.readouterr().out)
    assert json.loads((out / "summary.json").read_text()) == summary
    rows = {r["provider"]: r for r in summary["providers"]}
    assert rows["novita"]["ok"] is True
    assert len(rows["novita"]["files"]) == 2
    assert rows["stablediffusionapi"]["ok"] is True
    assert rows["modelslab"]["ok"] is False
    assert "$.model" in rows["modelslab"]["error"]
    sheet = Image.open(out / "contact-sheet.png")
    entries = [
        SheetEntry("novita", images=(Image.new("RGB", (1, 1)),) * 2),
        SheetEntry("modelslab", error="x"),
        SheetEntry("stablediffusionapi", images=(Image.new("RGB", (1, 1)),) * 2),
    ]
    assert sheet.size == layout(entries).size
    assert sorted(p.name for p in (out / "novita").iterdir()) == ["result-0.png", "result-1.png"]


def test_job_pictures_stand_in_for_unreadable_images(tmp_path: Path) -> None:
    from imagegen import bomb_png
    from inpaintkit.compare import job_pictures
    from inpaintkit.job import InpaintJob

    (tmp_path / "mask.png").write_bytes(png_bytes(rect_mask(32, 16, (0, 0, 8, 8))))
    (tmp_path / "bomb.png").write_bytes(bomb_png(8000, 8000))
    job = InpaintJob(image=tmp_path / "bomb.png", mask=tmp_path / "mask.png", prompt="x")
    image, mask = job_pictures(job)
    assert image.size == (64, 64)  # the 64-megapixel file was not decoded
    assert mask.size == (32, 16)
