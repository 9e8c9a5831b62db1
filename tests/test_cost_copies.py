"""Image work that blocks for long runs off the event loop; a mask reused by a batch is decoded
once; a JSON body with a base64 image is encoded with one copy of the image, to the same bytes.
(bench/bench_client_memory.py and bench/bench_client_cost.py measure the figures.)
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit import InpaintJob, MaskOptions, images, prepare, transport
from inpaintkit.errors import ValidationError
from inpaintkit.job import ImageInput
from inpaintkit.planning import plan_job
from inpaintkit.prepare import PreparedInputs, finish_image_off_loop, prepare_inputs
from test_cost import Decodes
from test_prepare import LIMITED


async def read(image: ImageInput, path: str) -> bytes:
    assert image.data is not None
    return image.data


class Threads:
    """Records which thread each call of a patched function ran on."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> None:
        self.threads: list[threading.Thread] = []
        original: Callable[..., Any] = getattr(owner, name)

        def spy(*args: Any, **kwargs: Any) -> Any:
            self.threads.append(threading.current_thread())
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, spy)

    @property
    def off_loop(self) -> list[bool]:
        return [t is not threading.main_thread() for t in self.threads]


async def ticks_while(work: Any) -> tuple[Any, int]:
    """Run ``work`` beside a ticker that counts its turns on the loop; returns (result, ticks
    counted before ``work`` finished).  Work done on the loop's thread leaves it at 0."""
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0)

    counted = -1

    async def measured() -> Any:
        nonlocal counted
        result = await work
        counted = ticks  # taken the moment the work ends, before the loop turns again
        return result

    task = asyncio.ensure_future(measured())  # scheduled first: runs before the ticker
    ticking = asyncio.ensure_future(ticker())
    try:
        result = await task
    finally:
        done.set()
        await ticking
    return result, counted


def masked_job(size: int) -> InpaintJob:
    third = size // 3
    return InpaintJob(
        image=png_bytes(gradient_image(size, size)),
        mask=png_bytes(rect_mask(size, size, (third, third, 2 * third, 2 * third))),
        prompt="x",
        mask_options=MaskOptions(masked_only=True, padding=8),
    )


# --- off the event loop ---------------------------------------------------------------------


async def test_a_megapixel_emulation_runs_in_a_worker_thread_and_the_loop_keeps_turning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    threads = Threads(monkeypatch, images, "load_pair")
    encodes = Threads(monkeypatch, images, "encode_image")
    job = masked_job(1024)  # 1,048,576 pixels: decoded, cropped, resized, encoded
    plan = plan_job(job, LIMITED)
    inputs, ticks = await ticks_while(prepare_inputs(job, plan, LIMITED, read=read, host=None))
    assert threads.off_loop == [True]
    assert encodes.off_loop
    assert all(encodes.off_loop)
    assert ticks >= 1  # the loop ran other work while the image was processed
    assert inputs.crop is not None


async def test_a_small_job_is_prepared_on_the_loop_without_a_thread_hop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    threads = Threads(monkeypatch, images, "load_pair")
    job = masked_job(96)
    plan = plan_job(job, LIMITED)
    _, ticks = await ticks_while(prepare_inputs(job, plan, LIMITED, read=read, host=None))
    assert threads.off_loop == [False]
    assert ticks == 0


async def test_pasting_a_result_into_a_megapixel_original_runs_in_a_worker_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    job = masked_job(1024)
    inputs = await prepare_inputs(job, plan_job(job, LIMITED), LIMITED, read=read, host=None)
    assert inputs.crop is not None
    generated = png_bytes(gradient_image(*inputs.crop.image.size))
    pastes = Threads(monkeypatch, images, "paste_back")
    data, ticks = await ticks_while(finish_image_off_loop(generated, inputs, None))
    assert pastes.off_loop == [True]
    assert ticks >= 1
    assert images.probe_header(data).size == (1024, 1024)


async def test_a_result_needing_no_work_is_returned_as_it_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[Any] = []
    monkeypatch.setattr(prepare.asyncio, "to_thread", lambda *a: calls.append(a))
    data = png_bytes(gradient_image(2048, 2048))
    assert await finish_image_off_loop(data, _plain_inputs(), None) is data
    assert calls == []


def _plain_inputs() -> PreparedInputs:
    from inpaintkit.provider import PreparedImage

    empty = PreparedImage(data=None, format=None, width=None, height=None, url="https://x/y")
    return PreparedInputs(image=empty, mask=empty)


# --- a reused mask --------------------------------------------------------------------------


async def test_a_binary_mask_reused_by_a_batch_is_decoded_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    images._known_masks.clear()  # the memo is per process; start from a known state
    image = png_bytes(gradient_image(64, 48))
    mask = png_bytes(rect_mask(64, 48, (3, 5, 29, 31)))
    job = InpaintJob(image=image, mask=mask, prompt="x")
    plan = plan_job(job, LIMITED)
    decodes = Decodes(monkeypatch)
    first = await prepare_inputs(job, plan, LIMITED, read=read, host=None)
    assert decodes.count == 1
    again = InpaintJob(image=image, mask=bytes(bytearray(mask)), prompt="y")  # equal bytes
    second = await prepare_inputs(again, plan_job(again, LIMITED), LIMITED, read=read, host=None)
    assert decodes.count == 1  # not decoded a second time
    assert second.mask.data == first.mask.data == mask
    assert (second.mask.width, second.mask.height) == (64, 48)


