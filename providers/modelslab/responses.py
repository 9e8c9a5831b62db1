"""ModelsLab answers (inpaint, fetch, webhook) -> task states, tolerantly.

One body grammar covers all three (reference 3.3-3.5): ``status`` is ``success`` (images in
``output``), ``processing`` (``eta``, ``id``, ``future_links``, ``fetch_result``), ``error`` or
``failed``.  What really varies, and is tolerated here:

* ``id`` is an int at the top level, a string in ``meta.id`` and in webhook bodies;
* ``output`` is a list on success, ``[]`` on submit-processing and ``""`` on fetch-processing;
* ``message`` or the legacy ``messege``; ``eta`` a float (or a numeric string);
* a success with an empty ``output`` (then ``future_links`` seen earlier, kept in the task
  handle, or ``proxy_links`` are the images);
* with ``base64: "yes"`` an output item may be a plain base64 string, a ``data:`` URL or a URL of
  a file; all three are read (the shape is undocumented, reference 3.2 UNVERIFIED);
* unknown extra fields are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlparse

import attrs
from inpaintkit.errors import InpaintError, ProviderError, ValidationError
from inpaintkit.images import from_base64, sniff_format
from inpaintkit.job import Sampler
from inpaintkit.parsing import lenient_number
from inpaintkit.provider import (
    Done,
    Failed,
    HttpResponse,
    Pending,
    RemoteImage,
    TaskHandle,
    TaskState,
)

from .capabilities import PROVIDER_ID
from .errors import error_from_body
from .samplers import sampler_from_wire

__all__ = [
    "MetaEcho",
    "image_from_output",
    "parse_meta",
    "state_from_body",
    "state_from_response",
    "task_id_of",
]

PENDING_STATUSES = frozenset({"processing", "queued", "pending"})
"""Non-terminal statuses.  Only ``processing`` is documented; the other two are tolerated because
a still-running task must never be reported as failed."""
ERROR_STATUSES = frozenset({"error", "failed"})

_URL_FORMATS = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp", ".gif": "gif"}
_URL = re.compile(r"^https?://", re.IGNORECASE)


def _provider_error(message: str, body: Any, status: int | None) -> ProviderError:
    return ProviderError(message, provider=PROVIDER_ID, raw_body=body, status=status)


def task_id_of(body: Mapping[str, Any]) -> str | None:
    """The task id as a string: top-level ``id`` (int or string), else ``meta.id``."""
    for candidate in (body.get("id"), _meta(body).get("id")):
        if isinstance(candidate, bool) or candidate is None:
            continue
        if isinstance(candidate, int | str) and str(candidate).strip():
            return str(candidate).strip()
    return None


def _meta(body: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = body.get("meta")
    return meta if isinstance(meta, Mapping) else {}


def _int(value: Any) -> int | None:
    number = lenient_number(value)
    return int(number) if number is not None and number.is_integer() else None


def _links(value: Any) -> list[str]:
    """A list of non-empty strings from ``[...]``, ``""``, ``None`` or a lone string."""
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, Sequence):
        return [item for item in value if isinstance(item, str) and item.strip()]
    return []


def image_from_output(item: str, *, nsfw: bool | None = None) -> RemoteImage:
    """One ``output`` item: a URL to download, a ``data:`` URL, or bare base64 image bytes.

    Raises :class:`ProviderError` for anything else (it cannot be an image).
    """
    text = item.strip()
    if _URL.match(text):
        suffix = PurePosixPath(urlparse(text).path).suffix.lower()
        return RemoteImage(url=text, format=_URL_FORMATS.get(suffix), nsfw=nsfw)
    try:
        data = from_base64(text, path="$.output[]")
    except ValidationError:
        raise _provider_error(
            "ModelsLab returned an output item that is neither a URL nor base64 image data",
            item[:200],
            None,
        ) from None
    fmt = sniff_format(data)
    if fmt is None:
        raise _provider_error(
            "ModelsLab returned base64 output that does not decode to a known image format",
            item[:200],
            None,
        )
    return RemoteImage(data=data, format=fmt, nsfw=nsfw)


@attrs.frozen
class MetaEcho:
    """The parameters ModelsLab says it used (its ``meta`` object), in neutral terms.

    The server may differ from the request (capped steps, an enhanced prompt, a drawn seed),
    so this is what actually ran.  ``sampler`` is ``None`` when the echoed scheduler triple has
    no A1111 name (for example ``DDPMScheduler``).
    """

    model: str | None = None
    prompt: str | None = None
    seed: int | None = None
    steps: int | None = None
    num_images: int | None = None
    width: int | None = None
    height: int | None = None
    guidance_scale: float | None = None
    strength: float | None = None
    clip_skip: int | None = None
    sampler: Sampler | None = None
    scheduler: str | None = None


def parse_meta(meta: Any) -> MetaEcho:
    """Read a ``meta`` object (``W``/``H``, ``n_samples``, ``steps`` or ``num_inference_steps``)."""
    if not isinstance(meta, Mapping):
        return MetaEcho()
    scheduler = meta.get("scheduler")
    steps = meta.get("steps", meta.get("num_inference_steps"))
    model = meta.get("model_id")
    prompt = meta.get("prompt")
    return MetaEcho(
        model=model if isinstance(model, str) else None,
        prompt=prompt if isinstance(prompt, str) else None,
        seed=_int(meta.get("seed")),
        steps=_int(steps),
        num_images=_int(meta.get("n_samples", meta.get("samples"))),
        width=_int(meta.get("W", meta.get("width"))),
        height=_int(meta.get("H", meta.get("height"))),
        guidance_scale=lenient_number(meta.get("guidance_scale")),
        strength=lenient_number(meta.get("strength")),
        clip_skip=_int(meta.get("clip_skip")),
        sampler=sampler_from_wire(
            scheduler, meta.get("use_karras_sigmas"), meta.get("algorithm_type")
        ),
        scheduler=scheduler if isinstance(scheduler, str) else None,
    )


def _done(body: Mapping[str, Any], handle: TaskHandle | None, status: int | None) -> TaskState:
    nsfw_value = body.get("nsfw_content_detected")
    nsfw = nsfw_value if isinstance(nsfw_value, bool) else None
    remembered = _links(handle.data.get("future_links")) if handle is not None else []
    links = (
        _links(body.get("output"))
        or _links(body.get("future_links"))
        or remembered
        or _links(body.get("proxy_links"))
    )
    task_id = task_id_of(body) or (handle.task_id if handle is not None else None)
    if not links:
        return Failed(
            _provider_error("ModelsLab reported success without any image", body, status),
            raw=body,
        )
    try:
        images = tuple(image_from_output(link, nsfw=nsfw) for link in links)
    except InpaintError as exc:
        exc.raw_body, exc.status = body, status
        return Failed(exc, raw=body)
    return Done(
        images=images,
        task_id=task_id,
        seed=parse_meta(body.get("meta")).seed,
        generation_time=lenient_number(body.get("generationTime")),
        raw=body,
    )


def _pending(body: Mapping[str, Any], handle: TaskHandle | None, status: int | None) -> TaskState:
    task_id = task_id_of(body) or (handle.task_id if handle is not None else None)
    if task_id is None:
        return Failed(
            _provider_error("ModelsLab reported processing without a task id", body, status),
            raw=body,
        )
    data: dict[str, Any] = dict(handle.data) if handle is not None else {}
    future = _links(body.get("future_links"))
    if future:
        data["future_links"] = future
    track_id = body.get("track_id", _meta(body).get("track_id"))
    if isinstance(track_id, str) and track_id:
        data["track_id"] = track_id
    eta = lenient_number(body.get("eta"))
    new_handle = TaskHandle(provider=PROVIDER_ID, task_id=task_id, data=data)
    return Pending(new_handle, eta=eta if eta is not None and eta >= 0 else None, raw=body)


def state_from_body(
    body: Any,
    *,
    handle: TaskHandle | None = None,
    status: int | None = None,
    retry_after_header: str | None = None,
) -> TaskState:
    """The state a ModelsLab body stands for (HTTP status already known not to be an error)."""
    if not isinstance(body, Mapping):
        return Failed(_provider_error("ModelsLab answered without a JSON object", body, status))
    value = body.get("status")
    state = value.strip().lower() if isinstance(value, str) else None
    if value is None and _links(body.get("output")):
        # Seed 003's own response example has no "status" at all, only the success fields.
        state = "success"
    if state == "success":
        return _done(body, handle, status)
    if state in PENDING_STATUSES:
        return _pending(body, handle, status)
    if state in ERROR_STATUSES:
        task_id = task_id_of(body) or (handle.task_id if handle is not None else None)
        error = error_from_body(
            body, status=status, retry_after_header=retry_after_header, task_id=task_id
        )
        return Failed(error, raw=body)
    return Failed(
        _provider_error(f"ModelsLab answered with an unknown status {value!r}", body, status),
        raw=body,
    )


def state_from_response(response: HttpResponse, *, handle: TaskHandle | None = None) -> TaskState:
    """The state an HTTP answer to inpaint or fetch stands for."""
    body = response.json()
    retry_after = response.header("retry-after")
    if response.status >= 300:
        text = None if body is not None else response.text()
        task_id = handle.task_id if handle is not None else None
        error = error_from_body(
            body,
            status=response.status,
            retry_after_header=retry_after,
            task_id=task_id,
            text=text,
        )
        return Failed(error, raw=body if body is not None else text)
    if body is None:
        text = response.text()
        return Failed(
            _provider_error(
                "ModelsLab answered with a body that is not JSON", text[:500], response.status
            ),
            raw=text,
        )
    return state_from_body(
        body, handle=handle, status=response.status, retry_after_header=retry_after
    )
