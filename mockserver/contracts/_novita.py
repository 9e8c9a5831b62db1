"""Novita AI: ``POST /v3/async/inpainting``, ``GET /v3/async/task-result``, ``GET /v3/model``.

Transcribed from seed 001 (the full API reference) and reference sections 1.2, 1.6, 1.8 and 1.9.
Novita's error body ``{code, reason, message, metadata}`` is go-kratos' error shape, and its server
decodes JSON into typed (protobuf-style) messages: unknown members are discarded (seeds 000/004
still send the retired ``inpainting_fill``), and an optional scalar holding its zero value cannot be
told from an absent one.  That is why the SDK's raw defaults (``"sd_vae": ""``,
``"negative_prompt": ""``, ``"clip_skip": 0``; reference 1.9) are accepted: they read as "not set".
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import attrs

from ._fields import (
    Dialect,
    Field,
    ImageLimits,
    ImageMode,
    Kind,
    Rule,
    Violation,
    rule_text,
    short_value,
    validate_object,
)
from ._model import (
    ErrorKind,
    ImageFacts,
    ModelQuery,
    Rejection,
    S3Target,
    SubmitRequest,
    WireImage,
)

__all__ = [
    "MODEL_QUERY",
    "NOVITA_SUBMIT",
    "SAMPLERS",
    "NovitaContract",
]

S001 = "seed 001"
MB = 1024 * 1024

SAMPLERS = (
    "Euler a",
    "Euler",
    "LMS",
    "Heun",
    "DPM2",
    "DPM2 a",
    "DPM++ 2S a",
    "DPM++ 2M",
    "DPM++ SDE",
    "DPM fast",
    "DPM adaptive",
    "LMS Karras",
    "DPM2 Karras",
    "DPM2 a Karras",
    "DPM++ 2S a Karras",
    "DPM++ 2M Karras",
    "DPM++ SDE Karras",
    "DDIM",
    "PLMS",
    "UniPC",
)

_IMAGE_NOTE = (
    "'16 megapixels' read as 16 * 2**20 px (4096x4096 passes) and '30 Mb' as 30 * 2**20 bytes of "
    "decoded image; formats png/jpeg/webp (the output formats; the docs name none for input)."
)
_BOOL_01_NOTE = (
    "docs: integer enum 0/1; the official Python SDK's InpaintingRequest defaults send JSON "
    "false (reference 1.9), so booleans are accepted too."
)

NOVITA_EXTRA: tuple[Field, ...] = (
    Field(
        "response_image_type",
        Kind.STRING,
        S001,
        enum=("png", "webp", "jpeg"),
        default="png",
        note="the Python SDK sends 'jpeg' by default (reference 1.9); the API default is png.",
    ),
    Field(
        "webhook",
        Kind.OBJECT,
        S001 + "; reference 1.5",
        fields=(
            Field("url", Kind.STRING, S001, required=True),
            Field(
                "test_mode",
                Kind.OBJECT,
                S001,
                fields=(
                    Field("enabled", Kind.BOOLEAN, S001, required=True, default=False),
                    Field(
                        "return_task_status",
                        Kind.STRING,
                        S001,
                        required=True,
                        enum=("TASK_STATUS_SUCCEED", "TASK_STATUS_FAILED"),
                    ),
                ),
            ),
        ),
    ),
    Field(
        "custom_storage",
        Kind.OBJECT,
        S001 + "; reference 1.9 (the SDK sends {})",
        fields=(
            Field(
                "aws_s3",
                Kind.OBJECT,
                S001,
                fields=(
                    Field("region", Kind.STRING, S001, required=True),
                    Field("bucket", Kind.STRING, S001, required=True),
                    Field("path", Kind.STRING, S001, required=True),
                    Field("save_to_path_directly", Kind.BOOLEAN, S001, default=False),
                ),
            ),
        ),
    ),
    Field(
        "enterprise_plan",
        Kind.OBJECT,
        S001 + "; reference 1.9 (the SDK sends {})",
        fields=(Field("enabled", Kind.BOOLEAN, S001, default=False),),
    ),
    Field("enable_nsfw_detection", Kind.BOOLEAN, S001, default=False),
    Field("nsfw_detection_level", Kind.INTEGER, S001, enum=(0, 1, 2)),
)

_IMAGE_LIMITS = ImageLimits(
    ImageMode.BASE64, max_bytes=30 * MB, max_pixels=16 * MB, formats=("png", "jpeg", "webp")
)
"""Seed 001, for the image and the mask alike: 16 megapixels, 30 Mb (see ``_IMAGE_NOTE``)."""

NOVITA_REQUEST: tuple[Field, ...] = (
    Field("model_name", Kind.STRING, S001, required=True),
    Field(
        "image_base64",
        Kind.STRING,
        S001,
        required=True,
        image=_IMAGE_LIMITS,
        note=_IMAGE_NOTE,
    ),
    Field(
        "mask_image_base64",
        Kind.STRING,
        S001,
        required=True,
        image=attrs.evolve(_IMAGE_LIMITS, same_resolution_as="image_base64"),
        note=_IMAGE_NOTE,
    ),
    Field("prompt", Kind.STRING, S001, required=True, min_length=1, max_length=1024),
    Field("image_num", Kind.INTEGER, S001, required=True, minimum=1, maximum=8),
    Field("steps", Kind.INTEGER, S001, required=True, minimum=1, maximum=100),
    Field("guidance_scale", Kind.NUMBER, S001, required=True, minimum=1, maximum=30),
    Field("sampler_name", Kind.STRING, S001, required=True, enum=SAMPLERS),
    Field("mask_blur", Kind.INTEGER, S001, minimum=0, maximum=64, default=0),
    Field(
        "negative_prompt",
        Kind.STRING,
        S001,
        min_length=1,
        max_length=1024,
        note="'' (the SDK's raw default) reads as absent.",
    ),
    Field("sd_vae", Kind.STRING, S001, note="'' (what the SDK always sends) reads as absent."),
    Field("seed", Kind.INTEGER, S001, minimum=-1, default=-1, note="-1 = random."),
    Field(
        "loras",
        Kind.ARRAY,
        S001,
        max_items=5,
        fields=(
            Field("model_name", Kind.STRING, S001, required=True),
            Field("strength", Kind.NUMBER, S001, required=True, minimum=0, maximum=1),
        ),
    ),
    Field(
        "embeddings",
        Kind.ARRAY,
        S001,
        max_items=5,
        fields=(Field("model_name", Kind.STRING, S001, required=True),),
    ),
    Field(
        "clip_skip",
        Kind.INTEGER,
        S001,
        minimum=1,
        maximum=12,
        note=(
            "the SDK's raw InpaintingRequest default sends 0 (reference 1.9), outside [1, 12]; "
            "0 reads as 'not set' (zero value), any other out-of-range value is rejected."
        ),
    ),
    Field(
        "strength",
        Kind.NUMBER,
        S001,
        minimum=0,
        maximum=1,
        note="documented as number|null; null = not set.",
    ),
    Field(
        "inpainting_full_res",
        Kind.INTEGER,
        S001,
        enum=(0, 1),
        default=0,
        accepts_bool=True,
        note=_BOOL_01_NOTE,
    ),
    Field("inpainting_full_res_padding", Kind.INTEGER, S001, minimum=0, maximum=256, default=8),
    Field(
        "inpainting_mask_invert",
        Kind.INTEGER,
        S001,
        enum=(0, 1),
        default=0,
        accepts_bool=True,
        note=_BOOL_01_NOTE,
    ),
    Field("initial_noise_multiplier", Kind.NUMBER, S001, minimum=0, maximum=1.5, default=0.5),
)

NOVITA_SUBMIT: tuple[Field, ...] = (
    Field(
        "extra",
        Kind.OBJECT,
        S001 + "; reference 1.9 (the SDK's raw path sends null)",
        fields=NOVITA_EXTRA,
    ),
    Field("request", Kind.OBJECT, S001, required=True, fields=NOVITA_REQUEST),
)

_R18 = "reference 1.8"
_R19 = "reference 1.9"
MODEL_QUERY: tuple[Field, ...] = (
    Field("filter.visibility", Kind.STRING, _R18, enum=("public", "private")),
    Field("filter.source", Kind.STRING, _R18, enum=("civitai", "training", "uploading")),
    Field(
        "filter.types",
        Kind.STRING,
        _R18,
        enum=("checkpoint", "lora", "vae", "controlnet", "upscaler", "textualinversion"),
        note="the Python SDK sends 'filter.type' (singular), which the server ignores as unknown.",
    ),
    Field("filter.is_sdxl", Kind.BOOLEAN, _R18, note=f"{_R19}: the SDK sends 'True'/'False'."),
    Field("filter.query", Kind.STRING, _R18),
    Field("filter.is_inpainting", Kind.BOOLEAN, _R18, default=False),
    Field("pagination.limit", Kind.INTEGER, _R18, minimum=0, exclusive_minimum=True, maximum=100),
    Field(
        "pagination.cursor",
        Kind.STRING,
        _R18,
        note=f"opaque; '' = start. {_R19}: the SDK builds 'c_<offset>'.",
    ),
)

TASK_RESULT_QUERY: tuple[Field, ...] = (
    Field("task_id", Kind.STRING, "reference 1.4", required=True),
)

DIALECT = Dialect(numeric_strings=False, yes_no=False, zero_is_unset=True)
QUERY_DIALECT = Dialect(numeric_strings=True, yes_no=False, zero_is_unset=False)

# Error reasons and HTTP statuses, reference 1.6 (NV-ERR); messages are the table's descriptions.
_ERRORS: dict[ErrorKind, tuple[int, str, str]] = {
    ErrorKind.MISSING_KEY: (400, "MISSING_API_KEY", "API Key not provided"),
    ErrorKind.INVALID_KEY: (403, "INVALID_API_KEY", "invalid api-key"),
    ErrorKind.RATE_LIMITED: (429, "RATE_LIMIT_EXCEEDED", "Rate limit exceeded"),
    ErrorKind.INSUFFICIENT_CREDITS: (400, "BILLING_BALANCE_NOT_ENOUGH", "Insufficient balance"),
    ErrorKind.TASK_NOT_FOUND: (404, "TASK_NOT_FOUND", "Task not found"),
    ErrorKind.SERVER_ERROR: (500, "CREATE_TASK_FAILED", "Failed to create task"),
    ErrorKind.SERVICE_UNAVAILABLE: (503, "SERVICE_UNAVAILABLE", "Service unavailable"),
    ErrorKind.IMAGE_FETCH_FAILED: (
        400,
        "INVALID_IMAGE_FORMAT",
        "Image format does not meet requirements",
    ),
    ErrorKind.MODEL_NOT_FOUND: (400, "INVALID_REQUEST_BODY", "model_name: model not found"),
    ErrorKind.BODY_NOT_JSON: (400, "INVALID_REQUEST_BODY", "request body is not valid JSON"),
    ErrorKind.TASK_FAILED: (500, "TASK_FAILED", "Task execution failed"),
}


def novita_body(status: int, reason: str, message: str) -> dict[str, Any]:
    """Novita's error body; INVALID_API_KEY has no ``metadata``, as the live probe saw it."""
    body: dict[str, Any] = {"code": status, "reason": reason, "message": message}
    if reason != "INVALID_API_KEY":
        body["metadata"] = {}
    return body


