"""Reading v3 answers (inpaint, fetch, webhook) into task states, tolerantly.

One function reads all three kinds of answer, because the platform uses one envelope for them
(reference 2.3, 3.3, 3.5): ``status`` is ``success`` (images in ``output``), ``processing``
(``eta``, ``fetch_result``, ``id``, maybe ``future_links``) or ``error``/``failed``.  What the
live service really sends drifts from the docs, so the reader accepts:

* ``id`` as an integer or a string (and, if absent, the id at the end of ``fetch_result``);
* ``output`` as a list, ``[]``, ``""`` or a single string; when a success has no output, the
  ``future_links`` given earlier are where the images are;
* ``eta`` as a number or a numeric string;
* ``message`` or the legacy ``messege``;
* with ``base64: "yes"``, output items that are inline base64 (plain or as a ``data:`` URL, both
  decoded to bytes) or http(s) links (returned as URLs; the exact shape is unverified, see
  reference 3.2);
* unknown fields, which are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

from inpaintkit.errors import ProviderError, ValidationError
from inpaintkit.images import from_base64, sniff_format
from inpaintkit.parsing import lenient_number
from inpaintkit.provider import Done, Failed, Pending, RemoteImage, TaskHandle, TaskState

from .capabilities import PROVIDER_ID
from .errors import error_from_body

__all__ = ["PENDING_STATUSES", "parse_answer", "task_id_of"]

PENDING_STATUSES: Final = frozenset({"processing", "queued", "pending", "starting"})
"""``processing`` is documented; the others are accepted as the same state, not as errors."""

_FETCH_ID = re.compile(r"/fetch/([^/?#]+)/?(?:[?#].*)?$")
_URL_FORMATS: Final = {"png": "png", "jpg": "jpeg", "jpeg": "jpeg", "webp": "webp"}


class _MalformedAnswer(Exception):
    """An answer that does not fit the envelope; becomes a :class:`ProviderError`."""


def task_id_of(body: Mapping[str, Any]) -> str | None:
    """The task id of an answer: ``id`` (int or string), else the tail of ``fetch_result``."""
    raw = body.get("id")
    if isinstance(raw, bool):
        raw = None
    if isinstance(raw, int | str) and str(raw).strip():
        return str(raw).strip()
    fetch_result = body.get("fetch_result")
    if isinstance(fetch_result, str):
        match = _FETCH_ID.search(fetch_result)
        if match:
            return match.group(1)
    return None


def _eta(body: Mapping[str, Any]) -> float | None:
    eta = lenient_number(body.get("eta"))
    return eta if eta is not None and eta >= 0 else None


def _seed(body: Mapping[str, Any]) -> int | None:
    meta = body.get("meta")
    if not isinstance(meta, Mapping):
        return None
    seed = lenient_number(meta.get("seed"))
    return int(seed) if seed is not None and seed.is_integer() and seed >= 0 else None


def _items(value: Any) -> list[Any]:
    """``output``/``future_links`` as a list: ``""``, ``[]`` and ``null`` are empty."""
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [item for item in value if item not in (None, "")]
    return [value]


def _links(value: Any) -> list[str]:
    return [item.strip() for item in _items(value) if isinstance(item, str) and item.strip()]


def _format_of_url(url: str) -> str | None:
    suffix = urlsplit(url).path.rsplit(".", 1)
    return _URL_FORMATS.get(suffix[1].lower()) if len(suffix) == 2 else None


def _image(item: Any, index: int, nsfw: bool | None) -> RemoteImage:
    if not isinstance(item, str) or not item.strip():
        raise _MalformedAnswer(f"output[{index}] is not a URL or base64 string")
    text = item.strip()
    if text.startswith(("http://", "https://")):
        return RemoteImage(url=text, format=_format_of_url(text), nsfw=nsfw)
    try:
        data = from_base64(text, path=f"$.output[{index}]")
    except ValidationError:
        raise _MalformedAnswer(f"output[{index}] is neither an http(s) URL nor base64") from None
    fmt = sniff_format(data)
    if fmt is None:
        raise _MalformedAnswer(f"output[{index}] is base64 but not an image")
    return RemoteImage(data=data, format=fmt, nsfw=nsfw)


def _done(body: Mapping[str, Any], handle: TaskHandle | None) -> Done:
    nsfw_flag = body.get("nsfw_content_detected")
    nsfw = nsfw_flag if isinstance(nsfw_flag, bool) else None
    items = _items(body.get("output"))
    if not items:
        # "success" with no output: the images are at the links announced while processing.
        items = list(_links(body.get("future_links")))
        if not items and handle is not None:
            items = list(_links(handle.data.get("future_links")))
    if not items:
        raise _MalformedAnswer("status success without output or future_links")
    generation_time = lenient_number(body.get("generationTime"))
    task_id = task_id_of(body) or (handle.task_id if handle is not None else None)
    return Done(
        images=tuple(_image(item, i, nsfw) for i, item in enumerate(items)),
        task_id=task_id,
        seed=_seed(body),
        generation_time=generation_time,
        raw=body,
    )


def _pending(body: Mapping[str, Any], handle: TaskHandle | None) -> Pending:
    task_id = task_id_of(body) or (handle.task_id if handle is not None else None)
    if task_id is None:
        raise _MalformedAnswer("status processing without an id or fetch_result to poll")
    links = _links(body.get("future_links"))
    if not links and handle is not None:
        links = _links(handle.data.get("future_links"))
    data: dict[str, Any] = {"future_links": links} if links else {}
    return Pending(TaskHandle(PROVIDER_ID, task_id, data), eta=_eta(body), raw=body)


def parse_answer(
    body: Any,
    *,
    status: int,
    headers: Mapping[str, str] | None = None,
    phase: str,
    handle: TaskHandle | None = None,
) -> TaskState:
    """The state an answer describes.

    ``body`` is the parsed JSON (or the text when it was not JSON), ``status`` the HTTP status
    (a webhook is read as 200), ``phase`` one of ``"submit"``, ``"poll"``, ``"webhook"``, and
    ``handle`` the task being polled (its ``future_links`` complete an empty success).
    """
    task_id = handle.task_id if handle is not None else None
    if not 200 <= status < 300:
        error = error_from_body(body, status=status, headers=headers, phase=phase, task_id=task_id)
        return Failed(error, raw=body)
    if not isinstance(body, Mapping):
        error = ProviderError(
            "the provider's answer is not a JSON object",
            provider=PROVIDER_ID,
            raw_body=body,
            status=status,
        )
        return Failed(error, raw=body)
    state = str(body.get("status", "")).strip().lower()
    try:
        if state == "success":
            return _done(body, handle)
        if state in PENDING_STATUSES:
            return _pending(body, handle)
    except _MalformedAnswer as exc:
        error = ProviderError(
            f"unexpected answer: {exc}", provider=PROVIDER_ID, raw_body=body, status=status
        )
        return Failed(error, raw=body)
    if state in ("error", "failed"):
        error = error_from_body(
            body, status=status, headers=headers, phase=phase, task_id=task_id_of(body) or task_id
        )
        return Failed(error, raw=body)
    error = ProviderError(
        f"unexpected answer status {body.get('status')!r}",
        provider=PROVIDER_ID,
        raw_body=body,
        status=status,
    )
    return Failed(error, raw=body)
