"""OpenAPI 3.1 documents for the mock's three providers, generated from the contract tables.

Nothing here restates a rule: every property schema is derived from a :class:`Field` row (its
type, range, enum, length, required-ness), widened exactly as far as the provider's
:class:`Dialect` lets the server read JSON (numeric strings, ``yes``/``no``, ``null``/``""`` for
absent optional fields), and the error responses are the contracts' own error bodies.  So the
document describes what the mock accepts, and a test can check a table range appears in it.

The server serves these under ``/__mock/openapi/{provider}.json``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from .contracts import (
    Dialect,
    ErrorKind,
    Field,
    ImageMode,
    Kind,
    ProviderContract,
    get_contract,
)
from .contracts._fields import in_range
from .contracts._modelslab import MODELSLAB_BASE64_TO_URL, MODELSLAB_FETCH
from .contracts._novita import GO_FALSE, GO_TRUE, MODEL_QUERY, QUERY_DIALECT, TASK_RESULT_QUERY
from .contracts._sdapi import SDAPI_FETCH

__all__ = ["field_schema", "has_document", "object_schema", "openapi_document"]

OPENAPI_VERSION = "3.1.0"
URL_OR_DATA_PATTERN = "^(https?://|data:)"
INT_STRING_PATTERN = r"^-?\d+$"
_NUMBER = r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?"
NUMBER_STRING_PATTERN = rf"^{_NUMBER}$"
NUMBER_LIST_PATTERN = rf"^\s*{_NUMBER}\s*(,\s*{_NUMBER}\s*)*$"

REAL_SERVERS = {
    "novita": "https://api.novita.ai",
    "stablediffusionapi": "https://stablediffusionapi.com",
    "modelslab": "https://modelslab.com",
}


def _core_schema(field: Field, dialect: Dialect) -> dict[str, Any]:
    """The schema of a present, non-null value of ``field``."""
    kind = field.kind
    if kind is Kind.STRING:
        schema: dict[str, Any] = {"type": "string"}
        if field.enum is not None:
            schema["enum"] = list(field.enum)
        if field.min_length is not None:
            schema["minLength"] = field.min_length
        if field.max_length is not None:
            schema["maxLength"] = field.max_length
        if field.uri:
            schema.update(format="uri", pattern="^https?://")
        image = field.image
        if image is not None:
            if image.mode is ImageMode.BASE64:
                schema["contentEncoding"] = "base64"
            elif image.mode is ImageMode.URL:
                schema["pattern"] = URL_OR_DATA_PATTERN
            if image.max_bytes is not None:
                schema["x-max-decoded-bytes"] = image.max_bytes
            if image.max_pixels is not None:
                schema["x-max-pixels"] = image.max_pixels
            if image.same_resolution_as is not None:
                schema["x-same-resolution-as"] = image.same_resolution_as
            if image.inline_flag is not None:
                schema["x-inline-base64-when"] = image.inline_flag
        return schema
    if kind in (Kind.INTEGER, Kind.NUMBER):
        schema = {"type": kind.value}
        _add_numeric_rules(schema, field)
        options = [schema]
        if dialect.numeric_strings:
            options.append(_numeric_string(kind, dict(schema)))
        if field.accepts_bool:
            options.append({"type": "boolean"})
        return options[0] if len(options) == 1 else {"anyOf": options}
    if kind is Kind.BOOLEAN:
        if dialect.yes_no:
            return {"anyOf": [{"type": "boolean"}, {"enum": ["yes", "no"]}]}
        return {"type": "boolean"}
    if kind is Kind.OBJECT:
        return object_schema(field.fields, dialect)
    if kind is Kind.ARRAY:
        schema = {"type": "array", "items": object_schema(field.fields, dialect)}
        if field.max_items is not None:
            schema["maxItems"] = field.max_items
        return schema
    number: dict[str, Any] = {"type": "number"}
    _add_numeric_rules(number, field)
    return {"anyOf": [number, {"type": "string", "pattern": NUMBER_LIST_PATTERN}]}


PARSED_AS = "x-parsed-as"
"""Extension keyword: a numeric string must, once parsed as a number, match this schema (JSON
Schema cannot state a range on a string; the server parses then checks the range)."""


def _numeric_string(kind: Kind, parsed: dict[str, Any]) -> dict[str, Any]:
    pattern = INT_STRING_PATTERN if kind is Kind.INTEGER else NUMBER_STRING_PATTERN
    return {"type": "string", "pattern": pattern, PARSED_AS: parsed}


def _add_numeric_rules(schema: dict[str, Any], field: Field) -> None:
    if field.enum is not None:
        schema["enum"] = list(field.enum)
        return
    if field.minimum is not None:
        key = "exclusiveMinimum" if field.exclusive_minimum else "minimum"
        schema[key] = field.minimum
    if field.maximum is not None:
        schema["maximum"] = field.maximum
    if field.multiple_of is not None:
        schema["multipleOf"] = field.multiple_of


def _zero_outside_range(field: Field) -> bool:
    if field.kind not in (Kind.INTEGER, Kind.NUMBER) or field.enum is not None:
        return False
    return not in_range(field, 0)


def field_schema(field: Field, dialect: Dialect) -> dict[str, Any]:
    """The property schema for ``field``: its rules, plus the 'absent' spellings if optional."""
    core = _core_schema(field, dialect)
    description = field.description or field.note
    meta: dict[str, Any] = {"x-source": field.source}
    if description:
        meta["description"] = description
    if field.default is not None:
        meta["default"] = field.default
    if field.required:  # the server reads "" as absent, so a required member may not be ""
        return {**core, "not": {"const": ""}, **meta}
    absent: list[dict[str, Any]] = [{"type": "null"}, {"const": ""}]
    if dialect.zero_is_unset and _zero_outside_range(field):
        absent.append({"const": 0})
        if dialect.numeric_strings:
            absent.append(_numeric_string(field.kind, {"const": 0}))
    return {"anyOf": [core, *absent], **meta}


def object_schema(fields: tuple[Field, ...], dialect: Dialect) -> dict[str, Any]:
    """An object of ``fields`` (aliases become properties of their own); unknown members allowed."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in fields:
        prop = field_schema(field, dialect)
        for name in field.names:
            properties[name] = prop
        if field.required:
            if field.aliases:
                continue  # any one of the names satisfies it; said by the anyOf below
            required.append(field.name)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    conditions: list[dict[str, Any]] = [
        {"anyOf": [{"required": [name]} for name in field.names]}
        for field in fields
        if field.required and field.aliases
    ]
    conditions.extend(_inline_conditions(fields, dialect))
    if conditions:
        schema["allOf"] = conditions
    return schema


