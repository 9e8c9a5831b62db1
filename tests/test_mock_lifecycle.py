"""Full task lifecycles of the three mocked providers, on a manual virtual clock."""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pluggy
import pytest
from aiohttp import web
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit import hookspecs
from inpaintkit.clock import VirtualClock
from inpaintkit.mockserver import AsyncMock, MockConfig, builtin, run_mock
from PIL import Image

NOVITA_MODEL = "realisticVisionV40_v40VAE-inpainting_81543.safetensors"
AUTH = {"Authorization": "Bearer test-key"}


def plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    pm.register(builtin)
    return pm


def b64png(image: Image.Image) -> str:
    return base64.b64encode(png_bytes(image)).decode()


def novita_body(**request: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "extra": {"response_image_type": "png"},
        "request": {
            "model_name": NOVITA_MODEL,
            "prompt": "a red bench",
            "image_num": 2,
            "steps": 20,
            "guidance_scale": 7.5,
            "sampler_name": "Euler a",
            "seed": 42,
            "image_base64": b64png(gradient_image(96, 64)),
            "mask_image_base64": b64png(rect_mask(96, 64, (20, 10, 60, 40))),
        },
    }
    body["request"].update(request)
    return body


def sdapi_body(**fields: Any) -> dict[str, Any]:
    """The seed document's example body, sent as written (numbers as strings, nulls)."""
    body: dict[str, Any] = {
        "key": "test-key",
        "prompt": "a cat sitting on a bench",
        "negative_prompt": None,
        "init_image": "https://raw.githubusercontent.com/CompVis/stable-diffusion/main/data/"
        "inpainting_examples/overture-creations-5sI6fQgYIuo.png",
        "mask_image": "https://raw.githubusercontent.com/CompVis/stable-diffusion/main/data/"
        "inpainting_examples/overture-creations-5sI6fQgYIuo_mask.png",
        "width": "512",
        "height": "512",
        "samples": "1",
        "num_inference_steps": "30",
        "safety_checker": "no",
        "enhance_prompt": "yes",
        "guidance_scale": 7.5,
        "strength": 0.7,
        "base64": "no",
        "seed": None,
        "webhook": None,
        "track_id": None,
    }
    body.update(fields)
    return body


def modelslab_body(**fields: Any) -> dict[str, Any]:
    body = sdapi_body(model_id="lazymixv4-inpaint", steps="21", scheduler="UniPCMultistepScheduler")
    del body["num_inference_steps"], body["enhance_prompt"]
    body.update(fields)
    return body


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(auto_advance=False)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


async def start(clock: VirtualClock, **options: Any) -> Any:
    return run_mock(
        MockConfig(seed=7, task_duration=10.0, **options),
        plugin_manager=plugin_manager(),
        clock=clock,
    )


async def test_novita_queued_processing_succeed_with_downloadable_images(
    clock: VirtualClock, session: aiohttp.ClientSession
) -> None:
    async with await start(clock) as mock:
        r = await session.post(f"{mock.url}/v3/async/inpainting", json=novita_body(), headers=AUTH)
        assert r.status == 200
        submitted = await r.json()
        assert set(submitted) == {"task_id"}
        task_id = submitted["task_id"]
        url = f"{mock.url}/v3/async/task-result"

        async def poll() -> dict[str, Any]:
            resp = await session.get(url, params={"task_id": task_id}, headers=AUTH)
            assert resp.status == 200
            result: dict[str, Any] = await resp.json()
            return result

        first = await poll()  # t=0: queued for 3 s (30 % of 10 s), then 7 s of processing
        assert first["task"]["status"] == "TASK_STATUS_QUEUED"
        assert first["task"]["eta"] == 10
        assert first["images"] == []
        clock.advance(6.5)
        middle = await poll()
        assert middle["task"]["status"] == "TASK_STATUS_PROCESSING"
        assert middle["task"]["eta"] == 4
        assert middle["task"]["progress_percent"] == 50
        clock.advance(3.5)
        done = await poll()
        assert done["task"]["status"] == "TASK_STATUS_SUCCEED"
        assert done["task"]["eta"] == 0
        assert done["task"]["progress_percent"] == 100
        assert done["extra"]["seed"] == "42"
        assert len(done["images"]) == 2
        for image in done["images"]:
            assert image["image_type"] == "png"
            assert image["image_url_ttl"] == 3600
            assert "X-Amz-Expires=3600" in image["image_url"]
            assert image["nsfw_detection_result"] is None
            got = await session.get(image["image_url"])
            assert got.status == 200
            decoded = Image.open(io.BytesIO(await got.read()))
            assert decoded.format == "PNG"
            assert decoded.size == (96, 64)


