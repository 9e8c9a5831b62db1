"""Job files, manifests and image paths that name no regular file (review 8): ``/dev/zero``
never ends and a FIFO without a writer never opens, so reading them whole hung the process or
ended in a bare MemoryError.  Each case runs in a child process with a memory limit and a
timeout, so that a regression fails instead of taking the test run down with it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="needs /dev/zero, mkfifo and RLIMIT_AS"
)

CHILD = """
import asyncio, pathlib, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
import inpaintkit
from inpaintkit.batch.manifest import ManifestUnreadable, read_manifest
what, target = sys.argv[1], sys.argv[2]
try:
    if what == "job":
        inpaintkit.load_job(target)
    elif what == "manifest":
        read_manifest(pathlib.Path(target))
    else:
        path = pathlib.Path(target)
        job = inpaintkit.InpaintJob(image=path, mask=path, prompt="x")
        async def check():
            async with inpaintkit.InpaintClient(api_keys={"novita": "k"}) as client:
                return await client.check(job, "novita")
        dry = asyncio.run(check())
        print("typed:", "; ".join(e.rule for e in dry.errors))
except (inpaintkit.InpaintError, ManifestUnreadable) as error:
    print("typed:", error)
except BaseException as error:
    print("bare:", type(error).__name__, error)
"""


def _run_child(what: str, target: Path | str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, what, str(target)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.stdout + done.stderr


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "job.fifo"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("what", ["job", "manifest", "image"])
def test_dev_zero_is_refused_as_not_a_regular_file(what: str) -> None:
    out = _run_child(what, "/dev/zero")
    assert "typed:" in out, out
    assert "not a regular file" in out, out


@pytest.mark.parametrize("what", ["job", "manifest", "image"])
def test_a_fifo_without_a_writer_is_refused_at_once(what: str, fifo: Path) -> None:
    out = _run_child(what, fifo)
    assert "typed:" in out, out
    assert "not a regular file" in out, out


def test_a_symlink_to_a_regular_job_file_is_still_read(tmp_path: Path) -> None:
    from imagegen import gradient_image, png_bytes, rect_mask
    from inpaintkit import load_job

    (tmp_path / "a.png").write_bytes(png_bytes(gradient_image(64, 64)))
    (tmp_path / "m.png").write_bytes(png_bytes(rect_mask(64, 64, (8, 8, 32, 32))))
    real = tmp_path / "job.json"
    real.write_text('{"image": "a.png", "mask": "m.png", "prompt": "a cat"}')
    link = tmp_path / "link.json"
    link.symlink_to(real)
    job = load_job(link)
    assert job.prompt == "a cat"
    assert job.image.path == tmp_path / "a.png"
