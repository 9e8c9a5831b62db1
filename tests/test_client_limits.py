"""Limits that protect the user: client settings, requests per job, emulated sizes, image URLs
and formats, job files that cannot be read, values that would break the error message itself.

Everything here is rejected before anything is sent; the toy server records what did arrive.
"""

from __future__ import annotations

import base64
import io
import json
import math
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit import InpaintClient, InpaintJob, VirtualClock
from inpaintkit.convert import load_job
from inpaintkit.errors import FieldError, ValidationError
from inpaintkit.job import ImageInput
from inpaintkit.settings import SettingsError
from PIL import Image
from test_client import ToyServer, client, make_job

NOVITA_MODEL = "sd_xl_base_1.0.safetensors"


@pytest.fixture
async def toy() -> AsyncIterator[tuple[ToyServer, str]]:
    server = ToyServer()
    test_server = TestServer(server.app(), host="127.0.0.1")
    await test_server.start_server()
    try:
        yield server, str(test_server.make_url("/")).rstrip("/")
    finally:
        await test_server.close()


# --- client settings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "value", "rule"),
    [
        ("deadline", math.nan, "finite number of seconds > 0"),
        ("deadline", -1.0, "finite number of seconds > 0"),
        ("deadline", 0, "finite number of seconds > 0"),
        ("deadline", math.inf, "finite number of seconds > 0"),
        ("deadline", "60", "must be a number of seconds"),
        ("request_timeout", 0, "finite number of seconds > 0"),
        ("request_timeout", math.nan, "finite number of seconds > 0"),
        ("concurrency", 0, "must be >= 1"),
        ("concurrency", 2.5, "must be an integer"),
        ("max_requests_per_job", 0, "must be >= 1"),
        ("retry_jitter", -0.1, "fraction from 0 to 1"),
        ("retry_jitter", math.nan, "fraction from 0 to 1"),
    ],
)
def test_bad_settings_are_rejected_naming_setting_value_and_rule(
    setting: str, value: Any, rule: str
) -> None:
    with pytest.raises(SettingsError) as info:
        InpaintClient(**{setting: value})
    error = info.value
    assert isinstance(error, ValidationError)
    assert error.paths == (setting,)
    assert rule in str(error)
    assert repr(value)[:3] in str(error)
    assert str(error).startswith("invalid client settings")


def test_every_bad_setting_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as info:
        InpaintClient(deadline=-1, request_timeout=0, concurrency=0)
    assert set(info.value.paths) == {"deadline", "request_timeout", "concurrency"}


def test_good_settings_are_accepted() -> None:
    InpaintClient(deadline=30, request_timeout=0.5, concurrency=1, max_requests_per_job=1)


# --- requests per job -----------------------------------------------------------------------


async def test_a_job_split_into_too_many_requests_is_rejected_before_sending(
    toy: tuple[ToyServer, str],
) -> None:
    server, base = toy
    async with client(base, VirtualClock(), max_requests_per_job=4) as c:
        with pytest.raises(ValidationError) as info:
            await c.inpaint(make_job(num_images=10), "toy")  # 5 requests of at most 2
        with pytest.raises(ValidationError):
            c.plan(make_job(num_images=10), "toy")
        c.plan(make_job(num_images=8), "toy")
    assert info.value.paths == ("$.num_images",)
    assert "5 requests" in str(info.value)
    assert "max_requests_per_job" in str(info.value)
    assert server.submits == []


def test_novita_num_images_100000_is_not_12500_submits() -> None:
    job = make_job(num_images=100_000, model=NOVITA_MODEL)
    with pytest.raises(ValidationError) as info:
        InpaintClient(api_keys={"novita": "k"}).plan(job, "novita")
    assert info.value.paths == ("$.num_images",)
    assert "12500 requests" in str(info.value)


# --- emulated sizes -------------------------------------------------------------------------


@pytest.mark.parametrize("side", [4200, 100_000])
async def test_an_emulated_resize_over_the_pixel_limit_is_rejected_before_reading(
    toy: tuple[ToyServer, str], side: int, tmp_path: Path
) -> None:
    server, base = toy
    missing = ImageInput(path=tmp_path / "never-read.png")  # reading it would be another error
    job = InpaintJob(image=missing, mask=missing, prompt="a cat", width=side, height=side)
    async with client(base, VirtualClock()) as c:
        with pytest.raises(ValidationError) as info:
            c.plan(job, "toy")
        with pytest.raises(ValidationError) as sent:
            await c.inpaint(job, "toy")
    for error in (info.value, sent.value):
        assert error.paths == ("$.width",)
        assert f"{side * side} pixels" in str(error)
        assert "16000000" in str(error)
    assert server.submits == []


def test_novita_4200_square_is_over_its_pixel_limit() -> None:
    job = make_job(width=4200, height=4200, model=NOVITA_MODEL)
    with pytest.raises(ValidationError, match="17640000 pixels"):
        InpaintClient(api_keys={"novita": "k"}).plan(job, "novita")


# --- image URLs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/a.png",
        "javascript:alert(1)",
        "gopher://x",
        "/etc/passwd",
        "http://example.com/a b.png",
        "http://example.com/\r\nX: y",
    ],
)
def test_only_http_and_data_urls_are_accepted(url: str) -> None:
    with pytest.raises(ValidationError) as info:
        ImageInput(url=url)
    assert info.value.paths == ("$.url",)
    with pytest.raises(ValidationError) as from_file:
        ImageInput.from_json({"url": url}, "$.mask")
    assert from_file.value.paths == ("$.mask.url",)


@pytest.mark.parametrize(
    "url", ["http://example.com/a.png", "HTTPS://example.com/a.png", "data:image/png;base64,AA=="]
)
def test_http_and_data_urls_are_accepted(url: str) -> None:
    assert ImageInput(url=url).url == url