async def test_novita_response_image_type_and_unknown_task(
    clock: VirtualClock, session: aiohttp.ClientSession
) -> None:
    async with await start(clock) as mock:
        body = novita_body(image_num=1)
        body["extra"]["response_image_type"] = "jpeg"
        r = await session.post(f"{mock.url}/v3/async/inpainting", json=body, headers=AUTH)
        task_id = (await r.json())["task_id"]
        clock.advance(10)
        r = await session.get(
            f"{mock.url}/v3/async/task-result", params={"task_id": task_id}, headers=AUTH
        )
        (image,) = (await r.json())["images"]
        data = await (await session.get(image["image_url"])).read()
        assert Image.open(io.BytesIO(data)).format == "JPEG"
        # Another key cannot see the task, and an unknown id is TASK_NOT_FOUND.
        for params, headers in (
            ({"task_id": task_id}, {"Authorization": "Bearer someone-else"}),
            ({"task_id": "00000000-0000-4000-8000-000000000000"}, AUTH),
        ):
            r = await session.get(
                f"{mock.url}/v3/async/task-result", params=params, headers=headers
            )
            assert r.status == 404
            assert (await r.json())["reason"] == "TASK_NOT_FOUND"


async def test_finish_after_n_polls_mode(
    clock: VirtualClock, session: aiohttp.ClientSession
) -> None:
    async with await start(clock, finish_after_polls=3) as mock:
        r = await session.post(f"{mock.url}/v3/async/inpainting", json=novita_body(), headers=AUTH)
        task_id = (await r.json())["task_id"]
        statuses = []
        for _ in range(3):
            r = await session.get(
                f"{mock.url}/v3/async/task-result", params={"task_id": task_id}, headers=AUTH
            )
            statuses.append((await r.json())["task"]["status"])
        assert statuses[:2] == ["TASK_STATUS_QUEUED", "TASK_STATUS_QUEUED"]
        assert statuses[2] == "TASK_STATUS_SUCCEED"
        assert clock.time() == 0.0  # no time passed: the polls alone finished it
        images = (await r.json())["images"]
        assert (await session.get(images[0]["image_url"])).status == 200


async def test_sdapi_instant_success_as_in_the_seed_example(
    clock: VirtualClock, session: aiohttp.ClientSession
) -> None:
    async with await start(clock) as mock:
        r = await session.post(f"{mock.url}/api/v3/inpaint", json=sdapi_body())
        assert r.status == 200
        body = await r.json()
        assert body["status"] == "success"
        assert isinstance(body["id"], int)
        assert isinstance(body["generationTime"], float)
        assert body["meta"]["W"] == 512
        assert body["meta"]["n_samples"] == 1
        (link,) = body["output"]
        got = await session.get(link)
        assert got.status == 200
        assert Image.open(io.BytesIO(await got.read())).size == (512, 512)


async def _sd_processing_lifecycle(
    mock: AsyncMock,
    clock: VirtualClock,
    session: aiohttp.ClientSession,
    submit_path: str,
    body: dict[str, Any],
    fetch: Any,
) -> None:
    r = await session.post(mock.url + submit_path, json=body)
    assert r.status == 200
    first = await r.json()
    assert first["status"] == "processing"
    assert first["messege"]
    assert first["eta"] == pytest.approx(10.0)
    assert first["output"] == []
    assert isinstance(first["id"], int)
    assert first["meta"]["id"] == str(first["id"])
    assert first["fetch_result"].startswith(mock.url)
    (future,) = first["future_links"]
    assert (await session.get(future)).status == 404  # not written yet

    pending = await fetch(first)
    assert pending["status"] == "processing"
    assert pending["output"] == ""
    clock.advance(10)
    done = await fetch(first)
    assert done == {"status": "success", "id": first["id"], "output": [future]}
    assert (await session.get(future)).status == 200


