"""Reading the platform's answers (submit, fetch, webhook) into task states, tolerantly.

One envelope covers all three on both providers (reference 2.3, 3.3, 3.5): ``status`` is
``success`` (images in ``output``), ``processing`` (``eta``, ``id``, ``fetch_result``, maybe
``future_links``), ``error`` or ``failed``.  What the live service sends drifts from the docs,
so the reader accepts:

* ``id`` as an integer or a string at the top level, else ``meta.id`` (a string, reference 3.3),
  else the tail of the ``fetch_result`` URL;
* ``output`` as a list, ``[]``, ``""`` (fetch-processing) or a lone string; a success with no
  output takes its images from ``future_links`` (this answer's, or those remembered in the task
  handle from the processing answer), else ``proxy_links``;
* a success body without ``status`` at all (seed 003's own response example);
* ``eta`` as a number or a numeric string; ``message`` or the legacy ``messege``;
* output items that are http(s) links, ``data:`` URLs or bare base64 (the shape with
  ``base64: "yes"`` is unverified, reference 3.2); unknown fields are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any, Final
from urllib.parse import urlsplit

from inpaintkit.errors import InpaintError, ProviderError, ValidationError
from inpaintkit.images import from_base64, sniff_format
from inpaintkit.parsing import lenient_number
from inpaintkit.provider import (
    CapabilityTable,
    Done,
    Failed,
    HttpResponse,
    Pending,
    RemoteImage,
    RunEcho,
    TaskHandle,
    TaskState,
)

from .errors import classify

__all__ = ["ECHO_KEYS", "PENDING_STATUSES", "Reader", "SamplerReader", "task_id_of"]

SamplerReader = Callable[[Mapping[str, Any]], "str | None"]
"""A provider's reading of the sampler its ``meta`` echoes (neutral name, else its own)."""

ECHO_KEYS: Final = (
    "steps",
    "num_inference_steps",
    "seed",
    "prompt",
    "W",
    "H",
    "width",
    "height",
    "scheduler",
    "use_karras_sigmas",
    "algorithm_type",
)
"""The ``meta`` members read into :class:`RunEcho` (kept from a processing answer in the task
handle, since a fetch success carries no ``meta``, reference 3.3)."""

PENDING_STATUSES: Final = frozenset({"processing", "queued", "pending", "starting"})
"""``processing`` is documented; the others are read as the same state: a task still running
must never be reported as failed."""

_FETCH_ID = re.compile(r"/fetch/([^/?#]+)/?(?:[?#].*)?$")
_URL_FORMATS: Final = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp"}


class _Malformed(Exception):
    """An answer that does not fit the envelope; becomes a :class:`ProviderError`."""


