"""The always-on check: adapters only ever see checked requests, and cannot drop a field."""

from __future__ import annotations

import base64
import json
from typing import Any

import attrs
import pytest
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit import InpaintClient, InpaintJob
from inpaintkit.checking import CheckedRequest, check_built, check_request
from inpaintkit.clock import VirtualClock
from inpaintkit.errors import InpaintError, ProviderError, UnsupportedFieldError, ValidationError
from inpaintkit.job import Webhook
from inpaintkit.limits import ImageLimits
from inpaintkit.options import option
from inpaintkit.plugins import ProviderRegistry
from inpaintkit.provider import HttpRequest, HttpResponse, PreparedImage, PreparedRequest
from inpaintkit.schema import Rule
from inpaintkit.transport import MemoryTransport, OutgoingRequest
from inpaintkit.wiremap import Wire
from toyprovider import ToyAdapter

IMAGE = png_bytes(gradient_image(64, 48))
MASK = png_bytes(rect_mask(64, 48, (16, 12, 40, 30)))


def job(**changes: Any) -> InpaintJob:
    return InpaintJob(image=IMAGE, mask=MASK, prompt="a cat", **changes)


def prepared(
    j: InpaintJob, *, size: tuple[int, int] = (64, 48), fmt: str = "png"
) -> PreparedRequest:
    image = PreparedImage(data=IMAGE, format=fmt, width=size[0], height=size[1])
    mask = PreparedImage(data=MASK, format="png", width=size[0], height=size[1])
    return PreparedRequest(job=j, image=image, mask=mask)


def answer_done(request: OutgoingRequest) -> HttpResponse:
    b64 = base64.b64encode(IMAGE).decode()
    body = {"state": "done", "id": "t1", "images": [{"b64": b64}]}
    return HttpResponse(200, json.dumps(body).encode(), {"content-type": "application/json"})


def test_only_the_core_makes_a_checked_request() -> None:
    with pytest.raises(TypeError, match="made only by"):
        CheckedRequest(  # type: ignore[call-arg]
            job=job(), image=prepared(job()).image, mask=prepared(job()).mask, fields={}
        )
    checked = check_request(prepared(job(steps=10)), ToyAdapter().spec)
    assert checked.fields == {"prompt": "a cat", "n": 1, "steps": 10, "seed": None}
    body = checked.body()
    body["extra"] = 1
    assert "extra" not in checked.fields  # body() hands out a copy


def test_values_outside_the_table_never_reach_the_adapter() -> None:
    spec = ToyAdapter().spec
    with pytest.raises(ValidationError) as info:
        check_request(prepared(job(steps=500)), spec)
    (error,) = info.value.errors
    assert (error.path, error.value) == ("$.steps", 500)
    assert error.rule == "must be in [1, 50] for toy"
    with pytest.raises(UnsupportedFieldError, match=r"\$\.webhook"):
        check_request(prepared(job(webhook=Webhook(url="https://example.com/h"))), spec)


def test_image_limits_and_formats_are_checked_on_the_prepared_images() -> None:
    spec = attrs.evolve(ToyAdapter().spec, image_limits=ImageLimits(max_side=32, formats=("png",)))
    with pytest.raises(ValidationError) as info:
        check_request(prepared(job(), fmt="gif"), spec)
    paths = info.value.paths
    assert "$.image.format" in paths
    assert "$.image.width" in paths
    assert "image's own size is used" in str(info.value)


class _DroppingAdapter(ToyAdapter):
    """A buggy plugin: forgets ``steps`` and rewrites ``prompt``."""

    def build_submit(self, request: CheckedRequest) -> HttpRequest:
        built = super().build_submit(request)
        body = dict(built.json)
        body.pop("steps", None)
        body["prompt"] = body["prompt"].upper()
        return attrs.evolve(built, json=body)


