"""The file store counts recipes (outputs not yet rendered) by the inputs they hold."""

from __future__ import annotations

from inpaintkit.mockserver.files import FileStore
from inpaintkit.mockserver.generation import InputImage, OutputJob


def job(size: int, seed: int = 1) -> OutputJob:
    return OutputJob(
        InputImage.from_bytes(b"i" * size), InputImage.from_bytes(b"m" * 10), seed, "png"
    )


def test_recipes_weigh_their_inputs_until_rendered() -> None:
    store = FileStore(lambda: 0.0, max_bytes=10_000)
    stored = store.put(None, job=job(1000), name="a.png", content_type="image/png", ttl=None)
    assert store.total_bytes == 1010
    store.fill_in(stored, b"x" * 300)
    assert store.total_bytes == 300
    assert stored.job is None  # the inputs are released once rendered


def test_unrendered_recipes_are_evicted_by_the_byte_bound() -> None:
    store = FileStore(lambda: 0.0, max_bytes=2500)
    keys = [
        store.put(None, job=job(1000, i), name=f"{i}.png", content_type="image/png", ttl=None).key
        for i in range(5)
    ]
    assert store.total_bytes <= 2500
    assert store.lookup(keys[0])[0] == "missing"
    assert store.lookup(keys[-1])[0] == "ok"
