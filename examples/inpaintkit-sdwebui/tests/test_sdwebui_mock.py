"""The web UI mock: the server's rules over HTTP (types, required images, samplers, auth) and
outputs that look like inpainting (unmasked pixels kept, seed reported in ``info``)."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import aiohttp
import pytest
from inpaintkit.hookspecs import hookimpl
from inpaintkit.mockserver import AsyncMock, MockConfig, run_mock
from inpaintkit_sdwebui.mock import SdWebUiMock, check_body, resolve_sampler
from PIL import Image
from sdwebui_testdata import HOLE, SIZE, image_png, mask_png, plugin_manager

IMAGE_B64 = base64.b64encode(image_png()).decode()
MASK_B64 = base64.b64encode(mask_png()).decode()


def body(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "init_images": [IMAGE_B64],
        "mask": MASK_B64,
        "prompt": "moss",
        "width": SIZE[0],
        "height": SIZE[1],
        "steps": 20,
        "inpaint_full_res": False,
        "inpainting_fill": 1,
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not _ABSENT}


_ABSENT = object()


async def post(mock: AsyncMock, payload: Any, **headers: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        async with session.post(
            mock.url + "/sdapi/v1/img2img",
            data=data,
            headers={"Content-Type": "application/json", **headers},
        ) as response:
            return response.status, await response.json()


def decode(text: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(text))).convert("RGB")


async def test_success_keeps_the_unmasked_pixels_and_reports_the_seed(mock: AsyncMock) -> None:
    status, answer = await post(mock, body(seed=77, batch_size=2))
    assert status == 200
    assert len(answer["images"]) == 2
    info = json.loads(answer["info"])
    assert info["seed"] == 77
    assert info["all_seeds"] == [77, 78]
    original = decode(IMAGE_B64)
    out = decode(answer["images"][0])
    assert out.size == SIZE
    left, top, right, bottom = HOLE
    for x, y in [(0, 0), (95, 63), (left - 1, top), (right, bottom)]:
        assert out.getpixel((x, y)) == original.getpixel((x, y)), (x, y)
    inside = [(x, y) for x in range(left, right) for y in range(top, bottom)]
    changed = sum(out.getpixel(p) != original.getpixel(p) for p in inside)
    assert changed > len(inside) * 0.9
    assert answer["parameters"]["init_images"] is None  # include_init_images defaults to false
    assert answer["images"][0] != answer["images"][1]  # seed + i per image


async def test_random_seed_is_drawn_deterministically_and_reported() -> None:
    seeds = []
    for _ in range(2):
        async with run_mock(MockConfig(seed=3), plugin_manager=plugin_manager()) as mock:
            status, answer = await post(mock, body(seed=-1))
            assert status == 200
            seeds.append(json.loads(answer["info"])["seed"])
    assert seeds[0] == seeds[1] >= 0


async def test_wrong_types_are_all_listed_in_one_422(mock: AsyncMock) -> None:
    status, answer = await post(
        mock, body(steps="many", inpaint_full_res="maybe", override_settings=3)
    )
    assert status == 422
    assert [item["loc"] for item in answer["detail"]] == [
        ["body", "steps"],
        ["body", "inpaint_full_res"],
        ["body", "override_settings"],
    ]
    assert answer["detail"][0] == {
        "loc": ["body", "steps"],
        "msg": "value is not a valid integer",
        "type": "type_error.integer",
    }
    journal = mock.journal("request", provider="sdwebui")
    assert journal[-1]["status"] == 422


async def test_pydantic_v1_coercions_are_accepted_like_the_server(mock: AsyncMock) -> None:
    status, answer = await post(
        mock, body(steps="20", cfg_scale="7.5", inpaint_full_res="no", seed=5.9, unknown_knob=1)
    )
    assert status == 200
    assert answer["parameters"]["steps"] == 20
    assert answer["parameters"]["inpaint_full_res"] is False
    assert json.loads(answer["info"])["seed"] == 5
    notes = mock.journal("request", provider="sdwebui")[-1]["notes"]
    assert "ignored unknown field unknown_knob" in notes


async def test_no_ranges_are_checked_but_the_pipeline_failures_are(mock: AsyncMock) -> None:
    status, _ = await post(mock, body(steps=500, cfg_scale=99, mask_blur=300))
    assert status == 200
    status, answer = await post(mock, body(steps=None))
    assert status == 500
    assert answer["error"] == "TypeError"
    status, answer = await post(mock, body(width=4))
    assert status == 500
    assert set(answer) == {"error", "detail", "body", "errors"}
    status, answer = await post(mock, body(override_settings={"CLIP_stop_at_last_layers": 13}))
    assert (status, answer["error"]) == (500, "IndexError")
    status, _ = await post(mock, body(override_settings={"CLIP_stop_at_last_layers": 12}))
    assert status == 200


async def test_missing_init_images_is_404_and_a_bad_image_500(mock: AsyncMock) -> None:
    status, answer = await post(mock, body(init_images=_ABSENT))
    assert (status, answer["detail"]) == (404, "Init image not found")
    assert answer["errors"] == "404: Init image not found"
    status, answer = await post(mock, body(mask="bm90IGFuIGltYWdl"))
    assert (status, answer["detail"]) == (500, "Invalid encoded image")
    status, answer = await post(mock, body(init_images=[]))
    assert (status, answer["error"]) == (500, "IndexError")


async def test_a_body_that_is_not_json_or_not_an_object_is_422(mock: AsyncMock) -> None:
    status, answer = await post(mock, b"{not json")
    assert status == 422
    assert answer["detail"][0]["type"] == "value_error.jsondecode"
    status, answer = await post(mock, [1, 2])
    assert (status, answer["detail"][0]["type"]) == (422, "type_error.dict")


async def test_unknown_sampler_is_refused_and_karras_names_are_split(mock: AsyncMock) -> None:
    status, answer = await post(mock, body(sampler_name="Euler Turbo"))
    assert (status, answer["detail"]) == (404, "Sampler not found")
    status, answer = await post(mock, body(sampler_name="DPM++ 2M Karras", scheduler="Karras"))
    assert status == 200
    info = json.loads(answer["info"])
    assert info["sampler_name"] == "DPM++ 2M"
    assert info["extra_generation_params"]["Schedule type"] == "Karras"


def test_sampler_resolution_transcribes_v1_10() -> None:
    assert resolve_sampler("DPM++ 2M Karras", None) == resolve_sampler("DPM++ 2M", None)
    assert resolve_sampler("DPM++ 2M", None).scheduler == "Automatic"
    assert resolve_sampler("LMS Karras", None).scheduler == "Karras"
    assert resolve_sampler("Euler a", "Uniform").scheduler == "Uniform"
    assert resolve_sampler(None, None).sampler == "DPM++ 2M"
    unknown = resolve_sampler("Nope", None)
    assert (unknown.known, unknown.sampler) == (False, "DPM++ 2M")


def test_the_model_checks_types_not_ranges() -> None:
    accepted = check_body({"steps": 10_000, "batch_size": True, "prompt": 5, "mask": None})
    assert not isinstance(accepted, list)
    assert accepted.values == {"steps": 10_000, "batch_size": 1, "prompt": "5", "mask": None}
    assert accepted.get("mask_blur_x") == 4
    rejected = check_body({"batch_size": 2.5e400, "styles": "x", "cfg_scale": []})
    assert isinstance(rejected, list)
    assert [item["type"] for item in rejected] == [
        "type_error.integer",
        "type_error.list",
        "type_error.float",
    ]


async def test_samplers_and_schedulers_are_listed(mock: AsyncMock) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(mock.url + "/sdapi/v1/samplers") as response:
            samplers = await response.json()
        async with session.get(mock.url + "/sdapi/v1/schedulers") as response:
            schedulers = await response.json()
    names = [s["name"] for s in samplers]
    assert names[0] == "DPM++ 2M"
    assert {"Euler a", "DDIM", "UniPC"} <= set(names)
    assert samplers[0]["options"] == {"scheduler": "karras"}
    assert [s["label"] for s in schedulers][:3] == ["Automatic", "Uniform", "Karras"]


class _Configured:
    def __init__(self, mock: SdWebUiMock) -> None:
        self.mock = mock

    @hookimpl
    def register_mocks(self, register: Any) -> None:
        register(self.mock)


async def test_api_auth_demands_http_basic_and_keeps_the_password_out_of_the_journal() -> None:
    plugin = _Configured(SdWebUiMock(api_auth="ann:s3cret,bob:pw"))
    async with run_mock(plugin_manager=plugin_manager(plugin)) as mock:
        status, answer = await post(mock, body())
        assert (status, answer["detail"]) == (401, "Not authenticated")
        wrong = base64.b64encode(b"ann:guess").decode()
        status, answer = await post(mock, body(), Authorization=f"Basic {wrong}")
        assert (status, answer["detail"]) == (401, "Incorrect username or password")
        status, answer = await post(mock, body(), Authorization="Basic sdwebui-no-auth")
        assert (status, answer["detail"]) == (401, "Invalid authentication credentials")
        good = base64.b64encode(b"ann:s3cret").decode()
        status, _ = await post(mock, body(), Authorization=f"Basic {good}")
        assert status == 200
        journal = json.dumps(mock.journal())
    assert "s3cret" not in journal
    assert good not in journal
    assert "s3cret" not in repr(plugin.mock)


async def test_the_mock_servers_valid_keys_play_api_auth_credentials() -> None:
    """As the conformance suite configures it: only the given keys pass, compared whole."""
    config = MockConfig(seed=1, valid_keys=("suite-key",))
    async with run_mock(config, plugin_manager=plugin_manager()) as mock:
        status, answer = await post(mock, body())
        assert (status, answer["detail"]) == (401, "Not authenticated")
        wrong = base64.b64encode(b"other-key").decode()
        status, answer = await post(mock, body(), Authorization=f"Basic {wrong}")
        assert (status, answer["detail"]) == (401, "Incorrect username or password")
        good = base64.b64encode(b"suite-key").decode()
        status, _ = await post(mock, body(), Authorization=f"Basic {good}")
        assert status == 200
        assert "suite-key" not in json.dumps(mock.journal())


async def test_without_api_every_route_is_fastapis_404() -> None:
    plugin = _Configured(SdWebUiMock(api_enabled=False))
    async with run_mock(plugin_manager=plugin_manager(plugin)) as mock:
        status, answer = await post(mock, body())
    assert (status, answer) == (404, {"detail": "Not Found"})


async def test_fallback_mode_replaces_an_unknown_sampler_like_v1_9() -> None:
    plugin = _Configured(SdWebUiMock(unknown_sampler="fallback"))
    async with run_mock(plugin_manager=plugin_manager(plugin)) as mock:
        status, answer = await post(mock, body(sampler_name="Euler Turbo"))
        notes = mock.journal("request")[-1]["notes"]
    assert status == 200
    assert json.loads(answer["info"])["sampler_name"] == "DPM++ 2M"
    assert any("unknown sampler replaced" in note for note in notes)


async def test_injected_faults_answer_in_the_web_uis_words(mock: AsyncMock) -> None:
    mock.set_fault("server_error", provider="sdwebui")
    status, answer = await post(mock, body())
    assert status == 500
    assert set(answer) == {"error", "detail", "body", "errors"}


def test_bad_mock_options_are_refused_with_the_rule() -> None:
    with pytest.raises(ValueError, match="user:password"):
        SdWebUiMock(api_auth="nocolon")
    with pytest.raises(ValueError, match="'reject' or 'fallback'"):
        SdWebUiMock(unknown_sampler="ignore")  # type: ignore[arg-type]


async def test_a_masked_whole_picture_side_off_the_latent_grid_fails_as_the_server(
    mock: AsyncMock,
) -> None:
    # processing.py: the result is (side // 8) * 8 wide, the overlay width x height, and
    # apply_overlay's alpha_composite raises "images do not match".
    status, answer = await post(mock, body(width=100, height=64))
    assert (status, answer["error"], answer["errors"]) == (500, "ValueError", "images do not match")
    # Only-masked resizes the result to the crop box, and no mask means no overlay: both run.
    status, _ = await post(mock, body(width=100, height=64, inpaint_full_res=True))
    assert status == 200
    status, _ = await post(mock, body(width=100, height=64, mask=_ABSENT))
    assert status == 200
    status, _ = await post(mock, body(width=104, height=64))
    assert status == 200
