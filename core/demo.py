"""The main job: a complete offline tour of inpaintkit.

``inpaintkit demo`` draws a small scene and a mask with Pillow (nothing is downloaded), starts
the mock server on loopback, runs the same neutral job on every installed provider that has a
mock, and writes the inputs, the outputs, a summary of what each provider did natively,
emulated or dropped, and a contact sheet of the results side by side.  It is the end-to-end
path a new user should see work first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
from PIL import Image, ImageDraw

from .clock import Clock
from .compare import ProviderRun, run_everywhere, save_outputs, sheet_entry, summary_row
from .contact_sheet import SheetEntry, render
from .convert import job_to_dict
from .job import InpaintJob, MaskOptions, OutputFormat
from .progress import Progress

__all__ = ["DEMO_MODELS", "demo_job", "demo_scene", "offline_image_hosts", "run_demo"]

DEMO_MODELS: dict[str, str] = {
    "novita": "realisticVisionV40_v40VAE-inpainting_81543.safetensors",
    "modelslab": "pony_realism",
}
"""Model ids from each provider's own documentation examples (seeds 001 and 003)."""


def demo_scene(size: int = 512) -> tuple[Image.Image, Image.Image]:
    """A park scene (sky, hills, a sun, a bench) and a mask over the bench: white = repaint."""
    image = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(image)
    for y in range(size):
        shade = int(120 + 100 * y / size)
        draw.line([(0, y), (size, y)], fill=(90, shade, 235))
    horizon = size * 5 // 8
    draw.rectangle([0, horizon, size, size], fill=(70, 150, 60))
    draw.ellipse([size * 0.7, size * 0.1, size * 0.85, size * 0.25], fill=(250, 220, 90))
    bench = (size * 0.3, size * 0.6, size * 0.7, size * 0.75)
    draw.rectangle(bench, fill=(120, 80, 40))
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).rectangle(
        (bench[0] - 8, bench[1] - 8, bench[2] + 8, bench[3] + 8), fill=255
    )
    return image, mask


def demo_job(image: Path, mask: Path) -> InpaintJob:
    """The neutral job the demo runs everywhere; providers differ only in ``model``."""
    return InpaintJob(
        image=image,
        mask=mask,
        prompt="a red wooden park bench, photo, sharp focus",
        negative_prompt="blurry, deformed",
        num_images=2,
        guidance_scale=7.5,
        strength=0.8,
        seed=1234,
        mask_options=MaskOptions(blur=4),
        output_format=OutputFormat.PNG,
    )


def run_demo(
    out: Path,
    providers: Sequence[str] | None = None,
    *,
    seed: int = 7,
    progress: Progress | None = None,
    clock: Clock | None = None,
) -> list[dict[str, Any]]:
    """Run the demo into ``out``; returns one summary row per provider.

    The providers run concurrently (as ``inpaintkit compare`` runs them), their images go to
    ``out/<provider>/``, and ``out/contact-sheet.png`` shows them side by side.  ``clock`` is
    shared by the mock and the client (a VirtualClock makes the demo instant in tests).
    """
    import asyncio

    from inpaintkit.mockserver import MockConfig, MockServer

    from .client import InpaintClient
    from .plugins import ProviderRegistry, make_plugin_manager

    out.mkdir(parents=True, exist_ok=True)
    image, mask = demo_scene()
    image_path, mask_path = out / "input.png", out / "mask.png"
    image.save(image_path)
    mask.save(mask_path)
    base_job = demo_job(image_path, mask_path)
    # The same job as a file, its images relative to it, without a model (model ids are per
    # provider): `inpaintkit compare out/job.json -p novita --model novita=... --mock` reruns it.
    job_file = {**job_to_dict(base_job), "image": "input.png", "mask": "mask.png"}
    (out / "job.json").write_text(json.dumps(job_file, indent=2) + "\n")

    pm = make_plugin_manager()
    registry = ProviderRegistry.from_plugin_manager(pm)
    chosen = list(providers) if providers else sorted(registry)
    jobs = {
        pid: attrs.evolve(base_job, model=DEMO_MODELS[pid]) if pid in DEMO_MODELS else base_job
        for pid in chosen
    }
    with MockServer(MockConfig(seed=seed), plugin_manager=pm, clock=clock) as mock:
        keys = {pid: f"demo-key-{pid}" for pid in chosen}

        async def run_all() -> list[ProviderRun]:
            # One job for every provider: what a provider cannot honour is dropped and recorded
            # in the summary (a real run would refuse it unless told to drop).
            async with InpaintClient(
                api_keys=keys,
                base_url=mock.url,
                registry=registry,
                clock=clock,
                unsupported="drop",
                image_hosts=offline_image_hosts(registry, "demo-key-modelslab"),
            ) as client:
                return await run_everywhere(client, jobs, progress=progress)

        runs = asyncio.run(run_all())
    if progress is not None:
        progress.close()
    rows: list[dict[str, Any]] = []
    entries: list[SheetEntry] = []
    for run in runs:
        files = save_outputs(run, out / run.provider, prefix="result-")
        rows.append(summary_row(run, files))
        entries.append(sheet_entry(run))
    sheet, _ = render(image, mask, entries)
    sheet.save(out / "contact-sheet.png")
    (out / "summary.json").write_text(json.dumps(rows, indent=2) + "\n")
    return rows


def offline_image_hosts(registry: Mapping[str, Any], key: str) -> dict[str, Any]:
    """Image hosts for runs against the embedded mock (the demo, ``--mock``).

    StableDiffusionAPI documents no upload; against the mock the client opts in to ModelsLab's
    documented one (served by the same mock), as a user would with ``image_hosts=``, so jobs
    with local images run offline.  Real runs never get a host they were not given."""
    if "stablediffusionapi" not in registry or "modelslab" not in registry:
        return {}
    from inpaintkit.providers.modelslab import ModelsLabUploadHost

    return {"stablediffusionapi": ModelsLabUploadHost(key=key)}