def _inline_conditions(fields: tuple[Field, ...], dialect: Dialect) -> list[dict[str, Any]]:
    """A URL-or-inline image member must be a URL unless its flag member is true."""
    out = []
    for field in fields:
        image = field.image
        if image is None or image.mode is not ImageMode.URL_OR_INLINE or not image.inline_flag:
            continue
        flag_true: list[Any] = [True, "yes"] if dialect.yes_no else [True]
        url_only = {"anyOf": [{"pattern": URL_OR_DATA_PATTERN}, {"const": ""}]}
        out.append(
            {
                "if": {
                    "properties": {image.inline_flag: {"enum": flag_true}},
                    "required": [image.inline_flag],
                },
                "else": {"properties": dict.fromkeys(field.names, url_only)},
            }
        )
    return out


def _json(schema_ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}}


def _error_responses(contract: ProviderContract, validation: dict[str, Any]) -> dict[str, Any]:
    """One response per documented status, with every error body of that status as an example."""
    by_status: dict[int, dict[str, Any]] = defaultdict(dict)
    by_status[400]["invalid_request"] = validation
    for kind in ErrorKind:
        rejection = contract.error(kind)
        by_status[rejection.status][kind.value] = rejection.body
    responses: dict[str, Any] = {}
    for status in sorted(by_status):
        if status == 200:
            continue
        examples = {name: {"value": body} for name, body in by_status[status].items()}
        responses[str(status)] = {
            "description": f"error (HTTP {status})",
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/Error"},
                    "examples": examples,
                }
            },
        }
    return responses


def _operation(
    summary: str,
    request_schema: str | None,
    ok: dict[str, Any],
    errors: dict[str, Any],
    **extra: Any,
) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "responses": {"200": ok, **errors}, **extra}
    if request_schema is not None:
        operation["requestBody"] = {"required": True, "content": _json(request_schema)}
    return operation


def _ok(description: str, schema_ref: str) -> dict[str, Any]:
    return {"description": description, "content": _json(schema_ref)}


