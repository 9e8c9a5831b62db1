"""An image string that starts like a URL is read as a URL, whatever the case of its scheme,
and a URL of a scheme that is never fetched is refused as such.

Before, ``"HTTPS://host/x.png"`` was taken for a local path (``url_error`` accepted it, but the
converter compared case-sensitively), and ``"ftp://host/x.png"`` or ``"file:///etc/passwd"``
became the mangled paths ``ftp:/host/x.png`` and ``file:/etc/passwd``, reported as missing files
instead of as URLs the client does not fetch.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit import ImageInput, InpaintJob, ValidationError, load_job

MASK = png_bytes(rect_mask(16, 16, (4, 4, 8, 8)))
IMAGE = png_bytes(gradient_image(16, 16))


@pytest.mark.parametrize("url", ["HTTPS://example.com/x.png", "Http://example.com/x.png"])
def test_an_upper_case_scheme_is_still_a_url(url: str) -> None:
    job = InpaintJob(image=url, mask=MASK, prompt="p")
    assert job.image.url == url
    assert job.image.path is None


@pytest.mark.parametrize(
    ("field", "url"),
    [
        ("image", "ftp://example.com/x.png"),
        ("image", "file:///etc/passwd"),
        ("mask", "s3://bucket/mask.png"),
        ("mask", "gopher://example.com/"),
    ],
)
def test_another_scheme_is_refused_as_a_url_at_its_field(field: str, url: str) -> None:
    fields = {"image": IMAGE, "mask": MASK, field: url}
    with pytest.raises(ValidationError) as caught:
        InpaintJob(prompt="p", **fields)
    assert caught.value.paths == (f"$.{field}",)
    assert "must be an http(s) or data: URL" in str(caught.value)
    assert repr(url) in str(caught.value)  # as given, not as a mangled path


def test_a_windows_drive_path_is_still_a_path() -> None:
    assert ImageInput.of("C://photos/x.png").path == Path("C://photos/x.png")
    assert ImageInput.of("relative/x.png").path == Path("relative/x.png")


def test_a_job_file_with_another_scheme_names_the_field(tmp_path: Path) -> None:
    (tmp_path / "mask.png").write_bytes(MASK)
    job_file = tmp_path / "job.json"
    job_file.write_text(
        json.dumps({"image": "file:///etc/passwd", "mask": "mask.png", "prompt": "p"})
    )
    with pytest.raises(ValidationError) as caught:
        load_job(job_file)
    assert caught.value.paths == ("$.image",)
    assert "must be an http(s) or data: URL" in str(caught.value)
