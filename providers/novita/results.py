"""Parsing Novita's submit answers, task results and webhook events into task states.

Parsing is tolerant of what Novita really sends (ref 1.3-1.5): the flat ``{"task_id": ...}``
and the legacy ``{"code": 0, "msg": "", "data": {...}}`` envelope; ids as strings or ints;
``eta`` and ``progress_percent`` as numbers or numeric strings; ``image_url_ttl`` as ``3600`` or
``"3600"``; ``nsfw_detection_result`` as ``null``, ``{}`` or ``{valid, confidence}``;
``extra.seed`` as a string; unknown fields ignored.

Decisions (documented here because the sources leave room):

- ``TASK_STATUS_UNKNOWN`` (only in the JS SDK's enum) is treated as *pending*: it is not a
  verdict, and the poll deadline bounds how long it may last.  Any other unrecognised status is
  a :class:`ProviderError`, so a new terminal status is never waited on silently.
- ``eta`` of 0 or less means "no estimate" (the success example reports 0), so it is ``None``.
- ``image_url_ttl`` of 0 or less means "unknown" and becomes ``None``.
- NSFW: an image is flagged when ``valid and confidence >= NSFW_CONFIDENCE_THRESHOLD`` (0.8);
  the confidence itself is reported on the image.  The rule and its source are stated once, in
  the capability table's notes (:data:`.capabilities.NSFW_RULE`).
- A ``TASK_STATUS_SUCCEED`` without any image is a :class:`ProviderError` rather than an empty
  success: a job always asks for at least one image.
- Webhook events other than ``ASYNC_TASK_RESULT`` raise :class:`IgnoredWebhookEvent` (a
  :class:`ValidationError`), because Novita advises ignoring them and there is no task state to
  report; a receiver should answer 2xx and drop them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from inpaintkit.errors import FieldError, ProviderError, TaskFailedError, ValidationError
from inpaintkit.parsing import lenient_number
from inpaintkit.provider import (
    Done,
    Failed,
    HttpResponse,
    Pending,
    RemoteImage,
    RunEcho,
    TaskHandle,
    TaskState,
)

from .capabilities import NSFW_CONFIDENCE_THRESHOLD
from .errors import error_from_body, error_from_response, raw_body_of

__all__ = [
    "FAILED_STATUSES",
    "PENDING_STATUSES",
    "SUCCEEDED_STATUSES",
    "WEBHOOK_EVENT",
    "IgnoredWebhookEvent",
    "nsfw_verdict",
    "parse_submit_response",
    "parse_task_result",
    "parse_task_result_response",
    "parse_webhook_event",
]

PROVIDER_ID = "novita"

PENDING_STATUSES: Final = frozenset(
    {"TASK_STATUS_QUEUED", "TASK_STATUS_PROCESSING", "TASK_STATUS_UNKNOWN"}
)
SUCCEEDED_STATUSES: Final = frozenset({"TASK_STATUS_SUCCEED"})
FAILED_STATUSES: Final = frozenset({"TASK_STATUS_FAILED"})
WEBHOOK_EVENT: Final = "ASYNC_TASK_RESULT"

_IMAGE_TYPES: Final = {"jpg": "jpeg", "jpeg": "jpeg", "png": "png", "webp": "webp"}


class IgnoredWebhookEvent(ValidationError):
    """A Novita webhook event that carries no task result (not ``ASYNC_TASK_RESULT``).

    Novita's webhook guide says to ignore such events; catch this, answer 2xx, and drop it.
    """

    default_hint = "Acknowledge the call with a 2xx status and ignore it."


# --- helpers ------------------------------------------------------------------------------------


def _unwrap(body: Any) -> Any:
    """The payload inside the legacy ``{"code": 0, "msg": "", "data": {...}}`` envelope, else
    ``body`` itself."""
    if isinstance(body, Mapping) and isinstance(body.get("data"), Mapping):
        code = body.get("code")
        if code in (0, "0", None):
            return body["data"]
    return body


def _id(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _positive(value: Any) -> float | None:
    number = lenient_number(value)
    return number if number is not None and number > 0 else None


def _seed(value: Any) -> int | None:
    number = lenient_number(value)
    if number is None or number < 0 or not number.is_integer():
        return None
    return int(number)


def _looks_like_error(body: Any) -> bool:
    if not isinstance(body, Mapping):
        return False
    code = body.get("code")
    has_error_code = isinstance(code, int) and not isinstance(code, bool) and code >= 400
    return "reason" in body or has_error_code


# --- submit -------------------------------------------------------------------------------------


def parse_submit_response(response: HttpResponse) -> TaskState:
    """The state after ``POST /v3/async/inpainting``: a handle to poll, or a typed failure."""
    if not 200 <= response.status < 300:
        error = error_from_response(response)
        return Failed(error=error, raw=error.raw_body)
    body = response.json()
    inner = _unwrap(body)
    task_id = _id(inner.get("task_id")) if isinstance(inner, Mapping) else None
    if task_id is not None:
        return Pending(handle=TaskHandle(provider=PROVIDER_ID, task_id=task_id), raw=body)
    if _looks_like_error(body):
        error = error_from_body(response.status, body, response.headers)
        return Failed(error=error, raw=body)
    raw = raw_body_of(response)
    error = ProviderError(
        "Novita accepted the submit but its answer has no task_id",
        provider=PROVIDER_ID,
        raw_body=raw,
        status=response.status,
    )
    return Failed(error=error, raw=raw)


# --- task result --------------------------------------------------------------------------------


def parse_task_result_response(handle: TaskHandle, response: HttpResponse) -> TaskState:
    """The state after ``GET /v3/async/task-result?task_id=...``."""
    if not 200 <= response.status < 300:
        error = error_from_response(response, task_id=handle.task_id)
        return Failed(error=error, raw=error.raw_body)
    body = response.json()
    if body is None:
        raw = raw_body_of(response)
        error = ProviderError(
            "Novita's task result is not JSON",
            provider=PROVIDER_ID,
            raw_body=raw,
            status=response.status,
            task_id=handle.task_id,
        )
        return Failed(error=error, raw=raw)
    return parse_task_result(body, handle=handle, status=response.status, headers=response.headers)


def parse_task_result(
    body: Any,
    *,
    handle: TaskHandle,
    status: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> TaskState:
    """Interpret a task-result document (a poll answer or a webhook ``payload``)."""
    inner = _unwrap(body)
    task = inner.get("task") if isinstance(inner, Mapping) else None
    if not isinstance(task, Mapping):
        if _looks_like_error(body):
            error = error_from_body(status or 200, body, headers, task_id=handle.task_id)
            return Failed(error=error, raw=body)
        return _provider_failure("Novita's task result has no task object", body, handle, status)
    task_status = task.get("status")
    if task_status in PENDING_STATUSES:
        return Pending(
            handle=handle,
            eta=_positive(task.get("eta")),
            progress=_progress(task.get("progress_percent")),
            raw=body,
        )
    if task_status in FAILED_STATUSES:
        reason = task.get("reason")
        why = reason.strip() if isinstance(reason, str) and reason.strip() else "no reason given"
        error = TaskFailedError(
            f"Novita task {handle.task_id} failed: {why}",
            provider=PROVIDER_ID,
            raw_body=body,
            status=status,
            task_id=handle.task_id,
        )
        return Failed(error=error, raw=body)
    if task_status in SUCCEEDED_STATUSES:
        return _done(inner, body, handle, status)
    return _provider_failure(
        f"Novita reported an unrecognised task status {task_status!r}", body, handle, status
    )


def _progress(value: Any) -> float | None:
    percent = lenient_number(value)
    if percent is None:
        return None
    return min(max(percent / 100.0, 0.0), 1.0)


def _done(inner: Mapping[str, Any], body: Any, handle: TaskHandle, status: int | None) -> TaskState:
    entries = inner.get("images")
    if not isinstance(entries, list) or not entries:
        return _provider_failure(
            f"Novita task {handle.task_id} succeeded without any image", body, handle, status
        )
    images: list[RemoteImage] = []
    for index, entry in enumerate(entries):
        image = _image(entry)
        if image is None:
            return _provider_failure(
                f"Novita task {handle.task_id}: images[{index}] has no image_url",
                body,
                handle,
                status,
            )
        images.append(image)
    extra = inner.get("extra")
    extra = extra if isinstance(extra, Mapping) else {}
    seed = _seed(extra.get("seed"))
    return Done(
        images=tuple(images),
        task_id=handle.task_id,
        seed=seed,
        generation_time=_generation_time(extra.get("debug_info")),
        raw=body,
        echo=RunEcho(seed=seed) if seed is not None else None,  # the seed it drew
    )


def _image(entry: Any) -> RemoteImage | None:
    if not isinstance(entry, Mapping):
        return None
    url = entry.get("image_url")
    if not isinstance(url, str) or not url.strip():
        return None
    kind = entry.get("image_type")
    fmt = (
        _IMAGE_TYPES.get(kind.strip().lower(), kind.strip().lower())
        if isinstance(kind, str) and kind.strip()
        else None
    )
    nsfw, confidence = nsfw_verdict(entry.get("nsfw_detection_result"))
    return RemoteImage(
        url=url.strip(),
        format=fmt,
        ttl=_positive(entry.get("image_url_ttl")),
        nsfw=nsfw,
        nsfw_confidence=confidence,
    )


def nsfw_verdict(result: Any) -> tuple[bool | None, float | None]:
    """``(flagged, confidence)`` from an ``nsfw_detection_result``: flagged when ``valid`` and
    ``confidence >= NSFW_CONFIDENCE_THRESHOLD``; ``(None, None)`` when nothing usable was
    reported (``null``, ``{}``, no boolean ``valid``, a confidence that is not a number in
    [0, 1])."""
    if not isinstance(result, Mapping) or not isinstance(result.get("valid"), bool):
        return None, None
    confidence = lenient_number(result.get("confidence"))
    if confidence is None or not 0.0 <= confidence <= 1.0:
        return None, None
    return result["valid"] and confidence >= NSFW_CONFIDENCE_THRESHOLD, confidence


def _generation_time(debug_info: Any) -> float | None:
    """Seconds from execution start to completion, when ``debug_info`` holds both timestamps
    (milliseconds, documented as strings and empty in every published example)."""
    if not isinstance(debug_info, Mapping):
        return None
    start = lenient_number(debug_info.get("execute_time_ms"))
    end = lenient_number(debug_info.get("complete_time_ms"))
    if start is None or end is None or end < start or start <= 0:
        return None
    return (end - start) / 1000.0


def _provider_failure(message: str, body: Any, handle: TaskHandle, status: int | None) -> Failed:
    error = ProviderError(
        message, provider=PROVIDER_ID, raw_body=body, status=status, task_id=handle.task_id
    )
    return Failed(error=error, raw=body)


# --- webhook ------------------------------------------------------------------------------------


def parse_webhook_event(body: Any) -> TaskState:
    """The state a Novita webhook call reports: ``{"event_type": "ASYNC_TASK_RESULT",
    "payload": <task result>}`` (ref 1.5)."""
    if not isinstance(body, Mapping):
        error = FieldError("$", "must be a JSON object", body)
        raise ValidationError([error], provider=PROVIDER_ID)
    event = body.get("event_type")
    if event != WEBHOOK_EVENT:
        raise IgnoredWebhookEvent(
            [
                FieldError(
                    "$.event_type", f"is not {WEBHOOK_EVENT}, the only event with a result", event
                )
            ],
            provider=PROVIDER_ID,
            raw_body=body,
        )
    payload = body.get("payload")
    task = payload.get("task") if isinstance(payload, Mapping) else None
    task_id = _id(task.get("task_id")) if isinstance(task, Mapping) else None
    if task_id is None:
        raise ValidationError(
            [FieldError.missing("$.payload.task.task_id", "is required in an ASYNC_TASK_RESULT")],
            provider=PROVIDER_ID,
            raw_body=body,
        )
    state = parse_task_result(payload, handle=TaskHandle(provider=PROVIDER_ID, task_id=task_id))
    # Report the whole event as raw, not only its payload.
    if isinstance(state, Failed):
        return Failed(error=state.error, raw=body)
    if isinstance(state, Done):
        return Done(
            images=state.images,
            task_id=state.task_id,
            seed=state.seed,
            generation_time=state.generation_time,
            raw=body,
            echo=state.echo,
        )
    return Pending(handle=state.handle, eta=state.eta, progress=state.progress, raw=body)