def _reject(
    status: int, reason: str, message: str, field: str | None, rule: str, value: str | None = None
) -> Rejection:
    return Rejection(status, novita_body(status, reason, message), field, rule, value)


def violation_rejection(violation: Violation) -> Rejection:
    """INVALID_REQUEST_BODY naming the path, the rule and the value (bounded; never a key)."""
    rule = rule_text(violation.field, violation.rule)
    if violation.rule is Rule.REQUIRED:
        return _reject(
            400, "INVALID_REQUEST_BODY", f"{violation.path}: {rule}", violation.path, rule
        )
    shown = short_value(violation.value)
    message = f"{violation.path}: {rule}, got {shown}"
    return _reject(400, "INVALID_REQUEST_BODY", message, violation.path, rule, shown)


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup that works on plain dicts as well as CIMultiDicts."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


class NovitaContract:
    """Novita's server-side rules for the inpainting API (see the module docstring)."""

    provider_id = "novita"
    dialect = DIALECT

    def table(self) -> tuple[Field, ...]:
        return NOVITA_SUBMIT

    def authenticate(
        self, body: Any, headers: Mapping[str, str], *, valid_keys: Collection[str] | None
    ) -> str | Rejection:
        """``Authorization: Bearer <key>``; a bare key is accepted too (the JS SDK sends one)."""
        raw = (header(headers, "Authorization") or "").strip()
        scheme, _, rest = raw.partition(" ")
        key = rest.strip() if scheme.lower() == "bearer" else raw
        if not key:
            return self.error(ErrorKind.MISSING_KEY)
        if valid_keys is not None and key not in valid_keys:
            return self.error(ErrorKind.INVALID_KEY)
        return key

    def validate_submit(self, body: Any, api_key: str) -> SubmitRequest | Rejection:
        if not isinstance(body, Mapping):
            return _reject(
                400,
                "INVALID_REQUEST_BODY",
                "$: must be a JSON object",
                "$",
                "must be a JSON object",
                short_value(type(body).__name__),
            )
        ignored: list[str] = []
        result = validate_object(NOVITA_SUBMIT, body, DIALECT, ignored=ignored)
        if isinstance(result, Violation):
            return violation_rejection(result)
        _collect_ignored(NOVITA_SUBMIT, body, "", ignored)
        return _build(result, api_key, tuple(dict.fromkeys(ignored)))

    def check_images(
        self, req: SubmitRequest, image: ImageFacts, mask: ImageFacts
    ) -> Rejection | None:
        fields = {field.name: field for field in NOVITA_REQUEST}
        facts = {"image_base64": image, "mask_image_base64": mask}
        for name, fact in facts.items():
            limits = fields[name].image
            assert limits is not None
            path = f"request.{name}"
            if (
                fact.width is None
                or fact.height is None
                or (limits.formats and (fact.format or "").lower() not in limits.formats)
            ):
                rule = "must be a " + "/".join(limits.formats) + " image"
                return _reject(
                    400,
                    "INVALID_IMAGE_FORMAT",
                    f"{path}: image format does not meet requirements",
                    path,
                    rule,
                    str(fact.format),
                )
            if limits.max_bytes is not None and fact.byte_size > limits.max_bytes:
                rule = f"must be at most {limits.max_bytes} bytes"
                return _reject(
                    400,
                    "IMAGE_FILE_EXCEEDS_MAX_SIZE",
                    f"{path}: image size exceeds limit",
                    path,
                    rule,
                    str(fact.byte_size),
                )
            if limits.max_pixels is not None and fact.width * fact.height > limits.max_pixels:
                rule = f"must be at most {limits.max_pixels} pixels"
                return _reject(
                    400,
                    "IMAGE_EXCEEDS_MAX_RESOLUTION",
                    f"{path}: image resolution exceeds limit",
                    path,
                    rule,
                    f"{fact.width}x{fact.height}",
                )
            if limits.same_resolution_as is not None:
                other = facts[limits.same_resolution_as]
                if (fact.width, fact.height) != (other.width, other.height):
                    rule = f"must have the resolution of request.{limits.same_resolution_as}"
                    got = f"{fact.width}x{fact.height}"
                    return _reject(
                        400,
                        "INVALID_REQUEST_BODY",
                        f"{path}: {rule} ({other.width}x{other.height}), got {got}",
                        path,
                        rule,
                        got,
                    )
        return None

    def error(
        self, kind: ErrorKind, message: str | None = None, *, retry_after: float | None = None
    ) -> Rejection:
        """Novita documents no retry hint in its 429 body, so ``retry_after`` is not rendered."""
        status, reason, default = _ERRORS[kind]
        return _reject(status, reason, message or default, None, reason.lower())


