"""Image URLs through the allow-list, rate limits, deterministic outputs and documented errors."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit.clock import VirtualClock
from inpaintkit.mockserver import MockConfig, run_mock
from PIL import Image, ImageChops
from seed_examples import SDK_CAPTURE
from test_mock_lifecycle import (
    AUTH,
    b64png,
    modelslab_body,
    novita_body,
    plugin_manager,
    sdapi_body,
)
from test_mock_webhooks import Receiver, serve


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def start(clock: VirtualClock | None = None, **options: Any) -> Any:
    return run_mock(
        MockConfig(**{"seed": 11, "task_duration": 10.0, **options}),
        plugin_manager=plugin_manager(),
        clock=clock or VirtualClock(auto_advance=False),
    )


class ImageReceiver(Receiver):
    async def handle(self, request: aiohttp.web.Request) -> aiohttp.web.Response:
        self.calls.append((request.method, request.path, None))
        image = (
            gradient_image(512, 512)
            if "init" in request.path
            else rect_mask(512, 512, (0, 0, 8, 8))
        )
        return aiohttp.web.Response(body=png_bytes(image), content_type="image/png")


# -- allow-list -------------------------------------------------------------------------------


async def test_url_outside_allow_list_is_not_fetched(session: aiohttp.ClientSession) -> None:
    origin = ImageReceiver()
    async with serve(origin) as host, start() as mock:
        body = sdapi_body(init_image=f"{host}/init.png", mask_image=f"{host}/mask.png")
        r = await session.post(f"{mock.url}/api/v3/inpaint", json=body)
        result = await r.json()
        assert result["status"] == "success"
        assert origin.calls == []  # loopback is not special for fetches: never contacted
        outcomes = {e["role"]: e["outcome"] for e in mock.journal("fetch")}
        assert outcomes == {
            "init_image": "replaced by synthetic image",
            "mask_image": "replaced by synthetic image",
        }
        (request_entry,) = mock.journal("request")
        assert any("synthetic" in note for note in request_entry["notes"])
        image = await (await session.get(result["output"][0])).read()
        assert Image.open(io.BytesIO(image)).size == (512, 512)


async def test_allowed_host_is_fetched(session: aiohttp.ClientSession) -> None:
    origin = ImageReceiver()
    async with serve(origin) as host:
        allowed = host.removeprefix("http://")
        async with start(fetch_allowed_hosts=(allowed,)) as mock:
            body = modelslab_body(init_image=f"{host}/init.png", mask_image=f"{host}/mask.png")
            r = await session.post(f"{mock.url}/api/v6/images/inpaint", json=body)
            assert (await r.json())["status"] == "success"
            assert sorted(c[1] for c in origin.calls) == ["/init.png", "/mask.png"]
            assert {e["outcome"] for e in mock.journal("fetch")} == {"fetched"}


async def test_strict_mode_answers_the_fetch_error(session: aiohttp.ClientSession) -> None:
    async with start(strict_urls=True) as mock:
        r = await session.post(f"{mock.url}/api/v6/images/inpaint", json=modelslab_body())
        assert r.status == 400
        assert (await r.json()) == {
            "status": "error",
            "message": "Unable to fetch image from provided URL",
        }


# -- rate limits ------------------------------------------------------------------------------


async def test_novita_images_per_minute(session: aiohttp.ClientSession) -> None:
    clock = VirtualClock(auto_advance=False)
    async with start(clock) as mock:
        url = f"{mock.url}/v3/async/inpainting"
        statuses = []
        for _ in range(3):  # 4 images each: 4, 8, then 12 > 10
            r = await session.post(url, json=novita_body(image_num=4), headers=AUTH)
            statuses.append(r.status)
        assert statuses == [200, 200, 429]
        assert (await r.json())["reason"] == "RATE_LIMIT_EXCEEDED"
        other = {"Authorization": "Bearer another-key"}
        assert (await session.post(url, json=novita_body(image_num=4), headers=other)).status == 200
        clock.advance(60)
        assert (await session.post(url, json=novita_body(image_num=4), headers=AUTH)).status == 200


async def test_modelslab_queue_cap(session: aiohttp.ClientSession) -> None:
    clock = VirtualClock(auto_advance=False)
    async with start(clock, sync_mode="processing") as mock:
        url = f"{mock.url}/api/v6/images/inpaint"
        statuses = [(await session.post(url, json=modelslab_body(seed=i))).status for i in range(6)]
        assert statuses == [200] * 5 + [429]
        r = await session.post(url, json=modelslab_body(seed=99))
        body = await r.json()
        assert body["status"] == "error"
        assert body["retry_after"] == 30
        assert "5 queued" in body["message"]
        clock.advance(10)  # the queue drains
        assert (await session.post(url, json=modelslab_body(seed=100))).status == 200


async def test_sdapi_duplicate_request_spam_filter(session: aiohttp.ClientSession) -> None:
    clock = VirtualClock(auto_advance=False)
    async with start(clock) as mock:
        url = f"{mock.url}/api/v3/inpaint"
        assert (await session.post(url, json=sdapi_body(seed=1))).status == 200
        r = await session.post(url, json=sdapi_body(seed=1))
        assert r.status == 429
        assert "same request" in (await r.json())["tips"]
        assert (await session.post(url, json=sdapi_body(seed=2))).status == 200  # differs
        clock.advance(30)
        assert (await session.post(url, json=sdapi_body(seed=1))).status == 200


# -- determinism and the fill ---------------------------------------------------------------


async def _novita_image(session: aiohttp.ClientSession, seed: int, body: dict[str, Any]) -> bytes:
    async with start(finish_after_polls=1, seed=seed) as mock:
        r = await session.post(f"{mock.url}/v3/async/inpainting", json=body, headers=AUTH)
        task_id = (await r.json())["task_id"]
        r = await session.get(
            f"{mock.url}/v3/async/task-result", params={"task_id": task_id}, headers=AUTH
        )
        result = await r.json()
        return await (await session.get(result["images"][0]["image_url"])).read()


async def test_same_seed_same_bytes_and_unmasked_pixels_kept(
    session: aiohttp.ClientSession,
) -> None:
    source = gradient_image(80, 60)
    box = (10, 10, 40, 30)
    body = novita_body(
        image_num=1,
        seed=1234,
        image_base64=b64png(source),
        mask_image_base64=b64png(rect_mask(80, 60, box)),
    )
    first = await _novita_image(session, 1, body)
    second = await _novita_image(session, 2, body)  # server seed differs; request seed rules
    assert first == second
    other = await _novita_image(session, 1, novita_body(**{**body["request"], "seed": 99}))
    assert other != first

    out = Image.open(io.BytesIO(first)).convert("RGB")
    keep = Image.new("L", source.size, 255)
    keep.paste(0, box)
    diff = ImageChops.difference(out, source.convert("RGB"))
    unmasked_diff = ImageChops.multiply(diff.convert("L"), keep)
    assert unmasked_diff.getbbox() is None  # every unmasked pixel unchanged
    assert diff.crop(box).getbbox() is not None  # the masked area was repainted


async def test_random_seed_draws_are_seeded_and_ids_deterministic(
    session: aiohttp.ClientSession,
) -> None:
    async def run() -> tuple[list[str], list[str]]:
        async with start(finish_after_polls=1) as mock:
            ids, seeds = [], []
            for _ in range(2):
                r = await session.post(
                    f"{mock.url}/v3/async/inpainting", json=novita_body(seed=-1), headers=AUTH
                )
                ids.append((await r.json())["task_id"])
                r = await session.get(
                    f"{mock.url}/v3/async/task-result",
                    params={"task_id": ids[-1]},
                    headers=AUTH,
                )
                seeds.append((await r.json())["extra"]["seed"])
            return ids, seeds

    first, second = await run(), await run()
    assert first == second
    assert len(set(first[0])) == 2


# -- documented errors through the contracts --------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "status", "reason"),
    [({}, 400, "MISSING_API_KEY"), ({"Authorization": "Bearer wrong"}, 403, "INVALID_API_KEY")],
)
async def test_novita_auth_errors(
    session: aiohttp.ClientSession, headers: dict[str, str], status: int, reason: str
) -> None:
    async with start(valid_keys=("test-key",)) as mock:
        r = await session.post(
            f"{mock.url}/v3/async/inpainting", json=novita_body(), headers=headers
        )
        assert r.status == status
        assert (await r.json())["reason"] == reason


async def test_novita_out_of_range_and_mask_mismatch(session: aiohttp.ClientSession) -> None:
    async with start() as mock:
        url = f"{mock.url}/v3/async/inpainting"
        r = await session.post(url, json=novita_body(steps=0), headers=AUTH)
        body = await r.json()
        assert r.status == 400
        assert body["reason"] == "INVALID_REQUEST_BODY"
        assert "request.steps" in body["message"]
        mask = b64png(rect_mask(32, 32, (0, 0, 8, 8)))
        r = await session.post(url, json=novita_body(mask_image_base64=mask), headers=AUTH)
        assert r.status == 400
        assert "mask_image_base64" in (await r.json())["message"]
        r = await session.post(url, json=novita_body(image_base64="bm90IGFuIGltYWdl"), headers=AUTH)
        assert (await r.json())["reason"] == "INVALID_IMAGE_FORMAT"
        r = await session.post(url, data=b"{not json", headers=AUTH)
        assert r.status == 400


async def test_sd_validation_error_body_and_unknown_fetch_id(
    session: aiohttp.ClientSession,
) -> None:
    async with start() as mock:
        body = sdapi_body()
        del body["prompt"]
        r = await session.post(f"{mock.url}/api/v3/inpaint", json=body)
        assert (await r.json()) == {
            "status": "error",
            "message": {"prompt": ["The prompt field is required."]},
        }
        r = await session.post(f"{mock.url}/api/v3/fetch/123", json={"key": "test-key"})
        assert r.status == 404
        assert (await r.json())["status"] == "error"
        r = await session.post(f"{mock.url}/api/v6/images/inpaint", json=modelslab_body(key=""))
        assert r.status == 401


async def test_sdk_style_novita_body_is_accepted(session: aiohttp.ClientSession) -> None:
    """What the official Python SDK sends: nulls, "" for sd_vae, {} for storage and plan."""
    body = SDK_CAPTURE
    async with start() as mock:
        r = await session.post(f"{mock.url}/v3/async/inpainting", json=body, headers=AUTH)
        assert r.status == 200, await r.text()


# -- the seed documents' examples, sent as written ------------------------------------------


async def test_novita_seed_004_example_as_written(session: aiohttp.ClientSession) -> None:
    """Seed 004's body (with images filled in), including its undocumented inpainting_fill."""
    body = {
        "extra": {"response_image_type": "jpeg"},
        "request": {
            "model_name": "realisticVisionV40_v40VAE-inpainting_81543.safetensors",
            "prompt": "Leonardo DiCaprio",
            "negative_prompt": "(deformed iris, deformed pupils), text, cropped, out of frame",
            "image_num": 1,
            "steps": 25,
            "seed": -1,
            "clip_skip": 1,
            "guidance_scale": 7.5,
            "sampler_name": "Euler a",
            "mask_blur": 1,
            "inpainting_fill": 1,
            "inpainting_full_res": 1,
            "inpainting_full_res_padding": 32,
            "inpainting_mask_invert": 0,
            "initial_noise_multiplier": 1,
            "strength": 0.85,
            "image_base64": b64png(gradient_image(64, 64)),
            "mask_image_base64": b64png(rect_mask(64, 64, (8, 8, 40, 40))),
        },
    }
    async with start(finish_after_polls=1) as mock:
        r = await session.post(f"{mock.url}/v3/async/inpainting", json=body, headers=AUTH)
        assert r.status == 200
        task_id = (await r.json())["task_id"]
        r = await session.get(
            f"{mock.url}/v3/async/task-result", params={"task_id": task_id}, headers=AUTH
        )
        result = await r.json()
        assert result["task"]["status"] == "TASK_STATUS_SUCCEED"
        assert result["images"][0]["image_type"] == "jpeg"
        notes = mock.journal("request")[0]["notes"] or []
        assert not any("inpainting_fill" in note for note in notes), notes  # a known field now