async def test_sdapi_processing_then_fetch(
    clock: VirtualClock, session: aiohttp.ClientSession
) -> None:
    async with await start(clock, sync_mode="processing") as mock:

        async def fetch(first: dict[str, Any]) -> Any:
            r = await session.post(first["fetch_result"], json={"key": "test-key"})
            assert r.status == 200
            return await r.json()

        await _sd_processing_lifecycle(mock, clock, session, "/api/v3/inpaint", sdapi_body(), fetch)
        r = await session.post(f"{mock.url}/api/v3/system_load", json={"key": "test-key"})
        assert await r.json() == {"queue_num": 0, "queue_time": 0, "status": "ok"}


@pytest.mark.parametrize("form", ["path", "request_id"])
async def test_modelslab_processing_then_both_fetch_forms(
    clock: VirtualClock, session: aiohttp.ClientSession, form: str
) -> None:
    async with await start(clock, sync_mode="processing") as mock:

        async def fetch(first: dict[str, Any]) -> Any:
            if form == "path":
                r = await session.post(first["fetch_result"], json={"key": "test-key"})
            else:
                r = await session.post(
                    f"{mock.url}/api/v6/images/fetch",
                    json={"key": "test-key", "request_id": first["id"]},
                )
            assert r.status == 200
            return await r.json()

        await _sd_processing_lifecycle(
            mock, clock, session, "/api/v6/images/inpaint", modelslab_body(), fetch
        )


async def test_load_mode_queues_only_under_load(
    clock: VirtualClock, session: aiohttp.ClientSession
) -> None:
    async with await start(clock, sync_mode="load", load_threshold=1) as mock:
        # Nothing unfinished yet: answered at once.
        r = await session.post(f"{mock.url}/api/v6/images/inpaint", json=modelslab_body(seed=1))
        assert (await r.json())["status"] == "success"
        # A stuck task is load: the next request queues.
        r = await session.post(
            f"{mock.url}/api/v6/images/inpaint",
            json=modelslab_body(seed=2),
            headers={"X-Mock-Fault": "task_stuck"},
        )
        assert (await r.json())["status"] == "processing"
        r = await session.post(f"{mock.url}/api/v6/images/inpaint", json=modelslab_body(seed=3))
        assert (await r.json())["status"] == "processing"


async def test_modelslab_base64_in_and_out(
    clock: VirtualClock, session: aiohttp.ClientSession
) -> None:
    async with await start(clock) as mock:
        body = modelslab_body(
            init_image=b64png(gradient_image(64, 64)),
            mask_image="data:image/png;base64," + b64png(rect_mask(64, 64, (0, 0, 32, 32))),
            base64="yes",
        )
        r = await session.post(f"{mock.url}/api/v6/images/inpaint", json=body)
        result = await r.json()
        assert result["status"] == "success", result
        (encoded,) = result["output"]
        image = Image.open(io.BytesIO(base64.b64decode(encoded)))
        assert image.size == (512, 512)  # generated at the requested width/height
        assert [e["kind"] for e in mock.journal()] == ["request"]  # nothing was fetched


