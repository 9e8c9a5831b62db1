"""API keys: where they come from, and keeping them out of everything else.

A key is held in a :class:`Secret` whose repr and str never show it, applied to a request only at
the moment of sending (:func:`apply_auth`), and scrubbed from any provider body that is kept
(:func:`redact`), because errors and results carry raw bodies and those end up in logs.
"""

from __future__ import annotations

import base64
import functools
import os
import re
from collections.abc import Callable, Mapping
from typing import Any, Final
from urllib.parse import quote, quote_plus

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

__all__ = [
    "REDACTED",
    "Secret",
    "apply_auth",
    "redact",
    "redact_text",
    "resolve_key",
    "text_redactor",
]

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
    if isinstance(value, Secret) and not value.reveal():
        value = None  # an empty key is no key: the environment, else a typed error
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


def _checked(key: Secret, spec: ProviderSpec, source: str) -> Secret:
    """``key``, unless it holds a character no HTTP header or JSON key should carry.

    A CR/LF (often a trailing newline from a file) would otherwise surface as aiohttp's bare
    ``ValueError`` at sending time, or worse, split a header.  The error names where the key came
    from, never its value.
    """
    value = key.reveal()
    if value.isprintable():
        return key  # no control character (they are all unprintable): one C pass, every call
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


def redact(value: Any, secrets: tuple[str, ...], *, marker: str = REDACTED) -> Any:
    """A copy of JSON-like ``value`` with the secrets replaced where they occur *as values*.

    A secret is a credential value when it is a whole string, the value of a query parameter or
    of a ``key=``/``"token": ``/``Bearer`` position inside text, or (for secrets of
    :data:`LONG_SECRET` characters or more, which cannot occur by accident) a whole token
    anywhere.  Other text that merely contains the secret's letters is left alone: with the key
    ``k``, ``/v3/async/task-result`` stays as it is.  ``bytes`` are treated as Latin-1 text.
    """
    secrets = tuple(s for s in secrets if s)
    if not secrets:
        return value
    rules = _rules(secrets)
    if not _mentions(value, rules.spellings):
        return value  # the common case: one walk that builds nothing, and no copy to make
    return _redact_value(value, rules, marker)


def may_hold(data: bytes, secrets: tuple[str, ...]) -> bool:
    """Whether anything parsed from ``data`` (a response body) may hold one of ``secrets``:
    the bytes hold one of their spellings as UTF-8, or a backslash, through which JSON could
    spell one in escapes.  ``False`` settles it for every value an adapter reads from the body
    (adapters never see the key), so the runtime skips redacting what it parsed: one memchr
    pass over the bytes instead of a walk over the parsed answer.
    """
    secrets = tuple(s for s in secrets if s)
    if not secrets:
        return False
    if b"\\" in data:
        return True
    return any(spelling in data for spelling in _rules(secrets).encoded)


def _mentions(value: Any, spellings: tuple[str, ...]) -> bool:
    """Whether any text in JSON-like ``value`` contains one of ``spellings`` (``bytes``, and
    any other leaf the redaction would look into, count as a mention: the full pass decides).

    Every response of every job is redacted, and it almost never holds the key: this walk
    (iterative, no containers built) is several times cheaper than the copying one.
    """
    stack = [value]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is str:
            for spelling in spellings:
                if spelling in node:
                    return True
        elif kind is dict:
            stack.extend(node.values())
        elif kind is list:
            stack.extend(node)
        elif kind not in _SCALARS and isinstance(node, str | bytes | dict | list):
            return True  # a subclass, or bytes: let the full pass look at it
    return False


LONG_SECRET = 16
"""Secrets at least this long are redacted as whole tokens anywhere in text."""

_CREDENTIAL_NAME = (
    r"(?i:\b(?:api[_-]?key|apikey|x-api-key|key|access[_-]?token|token|secret|password"
    r"|authorization)\b)"
)
_VALUE_END = r"(?=$|[\s&#\"',;)}\]>])"
_TOKEN_CHAR = r"[A-Za-z0-9_\-]"