async def test_modelslab_seed_003_example_as_written(session: aiohttp.ClientSession) -> None:
    body = {
        "key": "your_api_key",
        "model_id": "pony_realism",
        "prompt": "a cat sitting on a bench",
        "negative_prompt": None,
        "init_image": "https://raw.githubusercontent.com/CompVis/stable-diffusion/main/data/"
        "inpainting_examples/overture-creations-5sI6fQgYIuo.png",
        "mask_image": "https://raw.githubusercontent.com/CompVis/stable-diffusion/main/data/"
        "inpainting_examples/overture-creations-5sI6fQgYIuo_mask.png",
        "width": "512",
        "height": "512",
        "samples": "1",
        "steps": "21",
        "safety_checker": "no",
        "guidance_scale": 7.5,
        "strength": 0.7,
        "scheduler": "DPMSolverMultistepScheduler",
        "use_karras_sigmas": "yes",
        "algorithm_type": "sde-dpmsolver++",
        "clip_skip": "2",
        "seed": None,
        "webhook": None,
        "track_id": None,
    }
    async with start() as mock:
        r = await session.post(f"{mock.url}/api/v6/images/inpaint", json=body)
        result = await r.json()
        assert result["status"] == "success", result
        assert result["meta"]["model_id"] == "pony_realism"
        assert result["meta"]["W"] == 512
        assert result["proxy_links"] == result["output"]
        r = await session.post(f"{mock.url}/api/v6/images/inpaint", json={**body, "clip_skip": "5"})
        assert r.status == 400
        assert "clip_skip" in (await r.json())["message"]


async def test_openapi_documents_are_served(session: aiohttp.ClientSession) -> None:
    async with start() as mock:
        index = await (await session.get(f"{mock.url}/__mock/openapi/")).json()
        assert sorted(index) == ["modelslab", "novita", "stablediffusionapi"]
        document = await (await session.get(index["novita"])).json()
        assert document["openapi"].startswith("3.1")
        assert "/v3/async/inpainting" in document["paths"]
        assert mock.url in [s["url"] for s in document.get("servers", [])]
        r = await session.get(f"{mock.url}/__mock/openapi/nobody.json")
        assert r.status == 404