async def test_modelslab_base64_to_url_then_use_the_link(
    clock: VirtualClock, session: aiohttp.ClientSession
) -> None:
    async with await start(clock) as mock:
        data_url = "data:image/png;base64," + b64png(gradient_image(32, 32))
        r = await session.post(
            f"{mock.url}/api/v6/base64_to_url", json={"key": "test-key", "base64_string": data_url}
        )
        result = await r.json()
        assert result["status"] == "success"
        assert isinstance(result["id"], int)
        (link,) = result["output"]
        assert (await session.get(link)).status == 200
        # The mock's own link is read from its store, not fetched or replaced.
        r = await session.post(
            f"{mock.url}/api/v6/images/inpaint",
            json=modelslab_body(init_image=link, mask_image=link),
        )
        assert (await r.json())["status"] == "success"
        assert mock.journal("fetch") == []
        clock.advance(86400)
        assert (await session.get(link)).status == 403  # temp links live 24 h


async def test_novita_model_list_filters_and_cursor(
    clock: VirtualClock, session: aiohttp.ClientSession
) -> None:
    async with await start(clock) as mock:
        url = f"{mock.url}/v3/model"
        params = {
            "filter.types": "checkpoint",
            "filter.is_inpainting": "true",
            "pagination.limit": "2",
        }
        r = await session.get(url, params=params, headers=AUTH)
        page1 = await r.json()
        assert next(m["sd_name"] for m in page1["models"]) == NOVITA_MODEL
        assert all(m["base_model_type"] == "Inpainting" for m in page1["models"])
        cursor = page1["pagination"]["next_cursor"]
        assert cursor.startswith("c_")
        r = await session.get(url, params={**params, "pagination.cursor": cursor}, headers=AUTH)
        page2 = await r.json()
        assert page2["models"]
        assert page2["pagination"]["next_cursor"] == ""
        names = {m["sd_name"] for m in page1["models"] + page2["models"]}
        assert len(names) == 3
        # The Python SDK's c_<offset> cursors and singular filter.type work too.
        r = await session.get(
            url,
            params={
                "filter.type": "lora",
                "pagination.cursor": "c_0",
                "filter.visibility": "public",
            },
            headers=AUTH,
        )
        assert [m["type"]["name"] for m in (await r.json())["models"]] == ["lora"]


async def test_finish_after_n_polls_makes_base64_links_downloadable(
    clock: VirtualClock, session: aiohttp.ClientSession
) -> None:
    # The ``.base64`` text copies of the outputs become available with the task, as the
    # outputs do, when the N-th poll finishes it (not only when the clock reaches its end).
    options = {"finish_after_polls": 1, "sync_mode": "processing", "base64_output_style": "link"}
    async with await start(clock, **options) as mock:
        body = modelslab_body(
            init_image=b64png(gradient_image(64, 64)),
            mask_image=b64png(rect_mask(64, 64, (0, 0, 32, 32))),
            base64="yes",
        )
        r = await session.post(f"{mock.url}/api/v6/images/inpaint", json=body)
        task_id = (await r.json())["id"]
        fetch = f"{mock.url}/api/v6/images/fetch/{task_id}"
        r = await session.post(fetch, json={"key": "test-key"})
        fetched = await r.json()
        assert fetched["status"] == "success", fetched
        (link,) = fetched["output"]
        assert link.endswith(".base64")
        got = await session.get(link)
        assert got.status == 200
        assert base64.b64decode(await got.read())[:4] == b"\x89PNG"
        assert clock.time() == 0.0


async def test_base64_to_url_is_served_on_the_modelslab_host_only(
    clock: VirtualClock, session: aiohttp.ClientSession
) -> None:
    """Issue 10 item 2: only ModelsLab documents base64_to_url; on a provider's own host prefix
    the mock serves that provider's routes only, so an upload sent to StableDiffusionAPI's host
    is a 404 as it would be live."""
    async with await start(clock) as mock:
        data_url = "data:image/png;base64," + b64png(gradient_image(32, 32))
        body = {"key": "test-key", "base64_string": data_url}
        sdapi = mock.provider_url("stablediffusionapi")
        r = await session.post(f"{sdapi}/api/v6/base64_to_url", json=body)
        assert r.status == 404
        r = await session.post(f"{sdapi}/api/v3/inpaint", json=sdapi_body())
        assert (await r.json())["status"] in ("success", "processing")
        r = await session.post(f"{mock.provider_url('modelslab')}/api/v6/base64_to_url", json=body)
        assert (await r.json())["status"] == "success"


