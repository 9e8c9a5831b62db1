"""Resuming a stored job applies the provider's pixel limit to its stored resize before any
image is read or allocated, as a submit does.

A stored job is data that may come from anywhere (a ledger, a queue, another version): before,
a ``finish.resize_to`` of 100000x100000 in a masked-only job made ``resume`` resize the original
to it, allocating tens of gigabytes.
"""

from __future__ import annotations

from typing import Any

import pytest
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit import InpaintClient
from inpaintkit.errors import FieldError
from inpaintkit.jobstate import FinishRecipe, StoredImage, StoredJob, StoredJobError, StoredTask
from inpaintkit.prepare import sha256_hex
from inpaintkit.provider import Done, RemoteImage

IMAGE = png_bytes(gradient_image(64, 64))
MASK = png_bytes(rect_mask(64, 64, (20, 20, 40, 40)))


def stored(resize_to: tuple[int, int]) -> StoredJob:
    done = Done(images=(RemoteImage(data=png_bytes(gradient_image(8, 8)), format="png"),))
    return StoredJob(
        provider="modelslab",
        tasks=(StoredTask(seed=1, done=done),),
        submitted_at=1_790_000_000.0,
        finish=FinishRecipe(
            resize_to=resize_to, crop_box=(0, 0, 8, 8), original_size=(64, 64), padding=0
        ),
        image=StoredImage(sha256=sha256_hex(IMAGE), data=IMAGE),
        mask=StoredImage(sha256=sha256_hex(MASK), data=MASK),
        seed=1,
    )


async def test_a_stored_resize_over_the_pixel_limit_is_refused_before_any_allocation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_transform(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the originals were loaded and resized")

    monkeypatch.setattr("inpaintkit.jobstate.paste_back_inputs", no_transform)
    async with InpaintClient(api_keys={"modelslab": "k"}, base_url="http://127.0.0.1:9") as client:
        with pytest.raises(StoredJobError) as caught:
            await client.resume(stored((100_000, 100_000)).to_json())
    assert caught.value.paths == ("$.finish.resize_to",)
    assert "16000000" in str(caught.value)


async def test_a_stored_resize_within_the_limit_goes_on_to_the_originals(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loaded: list[object] = []

    def transform(*args: Any, **kwargs: Any) -> Any:
        loaded.append(args)
        raise StoredJobError([FieldError("$", "sentinel", None)])

    monkeypatch.setattr("inpaintkit.jobstate.paste_back_inputs", transform)
    async with InpaintClient(api_keys={"modelslab": "k"}, base_url="http://127.0.0.1:9") as client:
        with pytest.raises(StoredJobError, match="sentinel"):
            await client.resume(stored((4000, 4000)))
    assert len(loaded) == 1
