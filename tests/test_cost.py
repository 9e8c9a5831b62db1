"""The client does no needless work: one decode where one is needed, no re-encode of a mask that
is already binary, a strict base64 fast path, slots that bound memory and put polls first, and
a registry that does not import the mock server.  (bench/bench_client_cost.py measures the CPU.)
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from hypothesis import given
from hypothesis import strategies as st
from imagegen import gradient_image, jpeg_bytes, png_bytes, rect_mask, truncated_png
from inpaintkit import InpaintClient, InpaintJob, VirtualClock, images
from inpaintkit.errors import ValidationError
from inpaintkit.job import ImageInput
from inpaintkit.provider import HttpResponse, PollPolicy
from inpaintkit.slots import FINISH, START, PrioritySlots
from inpaintkit.transport import OutgoingRequest
from PIL import Image
from test_client import ToyServer, client, registry, result_png


@pytest.fixture
async def toy() -> AsyncIterator[tuple[ToyServer, str]]:
    server = ToyServer()
    test_server = TestServer(server.app(), host="127.0.0.1")
    await test_server.start_server()
    try:
        yield server, str(test_server.make_url("/")).rstrip("/")
    finally:
        await test_server.close()


def mask_png(w: int = 64, h: int = 48) -> bytes:
    buffer = io.BytesIO()
    rect_mask(w, h, (16, 12, 40, 30)).convert("L").save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


# --- base64 ---------------------------------------------------------------------------------


@given(st.binary(max_size=300), st.booleans())
def test_canonical_base64_takes_the_fast_path(data: bytes, as_url: bool) -> None:
    text = base64.b64encode(data).decode()
    if as_url:
        text = "data:image/png;base64," + text
    if not data:
        return  # empty input is an error, reported by the tolerant path
    original = images._WHITESPACE
    try:
        images._WHITESPACE = None  # type: ignore[assignment]  # the tolerant path would use it
        assert images.from_base64(text, path="$.x") == data
    finally:
        images._WHITESPACE = original


@given(st.binary(min_size=1, max_size=300))
def test_the_tolerant_path_still_accepts_what_it_did(data: bytes) -> None:
    canonical = base64.b64encode(data).decode()
    for variant in (
        canonical.rstrip("="),
        "\n".join(canonical[i : i + 7] for i in range(0, len(canonical), 7)),
        base64.urlsafe_b64encode(data).decode(),
        f"  data:image/png;base64,{canonical}  ",
    ):
        assert images.from_base64(variant, path="$.x") == data


@given(st.text(alphabet="ABCDQRSabcxyz0189+/=-_ \n.", max_size=40))
def test_the_fast_path_accepts_exactly_what_validating_b64decode_accepts(text: str) -> None:
    """The fast path decodes the text itself in strict mode (no copy into bytes first); it
    must agree with b64decode(validate=True) on every padded text, both on what it accepts
    and on the bytes."""
    fast = images._strict_base64(text)
    try:
        expected: bytes | None = base64.b64decode(text, validate=True)
    except ValueError:
        expected = None
    if text and len(text) % 4 == 0:
        assert fast == expected
    else:
        assert fast is None


@pytest.mark.parametrize("text", ["", "@@@@", "abcde", "data:image/png,AAAA", "data:;base64,"])
def test_invalid_base64_is_still_rejected(text: str) -> None:
    with pytest.raises(ValidationError):
        images.from_base64(text, path="$.x")


# --- decodes and encodes --------------------------------------------------------------------


class Decodes:
    """Counts pixel decoders Pillow creates (one per full decode) while active."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = Image._getdecoder

        def getdecoder(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(Image, "_getdecoder", getdecoder)


async def test_a_plain_job_decodes_only_the_mask_and_sends_both_files_as_given(
    toy: tuple[ToyServer, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, base = toy
    server.submit_script.append(
        {"state": "done", "id": "t1", "images": [{"b64": result_png(size=(64, 48))}]}
    )
    image = png_bytes(gradient_image(64, 48))
    mask = mask_png()
    images._known_masks.clear()  # a mask seen by an earlier test would not be decoded again
    decodes = Decodes(monkeypatch)
    async with client(base, VirtualClock()) as c:
        result = await c.inpaint(InpaintJob(image=image, mask=mask, prompt="a cat"), "toy")
    assert decodes.count == 1  # the mask, to check that it is binary; not the image, not the result
    assert base64.b64decode(server.submits[0]["image"]) == image
    assert base64.b64decode(server.submits[0]["mask"]) == mask
    assert (result.images[0].width, result.images[0].height, result.images[0].format) == (
        64,
        48,
        "png",
    )


async def test_a_grey_mask_is_still_normalised(toy: tuple[ToyServer, str]) -> None:
    server, base = toy
    server.submit_script.append({"state": "done", "id": "t1", "images": []})
    grey = Image.new("L", (64, 48), 100)
    grey.paste(200, (10, 10, 30, 30))
    async with client(base, VirtualClock()) as c:
        await c.inpaint(
            InpaintJob(image=png_bytes(gradient_image(64, 48)), mask=png_bytes(grey), prompt="x"),
            "toy",
        )
    sent = Image.open(io.BytesIO(base64.b64decode(server.submits[0]["mask"])))
    assert sent.mode == "L"
    assert [i for i, n in enumerate(sent.histogram()) if n] == [0, 255]


def _corrupt_crc(data: bytes) -> bytes:
    at = data.index(b"IDAT") + 8
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


@pytest.mark.parametrize(
    "image",
    [
        truncated_png(64, 48),
        _corrupt_crc(png_bytes(gradient_image(64, 48))),
        jpeg_bytes(gradient_image(64, 48))[:-300],
    ],
    ids=["truncated-png", "bad-crc-png", "truncated-jpeg"],
)
async def test_a_broken_image_is_still_rejected_without_a_full_decode(
    toy: tuple[ToyServer, str], image: bytes
) -> None:
    server, base = toy
    async with client(base, VirtualClock()) as c:
        with pytest.raises(ValidationError) as info:
            await c.inpaint(InpaintJob(image=image, mask=mask_png(), prompt="x"), "toy")
    assert info.value.paths == ("$.image",)
    assert server.submits == []


def test_probe_header_rejects_what_is_not_an_image() -> None:
    with pytest.raises(ValidationError, match="must be an image file"):
        images.probe_header(b"<html>nope</html>")
    loaded = images.probe_header(png_bytes(gradient_image(20, 10)))
    assert (loaded.format, loaded.width, loaded.height, loaded.pixels) == ("png", 20, 10, None)


# --- slots ----------------------------------------------------------------------------------


async def test_a_freed_slot_goes_to_finishing_work_first() -> None:
    slots = PrioritySlots(1)
    order: list[str] = []
    gate = asyncio.Event()

    async def hold() -> None:
        async with slots.take(START):
            await gate.wait()

    async def use(name: str, priority: int) -> None:
        async with slots.take(priority):
            order.append(name)

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    users = [
        asyncio.create_task(use("submit-1", START)),
        asyncio.create_task(use("poll-1", FINISH)),
        asyncio.create_task(use("submit-2", START)),
        asyncio.create_task(use("poll-2", FINISH)),
    ]
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(holder, *users)
    assert order == ["poll-1", "poll-2", "submit-1", "submit-2"]
    assert slots.peak == 1
    assert slots.in_use == 0


async def test_a_cancelled_waiter_does_not_lose_the_slot() -> None:
    slots = PrioritySlots(1)
    gate = asyncio.Event()

    async def hold() -> None:
        async with slots.take(START):
            await gate.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    waiter = asyncio.create_task(slots._acquire(FINISH))
    await asyncio.sleep(0)
    waiter.cancel()
    gate.set()
    await holder
    with pytest.raises(asyncio.CancelledError):
        await waiter
    async with slots.take(START):
        assert slots.in_use == 1
    assert slots.in_use == 0


class InstantToy:
    """An in-memory toy provider: every submit is pending, every poll done (no images)."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.counter = 0

    async def send(self, request: OutgoingRequest, *, timeout: float) -> HttpResponse:
        url = request.url
        await asyncio.sleep(0)
        if url.endswith("/toy/submit"):
            self.counter += 1
            self.log.append("submit")
            body = {"state": "pending", "id": f"t{self.counter}"}
        else:
            self.log.append("poll")
            body = {"state": "done", "id": url.rsplit("/", 1)[1], "images": []}
        return HttpResponse(200, json.dumps(body).encode(), {})


async def test_the_first_result_does_not_wait_for_every_submit() -> None:
    transport = InstantToy()
    async with InpaintClient(
        api_keys={"toy": "k"},
        base_url="http://toy.invalid",
        registry=registry(polling=PollPolicy(initial_delay=0.0)),  # polls queue with submits
        clock=VirtualClock(),
        transport=transport,
        concurrency=2,
    ) as c:
        jobs = [asyncio.create_task(c.inpaint(_job(), "toy")) for _ in range(40)]
        await asyncio.gather(*jobs)
    first_poll = transport.log.index("poll")
    assert first_poll < 10, transport.log[:20]


def _job() -> InpaintJob:
    return InpaintJob(image=png_bytes(gradient_image(16, 16)), mask=mask_png(16, 16), prompt="x")


async def test_images_are_read_only_within_the_concurrency(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reading = 0
    peak = 0

    async def read(self: InpaintClient, image: ImageInput, path: str, **_: Any) -> bytes:
        nonlocal reading, peak
        reading += 1
        peak = max(peak, reading)
        await asyncio.sleep(0)
        reading -= 1
        assert image.data is not None
        return image.data

    monkeypatch.setattr(InpaintClient, "_read_image", read)
    async with InpaintClient(
        api_keys={"toy": "k"},
        base_url="http://toy.invalid",
        registry=registry(),
        clock=VirtualClock(),
        transport=InstantToy(),
        concurrency=3,
    ) as c:
        await asyncio.gather(*(c.inpaint(_job(), "toy") for _ in range(30)))
    assert peak <= 3


# --- imports --------------------------------------------------------------------------------


def test_the_client_registry_does_not_import_the_mock_server() -> None:
    code = (
        "import sys, inpaintkit; from inpaintkit.plugins import ProviderRegistry; "
        "r = ProviderRegistry.default(); "
        "print(sorted(r), 'inpaintkit.mockserver' in sys.modules, 'aiohttp.web' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "'novita'" in out
    assert out.strip().endswith("False False"), out


async def test_a_table_that_fits_unset_sizes_sends_a_fitting_jobs_mask_as_given() -> None:
    """ModelsLab fits an unset size to its limits; an image already within them is not resized,
    so its binary mask is neither decoded twice nor re-encoded (it was, on every job)."""
    from inpaintkit.planning import plan_job
    from inpaintkit.plugins import ProviderRegistry
    from inpaintkit.prepare import prepare_inputs

    spec = ProviderRegistry.default()["modelslab"].spec
    image = png_bytes(gradient_image(512, 512))  # within ModelsLab's limits
    mask = mask_png(512, 512)
    job = InpaintJob(
        image=image, mask=mask, prompt="x", model="m", extras={"modelslab": {"base64": True}}
    )
    plan = plan_job(job, spec)
    assert plan.emulation.fit_unset_size

    async def read(given: ImageInput, path: str) -> bytes:
        assert isinstance(given.data, bytes)
        return given.data

    for _ in range(2):  # the second job finds the mask known
        inputs = await prepare_inputs(job, plan, spec, read=read, host=None)
        assert inputs.mask.data == mask
        assert inputs.image.data == image
