"""The mock server's request contracts: what each provider's server accepts, as data.

This is an independent transcription of the providers' documented server behaviour (design.md
section 6); it never imports :mod:`inpaintkit.providers`, so the conformance suite can catch a
plugin that disagrees with the provider.  Each provider has one table of :class:`Field` rows
(``_novita``, ``_sdapi``, ``_modelslab``) citing its source; validation, error messages and
the OpenAPI documents (:mod:`inpaintkit.mockserver.openapi`) are all derived from it.

How the server uses this package, per request::

    contract = get_contract("novita")            # or make_contract(id, ContractOptions(...))
    key = contract.authenticate(body, request.headers, valid_keys=None)   # str | Rejection
    req = contract.validate_submit(body, key)     # SubmitRequest | Rejection
    # decode / fetch req.image and req.mask, then:
    contract.check_images(req, ImageFacts(...), ImageFacts(...))          # Rejection | None
    contract.error(ErrorKind.RATE_LIMITED, retry_after=30)               # provider-exact error

A body that is not JSON gets ``contract.error(ErrorKind.BODY_NOT_JSON)``.  Other endpoints:

- ``validate_task_result_query(query)``: Novita ``GET /v3/async/task-result`` -> task id.
- ``validate_model_query(query)``: Novita ``GET /v3/model`` -> :class:`ModelQuery`.
- ``validate_fetch(provider, body, path_id=..., valid_keys=...)``: StableDiffusionAPI
  ``POST /api/v3/fetch/{id}`` (``path_id`` given) and ModelsLab ``POST /api/v6/images/fetch``
  (``path_id=None``: ``request_id`` in the body) or ``/fetch/{id}`` -> :class:`FetchRequest`.
  It authenticates too (the key is in the body).  ``/api/v3/system_load`` needs only
  ``authenticate``.
- ``validate_base64_to_url(body, valid_keys=...)``: ModelsLab ``POST /api/v6/base64_to_url`` ->
  :class:`Base64Upload` (decoded bytes, 5 MB at most).

Every :class:`Rejection` carries the HTTP status, the provider's body, the failing wire field and
the rule; the API key never appears in any of them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from ._fields import Dialect, Field, ImageLimits, ImageMode, Kind, Rule
from ._model import (
    Base64Upload,
    ContractOptions,
    ErrorKind,
    FetchRequest,
    ImageFacts,
    ModelQuery,
    ProviderContract,
    Rejection,
    S3Target,
    SubmitRequest,
    WireImage,
)
from ._modelslab import ModelsLabContract
from ._novita import NovitaContract, validate_model_query, validate_task_result_query
from ._platform import PlatformContract
from ._sdapi import StableDiffusionApiContract

__all__ = [
    "CONTRACTS",
    "PROVIDER_IDS",
    "Base64Upload",
    "ContractOptions",
    "Dialect",
    "ErrorKind",
    "FetchRequest",
    "Field",
    "ImageFacts",
    "ImageLimits",
    "ImageMode",
    "Kind",
    "ModelQuery",
    "ModelsLabContract",
    "NovitaContract",
    "ProviderContract",
    "Rejection",
    "Rule",
    "S3Target",
    "StableDiffusionApiContract",
    "SubmitRequest",
    "WireImage",
    "get_contract",
    "make_contract",
    "validate_base64_to_url",
    "validate_fetch",
    "validate_model_query",
    "validate_task_result_query",
]

PROVIDER_IDS = ("novita", "stablediffusionapi", "modelslab")


def make_contract(provider_id: str, options: ContractOptions | None = None) -> ProviderContract:
    """A fresh contract; ``options`` switch unverified behaviours (see :class:`ContractOptions`)."""
    if provider_id == "novita":
        return NovitaContract()
    if provider_id == "stablediffusionapi":
        return StableDiffusionApiContract(options)
    if provider_id == "modelslab":
        return ModelsLabContract(options)
    raise KeyError(f"unknown provider {provider_id!r}; known: {', '.join(PROVIDER_IDS)}")


CONTRACTS: Mapping[str, ProviderContract] = {pid: make_contract(pid) for pid in PROVIDER_IDS}


def get_contract(provider_id: str) -> ProviderContract:
    """The default-options contract for ``provider_id`` (KeyError naming the known ids)."""
    try:
        return CONTRACTS[provider_id]
    except KeyError:
        raise KeyError(
            f"unknown provider {provider_id!r}; known: {', '.join(PROVIDER_IDS)}"
        ) from None


def validate_fetch(
    provider_id: str,
    body: Any,
    *,
    path_id: str | None = None,
    valid_keys: Collection[str] | None = None,
    options: ContractOptions | None = None,
) -> FetchRequest | Rejection:
    """Authenticate and validate a StableDiffusionAPI or ModelsLab fetch body."""
    contract = make_contract(provider_id, options) if options else get_contract(provider_id)
    if not isinstance(contract, PlatformContract):
        raise ValueError(f"{provider_id!r} has no fetch endpoint (Novita polls task-result)")
    return contract.validate_fetch(body, path_id=path_id, valid_keys=valid_keys)


def validate_base64_to_url(
    body: Any,
    *,
    valid_keys: Collection[str] | None = None,
    options: ContractOptions | None = None,
) -> Base64Upload | Rejection:
    """Authenticate and decode a ModelsLab ``/api/v6/base64_to_url`` body."""
    return ModelsLabContract(options).validate_base64_to_url(body, valid_keys=valid_keys)