def _meta(body: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = body.get("meta")
    return meta if isinstance(meta, Mapping) else {}


def task_id_of(body: Mapping[str, Any]) -> str | None:
    """The task id of an answer: ``id``, else ``meta.id``, else the tail of ``fetch_result``."""
    for raw in (body.get("id"), _meta(body).get("id")):
        if isinstance(raw, int | str) and not isinstance(raw, bool) and str(raw).strip():
            return str(raw).strip()
    fetch_result = body.get("fetch_result")
    match = _FETCH_ID.search(fetch_result) if isinstance(fetch_result, str) else None
    return match.group(1) if match else None


def _links(value: Any) -> list[str]:
    """``output``/``future_links`` as a list of non-empty strings (``""``/``[]``/null: none)."""
    items = value if isinstance(value, Sequence) and not isinstance(value, str) else [value]
    return [item.strip() for item in items if isinstance(item, str) and item.strip()]


def _image(item: str, index: int, nsfw: bool | None) -> RemoteImage:
    if item.startswith(("http://", "https://")):
        suffix = PurePosixPath(urlsplit(item).path).suffix.lower()
        return RemoteImage(url=item, format=_URL_FORMATS.get(suffix), nsfw=nsfw)
    try:
        data = from_base64(item, path=f"$.output[{index}]")
    except ValidationError:
        raise _Malformed(f"output[{index}] is neither an http(s) URL nor base64") from None
    fmt = sniff_format(data)
    if fmt is None:
        raise _Malformed(f"output[{index}] is base64 but not an image")
    return RemoteImage(data=data, format=fmt, nsfw=nsfw)


def _whole(value: Any) -> int | None:
    number = lenient_number(value)
    return int(number) if number is not None and number.is_integer() and number >= 0 else None


def _seed(body: Mapping[str, Any]) -> int | None:
    return _whole(_meta(body).get("seed"))


def _echo(meta: Mapping[str, Any], sampler: SamplerReader | None) -> RunEcho | None:
    """What the provider says it ran (its ``meta``): steps after a cap, the drawn seed, the
    prompt after enhancement, the size and (where the provider reads it) the sampler."""
    if not meta:
        return None
    prompt = meta.get("prompt")
    return RunEcho(
        steps=_whole(meta.get("steps", meta.get("num_inference_steps"))),
        seed=_whole(meta.get("seed")),
        prompt=prompt if isinstance(prompt, str) else None,
        sampler=sampler(meta) if sampler is not None else None,
        width=_whole(meta.get("W", meta.get("width"))),
        height=_whole(meta.get("H", meta.get("height"))),
    )


def _remembered_meta(handle: TaskHandle | None) -> Mapping[str, Any]:
    meta = handle.data.get("meta") if handle is not None else None
    return meta if isinstance(meta, Mapping) else {}


def _done(
    body: Mapping[str, Any], handle: TaskHandle | None, sampler: SamplerReader | None = None
) -> Done:
    nsfw_flag = body.get("nsfw_content_detected")
    nsfw = nsfw_flag if isinstance(nsfw_flag, bool) else None
    remembered = _links(handle.data.get("future_links")) if handle is not None else []
    links = (
        _links(body.get("output"))
        or _links(body.get("future_links"))
        or remembered
        or _links(body.get("proxy_links"))
    )
    if not links:
        raise _Malformed("status success without any image (no output or future_links)")
    meta = _meta(body) or _remembered_meta(handle)
    return Done(
        images=tuple(_image(item, i, nsfw) for i, item in enumerate(links)),
        task_id=task_id_of(body) or (handle.task_id if handle is not None else None),
        seed=_whole(meta.get("seed")),
        generation_time=lenient_number(body.get("generationTime")),
        raw=_without_inline_images(body),
        echo=_echo(meta, sampler),
    )


def _without_inline_images(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """``body`` with each inline (base64) ``output`` image replaced by a note of its length.

    The decoded bytes are in the result's images; keeping the text as well would hold every
    image twice (a third larger again) for as long as the result lives, and every log or
    redaction pass over ``raw`` would read it.  Links are kept as they are.
    """
    output = body.get("output")
    items = output if isinstance(output, list) else [output]
    noted = [_noted(item) for item in items]
    if all(n is i for n, i in zip(noted, items, strict=True)):
        return body
    return {**body, "output": noted if isinstance(output, list) else noted[0]}


def _noted(item: object) -> object:
    """An inline image's note (text longer than any link that is not an http(s) link), else
    ``item`` itself."""
    if isinstance(item, str) and len(item) > _LONGEST_LINK and not item.startswith("http"):
        return f"<base64 image: {len(item)} characters>"
    return item


_LONGEST_LINK: Final = 2048
"""Text longer than this in ``output`` that is not an http(s) link is inline image data."""


class Reader:
    """Reads one provider's answers: the envelope is shared, the id and table are the provider's."""

    def __init__(
        self, provider: str, table: CapabilityTable, sampler: SamplerReader | None = None
    ) -> None:
        self.provider = provider
        self.table = table
        self.sampler = sampler

    def _failed(self, message: str, body: Any, status: int | None) -> Failed:
        error = ProviderError(message, provider=self.provider, raw_body=body, status=status)
        return Failed(error, raw=body)

    def _pending(self, body: Mapping[str, Any], handle: TaskHandle | None) -> Pending:
        task_id = task_id_of(body) or (handle.task_id if handle is not None else None)
        if task_id is None:
            raise _Malformed("status processing without a task id (no id or fetch_result)")
        data: dict[str, Any] = dict(handle.data) if handle is not None else {}
        links = _links(body.get("future_links"))
        if links:
            data["future_links"] = links
        echoed = {k: v for k, v in _meta(body).items() if k in ECHO_KEYS}
        if echoed:
            data["meta"] = echoed  # a fetch success has no meta (reference 3.3)
        track_id = body.get("track_id", _meta(body).get("track_id"))
        if isinstance(track_id, str) and track_id:
            data["track_id"] = track_id  # names the job in webhook calls (reference 3.5)
        eta = lenient_number(body.get("eta"), minimum=0)
        return Pending(TaskHandle(self.provider, task_id, data), eta=eta, raw=body)

    def state(
        self,
        body: Any,
        *,
        status: int | None,
        headers: Mapping[str, str] | None = None,
        phase: str,
        handle: TaskHandle | None = None,
    ) -> TaskState:
        """The state an answer describes (``body`` parsed JSON, or the text when it was not).

        ``status`` is the HTTP status (``None`` for a webhook payload, read as a 2xx answer);
        ``phase`` is ``"submit"``, ``"poll"`` or ``"webhook"``;
        ``handle`` is the task being fetched (its ``future_links`` complete an empty success).
        """
        task_id = handle.task_id if handle is not None else None
        if status is not None and not 200 <= status < 300:
            return Failed(self.error(body, status, headers, phase, task_id), raw=body)
        if not isinstance(body, Mapping):
            return self._failed("the provider's answer is not JSON (an object)", body, status)
        value = body.get("status")
        state = str(value).strip().lower() if value is not None else ""
        if value is None and _links(body.get("output")):
            state = "success"
        try:
            if state == "success":
                return _done(body, handle, self.sampler)
            if state in PENDING_STATUSES:
                return self._pending(body, handle)
        except _Malformed as exc:
            return self._failed(f"unexpected answer: {exc}", body, status)
        if state in ("error", "failed"):
            task_id = task_id_of(body) or task_id
            return Failed(self.error(body, status, headers, phase, task_id), raw=body)
        return self._failed(f"unexpected answer status {value!r}", body, status)

    def response(
        self, response: HttpResponse, *, phase: str, handle: TaskHandle | None = None
    ) -> TaskState:
        """:meth:`state` for a whole HTTP response."""
        parsed = response.json()
        body = parsed if parsed is not None else response.text()
        return self.state(
            body, status=response.status, headers=response.headers, phase=phase, handle=handle
        )

    def error(
        self,
        body: Any,
        status: int | None,
        headers: Mapping[str, str] | None = None,
        phase: str = "submit",
        task_id: str | None = None,
    ) -> InpaintError:
        """The typed error of an error answer (see :func:`.errors.classify`)."""
        return classify(
            body,
            status=status,
            provider=self.provider,
            table=self.table,
            headers=headers,
            phase=phase,
            task_id=task_id,
        )
