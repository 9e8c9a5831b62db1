"""API keys: where they come from, and keeping them out of everything else.

A key is held in a :class:`Secret` whose repr and str never show it, applied to a request only at
the moment of sending (:func:`apply_auth`), and scrubbed from any provider body that is kept
(:func:`redact`), because errors and results carry raw bodies and those end up in logs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import attrs

from .errors import AuthenticationError
from .provider import BearerAuth, BodyKeyAuth, HttpRequest, NoAuth, ProviderSpec

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
        return _checked(value, spec, f"api_keys[{spec.id!r}]")
    if value:
        return _checked(Secret(value), spec, f"api_keys[{spec.id!r}]")
    env = os.environ.get(spec.env_var, "")
    if env:
        return _checked(Secret(env), spec, f"the {spec.env_var} environment variable")
    raise AuthenticationError(
        f"no API key for {spec.id}",
        provider=spec.id,
        hint=f"Pass api_keys={{'{spec.id}': ...}} or set the {spec.env_var} environment variable.",
    )


def _checked(key: Secret, spec: ProviderSpec, source: str) -> Secret:
    """``key``, unless it holds a character no HTTP header or JSON key should carry.

    A CR/LF (often a trailing newline from a file) would otherwise surface as aiohttp's bare
    ``ValueError`` at sending time, or worse, split a header.  The error names where the key came
    from, never its value.
    """
    value = key.reveal()
    bad = next((c for c in value if ord(c) < 0x20 or ord(c) == 0x7F), None)
    if bad is None:
        return key
    position = value.index(bad)
    raise AuthenticationError(
        f"the API key for {spec.id} from {source} contains a control character "
        f"({_CONTROL_NAMES.get(bad, f'U+{ord(bad):04X}')} at position {position})",
        provider=spec.id,
        hint="Remove line breaks and other control characters from the key (a trailing newline "
        "from a file is the usual cause).",
    )


_CONTROL_NAMES = {"\r": "CR", "\n": "LF", "\t": "TAB", "\0": "NUL"}


def apply_auth(request: HttpRequest, spec: ProviderSpec, key: Secret) -> tuple[dict[str, str], Any]:
    """Headers and JSON body of ``request`` with the key added as the provider expects."""
    headers = dict(request.headers)
    body = request.json
    if isinstance(spec.auth, BearerAuth):
        headers[spec.auth.header] = f"{spec.auth.prefix}{key.reveal()}"
    elif isinstance(spec.auth, BodyKeyAuth):
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise TypeError(f"{spec.id}: body-key auth needs a JSON object body")
        body = {spec.auth.field: key.reveal(), **body}
    return headers, body


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
