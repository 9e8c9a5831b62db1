"""Output images made when they are first needed, on a worker pool, cached by what they depend on.

A submit no longer generates anything: it describes each output as an :class:`OutputJob` (the
input images by digest, seed, size, format and fill options) and stores that recipe behind the
output's URL.  The first download (or a webhook or upload that needs the bytes) renders it on the
:class:`Generator`'s pool, off the event loop; identical jobs share one rendering (in flight and
afterwards, in a byte-bounded LRU cache), and the seed-independent part of a fill (decoding the
inputs, solving the fill) is cached per input digest, mask digest and size in each worker.

Jobs are plain, picklable data, so the pool may be threads (default) or processes
(``MockConfig.generation_workers`` > 1 uses a process pool of that size).
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import hashlib
import multiprocessing
import threading
from collections import OrderedDict
from typing import Literal

import attrs
from PIL import Image

from . import fill, imaging

__all__ = ["Generator", "InputImage", "OutputJob", "render"]

_INPUT_CACHE_ENTRIES = 32


@attrs.frozen
class InputImage:
    """An input image as a worker needs it: encoded bytes, or a synthetic stand-in's recipe."""

    digest: str
    raw: bytes | None = attrs.field(default=None, repr=False)
    synthetic: tuple[int, int, int] | None = None  # width, height, seed
    role: Literal["image", "mask"] = "image"

    @classmethod
    def from_bytes(cls, raw: bytes, role: Literal["image", "mask"] = "image") -> InputImage:
        return cls(hashlib.sha256(raw).hexdigest(), raw=raw, role=role)

    @classmethod
    def stand_in(
        cls, width: int, height: int, seed: int, role: Literal["image", "mask"] = "image"
    ) -> InputImage:
        """The synthetic photo (or centred-ellipse mask) that replaces an unfetched URL."""
        return cls(
            f"synthetic:{role}:{width}x{height}:{seed}", synthetic=(width, height, seed), role=role
        )

    def load(self, fallback_size: tuple[int, int]) -> Image.Image:
        """The pixels; an input that cannot be decoded after all becomes the stand-in."""
        if self.raw is not None:
            decoded = imaging.load_pixels(self.raw)
            if decoded is not None:
                return decoded
        w, h, seed = self.synthetic or (*fallback_size, 0)
        if self.role == "mask":
            return imaging.synthetic_mask(w, h)
        return imaging.synthetic_image(w, h, seed)


@attrs.frozen
class OutputJob:
    """Everything one output image depends on (image ``i`` of a task uses ``seed + i``)."""

    image: InputImage
    mask: InputImage | None
    seed: int
    fmt: str
    size: tuple[int, int] | None = None  # None: the input image's own size
    prompt: str = ""
    mask_invert: bool = False
    mask_blur: int = 0
    encoding: Literal["raw", "base64"] = "raw"

    @property
    def key(self) -> str:
        """A digest of every input: equal keys render equal bytes."""
        parts = (
            self.image.digest,
            self.mask.digest if self.mask else "-",
            self.seed,
            self.fmt,
            self.size,
            self.prompt,
            self.mask_invert,
            self.mask_blur,
            self.encoding,
        )
        text = "\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass")
        return hashlib.sha256(text).hexdigest()

    @property
    def input_bytes(self) -> int:
        """Memory the recipe holds (its encoded inputs), for the file store's size bound."""
        return len(self.image.raw or b"") + len(self.mask.raw or b"" if self.mask else b"")

    @property
    def content_type(self) -> str:
        return "text/plain" if self.encoding == "base64" else imaging.CONTENT_TYPES[self.fmt]

    def as_base64(self) -> OutputJob:
        """The same image, delivered as base64 text (ModelsLab's ``.base64`` links)."""
        return attrs.evolve(self, encoding="base64")


_prepared: OrderedDict[tuple[object, ...], fill.FillBase] = OrderedDict()
_prepared_lock = threading.Lock()


def _fill_base(job: OutputJob) -> fill.FillBase:
    key = (job.image.digest, job.mask.digest if job.mask else None, job.size, job.mask_invert)
    with _prepared_lock:
        cached = _prepared.get(key)
        if cached is not None:
            _prepared.move_to_end(key)
            return cached
    fallback = job.size or (512, 512)
    image = job.image.load(fallback).convert("RGB")
    if job.size is not None and image.size != job.size:
        image = image.resize(job.size, Image.Resampling.BICUBIC)
    mask = job.mask.load(image.size) if job.mask else imaging.synthetic_mask(*image.size)
    prepared = fill.prepare_fill(image, mask, invert=job.mask_invert)
    with _prepared_lock:
        _prepared[key] = prepared
        while len(_prepared) > _INPUT_CACHE_ENTRIES:
            _prepared.popitem(last=False)
    return prepared


def render(job: OutputJob) -> bytes:
    """Render one output (runs in a worker thread or process)."""
    from .seeding import derive_seed

    prepared = _fill_base(job)
    texture_seed = derive_seed(job.seed, "fill", job.prompt)
    image = fill.finish_fill(prepared, seed=texture_seed, mask_blur=job.mask_blur)
    data = imaging.encode_image(image, job.fmt)
    return base64.b64encode(data) if job.encoding == "base64" else data


def output_size(job: OutputJob, image_size: tuple[int | None, int | None]) -> tuple[int, int]:
    """The size ``job`` renders at, known without rendering."""
    if job.size is not None:
        return job.size
    w, h = image_size
    if w and h:
        return w, h
    if job.image.synthetic is not None:
        return job.image.synthetic[0], job.image.synthetic[1]
    return 512, 512


class Generator:
    """Renders jobs on a pool, one rendering per key, results kept in a byte-bounded LRU."""

    def __init__(self, *, workers: int = 0, cache_bytes: int = 64 * 1024 * 1024) -> None:
        self._executor: concurrent.futures.Executor | None = None
        self._workers = workers
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cache_bytes = cache_bytes
        self._cached = 0
        self._inflight: dict[str, asyncio.Future[bytes]] = {}
        self.rendered = 0
        """How many jobs were actually rendered (not served from the cache)."""

    def _pool(self) -> concurrent.futures.Executor | None:
        if self._workers > 1 and self._executor is None:
            # spawn, not fork: the server may run in a thread of a bigger program
            context = multiprocessing.get_context("spawn")
            self._executor = concurrent.futures.ProcessPoolExecutor(
                self._workers, mp_context=context
            )
        return self._executor  # None: the loop's default thread pool

    async def render(self, job: OutputJob) -> bytes:
        key = job.key
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._pool(), render, job)
        self._inflight[key] = future
        try:
            data = await asyncio.shield(future)
        finally:
            self._inflight.pop(key, None)
        self.rendered += 1
        self._remember(key, data)
        return data

    def _remember(self, key: str, data: bytes) -> None:
        if len(data) > self._cache_bytes:
            return
        self._cache[key] = data
        self._cached += len(data)
        while self._cached > self._cache_bytes:
            _, old = self._cache.popitem(last=False)
            self._cached -= len(old)

    def clear(self) -> None:
        self._cache.clear()
        self._cached = 0

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
