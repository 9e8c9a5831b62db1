"""The web UI's answers -> task states, and its error bodies -> typed errors.

Success is HTTP 200 with ``{"images": [base64...], "parameters": {...}, "info": "<JSON>"}``;
``info`` is a JSON *string* whose ``seed`` is the seed actually used (``-1`` resolved).

Errors come in three shapes (see :mod:`.sources`):

- FastAPI validation, HTTP 422: ``{"detail": [{"loc": ["body", "steps"], "msg": ..., "type":
  ...}]}``, one item per bad field -> :class:`ValidationError` naming every field;
- the web UI's own handler, any status: ``{"error": "<exception class>", "detail": ..., "body":
  ..., "errors": ...}``.  Its ``detail`` decides: "Init image not found", "Sampler not found"
  (404, 400 in newer versions) and "Invalid encoded image" (500) are the caller's fault ->
  :class:`ValidationError`; 401 (``--api-auth``) -> :class:`AuthenticationError`; anything else
  (CUDA out of memory...) -> :class:`ProviderError`;
- ``{"detail": "Not Found"}`` with 404 from FastAPI itself: no such route, which on a running
  web UI means it was started without ``--api`` -> :class:`ProviderError` with that hint.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs
from inpaintkit.errors import (
    AuthenticationError,
    FieldError,
    InpaintError,
    ProviderError,
    RateLimitedError,
    ValidationError,
)
from inpaintkit.images import from_base64
from inpaintkit.parsing import retry_after_header
from inpaintkit.provider import Done, Failed, HttpResponse, RemoteImage

from .capabilities import CAPABILITIES, PROVIDER_ID

__all__ = ["KNOWN_DETAILS", "error_from_response", "parse_img2img", "raw_body_of"]

_MAX_TEXT = 4096


@attrs.frozen
class DetailRule:
    """What a known ``detail`` message of the web UI means, and the neutral field it blames."""

    field: str
    rule: str

    def error(self, text: str) -> FieldError:
        """The field error at the wire path the table maps the field to (named both ways)."""
        row = CAPABILITIES.get(self.field)
        wire = row.wire.paths[0] if row is not None and row.wire is not None else self.field
        rule = f"{self.rule} ({PROVIDER_ID}: {text}) (neutral field $.{self.field})"
        return FieldError.missing(f"$.{wire}", rule)


KNOWN_DETAILS: Final[Mapping[str, DetailRule]] = {
    "Init image not found": DetailRule("image", "is required (init_images was null)"),
    "Sampler not found": DetailRule("sampler", "is not a sampler this server has"),
    "Invalid encoded image": DetailRule(
        "image",
        "could not be decoded as an image (the server does not say whether "
        "it was an init image or the mask)",
    ),
    "Model not found": DetailRule("model", "is not a checkpoint this server has"),
}
"""``detail`` -> neutral field, for the web UI's errors that blame the request (the wire name
comes from the capability table)."""


def raw_body_of(response: HttpResponse) -> Any:
    """The body as parsed JSON, else as capped text (kept on errors as ``raw_body``)."""
    parsed = response.json()
    if parsed is not None:
        return parsed
    text = response.text()
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "..."


def parse_img2img(response: HttpResponse) -> Done | Failed:
    """``Done`` with the inline images and the seed used, or ``Failed``."""
    if response.status != 200:
        return Failed(error_from_response(response), raw=raw_body_of(response))
    body = response.json()
    if not isinstance(body, Mapping):
        return _failed("the answer is not a JSON object", response)
    images = body.get("images")
    if not isinstance(images, Sequence) or isinstance(images, str) or not images:
        return _failed("the answer has no images (was send_images false?)", response)
    decoded: list[RemoteImage] = []
    for index, item in enumerate(images):
        try:
            data = from_base64(item, path=f"$.images[{index}]")
        except ValidationError as exc:
            return _failed(f"images[{index}] is not base64 ({exc.errors[0].rule})", response)
        decoded.append(RemoteImage(data=data))  # the client reads the format from the bytes
    info = _info(body.get("info"))
    return Done(
        images=tuple(decoded),
        seed=_seed(info.get("seed")),
        raw=_raw_without_images(body),
    )


def _failed(message: str, response: HttpResponse) -> Failed:
    raw = raw_body_of(response)
    if isinstance(raw, Mapping):
        raw = _raw_without_images(raw)
    error = ProviderError(message, provider=PROVIDER_ID, status=response.status, raw_body=raw)
    return Failed(error, raw=raw)


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


def error_from_response(response: HttpResponse) -> InpaintError:
    """The typed error for a non-200 answer."""
    status = response.status
    body = raw_body_of(response)
    fields = body if isinstance(body, Mapping) else {}
    detail = fields.get("detail")
    common: dict[str, Any] = {"provider": PROVIDER_ID, "raw_body": body, "status": status}
    if status == 422 and isinstance(detail, list):
        return ValidationError(_validation_errors(detail), **common)
    text = detail if isinstance(detail, str) and detail else _text(fields, body)
    if status == 401 or status == 403:
        return AuthenticationError(
            f"{PROVIDER_ID}: {text}",
            hint="The server runs with --api-auth: pass its 'user:pass' as the key "
            "(api_keys or SDWEBUI_API_AUTH).",
            **common,
        )
    if status == 429:
        return RateLimitedError(
            f"{PROVIDER_ID}: {text}", retry_after=_retry_after(response), **common
        )
    known = KNOWN_DETAILS.get(text)
    if known is not None and status in (400, 404, 422, 500):
        return ValidationError([known.error(text)], **common)
    if status == 422:
        return ValidationError([FieldError.missing("$", f"{PROVIDER_ID}: {text}")], **common)
    if status == 404 and "error" not in fields:
        return ProviderError(
            f"{PROVIDER_ID}: {response_path_hint(text)}",
            hint="Start the web UI with --api (or --nowebui), and check the base URL.",
            **common,
        )
    label = fields.get("error") if isinstance(fields.get("error"), str) else "error"
    return ProviderError(f"{PROVIDER_ID} {label}: {text}", **common)


def response_path_hint(detail: str) -> str:
    """The message for FastAPI's own 404."""
    return f"{detail or 'Not Found'}: the server has no /sdapi/v1/img2img route"


