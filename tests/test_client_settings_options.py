"""The client's non-numeric options are checked when the client is made, like its numbers.

Unchecked, each failed late and untyped: ``unsupported="bogus"`` was a bare ``ValueError``, an
``api_keys`` string an ``AttributeError``, a numeric key a bare ``TypeError`` out of
``inpaint()`` (the redaction of its error choked on it), and ``base_url="ftp://..."`` was sent
to, then reported as a submit that "may have been billed".
"""

from __future__ import annotations

from typing import Any

import pytest
from inpaintkit import InpaintClient, UnsupportedPolicy
from inpaintkit.credentials import Secret
from inpaintkit.settings import SettingsError


@pytest.mark.parametrize(
    ("options", "path", "rule"),
    [
        ({"unsupported": "bogus"}, "unsupported", "must be one of"),
        ({"unsupported": 3}, "unsupported", "must be one of"),
        ({"api_keys": "sk-abc"}, "api_keys", "must be a mapping"),
        ({"api_keys": {"novita": 123}}, "api_keys['novita']", "must be a string or Secret"),
        ({"api_keys": {"novita": Secret(123)}}, "api_keys['novita']", "must be a string"),
        ({"api_keys": {1: "k"}}, "api_keys", "provider ids"),
        ({"base_url": "ftp://127.0.0.1:8000"}, "base_url", "http:// or https://"),
        ({"base_url": "127.0.0.1:8000"}, "base_url", "http:// or https://"),
        ({"base_url": "http://"}, "base_url", "with a host"),
        ({"base_url": 5}, "base_url", "http:// or https://"),
        ({"base_url": "http://[::1"}, "base_url", "http:// or https://"),
        ({"base_urls": {"novita": "file:///tmp"}}, "base_urls['novita']", "http:// or https://"),
        ({"base_urls": ["http://x"]}, "base_urls", "must be a mapping"),
        ({"clock": 5}, "clock", "time() and an async sleep()"),
        ({"clock": object()}, "clock", "time() and an async sleep()"),
        ({"on_event": 5}, "on_event", "must be callable"),
        ({"transport": "aiohttp"}, "transport", "async send("),
        ({"random_seed": [1]}, "random_seed", "must be an int"),
        ({"random_seed": 1.5}, "random_seed", "must be an int"),
        ({"image_hosts": {"novita": 5}}, "image_hosts['novita']", "async upload("),
        ({"image_hosts": [print]}, "image_hosts", "must be a mapping"),
    ],
)
def test_bad_options_are_settings_errors(options: dict[str, Any], path: str, rule: str) -> None:
    with pytest.raises(SettingsError) as info:
        InpaintClient(**options)
    assert info.value.paths == (path,)
    assert rule in str(info.value)


def test_a_key_of_the_wrong_type_is_not_shown() -> None:
    with pytest.raises(SettingsError) as info:
        InpaintClient(api_keys={"novita": 987654321})
    assert "987654321" not in str(info.value)


def test_options_and_numbers_are_reported_together() -> None:
    with pytest.raises(SettingsError) as info:
        InpaintClient(concurrency=0, unsupported="nope", base_url="ftp://x")
    assert set(info.value.paths) == {"concurrency", "unsupported", "base_url"}


def test_good_options_are_accepted() -> None:
    for policy in ("strict", "warn", "drop", UnsupportedPolicy.DROP):
        InpaintClient(unsupported=policy)
    InpaintClient(
        api_keys={"novita": "k", "modelslab": Secret("k2")},
        base_url="HTTPS://api.example.com/",
        base_urls={"novita": "http://127.0.0.1:8000", "modelslab": "https://[::1]:9/x"},
    )


def test_a_bad_clock_is_refused_before_any_call() -> None:
    """A clock without ``time()`` failed inside every call as a bare ``AttributeError``."""
    with pytest.raises(SettingsError) as info:
        InpaintClient(clock=5)  # type: ignore[arg-type]
    assert "int" in str(info.value)


def test_objects_with_the_right_methods_are_accepted() -> None:
    from inpaintkit.clock import VirtualClock
    from inpaintkit.providers.modelslab import ModelsLabUploadHost
    from inpaintkit.transport import MemoryTransport

    InpaintClient(
        clock=VirtualClock(),
        on_event=lambda event: None,
        transport=MemoryTransport(lambda request: None),  # type: ignore[arg-type,return-value]
        random_seed=3,
        image_hosts={"stablediffusionapi": ModelsLabUploadHost()},
    )


@pytest.mark.parametrize("job", ["a job", {"prompt": "x"}, None])
def test_a_job_that_is_not_an_inpaintjob_is_a_validation_error(job: Any) -> None:
    """It was an "unexpected error ... bug" from inpaint() and a bare AttributeError from
    plan(); nothing is sent either way."""
    import asyncio

    from inpaintkit.errors import ValidationError
    from inpaintkit.transport import MemoryTransport

    sent: list[object] = []
    client = InpaintClient(
        api_keys={"novita": "k"},
        transport=MemoryTransport(lambda request: sent.append(request)),  # type: ignore[arg-type,func-returns-value]
    )
    with pytest.raises(ValidationError, match="must be an InpaintJob"):
        client.plan(job, "novita")

    async def run() -> None:
        async with client:
            await client.inpaint(job, "novita")

    with pytest.raises(ValidationError, match="must be an InpaintJob") as info:
        asyncio.run(run())
    assert info.value.paths == ("$",)
    assert sent == []
