"""The web UI's answers -> task states, and its error bodies -> typed errors.

Success is HTTP 200 with ``{"images": [base64...], "parameters": {...}, "info": "<JSON>"}``;
``info`` is a JSON *string* whose ``seed`` is the seed actually used (``-1`` resolved).

Errors come in three shapes (see :mod:`.sources`):

- FastAPI validation, HTTP 422: ``{"detail": [{"loc": ["body", "steps"], "msg": ..., "type":
  ...}]}``, one item per bad field -> :class:`ValidationError` naming every field at its
  neutral path (``$.steps``), the wire field it came from named in the rule;
- the web UI's own handler, any status: ``{"error": "<exception class>", "detail": ..., "body":
  ..., "errors": ...}``.  Its ``detail`` decides: "Init image not found", "Sampler not found"
  (404, 400 in newer versions) and "Invalid encoded image" (500) are the caller's fault ->
  :class:`ValidationError`; 401 (``--api-auth``) -> :class:`AuthenticationError`; anything else
  (CUDA out of memory...) -> :class:`ProviderError` (a :class:`ServerError` for a 5xx);
- ``{"detail": "Not Found"}`` with 404 from FastAPI itself: no such route, which on a running
  web UI means it was started without ``--api`` -> :class:`ProviderError` with that hint.

The status rules themselves (401 auth, 429 with its Retry-After, 5xx worth retrying) and the
mapping of a blamed wire field to its neutral path are the core's
(:func:`inpaintkit.responses.error_for_response`); this module only reads the web UI's bodies.
An error answer is raised as its typed error, which the core turns into the failed state.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from inpaintkit.provider import Done, HttpResponse, RemoteImage
from inpaintkit.responses import error_for_response

from .capabilities import CAPABILITIES, PROVIDER_ID

__all__ = ["KNOWN_DETAILS", "error_from_response", "parse_img2img"]

KNOWN_DETAILS: Final[Mapping[str, tuple[str, str]]] = {
    "Init image not found": ("init_images", "is required (init_images was null)"),
    "Sampler not found": ("sampler_name", "is not a sampler this server has"),
    "Invalid encoded image": (
        "init_images",
        "could not be decoded as an image (the server does not say whether "
        "it was an init image or the mask)",
    ),
    "Model not found": (
        "override_settings.sd_model_checkpoint",
        "is not a checkpoint this server has",
    ),
}
"""``detail`` -> (the wire field it is about, what it means), for the web UI's errors that
blame the request; the capability table maps the wire field to the neutral one."""

_AUTH_HINT: Final = (
    "The server runs with --api-auth: pass its 'user:pass' as the key "
    "(api_keys or SDWEBUI_API_AUTH)."
)
_NO_API_HINT: Final = "Start the web UI with --api (or --nowebui), and check the base URL."


def parse_img2img(response: HttpResponse) -> Done:
    """``Done`` with the inline images and the seed used; an error answer (or a 200 without
    usable images) raises its typed error."""
    if response.status != 200:
        raise error_from_response(response)
    body = response.json()
    if not isinstance(body, Mapping):
        raise _malformed("the answer is not a JSON object", response)
    images = body.get("images")
    if not isinstance(images, Sequence) or isinstance(images, str) or not images:
        raise _malformed("the answer has no images (was send_images false?)", response)
    decoded: list[RemoteImage] = []
    for index, item in enumerate(images):
        path = f"$.images[{index}]"
        try:
            # The client reads the format from the bytes.
            decoded.append(RemoteImage.from_base64(item, path=path))
        except ValueError as exc:  # the core's ValidationError, at the item's path
            raise _malformed(f"images[{index}] is not base64 ({exc})", response) from None
    info = _info(body.get("info"))
    return Done(
        images=tuple(decoded),
        seed=_seed(info.get("seed")),
        raw=_raw_without_images(body),
    )


def _malformed(message: str, response: HttpResponse) -> Exception:
    """A 200 that is no result: the server's fault, not the job's."""
    error = error_for_response(response, provider=PROVIDER_ID, message=message, kind="provider")
    if isinstance(error.raw_body, Mapping):
        error.raw_body = _raw_without_images(error.raw_body)
    return error


def _raw_without_images(body: Mapping[str, Any]) -> dict[str, Any]:
    """The answer for ``raw``, with the (large) images replaced by their count."""
    raw = dict(body)
    images = raw.get("images")
    if isinstance(images, list):
        raw["images"] = f"<{len(images)} images>"
    return raw


def _info(value: Any) -> Mapping[str, Any]:
    """``info`` decoded: a JSON string normally, tolerated as an object, else empty."""
    if isinstance(value, Mapping):
        return value
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            return {}
        return decoded if isinstance(decoded, Mapping) else {}
    return {}


def _seed(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    return int(value) if value >= 0 else None


# --- errors -----------------------------------------------------------------------------------


def error_from_response(response: HttpResponse) -> Exception:
    """The typed error for a non-200 answer (see the module docstring for the shapes)."""
    status = response.status
    body = response.json()
    fields: Mapping[str, Any] = body if isinstance(body, Mapping) else {}
    detail = fields.get("detail")
    if status == 422 and isinstance(detail, list):
        return error_for_response(
            response,
            provider=PROVIDER_ID,
            kind="invalid",
            table=CAPABILITIES,
            fields=_validation_fields(detail),
        )
    text = detail if isinstance(detail, str) and detail else _text(fields, response)
    if status in (401, 403, 429):  # the core's rules: auth, or a rate limit with Retry-After
        hint = _AUTH_HINT if status != 429 else None
        return error_for_response(response, provider=PROVIDER_ID, message=text, hint=hint)
    known = KNOWN_DETAILS.get(text)
    if known is not None and status in (400, 404, 422, 500):
        wire, rule = known
        return error_for_response(
            response,
            provider=PROVIDER_ID,
            kind="invalid",
            table=CAPABILITIES,
            fields=[(wire, f"{rule} ({text})")],
        )
    if status == 422:
        return error_for_response(response, provider=PROVIDER_ID, message=text, kind="invalid")
    if status == 404 and "error" not in fields:
        return error_for_response(
            response,
            provider=PROVIDER_ID,
            message=response_path_hint(text),
            kind="provider",
            hint=_NO_API_HINT,
        )
    label = fields.get("error") if isinstance(fields.get("error"), str) else "error"
    return error_for_response(
        response,
        provider=PROVIDER_ID,
        message=f"{label}: {text}",
        # Another 4xx is not known to blame a field; a 5xx stays the core's retryable kind.
        kind=None if status >= 500 else "provider",
    )


def response_path_hint(detail: str) -> str:
    """The message for FastAPI's own 404."""
    return f"{detail or 'Not Found'}: the server has no /sdapi/v1/img2img route"


def _validation_fields(items: Sequence[Any]) -> list[tuple[str | None, str]]:
    """One (wire field, message) per FastAPI error item, the wire field from its ``loc``."""
    fields: list[tuple[str | None, str]] = []
    for item in items:
        if not isinstance(item, Mapping):
            fields.append((None, str(item)))
            continue
        loc = item.get("loc")
        parts = [str(p) for p in loc] if isinstance(loc, list) else []
        if parts and parts[0] == "body":
            parts = parts[1:]
        wire = "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in parts).removeprefix(".")
        kind = item.get("type")
        message = str(item.get("msg", "invalid")) + (f" [{kind}]" if kind else "")
        fields.append((wire or None, message))
    return fields or [(None, "request rejected")]


def _text(fields: Mapping[str, Any], response: HttpResponse) -> str:
    for key in ("errors", "error", "message"):
        value = fields.get(key)
        if isinstance(value, str) and value:
            return value
    text = response.text().strip() if response.json() is None else ""
    return text[:200] if text else "no details"
