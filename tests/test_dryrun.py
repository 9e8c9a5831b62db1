"""`validate` is the dry run of `run`: a catalogue of bad jobs, each checked both ways.

Every bad job is validated and then run against the embedded mock; the two must give the same
exit code and the same error message.  A second check runs each job through the client alone
(no dry run in front): it must reject the job too, on paths the dry run reported, so the dry run
neither misses what the runtime rejects nor invents errors of its own.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from imagegen import bomb_png, gradient_image, png_bytes, rect_mask
from inpaintkit.cli import main
from inpaintkit.client import InpaintClient
from inpaintkit.clock import VirtualClock
from inpaintkit.convert import load_job
from inpaintkit.dryrun import check_job_file
from inpaintkit.errors import InpaintError, ValidationError
from inpaintkit.mockserver import MockServer
from inpaintkit.plugins import ProviderRegistry

NOVITA_MODEL = "realisticVisionV40_v40VAE-inpainting_81543.safetensors"


def cli(argv: list[str]) -> int:
    """The console script on a virtual clock: polling against the mock takes no real time."""
    return main(argv, clock=VirtualClock())


def _pair(folder: Path, size: tuple[int, int] = (64, 64), mask_size: tuple[int, int] | None = None):
    w, h = size
    (folder / "image.png").write_bytes(png_bytes(gradient_image(w, h)))
    mw, mh = mask_size or size
    (folder / "mask.png").write_bytes(png_bytes(rect_mask(mw, mh, (8, 8, mw - 8, mh - 8))))


def _job(folder: Path, **fields: Any) -> Path:
    data = {"image": "image.png", "mask": "mask.png", "prompt": "a boat", **fields}
    path = folder / "job.json"
    path.write_text(json.dumps(data))
    return path


def mask_of_another_size(folder: Path) -> tuple[Path, str]:
    _pair(folder, (64, 64), (48, 64))
    return _job(folder, model=NOVITA_MODEL), "novita"


def image_file_missing(folder: Path) -> tuple[Path, str]:
    _pair(folder)
    (folder / "image.png").unlink()
    return _job(folder, model=NOVITA_MODEL), "novita"


def image_is_not_an_image(folder: Path) -> tuple[Path, str]:
    _pair(folder)
    (folder / "image.png").write_text("not an image")
    return _job(folder, model=NOVITA_MODEL), "novita"


def image_of_64_megapixels(folder: Path) -> tuple[Path, str]:
    (folder / "image.png").write_bytes(bomb_png(8000, 8000))
    (folder / "mask.png").write_bytes(bomb_png(8000, 8000))
    return _job(folder, model=NOVITA_MODEL), "novita"


def size_breaks_modelslab_rules(folder: Path) -> tuple[Path, str]:
    _pair(folder, (300, 300))  # an unset size would be fitted to 512 (emulated); 516 is set
    return _job(folder, model="pony_realism", width=516, height=512), "modelslab"


def schema_and_provider_errors_together(folder: Path) -> tuple[Path, str]:
    _pair(folder)
    # steps has the wrong type (schema); guidance_scale is beyond Novita's range and the model
    # Novita requires is missing (provider): all three in one report.
    return _job(folder, steps="30", guidance_scale=99), "novita"


def unsupported_field(folder: Path) -> tuple[Path, str]:
    _pair(folder)
    return _job(folder, model="pony_realism", initial_noise_multiplier=0.5), "modelslab"


def not_json(folder: Path) -> tuple[Path, str]:
    _pair(folder)
    path = folder / "job.json"
    path.write_text("{not json")
    return path, "novita"


BAD_JOBS: list[Callable[[Path], tuple[Path, str]]] = [
    mask_of_another_size,
    image_file_missing,
    image_is_not_an_image,
    image_of_64_megapixels,
    size_breaks_modelslab_rules,
    schema_and_provider_errors_together,
    unsupported_field,
    not_json,
]


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli(argv)
    captured = capsys.readouterr()
    return code, captured.err


def _error_lines(stderr: str) -> str:
    return "\n".join(line for line in stderr.splitlines() if not line.startswith("["))


@pytest.mark.parametrize("make", BAD_JOBS, ids=lambda f: f.__name__)
def test_validate_and_run_agree_on_bad_jobs(
    make: Callable[[Path], tuple[Path, str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    job, provider = make(tmp_path)
    v_code, v_err = _cli(["validate", str(job), "-p", provider], capsys)
    out = tmp_path / "out"
    r_code, r_err = _cli(["run", str(job), "-p", provider, "--mock", "--out", str(out)], capsys)
    assert v_code == 2, v_err
    assert (r_code, _error_lines(r_err)) == (v_code, _error_lines(v_err))
    assert "Traceback" not in r_err
    assert not list(out.glob("*.png")), "a rejected job must not produce outputs"


def test_a_good_job_passes_both(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _pair(tmp_path)
    job = _job(tmp_path, model=NOVITA_MODEL)
    assert _cli(["validate", str(job), "-p", "novita"], capsys)[0] == 0
    assert _cli(["run", str(job), "-p", "novita", "--mock", "--out", str(tmp_path)], capsys)[0] == 0


def test_schema_and_provider_errors_are_reported_in_one_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job, provider = schema_and_provider_errors_together(tmp_path)
    code, err = _cli(["validate", str(job), "-p", provider], capsys)
    assert code == 2
    assert "$.steps" in err  # the schema
    assert "$.guidance_scale: must be in" in err  # the provider's range
    assert "$.model: is required by novita" in err  # the provider's required field


def test_image_errors_come_with_table_errors(tmp_path: Path) -> None:
    _pair(tmp_path, (64, 64), (32, 32))
    job = _job(tmp_path, steps=500)  # Novita: steps in [1, 100], model required
    adapter = ProviderRegistry.default()["novita"]
    dry = asyncio.run(check_job_file(job, adapter))
    paths = {e.path for e in dry.errors}
    assert paths == {"$.steps", "$.model", "$.mask"}


def test_remote_images_are_noted_not_fetched(tmp_path: Path) -> None:
    job = tmp_path / "job.json"
    job.write_text(
        json.dumps(
            {
                "image": "https://example.invalid/i.png",
                "mask": "https://example.invalid/m.png",
                "prompt": "x",
                "model": NOVITA_MODEL,
            }
        )
    )
    dry = asyncio.run(check_job_file(job, ProviderRegistry.default()["novita"]))
    assert dry.ok
    assert any("remote URL" in note for note in dry.notes)


@pytest.fixture(scope="module")
def mock() -> Any:
    with MockServer() as server:
        yield server


@pytest.mark.parametrize(
    "make",
    [f for f in BAD_JOBS if f not in (not_json, schema_and_provider_errors_together)],
    ids=lambda f: f.__name__,
)
def test_the_runtime_alone_rejects_what_the_dry_run_reports(
    make: Callable[[Path], tuple[Path, str]], tmp_path: Path, mock: MockServer
) -> None:
    job_path, provider = make(tmp_path)
    registry = ProviderRegistry.default()
    dry = asyncio.run(check_job_file(job_path, registry[provider]))
    job = load_job(job_path)

    async def submit() -> InpaintError | None:
        async with InpaintClient(base_url=mock.url, api_keys={provider: "k"}) as client:
            try:
                await client.submit(job, provider)
            except InpaintError as exc:
                return exc
        return None

    error = asyncio.run(submit())
    assert isinstance(error, ValidationError), error
    assert set(error.paths) <= {e.path for e in dry.errors}


def test_client_check_is_the_dry_run_in_python(tmp_path: Path, mock: MockServer) -> None:
    _pair(tmp_path, (64, 64), (32, 32))
    job = load_job(_job(tmp_path, model=NOVITA_MODEL))
    mock.reset()

    async def check() -> Any:
        async with InpaintClient(base_url=mock.url, api_keys={"novita": "k"}) as client:
            return await client.check(job, "novita")

    dry = asyncio.run(check())
    assert [e.path for e in dry.errors] == ["$.mask"]
    assert "--unsupported" not in str(dry.error())
    assert mock.journal() == []  # nothing was sent
