"""OpenAI's answers -> task states, and its error bodies -> inpaintkit's typed errors.

Success is HTTP 200 with ``{"created": <unix time>, "data": [{"b64_json": ...} | {"url": ...}]}``
(:data:`~.sources.RESPONSE`); the adapter asks for ``b64_json``, but a ``url`` item (dall-e-2's
default, valid for 60 minutes) is read too, so an answer is never misread.

Every error is ``{"error": {"message", "type", "param", "code"}}`` (:data:`~.sources.ERRORS`).
The status and ``code`` choose the class; ``param`` names the wire field, mapped back to the
neutral field through the capability table (``CAPABILITIES.field_for_wire``), never a map of
its own:

- 401, 403 -> :class:`AuthenticationError` (missing, wrong or unauthorised key);
- 429 with ``insufficient_quota`` -> :class:`InsufficientCreditsError` (retrying cannot help);
  any other 429 -> :class:`RateLimitedError` with the Retry-After header;
- other 4xx -> :class:`ValidationError` at the neutral field of ``param`` (``$`` without one);
  ``model_not_found`` blames ``model`` even when ``param`` is null;
- anything else -> :class:`ProviderError`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any, Final

from inpaintkit.errors import (
    AuthenticationError,
    FieldError,
    InpaintError,
    InsufficientCreditsError,
    ProviderError,
    RateLimitedError,
    ValidationError,
)
from inpaintkit.parsing import retry_after_header
from inpaintkit.provider import Done, Failed, HttpResponse, RemoteImage

from .capabilities import CAPABILITIES, PROVIDER_ID

__all__ = ["URL_TTL", "error_from_response", "parse_edit"]

URL_TTL: Final = 3600.0
"""``url`` answers are valid for 60 minutes (``response_format`` in the request schema)."""

_MAX_TEXT = 4096


def parse_edit(response: HttpResponse) -> Done | Failed:
    """``Done`` with one :class:`RemoteImage` per ``data`` item, or ``Failed``."""
    body = response.json()
    if response.status != 200:
        error = error_from_response(response)
        return Failed(error, raw=error.raw_body)
    if not isinstance(body, Mapping) or not isinstance(body.get("data"), list):
        return _failed("the answer has no data list", response)
    images: list[RemoteImage] = []
    for index, item in enumerate(body["data"]):
        image = _image(item)
        if image is None:
            return _failed(f"data[{index}] has neither a base64 image nor a URL", response)
        images.append(image)
    if not images:
        return _failed("the answer holds no image", response)
    return Done(images=tuple(images), raw=_without_images(body))


def _image(item: Any) -> RemoteImage | None:
    if not isinstance(item, Mapping):
        return None
    encoded = item.get("b64_json")
    if isinstance(encoded, str) and encoded:
        try:
            return RemoteImage(data=base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            return None
    url = item.get("url")
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        return RemoteImage(url=url, ttl=URL_TTL)
    return None


def _without_images(body: Mapping[str, Any]) -> dict[str, Any]:
    """The answer for ``raw``, the (large) base64 images replaced by their length."""
    raw = dict(body)
    raw["data"] = [
        {**item, "b64_json": f"<{len(item['b64_json'])} chars>"}
        if isinstance(item, Mapping) and isinstance(item.get("b64_json"), str)
        else item
        for item in body.get("data") or ()
    ]
    return raw


def _failed(message: str, response: HttpResponse) -> Failed:
    raw = _raw(response)
    if isinstance(raw, Mapping):
        raw = _without_images(raw)
    error = ProviderError(
        f"{PROVIDER_ID}: {message}", provider=PROVIDER_ID, status=response.status, raw_body=raw
    )
    return Failed(error, raw=raw)


def _raw(response: HttpResponse) -> Any:
    parsed = response.json()
    if parsed is not None:
        return parsed
    text = response.text()
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "..."


def error_from_response(response: HttpResponse) -> InpaintError:
    """The typed error for a non-200 answer."""
    status = response.status
    raw = _raw(response)
    detail = raw.get("error") if isinstance(raw, Mapping) else None
    error: Mapping[str, Any] = detail if isinstance(detail, Mapping) else {}
    message = str(error.get("message") or (raw if isinstance(raw, str) else "") or "no details")
    code = error.get("code") if isinstance(error.get("code"), str) else None
    kind = error.get("type") if isinstance(error.get("type"), str) else None
    common: dict[str, Any] = {"provider": PROVIDER_ID, "raw_body": raw, "status": status}
    text = f"{PROVIDER_ID}: {message}"
    if status in (401, 403):
        return AuthenticationError(text, **common)
    if status == 429:
        if "insufficient_quota" in (code, kind):
            return InsufficientCreditsError(text, **common)
        return RateLimitedError(text, retry_after=retry_after_header(response.headers), **common)
    if 400 <= status < 500:
        return ValidationError([_field_error(error, code, message)], **common)
    return ProviderError(text, **common)


def _field_error(error: Mapping[str, Any], code: str | None, message: str) -> FieldError:
    """The neutral field an OpenAI 4xx blames, through the capability table."""
    param = error.get("param")
    wire = param if isinstance(param, str) and param else None
    if wire is None and code == "model_not_found":
        wire = "model"
    neutral = CAPABILITIES.field_for_wire(wire) if wire is not None else None
    path = f"$.{neutral}" if neutral is not None else "$"
    where = f" (wire field {wire})" if wire is not None else ""
    rule = f"{PROVIDER_ID}: {message}{where}" + (f" [{code}]" if code else "")
    return FieldError.missing(path, rule)