def _collect_ignored(
    fields: tuple[Field, ...], obj: Mapping[str, Any], prefix: str, ignored: list[str]
) -> None:
    """Unknown members at every object level (the engine records only its own level)."""
    for field in fields:
        value = obj.get(field.name)
        path = f"{prefix}.{field.name}" if prefix else field.name
        if field.kind is Kind.OBJECT and isinstance(value, Mapping):
            known = {f.name for f in field.fields}
            ignored.extend(f"{path}.{key}" for key in value if key not in known)
            _collect_ignored(field.fields, value, path, ignored)


def _default(name: str) -> Any:
    for field in NOVITA_REQUEST:
        if field.name == name:
            return field.default
    raise KeyError(name)


def _build(body: dict[str, Any], api_key: str, ignored: tuple[str, ...]) -> SubmitRequest:
    req: dict[str, Any] = body["request"]
    extra: dict[str, Any] = body.get("extra", {})
    webhook = extra.get("webhook") or {}
    test_mode = webhook.get("test_mode") or {}
    s3 = (extra.get("custom_storage") or {}).get("aws_s3")
    seed = req.get("seed", _default("seed"))
    test_status = test_mode.get("return_task_status") if test_mode.get("enabled") else None
    return SubmitRequest(
        provider="novita",
        api_key=api_key,
        image=WireImage(base64=req["image_base64"]),
        mask=WireImage(base64=req["mask_image_base64"]),
        prompt=req["prompt"],
        negative_prompt=req.get("negative_prompt"),
        model=req["model_name"],
        width=None,
        height=None,
        num_images=req["image_num"],
        seed=None if seed == -1 else seed,
        steps=req["steps"],
        guidance_scale=req["guidance_scale"],
        strength=req.get("strength"),
        sampler=req["sampler_name"],
        output_format=extra.get("response_image_type", "png"),
        base64_output=False,
        mask_invert=bool(req.get("inpainting_mask_invert", _default("inpainting_mask_invert"))),
        mask_blur=req.get("mask_blur", _default("mask_blur")),
        masked_only=bool(req.get("inpainting_full_res", _default("inpainting_full_res"))),
        masked_only_padding=req.get(
            "inpainting_full_res_padding", _default("inpainting_full_res_padding")
        ),
        webhook_url=webhook.get("url"),
        track_id=None,
        webhook_test_status=test_status,
        custom_storage=None
        if s3 is None
        else S3Target(
            s3["region"], s3["bucket"], s3["path"], s3.get("save_to_path_directly", False)
        ),
        nsfw_detection=extra.get("enable_nsfw_detection", False),
        params=body,
        ignored=ignored,
    )