@attrs.frozen
class _Rules:
    """What redacting one set of secrets needs, built once per set."""

    secrets: tuple[str, ...]
    spellings: tuple[str, ...]  # every secret as written and percent-encoded
    patterns: tuple[re.Pattern[str], ...]
    encoded: tuple[bytes, ...]  # the spellings as UTF-8, to search bytes with


@functools.lru_cache(maxsize=16)
def _rules(secrets: tuple[str, ...]) -> _Rules:
    """Built once per set of secrets: every response of every job is redacted with the same
    key, and compiling the patterns costs more than the redaction itself."""
    spellings = tuple(spelling for secret in secrets for spelling in _spellings(secret))
    encoded = tuple(spelling.encode("utf-8", "surrogatepass") for spelling in spellings)
    return _Rules(secrets, spellings, _patterns(secrets), encoded)


def _patterns(secrets: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """Patterns whose group ``v`` is a secret standing in a credential position."""
    patterns: list[re.Pattern[str]] = []
    for secret in secrets:
        value = "(?P<v>" + "|".join(re.escape(s) for s in _spellings(secret)) + ")"
        positions = [
            r"[?&;][^=&#\s]*=" + value + _VALUE_END,  # a query parameter's value
            _CREDENTIAL_NAME
            + r"[\"']?\s*[:=]\s*[\"']?(?i:bearer\s+)?"
            + value
            + _VALUE_END,  # key=..., "key": "...", header lines
            r"(?i:\bbearer\s+)" + value + _VALUE_END,
        ]
        if len(secret) >= LONG_SECRET:
            positions.append(f"(?<!{_TOKEN_CHAR}){value}(?!{_TOKEN_CHAR})")
        patterns.extend(re.compile(p) for p in positions)
    return tuple(patterns)


def _spellings(secret: str) -> list[str]:
    """The secret as written and percent-encoded (as in a query), longest first."""
    encoded = {
        quote(secret, safe="", errors="surrogatepass"),
        quote_plus(secret, errors="surrogatepass"),
    }
    return sorted({secret, *encoded}, key=len, reverse=True)


def _redact_text(text: str, rules: _Rules, marker: str) -> str:
    if not any(spelling in text for spelling in rules.spellings):
        return text  # the common case, decided by a fast substring search
    if text in rules.secrets or text.strip() in rules.secrets:
        return marker
    for pattern in rules.patterns:
        text = pattern.sub(lambda m: _replace_value(m, marker), text)
    return text


def _replace_value(match: re.Match[str], marker: str) -> str:
    """The match with only its ``v`` group (the secret) replaced."""
    whole, start = match.group(0), match.start()
    return whole[: match.start("v") - start] + marker + whole[match.end("v") - start :]


_SCALARS: Final = (int, float, bool, type(None))


def _redact_value(value: Any, rules: _Rules, marker: str) -> Any:
    if type(value) in _SCALARS:  # most leaves of a parsed JSON body: nothing to look at
        return value
    if isinstance(value, str):
        return _redact_text(value, rules, marker)
    if isinstance(value, dict):
        return {k: _redact_value(v, rules, marker) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_value(v, rules, marker) for v in value]
    if isinstance(value, bytes):
        latin = tuple(s.encode("utf-8", "surrogatepass").decode("latin-1") for s in rules.secrets)
        text = _redact_text(value.decode("latin-1"), _rules(latin), marker)
        return text.encode("latin-1", "replace")
    return value


def redact_text(text: str, secrets: tuple[str, ...], *, marker: str = REDACTED) -> str:
    """:func:`redact` for one string."""
    return text_redactor(secrets, marker=marker)(text)


def text_redactor(secrets: tuple[str, ...], *, marker: str = REDACTED) -> Callable[[str], str]:
    """:func:`redact_text` with the rules built once, for redacting many strings (the mock's
    journal uses it, with its own marker).  Nothing is cached beyond the returned function."""
    secrets = tuple(s for s in secrets if s)
    if not secrets:
        return lambda text: text
    rules = _rules(secrets)
    return lambda text: _redact_text(text, rules, marker)