def test_a_plugin_that_drops_or_rewrites_a_field_is_stopped_before_sending() -> None:
    checked = check_request(prepared(job(steps=12)), ToyAdapter().spec)
    with pytest.raises(ProviderError) as info:
        check_built(_DroppingAdapter().build_submit(checked), checked, ToyAdapter().spec)
    message = str(info.value)
    assert "steps: wire field steps is missing" in message
    assert "prompt: wire field prompt is 'A CAT', the table says 'a cat'" in message
    check_built(ToyAdapter().build_submit(checked), checked, ToyAdapter().spec)  # no error


async def _run(adapter: ToyAdapter, j: InpaintJob) -> tuple[MemoryTransport, Any]:
    transport = MemoryTransport(answer_done)
    registry = ProviderRegistry([adapter])
    async with InpaintClient(
        api_keys={"toy": "k"}, registry=registry, clock=VirtualClock(), transport=transport
    ) as client:
        try:
            return transport, await client.inpaint(j, "toy")
        except InpaintError as exc:
            return transport, exc


async def test_the_client_sends_nothing_for_a_buggy_plugin_or_a_bad_value() -> None:
    transport, outcome = await _run(_DroppingAdapter(), job(steps=12))
    assert isinstance(outcome, ProviderError)
    assert transport.requests == []
    transport, outcome = await _run(ToyAdapter(), job(steps=500))
    assert isinstance(outcome, ValidationError)
    assert transport.requests == []
    transport, outcome = await _run(ToyAdapter(), job(steps=12))
    assert not isinstance(outcome, InpaintError)
    (sent,) = transport.requests
    assert sent.content is not None
    assert json.loads(sent.content)["steps"] == 12


async def test_a_split_job_checks_every_part_before_the_first_submit() -> None:
    """The second part's seed is derived; both parts are checked before anything is sent."""
    transport, outcome = await _run(ToyAdapter(), job(num_images=3, seed=5))
    assert not isinstance(outcome, InpaintError)
    seeds = [json.loads(r.content or b"{}")["seed"] for r in transport.requests]
    assert seeds == [5, 7]


@attrs.frozen
class ToyOptions:
    """Typed options for the toy provider."""

    turbo: bool | None = option(Rule("bool", optional=True), wire=Wire("opts.turbo"))
    level: int | None = option(
        Rule("int", optional=True, minimum=1, maximum=3), wire=Wire("opts.level")
    )


def test_typed_options_are_structured_checked_and_built() -> None:
    spec = attrs.evolve(ToyAdapter().spec, options=ToyOptions)
    checked = check_request(prepared(job(extras={"toy": {"turbo": True, "level": 2}})), spec)
    assert checked.options == ToyOptions(turbo=True, level=2)
    assert checked.fields["opts"] == {"turbo": True, "level": 2}
    typed = check_request(prepared(job(extras={"toy": ToyOptions(level=3)})), spec)
    assert typed.fields["opts"] == {"level": 3}
    with pytest.raises(ValidationError) as info:
        check_request(prepared(job(extras={"toy": {"level": 9, "turbo": "yes", "x": 1}})), spec)
    paths = set(info.value.paths)
    assert {"$.extras.toy.level", "$.extras.toy.turbo", "$.extras.toy.x"} <= paths
    other = check_request(prepared(job(extras={"novita": {"anything": 1}})), spec)
    assert "opts" not in other.fields  # another provider's namespace is ignored


def test_a_provider_without_options_refuses_its_namespace() -> None:
    with pytest.raises(ValidationError, match=r"\$\.extras\.toy: toy takes no provider options"):
        check_request(prepared(job(extras={"toy": {"turbo": True}})), ToyAdapter().spec)


def test_options_may_not_write_where_rows_write() -> None:
    @attrs.frozen
    class Clashing:
        steps: int | None = option(Rule("int", optional=True), wire=Wire("steps"))

    with pytest.raises(
        ValueError, match=r"options write wire paths rows already write: \['steps'\]"
    ):
        attrs.evolve(ToyAdapter().spec, options=Clashing)
