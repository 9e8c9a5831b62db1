"""The request the plugin builds: a golden multipart body, and the alpha mask pixel by pixel."""

from __future__ import annotations

import email.parser
import email.policy
import io
from typing import Any

import pytest
from inpaintkit.checking import check_built, check_request
from inpaintkit.job import InpaintJob
from inpaintkit.provider import PreparedImage, PreparedRequest
from inpaintkit.transport import outgoing
from inpaintkit_openai import SPEC, OpenAIAdapter, alpha_mask
from inpaintkit_openai.alpha import edit_image
from openai_testdata import HOLE, SIZE, image_png, mask_png, png
from PIL import Image, ImageChops

IMAGE = image_png()
MASK = mask_png()


def checked(**changes: Any) -> Any:
    job = InpaintJob(image=IMAGE, mask=MASK, prompt="green moss", **changes)
    image = PreparedImage(IMAGE, "png", *SIZE)
    mask = PreparedImage(MASK, "png", *SIZE)
    return check_request(PreparedRequest(job, image, mask), SPEC)


def parse_multipart(content_type: str, body: bytes) -> list[tuple[str, str | None, str, bytes]]:
    """(name, filename, content type, bytes) of every part, in order, read by the stdlib."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    assert message.is_multipart()
    parts = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        assert isinstance(name, str)
        assert isinstance(payload, bytes)
        parts.append((name, part.get_filename(), part.get_content_type(), payload))
    return parts


def test_golden_multipart_body() -> None:
    request = checked(num_images=2)
    built = OpenAIAdapter().build_submit(request)
    wire = outgoing(built, "https://api.openai.com")
    assert (wire.method, wire.url) == ("POST", "https://api.openai.com/v1/images/edits")
    assert wire.content is not None
    assert wire.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    parts = parse_multipart(wire.headers["Content-Type"], wire.content)
    text = [(name, data.decode()) for name, filename, _, data in parts if filename is None]
    assert text == [
        ("prompt", "green moss"),
        ("model", "dall-e-2"),
        ("n", "2"),
        ("size", "256x256"),
        ("response_format", "b64_json"),
    ]
    files = {name: (filename, kind, data) for name, filename, kind, data in parts if filename}
    assert list(files) == ["image", "mask"]
    assert files["image"] == ("image.png", "image/png", edit_image(IMAGE))
    assert files["mask"] == ("mask.png", "image/png", alpha_mask(MASK))
    check_built(built, request, SPEC)  # the core's own check agrees with the table


def test_model_and_count_are_sent_even_when_the_job_leaves_them_unset() -> None:
    built = OpenAIAdapter().build_submit(checked())
    assert built.form is not None
    assert built.form.fields["model"] == "dall-e-2"
    assert built.form.fields["n"] == "1"  # the neutral default, sent as text


def test_the_key_is_never_in_what_the_adapter_builds() -> None:
    built = OpenAIAdapter().build_submit(checked())
    assert not any(k.lower() == "authorization" for k in built.headers)


def test_alpha_mask_is_transparent_exactly_where_the_neutral_mask_is_white() -> None:
    converted = Image.open(io.BytesIO(alpha_mask(MASK)))
    assert converted.format == "PNG"
    assert converted.mode == "RGBA"
    assert converted.size == SIZE
    left, top, right, bottom = HOLE
    for y in range(SIZE[1]):
        for x in range(SIZE[0]):
            inside = left <= x < right and top <= y < bottom
            assert converted.getpixel((x, y)) == (0, 0, 0, 0 if inside else 255), (x, y)


@pytest.mark.parametrize(("gray", "alpha"), [(0, 255), (127, 255), (128, 0), (255, 0)])
def test_alpha_mask_threshold(gray: int, alpha: int) -> None:
    neutral = png(Image.new("L", (4, 4), gray))
    converted = Image.open(io.BytesIO(alpha_mask(neutral)))
    assert converted.getchannel("A").getextrema() == (alpha, alpha)


def test_an_rgb_image_is_sent_as_rgba_with_the_same_pixels() -> None:
    """dall-e-2 answers 400 "Invalid input image - format must be in ['RGBA', 'LA', 'L'], got
    RGB." to an RGB PNG, which is what most inputs are (the test image is one)."""
    assert Image.open(io.BytesIO(IMAGE)).mode == "RGB"
    built = OpenAIAdapter().build_submit(checked())
    assert built.form is not None
    sent = Image.open(io.BytesIO(built.form.files["image"].data))
    assert (sent.format, sent.mode, sent.size) == ("PNG", "RGBA", SIZE)
    assert sent.getchannel("A").getextrema() == (255, 255)
    original = Image.open(io.BytesIO(IMAGE))
    assert ImageChops.difference(sent.convert("RGB"), original).getbbox() is None


@pytest.mark.parametrize("mode", ["RGBA", "LA", "L"])
def test_an_image_dall_e_2_reads_is_sent_unchanged(mode: str) -> None:
    image = png(Image.open(io.BytesIO(IMAGE)).convert(mode))
    assert edit_image(image) == image
