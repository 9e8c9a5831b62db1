"""What StableDiffusionAPI v3 and ModelsLab v6 share: one company, one (Laravel-style) backend.

Both take the key in the JSON body, read numbers sent as strings and ``yes``/``no`` flags, treat
``""`` as absent, and report validation failures as ``{"status": "error", "message": {field:
[messages]}}`` (reference 2.4).  The messages follow Laravel's validator wording, which is what the
one documented example (``"The prompt field is required."``) is.  HTTP statuses follow ModelsLab's
documented codes (reference 3.4); :class:`ContractOptions` can turn every error into HTTP 200.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Collection, Mapping
from typing import Any, ClassVar

from ._fields import (
    URL_SCHEMES,
    Dialect,
    Field,
    ImageLimits,
    Kind,
    Rule,
    Violation,
    range_text,
    rule_text,
    short_value,
    validate_object,
)
from ._model import (
    Base64Upload,
    ContractOptions,
    ErrorKind,
    FetchRequest,
    ImageFacts,
    Rejection,
    SubmitRequest,
    WireImage,
)

__all__ = ["DIALECT", "PlatformContract", "defaults_of", "laravel_message", "wire_image"]

DIALECT = Dialect(numeric_strings=True, yes_no=True, zero_is_unset=False)

INVALID_KEY_TIP = (
    "1. Make sure you are passing Content-Type: application/json in header. 2. Make sure you are "
    "doing POST request with valid JSON. 3. Make sure your JSON does not have error, use jsonlint "
    "to validate json array. 4. Make sure you have valid API key."
)
_R34 = "reference 3.4"
SERVER_ERROR_MESSAGE = "Internal server error. Please try again."
UNAVAILABLE_MESSAGE = "Service temporarily unavailable. Please try again later."
CREDITS_MESSAGE = "Insufficient credits. Please add more credits to continue."
FETCH_FAILED_MESSAGE = "Unable to fetch image from provided URL"

PLATFORM_ERRORS: dict[ErrorKind, tuple[int, dict[str, Any]]] = {
    # The error bodies StableDiffusionAPI and ModelsLab share (one company, one backend):
    # statuses and messages from reference 3.4; not-found and failed-task bodies from 2.4.
    ErrorKind.INSUFFICIENT_CREDITS: (402, {"status": "error", "message": CREDITS_MESSAGE}),
    ErrorKind.TASK_NOT_FOUND: (404, {"status": "error", "message": "Request not found"}),
    ErrorKind.SERVER_ERROR: (500, {"status": "error", "message": SERVER_ERROR_MESSAGE}),
    ErrorKind.SERVICE_UNAVAILABLE: (503, {"status": "error", "message": UNAVAILABLE_MESSAGE}),
    ErrorKind.IMAGE_FETCH_FAILED: (400, {"status": "error", "message": FETCH_FAILED_MESSAGE}),
    ErrorKind.TASK_FAILED: (
        200,
        {"status": "failed", "id": "", "message": "Failed, Try Again", "output": ""},
    ),
}
"""Each platform contract's ``errors`` starts from these and adds its own (keys, rate limits)."""


def laravel_message(violation: Violation) -> str:
    """The message Laravel's validator gives for the broken rule, derived from the row."""
    field = violation.field
    attr = violation.path.rsplit(".", 1)[-1].replace("_", " ")
    rule = violation.rule
    if rule is Rule.REQUIRED:
        return f"The {attr} field is required."
    if rule is Rule.ENUM or (rule is Rule.TYPE and field.kind is Kind.BOOLEAN):
        return f"The selected {attr} is invalid."
    if rule is Rule.TYPE:
        return {
            Kind.INTEGER: f"The {attr} must be an integer.",
            Kind.NUMBER: f"The {attr} must be a number.",
            Kind.STRING: f"The {attr} must be a string.",
        }.get(field.kind, f"The {attr} format is invalid.")
    if rule is Rule.RANGE:
        lo, hi = field.minimum, field.maximum
        if field.kind is Kind.NUMBER_LIST:
            return f"The {attr} values must be in {range_text(field)}."
        if lo is not None and hi is not None:
            return f"The {attr} must be between {_num(lo)} and {_num(hi)}."
        if hi is not None:
            return f"The {attr} must not be greater than {_num(hi)}."
        return f"The {attr} must be at least {_num(lo or 0)}."
    if rule is Rule.MULTIPLE:
        return f"The {attr} must be a multiple of {field.multiple_of}."
    if rule is Rule.LENGTH:
        return f"The {attr} must not be greater than {field.max_length} characters."
    if rule is Rule.URL:
        return f"The {attr} must be a valid URL."
    if rule is Rule.FORMAT:
        return f"The {attr} format is invalid."
    return f"The {attr} is invalid."


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def defaults_of(fields: tuple[Field, ...]) -> dict[str, Any]:
    return {field.name: field.default for field in fields}


def wire_image(value: str) -> WireImage:
    """http(s) URLs are fetched; everything else (data: URLs, plain base64) is inline data."""
    if value.startswith(URL_SCHEMES):
        return WireImage(url=value)
    return WireImage(base64=value)