async def test_a_remembered_mask_still_gets_its_size_checked() -> None:
    images._known_masks.clear()
    mask = png_bytes(rect_mask(64, 48, (1, 1, 9, 9)))
    job = InpaintJob(image=png_bytes(gradient_image(64, 48)), mask=mask, prompt="x")
    await prepare_inputs(job, plan_job(job, LIMITED), LIMITED, read=read, host=None)
    assert images.is_known_binary_mask(mask)
    other = InpaintJob(image=png_bytes(gradient_image(80, 48)), mask=mask, prompt="x")
    with pytest.raises(ValidationError, match="resolution 80x48"):
        await prepare_inputs(other, plan_job(other, LIMITED), LIMITED, read=read, host=None)


async def test_a_grey_mask_is_never_remembered() -> None:
    images._known_masks.clear()
    grey = rect_mask(64, 48, (1, 1, 9, 9))
    grey.paste(100, (20, 20, 30, 30))
    job = InpaintJob(image=png_bytes(gradient_image(64, 48)), mask=png_bytes(grey), prompt="x")
    inputs = await prepare_inputs(job, plan_job(job, LIMITED), LIMITED, read=read, host=None)
    assert not images.is_known_binary_mask(png_bytes(grey))
    assert inputs.mask.data != png_bytes(grey)  # normalised and re-encoded


# --- the JSON body --------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200)
@given(JSON)
def test_encode_json_gives_the_bytes_of_json_dumps(value: Any) -> None:
    original = transport.BIG_STRING
    transport.BIG_STRING = 3  # every string of 3 characters or more takes the copying path
    try:
        expected = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        assert transport.encode_json(value) == expected
    finally:
        transport.BIG_STRING = original


@pytest.mark.parametrize("tail", ["", '"', "\\", "\n", "\x7f", "é"])
def test_a_big_string_is_copied_as_json_would_write_it(tail: str) -> None:
    b64 = base64.b64encode(bytes(range(256)) * 1200).decode() + tail
    value = {
        "request": {"image_base64": b64, "steps": 20},
        "extra": ["data:image/png;base64," + b64],
    }
    expected = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    assert transport.encode_json(value) == expected


# --- the first result of a batch ------------------------------------------------------------


async def test_a_batch_plans_its_jobs_as_slots_free_up_not_all_before_the_first_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from inpaintkit import InpaintClient, VirtualClock, client
    from inpaintkit.provider import PollPolicy
    from test_client import registry
    from test_cost import InstantToy, _job

    planned = 0
    original = client.plan_job

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal planned
        planned += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(client, "plan_job", counting)
    planned_at_first: list[int] = []
    async with InpaintClient(
        api_keys={"toy": "k"},
        base_url="http://toy.invalid",
        registry=registry(polling=PollPolicy(initial_delay=0.0)),
        clock=VirtualClock(),
        transport=InstantToy(),
        concurrency=2,
    ) as c:

        async def one() -> None:
            await c.inpaint(_job(), "toy")
            if not planned_at_first:
                planned_at_first.append(planned)

        await asyncio.gather(*(one() for _ in range(40)))
    assert planned == 40
    assert planned_at_first[0] <= 4, planned_at_first  # not 40: planning waits for a slot


# --- headers read without Pillow ------------------------------------------------------------


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P", "1", "I;16"])
def test_probe_header_reads_a_png_as_pillow_does(mode: str) -> None:
    import io

    from PIL import Image

    data = png_bytes(gradient_image(30, 20).convert(mode))
    with Image.open(io.BytesIO(data)) as opened:
        expected = (opened.width, opened.height, opened.mode)
    loaded = images.probe_header(data)
    assert (loaded.width, loaded.height, loaded.mode, loaded.format) == (*expected, "png")


def test_probe_header_still_rejects_a_png_with_a_broken_header() -> None:
    data = bytearray(png_bytes(gradient_image(30, 20)))
    data[17] ^= 0xFF  # the width, under the IHDR CRC
    with pytest.raises(ValidationError):
        images.probe_header(bytes(data))


def test_a_remembered_mask_is_still_held_to_each_providers_limits() -> None:
    from inpaintkit.limits import ImageLimits

    images._known_masks.clear()
    mask = png_bytes(rect_mask(64, 48, (2, 2, 7, 7)))
    image = png_bytes(gradient_image(64, 48))
    images.remember_binary_mask(mask, (64, 48))
    small = ImageLimits(max_pixels=1000, max_bytes=None)
    with pytest.raises(ValidationError) as info:
        images.load_pair(image, mask, limits=small, decode_image=False, decode_mask=False)
    assert "$.mask" in info.value.paths