def validate_model_query(query: Mapping[str, str]) -> ModelQuery | Rejection:
    """``GET /v3/model`` query parameters (reference 1.8); empty values read as not given.

    Booleans follow Go's ``strconv.ParseBool`` (``true``, ``True``, ``1``, ...), since the Python
    SDK sends ``True``/``False``.
    """
    values: dict[str, Any] = {}
    for field in MODEL_QUERY:
        raw = query.get(field.name)
        if raw is None or raw == "":
            continue
        if field.kind is Kind.BOOLEAN:
            parsed = _parse_go_bool(raw)
            if parsed is None:
                return violation_rejection(Violation(field.name, field, Rule.TYPE, raw))
            values[field.name] = parsed
            continue
        result = validate_object((field,), {field.name: raw}, QUERY_DIALECT)
        if isinstance(result, Violation):
            return violation_rejection(result)
        values.update(result)
    known = {field.name for field in MODEL_QUERY}
    return ModelQuery(
        visibility=values.get("filter.visibility"),
        source=values.get("filter.source"),
        types=values.get("filter.types"),
        is_sdxl=values.get("filter.is_sdxl"),
        query=values.get("filter.query"),
        is_inpainting=values.get("filter.is_inpainting", False),
        limit=values.get("pagination.limit"),
        cursor=values.get("pagination.cursor"),
        ignored=tuple(key for key in query if key not in known),
    )


GO_TRUE = ("1", "t", "T", "TRUE", "true", "True")
"""What Go's ``strconv.ParseBool`` reads as true (and the OpenAPI document lists)."""
GO_FALSE = ("0", "f", "F", "FALSE", "false", "False")


def _parse_go_bool(raw: str) -> bool | None:
    if raw in GO_TRUE:
        return True
    if raw in GO_FALSE:
        return False
    return None


def validate_task_result_query(query: Mapping[str, str]) -> str | Rejection:
    """``GET /v3/async/task-result?task_id=``: the task id, or INVALID_REQUEST_BODY if missing."""
    result = validate_object(TASK_RESULT_QUERY, query, QUERY_DIALECT)
    if isinstance(result, Violation):
        return violation_rejection(result)
    task_id: str = result["task_id"]
    return task_id