class PlatformContract:
    """Shared behaviour; subclasses give the table, the error wording and the normalisation."""

    provider_id: str
    dialect: Dialect = DIALECT
    fields: ClassVar[tuple[Field, ...]]
    fetch_fields: ClassVar[tuple[Field, ...]]
    # (status, body) per error kind; "{retry_after}" in a string value is filled in.
    errors: ClassVar[dict[ErrorKind, tuple[int, dict[str, Any]]]]

    def __init__(self, options: ContractOptions | None = None) -> None:
        self.options = options or ContractOptions()

    def table(self) -> tuple[Field, ...]:
        return self.fields

    def _status(self, status: int) -> int:
        return 200 if self.options.errors_as_http_200 and status >= 400 else status

    def authenticate(
        self, body: Any, headers: Mapping[str, str], *, valid_keys: Collection[str] | None
    ) -> str | Rejection:
        """The ``key`` member of the JSON body (headers play no part on these providers)."""
        key = body.get("key") if isinstance(body, Mapping) else None
        if not isinstance(key, str) or not key.strip():
            return self.error(ErrorKind.MISSING_KEY)
        if valid_keys is not None and key not in valid_keys:
            return self.error(ErrorKind.INVALID_KEY)
        return key

    def reject(self, violation: Violation) -> Rejection:
        name = violation.path.split("[", 1)[0]
        body = {"status": "error", "message": {name: [laravel_message(violation)]}}
        shown = None if violation.rule is Rule.REQUIRED else short_value(violation.value)
        if name == "key":
            shown = None
        return Rejection(
            self._status(400),
            body,
            violation.path,
            rule_text(violation.field, violation.rule),
            shown,
        )

    def validate_submit(self, body: Any, api_key: str) -> SubmitRequest | Rejection:
        if not isinstance(body, Mapping):
            return self.error(ErrorKind.BODY_NOT_JSON)
        ignored: list[str] = []
        result = validate_object(self.fields, body, self.dialect, ignored=ignored)
        if isinstance(result, Violation):
            return self.reject(result)
        result.pop("key", None)
        return self.build(result, api_key, tuple(ignored))

    def build(
        self, params: dict[str, Any], api_key: str, ignored: tuple[str, ...]
    ) -> SubmitRequest:
        raise NotImplementedError

    def check_images(
        self, req: SubmitRequest, image: ImageFacts, mask: ImageFacts
    ) -> Rejection | None:
        """No input size rule is documented; an image that does not decode was not fetched."""
        for name, fact in (("init_image", image), ("mask_image", mask)):
            if fact.width is None or fact.height is None:
                rejection = self.error(ErrorKind.IMAGE_FETCH_FAILED)
                return Rejection(
                    rejection.status,
                    rejection.body,
                    name,
                    "must be a decodable image",
                    str(fact.format),
                )
        return None

    def error(
        self, kind: ErrorKind, message: str | None = None, *, retry_after: float | None = None
    ) -> Rejection:
        status, template = self.errors[kind]
        wait = 30 if retry_after is None else max(1, math.ceil(retry_after))
        body: dict[str, Any] = {}
        for key, value in template.items():
            if isinstance(value, str):
                value = value.replace("{retry_after}", str(wait))
            elif key == "retry_after":
                value = wait
            body[key] = value
        if message is not None:
            body["messege" if "messege" in body else "message"] = message
        return Rejection(self._status(status), body, None, kind.value)

    def validate_fetch(
        self, body: Any, *, path_id: str | None = None, valid_keys: Collection[str] | None = None
    ) -> FetchRequest | Rejection:
        """A fetch body: ``{"key"}`` with the id in the path, else ``{"key", "request_id"}``.

        Numeric request ids (as the submit response's integer ``id``) are accepted and turned into
        strings.
        """
        key = self.authenticate(body, {}, valid_keys=valid_keys)
        if isinstance(key, Rejection):
            return key
        if path_id is not None:
            return FetchRequest(self.provider_id, key, path_id)
        raw = dict(body)
        if isinstance(raw.get("request_id"), int) and not isinstance(raw["request_id"], bool):
            raw["request_id"] = str(raw["request_id"])
        result = validate_object(self.fetch_fields, raw, self.dialect)
        if isinstance(result, Violation):
            return self.reject(result)
        return FetchRequest(self.provider_id, key, result["request_id"])


def decode_upload(
    contract: PlatformContract,
    fields: tuple[Field, ...],
    body: Any,
    valid_keys: Collection[str] | None,
) -> Base64Upload | Rejection:
    """Shared body of ModelsLab's ``base64_to_url``: key, data URL or plain base64, size limit."""
    key = contract.authenticate(body, {}, valid_keys=valid_keys)
    if isinstance(key, Rejection):
        return key
    result = validate_object(fields, body, contract.dialect)
    if isinstance(result, Violation):
        return contract.reject(result)
    field = next(f for f in fields if f.image is not None)
    limits: ImageLimits | None = field.image
    assert limits is not None
    text: str = result[field.name]
    media_type = None
    if text.startswith("data:"):
        header, _, text = text.partition(",")
        media_type = header[5:].split(";", 1)[0] or None
    try:
        data = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return contract.reject(Violation(field.name, field, Rule.FORMAT, text))
    if limits.max_bytes is not None and len(data) > limits.max_bytes:
        body_out = {"status": "error", "message": "Maximum file size for upload is 5MB"}
        return Rejection(
            contract._status(400),
            body_out,
            field.name,
            f"must decode to at most {limits.max_bytes} bytes",
            str(len(data)),
        )
    return Base64Upload(key, data, media_type)