def _validation_errors(items: Sequence[Any]) -> list[FieldError]:
    """One :class:`FieldError` per FastAPI error item, at the wire path its ``loc`` names."""
    errors: list[FieldError] = []
    for item in items:
        if not isinstance(item, Mapping):
            errors.append(FieldError.missing("$", f"{PROVIDER_ID}: {item}"))
            continue
        loc = item.get("loc")
        parts = [str(p) for p in loc] if isinstance(loc, list) else []
        if parts and parts[0] == "body":
            parts = parts[1:]
        steps = [f"[{p}]" if p.isdigit() else f".{p}" for p in parts]
        path = "$" + "".join(steps)
        wire = "".join(steps).removeprefix(".")
        neutral = CAPABILITIES.field_for_wire(wire)
        suffix = f" (neutral field $.{neutral})" if neutral else ""
        message = item.get("msg", "invalid")
        kind = item.get("type")
        rule = f"{PROVIDER_ID}: {message}" + (f" [{kind}]" if kind else "") + suffix
        errors.append(FieldError.missing(path, rule))
    return errors or [FieldError.missing("$", f"{PROVIDER_ID}: request rejected")]


def _text(fields: Mapping[str, Any], body: Any) -> str:
    for key in ("errors", "error", "message"):
        value = fields.get(key)
        if isinstance(value, str) and value:
            return value
    if isinstance(body, str) and body.strip():
        return body.strip()[:200]
    return "no details"


def _retry_after(response: HttpResponse) -> float | None:
    return retry_after_header(response.headers)
