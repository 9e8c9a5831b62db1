"""API keys: where they come from, and keeping them out of everything else.

A key is held in a :class:`Secret` whose repr and str never show it, applied to a request only at
the moment of sending (:func:`apply_auth`), and scrubbed from any provider body that is kept
(:func:`redact`), because errors and results carry raw bodies and those end up in logs.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from typing import Any

import attrs

from .errors import AuthenticationError, ProviderError
from .provider import (
    BasicAuth,
    BearerAuth,
    BodyKeyAuth,
    HttpRequest,
    NoAuth,
    ProviderSpec,
    QueryKeyAuth,
)

__all__ = ["REDACTED", "Secret", "apply_auth", "redact", "resolve_key"]

REDACTED = "***"


@attrs.frozen(repr=False, eq=False)
class Secret:
    """A string that never shows itself in a repr, str or f-string."""

    _value: str

    def reveal(self) -> str:
        """The secret value, for the one place that must send it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)


def resolve_key(spec: ProviderSpec, given: Mapping[str, str | Secret] | None) -> Secret:
    """The key for ``spec``: from ``given[spec.id]``, else the provider's environment variable.

    Providers with :class:`~inpaintkit.provider.NoAuth` need none and get an empty secret.
    """
    value = (given or {}).get(spec.id)
    if isinstance(spec.auth, NoAuth) and not value:
        return Secret("")
    if isinstance(value, Secret):
        return value
    if value:
        return Secret(value)
    env = os.environ.get(spec.env_var, "")
    if env:
        return Secret(env)
    raise AuthenticationError(
        f"no API key for {spec.id}",
        provider=spec.id,
        hint=f"Pass api_keys={{'{spec.id}': ...}} or set the {spec.env_var} environment variable.",
        cli_hint=f"Set the {spec.env_var} environment variable, or try the job with --mock.",
    )


def apply_auth(request: HttpRequest, spec: ProviderSpec, key: Secret) -> HttpRequest:
    """``request`` with the key added where the provider expects it, whatever the body shape.

    Header auth works for every body; a body key goes into a JSON object or a multipart form;
    a query key into the URL's query.  A combination that cannot carry the key (a body key on a
    raw-bytes request) is a plugin bug, reported as a :class:`ProviderError`.
    """
    auth = spec.auth
    if isinstance(auth, BearerAuth):
        headers = {**request.headers, auth.header: f"{auth.prefix}{key.reveal()}"}
        return attrs.evolve(request, headers=headers)
    if isinstance(auth, BasicAuth):
        token = base64.b64encode(key.reveal().encode()).decode("ascii")
        return attrs.evolve(request, headers={**request.headers, auth.header: f"Basic {token}"})
    if isinstance(auth, QueryKeyAuth):
        return attrs.evolve(request, query={**request.query, auth.param: key.reveal()})
    if isinstance(auth, BodyKeyAuth):
        if request.form is not None:
            fields = {auth.field: key.reveal(), **request.form.fields}
            return attrs.evolve(request, form=attrs.evolve(request.form, fields=fields))
        body = request.json if request.json is not None else {}
        if not isinstance(body, dict) or request.content is not None:
            raise ProviderError(
                f"{spec.id}: body-key auth needs a JSON object or form body (a plugin bug)",
                provider=spec.id,
            )
        return attrs.evolve(request, json={auth.field: key.reveal(), **body})
    return request


def redact(value: Any, secrets: tuple[str, ...]) -> Any:
    """A copy of JSON-like ``value`` with every occurrence of the secrets replaced."""
    secrets = tuple(s for s in secrets if s)
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, dict):
        return {k: redact(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, secrets) for v in value]
    if isinstance(value, bytes):
        for secret in secrets:
            value = value.replace(secret.encode(), REDACTED.encode())
        return value
    return value
