"""The demo (the README's first command) and the blocking ``inpaintkit.inpaint`` function, end to
end against the embedded mock; the job constructor accepts what job files accept; warnings name
the caller's line."""

from __future__ import annotations

import inspect
import json
import warnings
from pathlib import Path

import inpaintkit
import pytest
from inpaintkit import InpaintClient, InpaintJob, OutputFormat, Sampler, ValidationError
from inpaintkit.demo import demo_job, demo_scene, run_demo
from inpaintkit.mockserver import MockServer
from inpaintkit.planning import UnsupportedFieldWarning


def _png(image: object) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")  # type: ignore[attr-defined]
    return buffer.getvalue()


@pytest.fixture(scope="module")
def scene() -> tuple[bytes, bytes]:
    image, mask = demo_scene(128)
    return _png(image), _png(mask)


def test_demo_writes_inputs_outputs_and_a_summary(tmp_path: Path) -> None:
    rows = run_demo(tmp_path, ["stablediffusionapi"])
    assert [r["provider"] for r in rows] == ["stablediffusionapi"]
    row = rows[0]
    assert row["ok"], row
    assert len(row["images"]) == 2  # num_images=2
    assert (tmp_path / "input.png").is_file()
    assert (tmp_path / "mask.png").is_file()
    assert sorted(p.name for p in (tmp_path / "stablediffusionapi").iterdir()) == [
        "result-0.png",
        "result-1.png",
    ]
    assert json.loads((tmp_path / "summary.json").read_text()) == rows
    again = inpaintkit.load_job(tmp_path / "job.json")  # the job file reruns the same job
    assert again.prompt == demo_job(tmp_path / "input.png", tmp_path / "mask.png").prompt
    assert again.image.path == tmp_path / "input.png"


def test_inpaint_blocks_until_the_result(
    inpaintkit_mock: MockServer, scene: tuple[bytes, bytes]
) -> None:
    image, mask = scene
    job = InpaintJob(
        image=image, mask=mask, prompt="a red bench", num_images=2, seed=5, model="pony_realism"
    )
    result = inpaintkit.inpaint(
        job,
        "modelslab",
        base_url=inpaintkit_mock.url,
        api_keys={"modelslab": "k"},
    )
    assert len(result.images) == 2
    assert result.provider == "modelslab"
    assert len(inpaintkit_mock.journal("request")) >= 1


def test_inpaint_takes_the_clients_keyword_arguments() -> None:
    """``inpaint(**options)`` forwarded anything, misspelt keywords included; its keywords are
    now the client's, and stay so."""
    client = inspect.signature(InpaintClient.__init__).parameters
    sync = inspect.signature(inpaintkit.inpaint).parameters
    assert [n for n in sync if sync[n].kind is inspect.Parameter.KEYWORD_ONLY] == [
        n for n in client if client[n].kind is inspect.Parameter.KEYWORD_ONLY
    ]
    for name, parameter in sync.items():
        if name in client:
            assert parameter.default == client[name].default, name
    with pytest.raises(TypeError, match="api_key"):
        inpaintkit.inpaint(None, "novita", api_key="k")  # type: ignore[arg-type, call-arg]


def test_constructor_accepts_enum_values_like_job_files(scene: tuple[bytes, bytes]) -> None:
    image, mask = scene
    job = InpaintJob(image=image, mask=mask, prompt="x", output_format="webp", sampler="Euler a")
    assert job.output_format is OutputFormat.WEBP
    assert job.sampler is Sampler.EULER_A
    loaded = inpaintkit.job_from_dict(
        {**inpaintkit.job_to_dict(job), "output_format": "webp", "sampler": "Euler a"}
    )
    assert loaded == job
    with pytest.raises(ValidationError) as info:
        InpaintJob(image=image, mask=mask, prompt="x", output_format="gif")
    assert "$.output_format" in str(info.value)
    assert "'gif'" in str(info.value)


def test_unsupported_field_warning_names_the_callers_line(scene: tuple[bytes, bytes]) -> None:
    image, mask = scene
    job = InpaintJob(image=image, mask=mask, prompt="x", clip_skip=2)
    client = InpaintClient(unsupported="warn")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plan = client.plan(job, "stablediffusionapi")
    assert "clip_skip" in plan.dropped
    [warning] = [w for w in caught if issubclass(w.category, UnsupportedFieldWarning)]
    assert warning.filename == __file__
    assert inpaintkit.UnsupportedFieldWarning is UnsupportedFieldWarning