async def test_modelslab_meta_echoes_the_defaults_that_ran(
    clock: VirtualClock, session: aiohttp.ClientSession
) -> None:
    """Issue 10 item 6: with safety_checker unset the default (yes) ran; meta used to say no."""
    async with await start(clock) as mock:
        body = modelslab_body(scheduler="DPMSolverMultistepScheduler")
        body.pop("safety_checker", None)
        r = await session.post(f"{mock.url}/api/v6/images/inpaint", json=body)
        meta = (await r.json())["meta"]
        assert meta["safetychecker"] == "yes"
        assert (meta["use_karras_sigmas"], meta["algorithm_type"]) == ("yes", "sde-dpmsolver++")


async def test_modelslab_malformed_json_is_a_400(
    clock: VirtualClock, session: aiohttp.ClientSession
) -> None:
    """Issue 10 item 6: error-codes.mdx lists a bad body under 400, not 401 'Invalid Api Key'."""
    async with await start(clock) as mock:
        r = await session.post(
            f"{mock.url}/api/v6/images/inpaint",
            data=b"{not json",
            headers={"Content-Type": "application/json"},
        )
        assert r.status == 400
        body = await r.json()
        assert body["status"] == "error"
        assert isinstance(body["message"], str)
        assert "Api Key" not in body["message"]


async def test_sdapi_system_load_counts_only_its_own_queue(
    clock: VirtualClock, session: aiohttp.ClientSession
) -> None:
    """System load (SD-LOAD) is StableDiffusionAPI's queue: a Novita task, another company's
    backend, is not in it."""
    async with await start(clock, sync_mode="processing") as mock:
        r = await session.post(f"{mock.url}/v3/async/inpainting", json=novita_body(), headers=AUTH)
        assert r.status == 200
        r = await session.post(f"{mock.url}/api/v3/system_load", json={"key": "test-key"})
        assert await r.json() == {"queue_num": 0, "queue_time": 0, "status": "ok"}
        r = await session.post(f"{mock.url}/api/v3/inpaint", json=sdapi_body())
        assert (await r.json())["status"] == "processing"
        r = await session.post(f"{mock.url}/api/v3/system_load", json={"key": "test-key"})
        assert await r.json() == {"queue_num": 1, "queue_time": 10, "status": "ok"}


async def test_modelslab_queue_cap_holds_for_concurrent_submits(
    clock: VirtualClock, session: aiohttp.ClientSession
) -> None:
    """ "Maximum 5 queued requests" (reference 3.4) holds when the submits arrive together: the
    cap is checked before the mock fetches the images, so a check that does not count the
    submits still being handled let every one of a burst through."""
    arrived = 0
    release = asyncio.Event()
    image = png_bytes(gradient_image(64, 64))

    async def slow_image(request: web.Request) -> web.Response:
        nonlocal arrived
        arrived += 1
        if arrived == 2:  # both admitted submits are fetching: let the others catch up
            release.set()
        await release.wait()
        return web.Response(body=image, content_type="image/png")

    images = web.Application()
    images.router.add_get("/{name}", slow_image)
    runner = web.AppRunner(images)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with await start(
            clock,
            sync_mode="processing",
            modelslab_max_queued=2,
            fetch_allowed_hosts=(f"127.0.0.1:{port}",),
        ) as mock:

            async def submit(index: int) -> int:
                body = modelslab_body(
                    prompt=f"a bench {index}",
                    init_image=f"http://127.0.0.1:{port}/image-{index}.png",
                    mask_image=f"http://127.0.0.1:{port}/mask-{index}.png",
                )
                r = await session.post(f"{mock.url}/api/v6/images/inpaint", json=body)
                assert r.status in (200, 429), await r.text()
                return r.status

            statuses = await asyncio.wait_for(
                asyncio.gather(*(submit(i) for i in range(4))), timeout=30
            )
        assert sorted(statuses) == [200, 200, 429, 429]
    finally:
        await runner.cleanup()
