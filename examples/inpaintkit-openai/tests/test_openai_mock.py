"""The mock speaks OpenAI's endpoint: multipart validation, error bodies, both answer formats."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from typing import Any

import aiohttp
import pytest
from inpaintkit.mockserver import AsyncMock
from inpaintkit_openai import alpha_mask
from openai_testdata import HOLE, KEY, SIZE, image_png, mask_png, png
from PIL import Image, ImageChops

IMAGE = image_png(mode="RGBA")
ALPHA = alpha_mask(mask_png())
DEFAULTS: dict[str, str | None] = {
    "prompt": "moss",
    "model": "dall-e-2",
    "size": "256x256",
    "response_format": "b64_json",
}


def form(fields: dict[str, str], files: dict[str, bytes]) -> aiohttp.FormData:
    data = aiohttp.FormData()
    for name, value in fields.items():
        data.add_field(name, value)
    for name, content in files.items():
        data.add_field(name, content, filename=f"{name}.png", content_type="image/png")
    return data


async def post(
    mock: AsyncMock,
    fields: Mapping[str, str | None] | None = None,
    files: dict[str, bytes] | None = None,
    key: str | None = KEY,
) -> tuple[int, Any]:
    """POST an edit: the plugin's usual fields, changed by ``fields`` (``None`` removes one)."""
    merged = {**DEFAULTS, **(fields or {})}
    sent = {name: value for name, value in merged.items() if value is not None}
    files = {"image": IMAGE, "mask": ALPHA} if files is None else files
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            mock.url + "/v1/images/edits", data=form(sent, files), headers=headers
        ) as response,
    ):
        return response.status, await response.json()


def problem(answer: Any) -> tuple[str | None, str | None]:
    return answer["error"]["param"], answer["error"]["code"]


async def test_an_edit_changes_only_the_transparent_pixels(mock: AsyncMock) -> None:
    status, answer = await post(mock, {"n": "2"})
    assert status == 200
    assert len(answer["data"]) == 2
    out = Image.open(io.BytesIO(base64.b64decode(answer["data"][0]["b64_json"])))
    changed = ImageChops.difference(
        out.convert("RGB"), Image.open(io.BytesIO(IMAGE)).convert("RGB")
    )
    box = changed.getbbox()
    assert box is not None
    assert box[0] >= HOLE[0]
    assert box[1] >= HOLE[1]
    assert box[2] <= HOLE[2]
    assert box[3] <= HOLE[3]


async def test_url_answers_are_served_by_the_mock(mock: AsyncMock) -> None:
    status, answer = await post(mock, {"response_format": "url"})
    assert status == 200
    async with aiohttp.ClientSession() as session, session.get(answer["data"][0]["url"]) as got:
        assert got.status == 200
        assert Image.open(io.BytesIO(await got.read())).size == SIZE


@pytest.mark.parametrize(
    ("fields", "files", "expected"),
    [
        ({"n": "11"}, None, ("n", "integer_above_max_value")),
        ({"n": "0"}, None, ("n", "integer_below_min_value")),
        ({"n": "two"}, None, ("n", "invalid_type")),
        ({"size": "768x768"}, None, ("size", "invalid_value")),
        ({"prompt": "x" * 1001}, None, ("prompt", "string_above_max_length")),
        ({"prompt": ""}, None, ("prompt", "string_below_min_length")),
        ({"model": "dall-e-9"}, None, ("model", "invalid_value")),
        (
            {"model": "gpt-image-1", "size": "1024x1024"},
            None,
            ("response_format", "unknown_parameter"),
        ),
        ({"cfg_scale": "7"}, None, (None, None)),
        ({}, {"mask": ALPHA}, ("image", "missing_required_parameter")),
        (
            {},
            {
                "image": image_png((512, 256), "RGBA"),
                "mask": alpha_mask(mask_png((512, 256))),
            },
            ("image", "invalid_image"),
        ),
        ({}, {"image": IMAGE, "mask": mask_png()}, ("mask", "invalid_image")),
        (
            {},
            {"image": IMAGE, "mask": alpha_mask(mask_png((512, 512)))},
            ("mask", "image_mask_size_mismatch"),
        ),
    ],
)
async def test_invalid_forms_get_openai_errors(
    mock: AsyncMock, fields: dict[str, str], files: dict[str, bytes] | None, expected: Any
) -> None:
    status, answer = await post(mock, fields, files)
    assert status == 400
    assert problem(answer) == expected
    assert answer["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize("mode", ["RGB", "P", "I;16"])
async def test_dall_e_2_refuses_an_image_without_alpha_or_grey(mock: AsyncMock, mode: str) -> None:
    """The live endpoint's 400 (not in the OpenAPI description): "Invalid input image - format
    must be in ['RGBA', 'LA', 'L'], got RGB."  RGB is what most photos are."""
    image = Image.open(io.BytesIO(IMAGE)).convert("RGB")
    image = image.convert("L").convert(mode) if mode == "I;16" else image.convert(mode)
    status, answer = await post(mock, files={"image": png(image), "mask": ALPHA})
    assert status == 400
    assert answer["error"]["message"] == (
        f"Invalid input image - format must be in ['RGBA', 'LA', 'L'], got {mode}."
    )


@pytest.mark.parametrize("mode", ["RGBA", "LA", "L"])
async def test_dall_e_2_takes_an_image_in_rgba_la_or_l(mock: AsyncMock, mode: str) -> None:
    image = Image.open(io.BytesIO(IMAGE)).convert(mode)
    status, answer = await post(mock, files={"image": png(image), "mask": ALPHA})
    assert status == 200, answer


@pytest.mark.parametrize(
    "model", ["gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5", "chatgpt-image-latest"]
)
async def test_a_gpt_image_model_takes_a_longer_prompt_and_any_shape(
    mock: AsyncMock, model: str
) -> None:
    fields = {"model": model, "prompt": "x" * 1001, "size": "1024x1024"}
    wide = {"image": image_png((64, 32)), "mask": alpha_mask(mask_png((64, 32), (0, 0, 8, 8)))}
    status, answer = await post(mock, {**fields, "response_format": None}, wide)
    assert status == 200, answer


@pytest.mark.parametrize(("key", "code"), [(None, None), ("sk-not-the-key", "invalid_api_key")])
async def test_keys_are_checked_first(mock: AsyncMock, key: str | None, code: str | None) -> None:
    status, answer = await post(mock, {"n": "99"}, key=key)
    assert status == 401
    assert problem(answer) == (None, code)


async def test_json_bodies_are_refused(mock: AsyncMock) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            mock.url + "/v1/images/edits",
            json={"prompt": "x"},
            headers={"Authorization": f"Bearer {KEY}"},
        ) as response,
    ):
        assert response.status == 400
        assert "multipart/form-data" in (await response.json())["error"]["message"]
