"""OpenAI's answers -> task states, and its error bodies -> inpaintkit's typed errors.

Success is HTTP 200 with ``{"created": <unix time>, "data": [{"b64_json": ...} | {"url": ...}]}``
(:data:`~.sources.RESPONSE`); the adapter asks for ``b64_json``, but a ``url`` item (dall-e-2's
default, valid for 60 minutes) is read too, so an answer is never misread.

Every error is ``{"error": {"message", "type", "param", "code"}}`` (:data:`~.sources.ERRORS`).
The status and ``code`` choose the class; ``param`` names the wire field, mapped back to the
neutral field through the capability table (``CAPABILITIES.field_for_wire``), never a map of
its own:

- 401, 403 -> :class:`AuthenticationError` (missing, wrong or unauthorised key);
- ``insufficient_quota`` (a 429) or ``billing_hard_limit_reached`` (a 400 from the image
  endpoints: "Billing hard limit has been reached") -> :class:`InsufficientCreditsError`
  (retrying cannot help, and no field of the job is at fault);
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

from inpaintkit.provider import Done, HttpResponse, RemoteImage
from inpaintkit.responses import error_for_response

from .capabilities import CAPABILITIES, PROVIDER_ID

__all__ = ["CREDIT_CODES", "URL_TTL", "error_from_response", "parse_edit"]

CREDIT_CODES: Final = frozenset({"insufficient_quota", "billing_hard_limit_reached"})
"""``code`` (or ``type``) values that mean the account cannot pay, whatever the status."""

URL_TTL: Final = 3600.0
"""``url`` answers are valid for 60 minutes (``response_format`` in the request schema)."""

_MAX_TEXT = 4096


def parse_edit(response: HttpResponse) -> Done:
    """``Done`` with one :class:`RemoteImage` per ``data`` item; an error answer raises its
    typed error (the core turns it into the failed state)."""
    body = response.json()
    if response.status != 200:
        raise error_from_response(response)
    if not isinstance(body, Mapping) or not isinstance(body.get("data"), list):
        raise _malformed("the answer has no data list", response)
    images: list[RemoteImage] = []
    for index, item in enumerate(body["data"]):
        image = _image(item)
        if image is None:
            raise _malformed(f"data[{index}] has neither a base64 image nor a URL", response)
        images.append(image)
    if not images:
        raise _malformed("the answer holds no image", response)
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


def _malformed(message: str, response: HttpResponse) -> Exception:
    """An answer that claims success but is not one: the provider's fault, not the job's."""
    error = error_for_response(response, provider=PROVIDER_ID, message=message, kind="provider")
    if isinstance(error.raw_body, Mapping):
        error.raw_body = _without_images(error.raw_body)
    return error


def error_from_response(response: HttpResponse) -> Exception:
    """The typed error for a non-200 answer (OpenAI's ``{"error": {...}}``)."""
    body = response.json()
    detail = body.get("error") if isinstance(body, Mapping) else None
    error: Mapping[str, Any] = detail if isinstance(detail, Mapping) else {}
    message = str(error.get("message") or response.text()[:_MAX_TEXT] or "no details")
    code = _text(error.get("code"))
    kind = _text(error.get("type"))
    param = _text(error.get("param"))
    if param is None and code == "model_not_found":
        param = "model"
    return error_for_response(
        response,
        provider=PROVIDER_ID,
        message=message + (f" [{code}]" if code else ""),
        # A 429 for an exhausted quota is no rate limit, and a 400 for a billing limit no
        # invalid field: waiting or changing the job cannot help.
        kind="credits" if code in CREDIT_CODES or kind in CREDIT_CODES else None,
        wire_field=param,
        table=CAPABILITIES,
    )


def _text(value: object) -> str | None:
    """``value`` if it is a string (an error field a provider may leave out or mistype)."""
    return value if isinstance(value, str) else None