def _query_parameters(fields: tuple[Field, ...], dialect: Dialect) -> list[dict[str, Any]]:
    """Query parameters as the server reads them: values are strings, an empty value counts
    as absent (optional parameters may be empty, required ones may not), numbers are typed
    (tools coerce ``"10"`` before checking the range), booleans are Go's ``ParseBool``
    spellings."""
    params = []
    for field in fields:
        typed = Dialect(False, dialect.yes_no, dialect.zero_is_unset)  # coerced before checking
        schema = _core_schema(field, typed)
        if field.kind is Kind.BOOLEAN:
            schema = {"type": "string", "enum": [*GO_TRUE, *GO_FALSE]}
        if field.required:
            schema = {**schema, "not": {"const": ""}}
        else:
            schema = {"anyOf": [schema, {"const": ""}]}
        param: dict[str, Any] = {
            "name": field.name,
            "in": "query",
            "required": field.required,
            "schema": schema,
            "x-source": field.source,
        }
        if field.note:
            param["description"] = field.note
        params.append(param)
    return params


def _novita(contract: ProviderContract) -> dict[str, Any]:
    validation = contract.validate_submit({}, "example")
    assert not hasattr(validation, "task_id")
    errors = _error_responses(contract, getattr(validation, "body", {}))
    reasons = sorted(
        {
            body["value"]["reason"]
            for resp in errors.values()
            for body in resp["content"]["application/json"]["examples"].values()
        }
        | {"IMAGE_FILE_EXCEEDS_MAX_SIZE", "IMAGE_EXCEEDS_MAX_RESOLUTION"}
    )
    schemas = {
        "InpaintingRequest": object_schema(contract.table(), contract.dialect),
        "InpaintingResponse": {
            "type": "object",
            "required": ["task_id"],
            "properties": {"task_id": {"type": "string"}},
        },
        "TaskResult": {
            "type": "object",
            "required": ["task"],
            "properties": {
                "extra": {"type": "object"},
                "task": {
                    "type": "object",
                    "required": ["task_id", "status"],
                    "properties": {
                        "task_id": {"type": "string"},
                        "status": {
                            "enum": [
                                "TASK_STATUS_QUEUED",
                                "TASK_STATUS_PROCESSING",
                                "TASK_STATUS_SUCCEED",
                                "TASK_STATUS_FAILED",
                            ]
                        },
                        "reason": {"type": "string"},
                        "task_type": {"type": "string"},
                        "eta": {"type": "number"},
                        "progress_percent": {"type": "number"},
                    },
                },
                "images": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "image_url": {"type": "string"},
                            "image_url_ttl": {"type": ["integer", "string"]},
                            "image_type": {"enum": ["png", "jpeg", "webp"]},
                        },
                    },
                },
                "videos": {"type": "array"},
                "audios": {"type": "array"},
            },
        },
        "ModelList": {
            "type": "object",
            "properties": {
                "models": {"type": "array", "items": {"type": "object"}},
                "pagination": {"type": "object", "properties": {"next_cursor": {"type": "string"}}},
            },
        },
        "Error": {
            "type": "object",
            "required": ["code", "reason", "message"],
            "properties": {
                "code": {"type": "integer"},
                "reason": {"type": "string", "enum": reasons},
                "message": {"type": "string"},
                "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
    }
    security: list[dict[str, list[str]]] = [{"bearer": []}]
    paths = {
        "/v3/async/inpainting": {
            "post": _operation(
                "Submit an inpainting task",
                "InpaintingRequest",
                _ok("the task id", "InpaintingResponse"),
                errors,
                security=security,
            )
        },
        "/v3/async/task-result": {
            "get": _operation(
                "Poll a task",
                None,
                _ok("the task's state", "TaskResult"),
                errors,
                security=security,
                parameters=_query_parameters(TASK_RESULT_QUERY, QUERY_DIALECT),
            )
        },
        "/v3/model": {
            "get": _operation(
                "List models",
                None,
                _ok("a page of models", "ModelList"),
                errors,
                security=security,
                parameters=_query_parameters(MODEL_QUERY, QUERY_DIALECT),
            )
        },
    }
    components = {
        "schemas": schemas,
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    }
    return {"paths": paths, "components": components}


def _platform_schemas(contract: ProviderContract) -> dict[str, Any]:
    dialect: Dialect = contract.dialect
    return {
        "InpaintRequest": object_schema(contract.table(), dialect),
        "InpaintResponse": {
            "type": "object",
            "required": ["status"],
            "properties": {
                "status": {"enum": ["success", "processing", "error", "failed"]},
                "id": {"type": ["integer", "string"]},
                "output": {
                    "anyOf": [{"type": "array", "items": {"type": "string"}}, {"const": ""}]
                },
                "future_links": {"type": "array", "items": {"type": "string"}},
                "fetch_result": {"type": "string"},
                "eta": {"type": "number"},
                "generationTime": {"type": "number"},
                "meta": {"type": "object"},
                "message": {"type": "string"},
                "messege": {"type": "string"},
            },
        },
        "Error": {
            "type": "object",
            "required": ["status"],
            "properties": {
                "status": {"enum": ["error", "failed"]},
                "message": {
                    "anyOf": [
                        {"type": "string"},
                        {
                            "type": "object",
                            "additionalProperties": {"type": "array", "items": {"type": "string"}},
                        },
                    ]
                },
                "messege": {"type": "string"},
                "tip": {"type": "string"},
                "tips": {"type": "string"},
                "retry_after": {"type": "integer"},
            },
        },
    }


def _sdapi(contract: ProviderContract) -> dict[str, Any]:
    validation = contract.validate_submit({"key": "k"}, "k")
    errors = _error_responses(contract, getattr(validation, "body", {}))
    dialect: Dialect = contract.dialect
    schemas = _platform_schemas(contract)
    schemas["KeyOnly"] = object_schema(SDAPI_FETCH, dialect)
    schemas["SystemLoad"] = {
        "type": "object",
        "properties": {
            "queue_num": {"type": "integer"},
            "queue_time": {"type": "number"},
            "status": {"type": "string"},
        },
    }
    id_param = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
    paths = {
        "/api/v3/inpaint": {
            "post": _operation(
                "Inpaint", "InpaintRequest", _ok("success or processing", "InpaintResponse"), errors
            )
        },
        "/api/v3/fetch/{id}": {
            "post": _operation(
                "Fetch a queued result",
                "KeyOnly",
                _ok("the result", "InpaintResponse"),
                errors,
                parameters=id_param,
            )
        },
        "/api/v3/system_load": {
            "post": _operation("System load", "KeyOnly", _ok("queue state", "SystemLoad"), errors)
        },
    }
    return {"paths": paths, "components": {"schemas": schemas}}


def _modelslab(contract: ProviderContract) -> dict[str, Any]:
    validation = contract.validate_submit({"key": "k"}, "k")
    errors = _error_responses(contract, getattr(validation, "body", {}))
    dialect: Dialect = contract.dialect
    schemas = _platform_schemas(contract)
    schemas["FetchRequest"] = object_schema(MODELSLAB_FETCH, dialect)
    schemas["FetchRequest"]["properties"]["request_id"] = {
        "anyOf": [{"type": "string", "minLength": 1}, {"type": "integer"}],
        "x-source": "reference 3.1",
    }
    schemas["KeyOnly"] = object_schema(MODELSLAB_FETCH[:1], dialect)
    schemas["Base64ToUrlRequest"] = object_schema(MODELSLAB_BASE64_TO_URL, dialect)
    id_param = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
    paths = {
        "/api/v6/images/inpaint": {
            "post": _operation(
                "Inpaint", "InpaintRequest", _ok("success or processing", "InpaintResponse"), errors
            )
        },
        "/api/v6/images/fetch": {
            "post": _operation(
                "Fetch a queued result by request_id",
                "FetchRequest",
                _ok("the result", "InpaintResponse"),
                errors,
            )
        },
        "/api/v6/images/fetch/{id}": {
            "post": _operation(
                "Fetch a queued result by id",
                "KeyOnly",
                _ok("the result", "InpaintResponse"),
                errors,
                parameters=id_param,
            )
        },
        "/api/v6/base64_to_url": {
            "post": _operation(
                "Upload base64 data, get a temporary URL",
                "Base64ToUrlRequest",
                _ok("the URL", "InpaintResponse"),
                errors,
            )
        },
    }
    return {"paths": paths, "components": {"schemas": schemas}}


_BUILDERS = {"novita": _novita, "stablediffusionapi": _sdapi, "modelslab": _modelslab}


def has_document(provider_id: str) -> bool:
    """True for the providers whose contracts this module documents."""
    return provider_id in _BUILDERS


def openapi_document(provider_id: str, server_url: str | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``provider_id`` as the mock implements it.

    ``server_url`` names the mock's own base URL; by default the provider's real host is listed,
    for reading only (the mock is what these schemas were generated from).
    """
    contract = get_contract(provider_id)
    body = _BUILDERS[provider_id](contract)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": f"{provider_id} (inpaintkit mock server)",
            "version": "1",
            "description": (
                "Generated from inpaintkit.mockserver.contracts: the mock's transcription of the "
                "provider's documented server behaviour. x-source on each property cites the seed "
                "document or reference section the rule comes from. x-parsed-as on a numeric "
                "string gives the schema its parsed number must match."
            ),
        },
        "servers": [{"url": server_url or REAL_SERVERS[provider_id]}],
        **body,
    }