# --- input formats --------------------------------------------------------------------------


def _encoded(image: Image.Image, fmt: str, **params: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
async def test_formats_the_provider_does_not_take_are_sent_as_png(
    toy: tuple[ToyServer, str], fmt: str
) -> None:
    server, base = toy
    server.submit_script.append({"state": "done", "id": "t1", "images": []})
    image = _encoded(gradient_image(64, 48), fmt)
    mask = png_bytes(rect_mask(64, 48, (16, 12, 40, 30)))
    async with client(base, VirtualClock()) as c:
        await c.inpaint(InpaintJob(image=image, mask=mask, prompt="a cat"), "toy")
    sent = base64.b64decode(server.submits[0]["image"])
    assert sent.startswith(b"\x89PNG\r\n\x1a\n")
    assert Image.open(io.BytesIO(sent)).size == (64, 48)


async def test_png_is_forwarded_untouched(toy: tuple[ToyServer, str]) -> None:
    server, base = toy
    server.submit_script.append({"state": "done", "id": "t1", "images": []})
    job = make_job()
    assert job.image.data is not None
    async with client(base, VirtualClock()) as c:
        await c.inpaint(job, "toy")
    assert base64.b64decode(server.submits[0]["image"]) == job.image.data


async def test_an_animated_gif_is_rejected_not_cut_to_one_frame(
    toy: tuple[ToyServer, str],
) -> None:
    server, base = toy
    frames = [gradient_image(64, 48), Image.new("RGB", (64, 48), (9, 9, 9))]
    image = _encoded(frames[0], "GIF", save_all=True, append_images=frames[1:])
    mask = png_bytes(rect_mask(64, 48, (16, 12, 40, 30)))
    async with client(base, VirtualClock()) as c:
        with pytest.raises(ValidationError, match="animated GIF") as info:
            await c.inpaint(InpaintJob(image=image, mask=mask, prompt="a cat"), "toy")
    assert info.value.paths == ("$.image",)
    assert server.submits == []


# --- job files ------------------------------------------------------------------------------


def test_a_missing_job_file_is_a_validation_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    with pytest.raises(ValidationError, match="cannot be read") as info:
        load_job(path)
    assert str(path) in str(info.value)


def test_a_directory_as_job_file_is_a_validation_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="cannot be read"):
        load_job(tmp_path)


def test_a_job_file_that_is_not_utf8_is_a_validation_error(tmp_path: Path) -> None:
    path = tmp_path / "job.json"
    path.write_bytes(b'{"prompt": "caf\xe9"}')
    with pytest.raises(ValidationError, match="not UTF-8") as info:
        load_job(path)
    assert info.value.paths == ("$",)


def test_a_deeply_nested_job_file_is_a_validation_error(tmp_path: Path) -> None:
    path = tmp_path / "job.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValidationError, match="nested too deeply"):
        load_job(path)
    deep_extras = '{"novita": ' + '{"a": ' * 5_000 + "1" + "}" * 5_000 + "}"
    path.write_text(
        json.dumps({"image": "a.png", "mask": "b.png", "prompt": "x"})[:-1]
        + f', "extras": {deep_extras}}}'
    )
    try:
        load_job(path)
    except ValidationError as exc:
        str(exc)


# --- values that would break the message ----------------------------------------------------


def test_a_deeply_nested_value_does_not_crash_the_error_message() -> None:
    deep: Any = 1
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(ValidationError) as info:
        make_job(extras={"novita": deep})
    text = str(info.value)
    assert "$.extras.novita" in text
    assert len(text) < 1_000
    assert "[[[" in str(FieldError("$.x", "bad", deep))
    assert "[[[" in repr(FieldError("$.x", "bad", deep))
    assert "$.extras.novita" in repr(info.value.errors)


def test_a_value_whose_repr_fails_does_not_hide_the_error() -> None:
    class Hostile:
        def __repr__(self) -> str:
            raise RuntimeError("no")

    error = FieldError("$.x", "bad", Hostile())
    assert "Hostile" in str(error)
    assert "Hostile" in repr(error)


@pytest.mark.parametrize("field", ["prompt", "negative_prompt"])
def test_a_lone_surrogate_is_not_valid_text(field: str) -> None:
    changes = {field: "a cat \ud800 on a mat"}
    if field != "prompt":
        changes["prompt"] = "a cat"
    with pytest.raises(ValidationError, match="valid Unicode text") as info:
        InpaintJob(
            image=png_bytes(gradient_image(8, 8)), mask=png_bytes(gradient_image(8, 8)), **changes
        )
    assert info.value.paths == (f"$.{field}",)


async def test_an_input_url_that_answers_404_is_the_jobs_error_naming_the_url() -> None:
    """The user's own image URL answering 404 is bad input (a ValidationError at the field, not
    a 'problem at the provider' to retry later); nothing is submitted."""
    import attrs
    from inpaintkit.provider import HttpResponse
    from inpaintkit.transport import MemoryTransport, OutgoingRequest

    def handle(request: OutgoingRequest) -> HttpResponse:
        return HttpResponse(404, b"Not Found", {"content-type": "text/plain"})

    transport = MemoryTransport(handle)
    url = "https://images.example/missing.png"
    job = attrs.evolve(make_job(), image=ImageInput(url=url))
    async with client("http://toy.invalid", VirtualClock(), transport=transport) as c:
        with pytest.raises(ValidationError) as info:
            await c.inpaint(job, "toy")
    (error,) = info.value.errors
    assert error.path == "$.image.url"
    assert "HTTP 404" in error.rule
    assert error.value == url
    assert [r.method for r in transport.requests] == ["GET"]  # no retry, no submit
