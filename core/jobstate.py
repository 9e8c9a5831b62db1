"""A submitted job as plain data, so that another process can finish it.

A :class:`~inpaintkit.client.JobHandle` lives in memory (prepared images, the plan).  What is
needed to finish the job elsewhere is much smaller, and is what :class:`StoredJob` holds: the
provider's task handles (or the answers that already finished), the seed of every request, and
the recipe for the work done locally after the download (the masked-only paste-back, the output
format), with a SHA-256 digest of the original image and mask so that finishing with the wrong
originals is refused.  ``client.resume(stored)`` finishes it; ``client.finish_from_webhook``
finishes it from a provider's webhook call; a batch ledger stores it between steps.

This module is a public, versioned format.  Version 1, as JSON::

    {
      "format": "inpaintkit.job", "version": 1,
      "provider": "novita",
      "submitted_at": 1790000000.0,        # UNIX seconds, informational
      "seed": 42,                          # the job's seed (null: the provider chose)
      "tasks": [                           # one per request, in order; each exactly one of
        {"seed": 42, "pending": {"task_id": "...", "data": {...}}},
        {"seed": 43, "done": {"task_id": "...", "seed": 43, "generation_time": 1.5,
                              "images": [{"url": "...", "data": null, "format": "png",
                                          "ttl": 3600, "nsfw": null}],
                              "raw": {...}}}  # image "data" is base64 when inline
      ],
      "finish": {"output_format": "jpeg", "invert_mask": false, "resize_to": [w, h],
                 "crop": {"box": [l, t, r, b], "original_size": [w, h], "padding": 32}},
      "inputs": {"image": {"sha256": "...", "path": "/abs/photo.png"},
                 "mask": {"sha256": "...", "data": "<base64>"}},
      "outcomes": [{"field": "mask_options.masked_only", "disposition": "emulated", "note": ""}]
    }

``finish.crop`` is null unless the job is pasted back (``mask_options.masked_only`` emulated);
only then are the original pixels needed, and they come from ``inputs`` (a path or URL stays a
reference; inline bytes are stored, as base64, only when asked with ``include_inputs=True``) or
from the job the caller passes to ``resume``.  The API key is never part of it.  Loading is
strict: unknown keys, wrong types and other versions are a :class:`StoredJobError` naming the
path (``$.tasks[0].pending.task_id``).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, Final

import attrs

from .errors import FieldError, PluginContractError, ValidationError
from .images import from_base64
from .job import ImageInput, InpaintJob, OutputFormat
from .planning import Disposition, Emulation, FieldOutcome, Plan
from .prepare import PreparedInputs, paste_back_inputs, sha256_hex
from .provider import (
    Done,
    Failed,
    Pending,
    PreparedImage,
    ProviderSpec,
    RemoteImage,
    TaskHandle,
    TaskState,
)

__all__ = [
    "FORMAT",
    "VERSION",
    "FinishRecipe",
    "StoredImage",
    "StoredJob",
    "StoredJobError",
    "StoredTask",
    "finishing_inputs",
    "store_job",
]

FORMAT: Final = "inpaintkit.job"
"""The ``format`` marker of a stored job (so that another JSON file is refused at once)."""
VERSION: Final = 1
"""The version this inpaintkit writes and reads."""


class StoredJobError(ValidationError):
    """A stored job is malformed, of another version, or does not match what it is used with."""

    head = "invalid stored job"
    default_hint = (
        "Pass the stored job exactly as JobHandle.to_json() wrote it, with the job it was "
        "submitted from."
    )


# --- the data ------------------------------------------------------------------------------------


@attrs.frozen(repr=False)
class StoredImage:
    """An input image of a stored job: its digest, and where to find it again.

    ``sha256`` is the digest of the bytes the client read (``None`` when the provider fetched
    the job's URL itself and the client never read it).  At most one of ``path`` (absolute),
    ``url`` (http/https) and ``data`` (the bytes, stored only with ``include_inputs``) is set.
    """

    sha256: str | None = None
    path: str | None = None
    url: str | None = None
    data: bytes | None = None

    def __repr__(self) -> str:
        where = self.path or self.url or (f"<{len(self.data)} bytes>" if self.data else None)
        return f"StoredImage(sha256={self.sha256!r}, {where})"

    def as_input(self) -> ImageInput | None:
        """The image as a job input, or ``None`` when only its digest was stored."""
        if self.data is not None:
            return ImageInput(data=self.data)
        if self.path is not None:
            return ImageInput(path=Path(self.path))
        if self.url is not None:
            return ImageInput(url=self.url)
        return None


@attrs.frozen
class FinishRecipe:
    """The local work after the download: paste a masked-only crop back, convert the format.

    ``crop_box`` (left, top, right, bottom) and ``original_size`` describe the crop that was
    sent; the crop is made again from the original image with ``invert_mask``, ``resize_to``
    and ``padding``, and must come out the same box (else the originals are not the job's).
    """

    output_format: str | None = None
    invert_mask: bool = False
    resize_to: tuple[int, int] | None = None
    crop_box: tuple[int, int, int, int] | None = None
    original_size: tuple[int, int] | None = None
    padding: int = 0

    @property
    def pastes_back(self) -> bool:
        """Whether finishing needs the original image and mask."""
        return self.crop_box is not None

    def emulation(self) -> Emulation:
        """The emulation that rebuilds the crop (what :func:`prepare.paste_back_inputs` takes)."""
        return Emulation(
            invert_mask=self.invert_mask,
            masked_only=self.pastes_back,
            padding=self.padding,
            resize_to=self.resize_to,
            output_format=OutputFormat(self.output_format) if self.output_format else None,
        )


@attrs.frozen
class StoredTask:
    """One request of a stored job: still running (``handle``) or finished (``done``)."""

    seed: int | None
    handle: TaskHandle | None = None
    done: Done | None = None

    def __attrs_post_init__(self) -> None:
        if (self.handle is None) == (self.done is None):
            raise ValueError("a StoredTask is either running (handle) or finished (done)")

    @property
    def task_id(self) -> str | None:
        """The provider's id of the task."""
        if self.handle is not None:
            return self.handle.task_id
        assert self.done is not None
        return self.done.task_id

    def state(self) -> Pending | Done:
        """The task as the waiting loop takes it."""
        if self.done is not None:
            return self.done
        assert self.handle is not None
        return Pending(self.handle)


@attrs.frozen
class StoredJob:
    """A submitted job as plain data (see the module docstring for its JSON form)."""

    provider: str
    tasks: tuple[StoredTask, ...]
    submitted_at: float
    finish: FinishRecipe
    image: StoredImage
    mask: StoredImage
    seed: int | None = None
    outcomes: tuple[FieldOutcome, ...] = ()
    version: int = VERSION

    @property
    def task_ids(self) -> tuple[str, ...]:
        """Every task id of the job (running or finished)."""
        return tuple(t.task_id for t in self.tasks if t.task_id is not None)

    @property
    def finished(self) -> bool:
        """Whether every task has an answer (finishing needs no poll)."""
        return all(t.done is not None for t in self.tasks)

    def apply(self, state: TaskState) -> StoredJob:
        """This job after a report about one of its tasks (a webhook call, a poll).

        A :class:`Pending` changes nothing, nor does a :class:`Done` or :class:`Failed` for a
        task already done (the first answer wins, so duplicate and out-of-order deliveries are
        harmless); a :class:`Failed` otherwise raises its error.  A report about a task that is
        not this job's is a :class:`StoredJobError` (a failure too, when its error names its
        task).
        """
        if isinstance(state, Failed):
            task_id = state.error.task_id
            if task_id is not None and self.tasks[self._index_of(task_id)].done is not None:
                return self
            raise state.error.evolve(task_ids=self.task_ids)
        if isinstance(state, Pending):
            self._index_of(state.handle.task_id)
            return self
        index = self._index_of(state.task_id)
        if self.tasks[index].done is not None:
            return self
        tasks = list(self.tasks)
        tasks[index] = StoredTask(seed=tasks[index].seed, done=state)
        return attrs.evolve(self, tasks=tuple(tasks))

    def _index_of(self, task_id: str | None) -> int:
        if task_id is None and len(self.tasks) == 1:
            return 0
        for index, task in enumerate(self.tasks):
            if task_id is not None and task.task_id == task_id:
                return index
        known = ", ".join(self.task_ids) or "none"
        rule = f"is not a task of this job (its tasks: {known})"
        raise StoredJobError([FieldError("$.task_id", rule, task_id)], provider=self.provider)

    # --- JSON ----------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The JSON form (a dict of JSON values), version :data:`VERSION`."""
        return {
            "format": FORMAT,
            "version": self.version,
            "provider": self.provider,
            "submitted_at": self.submitted_at,
            "seed": self.seed,
            "tasks": [_task_json(t, f"$.tasks[{i}]") for i, t in enumerate(self.tasks)],
            "finish": _finish_json(self.finish),
            "inputs": {"image": _image_json(self.image), "mask": _image_json(self.mask)},
            "outcomes": [
                {"field": o.field, "disposition": o.disposition.value, "note": o.note}
                for o in self.outcomes
            ],
        }

    def to_json_text(self, *, indent: int | None = None) -> str:
        """The JSON form as text."""
        return json.dumps(self.to_json(), indent=indent, allow_nan=False)

    @classmethod
    def from_json(cls, data: Any) -> StoredJob:
        """Read a stored job: its JSON form (a dict), or the JSON text or bytes.

        Strict: every problem is a :class:`StoredJobError` naming its path.
        """
        if isinstance(data, bytes | bytearray | str):
            try:
                data = json.loads(data)
            except (ValueError, RecursionError) as exc:
                raise StoredJobError([FieldError("$", f"is not JSON ({exc})", None)]) from None
        try:
            return _read_job(data)
        except _Invalid as exc:
            raise StoredJobError([exc.error]) from None


def store_job(
    *,
    provider: str,
    plan: Plan,
    inputs: PreparedInputs,
    tasks: tuple[TaskState, ...],
    seeds: tuple[int | None, ...],
    submitted_at: float,
    include_inputs: bool = False,
) -> StoredJob:
    """The stored form of a submitted job (what :meth:`JobHandle.stored` returns)."""
    stored_tasks: list[StoredTask] = []
    for index, state in enumerate(tasks):
        seed = seeds[index] if index < len(seeds) else None
        if isinstance(state, Pending):
            stored_tasks.append(StoredTask(seed=seed, handle=state.handle))
        elif isinstance(state, Done):
            stored_tasks.append(StoredTask(seed=seed, done=state))
        else:  # pragma: no cover - submit raises failures
            raise state.error
    emulation = plan.emulation
    crop = inputs.crop
    finish = FinishRecipe(
        output_format=emulation.output_format.value if emulation.output_format else None,
        invert_mask=emulation.invert_mask,
        resize_to=emulation.resize_to,
        crop_box=crop.box if crop is not None else None,
        original_size=crop.original_size if crop is not None else None,
        padding=emulation.padding if crop is not None else 0,
    )
    return StoredJob(
        provider=provider,
        tasks=tuple(stored_tasks),
        submitted_at=submitted_at,
        finish=finish,
        image=_stored_image(plan.job.image, inputs.image_sha256, include_inputs),
        mask=_stored_image(plan.job.mask, inputs.mask_sha256, include_inputs),
        seed=plan.job.seed,
        outcomes=plan.outcomes,
    )


ReadImage = Callable[[ImageInput, str], Awaitable[bytes]]


async def finishing_inputs(
    record: StoredJob, job: InpaintJob | None, spec: ProviderSpec, *, read: ReadImage
) -> PreparedInputs:
    """What finishing ``record`` needs of its originals, checked against their digests before
    anything is sent: nothing, unless it pastes back (then the rebuilt crop).

    The originals come from ``job`` when given (it is then checked even when no paste-back
    needs it, so that resuming with the wrong job is refused), else from the stored
    references; ``read`` fetches an image (the client's reader: file, URL or bytes).
    """
    empty = PreparedImage(data=None, format=None, width=None, height=None)
    nothing = PreparedInputs(image=empty, mask=empty)
    if not record.finish.pastes_back and job is None:
        return nothing
    _check_resize(record.finish, spec)
    originals: list[bytes] = []
    for name, stored, given in (
        ("image", record.image, job.image if job is not None else None),
        ("mask", record.mask, job.mask if job is not None else None),
    ):
        source = given if given is not None else stored.as_input()
        path = f"$.{name}" if given is not None else f"$.inputs.{name}"
        if source is None:
            rule = (
                "is needed to paste the masked-only result back, and the stored job holds "
                "only its digest: pass the job (client.resume(data, job=job)) or store the "
                "handle with to_json(include_inputs=True)"
            )
            raise StoredJobError([FieldError.missing(path, rule)], provider=spec.id)
        if stored.sha256 is None:
            # The provider fetched the job's URL itself: the URL is the identity.
            if source.url != stored.url:
                rule = f"is not the URL the job was submitted with ({stored.url})"
                raise StoredJobError([FieldError(path, rule, source.url)], provider=spec.id)
            continue
        data = await read(source, path)
        if sha256_hex(data) != stored.sha256:
            rule = (
                f"is not the {name} this job was submitted with (its SHA-256 differs from "
                f"the stored {stored.sha256[:16]}...)"
            )
            raise StoredJobError([FieldError(path, rule, source)], provider=spec.id)
        originals.append(data)
    if not record.finish.pastes_back:
        return nothing
    image_bytes, mask_bytes = originals
    inputs = paste_back_inputs(image_bytes, mask_bytes, record.finish.emulation(), spec)
    assert inputs.crop is not None
    if inputs.crop.box != record.finish.crop_box:
        rule = (
            f"makes the crop box {list(inputs.crop.box)}, not the stored "
            f"{list(record.finish.crop_box or ())}: these are not the job's originals"
        )
        raise StoredJobError([FieldError("$.mask", rule, None)], provider=spec.id)
    return inputs


def _check_resize(finish: FinishRecipe, spec: ProviderSpec) -> None:
    """Refuse a stored resize over the provider's pixel limit before any image is read or
    allocated, as a submit does (a stored job may come from anywhere: 100000x100000 is 40 GB)."""
    limit = spec.max_image_pixels
    if finish.resize_to is None or not finish.pastes_back or limit is None:
        return
    width, height = finish.resize_to
    if width * height > limit:
        rule = (
            f"makes {width * height} pixels, more than {spec.id} accepts ({limit}); no job "
            "for it can have been submitted"
        )
        error = FieldError("$.finish.resize_to", rule, [width, height])
        raise StoredJobError([error], provider=spec.id)


def _stored_image(image: ImageInput, digest: str | None, include: bool) -> StoredImage:
    if image.path is not None:
        return StoredImage(sha256=digest, path=str(image.path.absolute()))
    if image.url is not None and image.url[:5].lower() != "data:":
        return StoredImage(sha256=digest, url=image.url)
    if not include:
        return StoredImage(sha256=digest)
    if image.data is not None:
        return StoredImage(sha256=digest, data=image.data)
    assert image.url is not None
    return StoredImage(sha256=digest, data=from_base64(image.url, path="$.image"))


# --- writing -------------------------------------------------------------------------------------


def _json_value(value: Any, path: str, what: str) -> Any:
    """``value`` as it reads back from JSON (tuples become lists), or a plugin-bug error."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise PluginContractError(
            f"{path}: {what} is not JSON data ({exc}); a plugin must keep only JSON values in it",
            hint="This is a bug in the provider plugin.",
        ) from None


def _task_json(task: StoredTask, path: str) -> dict[str, Any]:
    out: dict[str, Any] = {"seed": task.seed}
    if task.handle is not None:
        data = _json_value(dict(task.handle.data), f"{path}.pending.data", "the TaskHandle data")
        out["pending"] = {"task_id": task.handle.task_id, "data": data}
        return out
    done = task.done
    assert done is not None
    try:
        raw = json.loads(json.dumps(done.raw, allow_nan=False))
    except (TypeError, ValueError):
        raw = None  # a body that is not JSON is not kept; the images are
    out["done"] = {
        "task_id": done.task_id,
        "seed": done.seed,
        "generation_time": done.generation_time,
        "images": [
            {
                "url": image.url,
                "data": base64.b64encode(image.data).decode("ascii")
                if image.data is not None
                else None,
                "format": image.format,
                "ttl": image.ttl,
                "nsfw": image.nsfw,
            }
            for image in done.images
        ],
        "raw": raw,
    }
    return out


def _finish_json(finish: FinishRecipe) -> dict[str, Any]:
    crop = None
    if finish.crop_box is not None:
        assert finish.original_size is not None
        crop = {
            "box": list(finish.crop_box),
            "original_size": list(finish.original_size),
            "padding": finish.padding,
        }
    return {
        "output_format": finish.output_format,
        "invert_mask": finish.invert_mask,
        "resize_to": list(finish.resize_to) if finish.resize_to is not None else None,
        "crop": crop,
    }


def _image_json(image: StoredImage) -> dict[str, Any]:
    out: dict[str, Any] = {"sha256": image.sha256}
    if image.path is not None:
        out["path"] = image.path
    if image.url is not None:
        out["url"] = image.url
    if image.data is not None:
        out["data"] = base64.b64encode(image.data).decode("ascii")
    return out


# --- reading -------------------------------------------------------------------------------------


class _Invalid(Exception):
    def __init__(self, error: FieldError) -> None:
        super().__init__(str(error))
        self.error = error


def _fail(path: str, rule: str, value: Any) -> _Invalid:
    return _Invalid(FieldError(path, rule, value))


def _object(
    value: Any, path: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(path, "must be an object", value)
    for key in value:
        if key not in required and key not in optional:
            raise _fail(f"{path}.{key}", "is not a field of a stored job here", value[key])
    for key in required:
        if key not in value:
            raise _Invalid(FieldError.missing(f"{path}.{key}"))
    return value


def _string(value: Any, path: str, *, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise _fail(path, "must be a non-empty string", value)
    return value


def _integer(value: Any, path: str, *, optional: bool = False, minimum: int | None = None) -> Any:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(path, "must be an integer", value)
    if minimum is not None and value < minimum:
        raise _fail(path, f"must be >= {minimum}", value)
    return value


def _number(value: Any, path: str, *, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(path, "must be a finite number", value)
    return float(value)


def _boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(path, "must be true or false", value)
    return value


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(path, "must be a list", value)
    return value


def _ints(value: Any, path: str, count: int) -> tuple[int, ...]:
    items = _list(value, path)
    if len(items) != count:
        raise _fail(path, f"must list {count} integers", value)
    return tuple(_integer(v, f"{path}[{i}]", minimum=0) for i, v in enumerate(items))


def _pair(value: Any, path: str) -> tuple[int, int]:
    first, second = _ints(value, path, 2)
    return (first, second)


def _bytes(value: Any, path: str) -> bytes | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _fail(path, "must be base64 text", value)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _fail(path, "must be base64 text", value) from None


_SHA256 = re.compile(r"[0-9a-f]{64}")


def _read_job(data: Any) -> StoredJob:
    keys = ("format", "version", "provider", "submitted_at", "seed", "tasks", "finish", "inputs")
    # The version is checked first, so a newer format is named as such, not as unknown keys.
    if isinstance(data, Mapping) and "version" in data and data["version"] != VERSION:
        rule = f"must be {VERSION}: this inpaintkit reads stored jobs of version {VERSION}"
        raise _fail("$.version", rule, data["version"])
    top = _object(data, "$", keys, ("outcomes",))
    if top["format"] != FORMAT:
        raise _fail("$.format", f"must be {FORMAT!r}", top["format"])
    provider = _string(top["provider"], "$.provider")
    tasks = tuple(
        _read_task(t, f"$.tasks[{i}]", provider)
        for i, t in enumerate(_list(top["tasks"], "$.tasks"))
    )
    if not tasks:
        raise _fail("$.tasks", "must list at least one task", top["tasks"])
    inputs = _object(top["inputs"], "$.inputs", ("image", "mask"))
    outcomes = tuple(
        _read_outcome(o, f"$.outcomes[{i}]")
        for i, o in enumerate(_list(top.get("outcomes", []), "$.outcomes"))
    )
    return StoredJob(
        provider=provider,
        tasks=tasks,
        submitted_at=_number(top["submitted_at"], "$.submitted_at"),
        finish=_read_finish(top["finish"], "$.finish"),
        image=_read_image(inputs["image"], "$.inputs.image"),
        mask=_read_image(inputs["mask"], "$.inputs.mask"),
        seed=_integer(top["seed"], "$.seed", optional=True),
        outcomes=outcomes,
    )


def _read_task(value: Any, path: str, provider: str) -> StoredTask:
    task = _object(value, path, ("seed",), ("pending", "done"))
    seed = _integer(task["seed"], f"{path}.seed", optional=True)
    if ("pending" in task) == ("done" in task):
        raise _Invalid(FieldError.missing(path, "must have exactly one of pending or done"))
    if "pending" in task:
        pending = _object(task["pending"], f"{path}.pending", ("task_id", "data"))
        data = pending["data"]
        if not isinstance(data, Mapping):
            raise _fail(f"{path}.pending.data", "must be an object", data)
        handle = TaskHandle(provider, _string(pending["task_id"], f"{path}.pending.task_id"), data)
        return StoredTask(seed=seed, handle=handle)
    p = f"{path}.done"
    done = _object(task["done"], p, ("task_id", "seed", "generation_time", "images", "raw"))
    images = tuple(
        _read_remote(v, f"{p}.images[{i}]")
        for i, v in enumerate(_list(done["images"], f"{p}.images"))
    )
    if not images:
        raise _fail(f"{p}.images", "must list at least one image", done["images"])
    return StoredTask(
        seed=seed,
        done=Done(
            images=images,
            task_id=_string(done["task_id"], f"{p}.task_id", optional=True),
            seed=_integer(done["seed"], f"{p}.seed", optional=True),
            generation_time=_number(done["generation_time"], f"{p}.generation_time", optional=True),
            raw=done["raw"],
        ),
    )


def _read_remote(value: Any, path: str) -> RemoteImage:
    image = _object(value, path, ("url", "data", "format", "ttl", "nsfw"))
    url = _string(image["url"], f"{path}.url", optional=True)
    data = _bytes(image["data"], f"{path}.data")
    if url is None and data is None:
        raise _Invalid(FieldError.missing(path, "needs a url or data"))
    nsfw = image["nsfw"]
    return RemoteImage(
        url=url,
        data=data,
        format=_string(image["format"], f"{path}.format", optional=True),
        ttl=_number(image["ttl"], f"{path}.ttl", optional=True),
        nsfw=None if nsfw is None else _boolean(nsfw, f"{path}.nsfw"),
    )


def _read_finish(value: Any, path: str) -> FinishRecipe:
    finish = _object(value, path, ("output_format", "invert_mask", "resize_to", "crop"))
    output_format = _string(finish["output_format"], f"{path}.output_format", optional=True)
    formats = [f.value for f in OutputFormat]
    if output_format is not None and output_format not in formats:
        raise _fail(f"{path}.output_format", f"must be one of {formats} or null", output_format)
    resize = finish["resize_to"]
    crop_box: tuple[int, int, int, int] | None = None
    original_size: tuple[int, int] | None = None
    padding = 0
    if finish["crop"] is not None:
        crop = _object(finish["crop"], f"{path}.crop", ("box", "original_size", "padding"))
        left, top, right, bottom = _ints(crop["box"], f"{path}.crop.box", 4)
        crop_box = (left, top, right, bottom)
        original_size = _pair(crop["original_size"], f"{path}.crop.original_size")
        padding = _integer(crop["padding"], f"{path}.crop.padding", minimum=0)
        width, height = original_size
        if not (left < right <= width and top < bottom <= height):
            rule = f"must be a box inside the original size {width}x{height}"
            raise _fail(f"{path}.crop.box", rule, list(crop_box))
    return FinishRecipe(
        output_format=output_format,
        invert_mask=_boolean(finish["invert_mask"], f"{path}.invert_mask"),
        resize_to=_pair(resize, f"{path}.resize_to") if resize is not None else None,
        crop_box=crop_box,
        original_size=original_size,
        padding=padding,
    )


def _read_image(value: Any, path: str) -> StoredImage:
    image = _object(value, path, ("sha256",), ("path", "url", "data"))
    digest = _string(image["sha256"], f"{path}.sha256", optional=True)
    if digest is not None and not _SHA256.fullmatch(digest):
        raise _fail(f"{path}.sha256", "must be 64 lower-case hex digits (SHA-256)", digest)
    given = [k for k in ("path", "url", "data") if k in image]
    if len(given) > 1:
        raise _fail(path, "must have at most one of path, url or data", given)
    url = _string(image.get("url"), f"{path}.url", optional=True)
    if url is not None and not url.lower().startswith(("http://", "https://")):
        raise _fail(f"{path}.url", "must be an http(s) URL", url)
    return StoredImage(
        sha256=digest,
        path=_string(image.get("path"), f"{path}.path", optional=True),
        url=url,
        data=_bytes(image.get("data"), f"{path}.data"),
    )


def _read_outcome(value: Any, path: str) -> FieldOutcome:
    outcome = _object(value, path, ("field", "disposition", "note"))
    disposition = outcome["disposition"]
    choices = [d.value for d in Disposition]
    if disposition not in choices:
        raise _fail(f"{path}.disposition", f"must be one of {choices}", disposition)
    note = outcome["note"]
    if not isinstance(note, str):
        raise _fail(f"{path}.note", "must be a string", note)
    return FieldOutcome(
        field=_string(outcome["field"], f"{path}.field"),
        disposition=Disposition(disposition),
        note=note,
    )
