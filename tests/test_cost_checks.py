"""Each check runs once per job: the request check trusts what planning already proved.

``plan_job`` checks a job against the provider's table; the request check used to run the same
table over the same job again before building it.  A plan now vouches for its own wire job
(:meth:`Plan.vouches_for`), and these tests pin both halves of that bargain: the second run
could never find anything the first did not (a property over random jobs, every installed
provider and every unsupported-field policy), and nothing but a plan from ``plan_job`` for
that very table, holding that very job, unsplit, is trusted.
"""

from __future__ import annotations

import warnings
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inpaintkit import InpaintJob, MaskOptions, OutputFormat, Sampler
from inpaintkit import checking as checking_module
from inpaintkit.checking import check_request
from inpaintkit.errors import InpaintError, ValidationError
from inpaintkit.job import SafetyCheck
from inpaintkit.planning import Emulation, Plan, UnsupportedPolicy, plan_job, prepared_errors
from inpaintkit.plugins import ProviderRegistry
from inpaintkit.provider import CapabilityTable, PreparedImage, PreparedRequest, ProviderSpec
from test_job import _jobs

REGISTRY = ProviderRegistry.default()
SPECS = {provider: REGISTRY[provider].spec for provider in REGISTRY}
IMAGE = PreparedImage(data=b"png", format="png", width=512, height=512)

_extras = st.sampled_from(
    [
        {},
        {"modelslab": {"base64": True}},
        {"modelslab": {"temp": "yes"}},
        {"modelslab": {"no_such_option": 1}},
        {"novita": {"enable_nsfw_detection": True}},
        {"stablediffusionapi": {"nope": True}},
    ]
)


def _job_from(fields: dict[str, Any]) -> InpaintJob:
    size = fields.pop("size", None)
    if size is not None:
        fields["width"], fields["height"] = size
    return InpaintJob(image=b"x", mask=b"y", prompt="p", **fields)


_few_fields = st.fixed_dictionaries(
    {},
    optional={
        "steps": st.integers(1, 80),
        "guidance_scale": st.floats(0, 30),
        "strength": st.floats(0, 1),
        "seed": st.integers(0, 2**32 - 1),
        "sampler": st.sampled_from(Sampler),
        "clip_skip": st.integers(1, 12),
        "num_images": st.integers(1, 12),
        "negative_prompt": st.text(max_size=5),
        "enhance_prompt": st.booleans(),
        "output_format": st.sampled_from(OutputFormat),
        "size": st.sampled_from([(512, 512), (1024, 768), (64, 64), (2048, 2048)]),
        "mask_options": st.builds(
            MaskOptions,
            blur=st.none() | st.integers(0, 64),
            invert=st.booleans(),
            masked_only=st.booleans(),
            padding=st.none() | st.integers(0, 300),
        ),
        "safety": st.builds(SafetyCheck, enabled=st.booleans()),
    },
).map(_job_from)
"""Jobs setting a few fields each: most pass planning somewhere, so the property is tested
on many accepted jobs (``_jobs`` from test_job covers the odd values)."""


def _request(job: InpaintJob) -> PreparedRequest:
    return PreparedRequest(job=job, image=IMAGE, mask=IMAGE)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    job=_few_fields | _jobs,
    extras=_extras,
    provider=st.sampled_from(sorted(SPECS)),
    policy=st.sampled_from(UnsupportedPolicy),
    model=st.sampled_from([None, "sd_xl_base_1.0.safetensors", "pony_realism"]),
)
def test_a_job_that_planning_accepts_passes_the_request_check_too(
    job: InpaintJob, extras: dict[str, Any], provider: str, policy: UnsupportedPolicy, model: Any
) -> None:
    """The proof the shortcut rests on: whatever ``plan_job`` accepts (and does not split),
    the request check's own run of the table over the plan's job finds nothing."""
    job = attrs.evolve(job, extras=extras, model=model)
    spec = SPECS[provider]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the warn policy's notes on dropped fields
            plan = plan_job(job, spec, unsupported=policy)
    except InpaintError:
        return
    if len(plan.batches) != 1:
        return
    assert prepared_errors(_request(plan.job), spec) == ([], [])


def _planned(spec: ProviderSpec, **changes: Any) -> tuple[InpaintJob, Plan]:
    job = InpaintJob(image=b"x", mask=b"y", prompt="p", model="m", **changes)
    return job, plan_job(job, spec)


def test_the_request_check_does_not_run_the_table_again_for_a_planned_job(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = SPECS["novita"]
    _, plan = _planned(spec, steps=20)
    runs: list[object] = []

    def counting(request: PreparedRequest, spec: ProviderSpec) -> Any:
        runs.append(request)
        return prepared_errors(request, spec)

    monkeypatch.setattr(checking_module, "prepared_errors", counting)
    checked = check_request(_request(plan.job), spec, plan=plan)
    assert runs == []
    assert checked.fields == check_request(_request(plan.job), spec).fields
    assert len(runs) == 1  # without the plan, the table runs


def test_a_plan_made_by_hand_vouches_for_nothing() -> None:
    spec = SPECS["novita"]
    bad = InpaintJob(image=b"x", mask=b"y", prompt="p", model="m", steps=500)
    forged = Plan(provider="novita", job=bad, emulation=Emulation(), batches=(1,), outcomes=())
    assert not forged.vouches_for(bad, spec)
    with pytest.raises(ValidationError, match="steps"):
        check_request(_request(bad), spec, plan=forged)


def test_an_evolved_plan_vouches_for_nothing() -> None:
    spec = SPECS["novita"]
    _, plan = _planned(spec)
    bad_job = attrs.evolve(plan.job, steps=500)
    changed = attrs.evolve(plan, job=bad_job)
    assert not changed.vouches_for(bad_job, spec)
    with pytest.raises(ValidationError, match="steps"):
        check_request(_request(bad_job), spec, plan=changed)


def test_a_plan_vouches_only_for_its_own_job_and_table() -> None:
    novita, modelslab = SPECS["novita"], SPECS["modelslab"]
    _, plan = _planned(novita, steps=20)
    assert plan.vouches_for(plan.job, novita)
    assert not plan.vouches_for(attrs.evolve(plan.job, steps=20), novita)  # equal, not the same
    assert not plan.vouches_for(plan.job, modelslab)
    other_table = attrs.evolve(novita, capabilities=CapabilityTable(tuple(novita.capabilities)))
    assert not plan.vouches_for(plan.job, other_table)


def test_a_split_plan_is_checked_request_by_request() -> None:
    spec = SPECS["novita"]
    row = spec.capabilities.get("num_images")
    assert row is not None
    assert row.maximum is not None
    _, plan = _planned(spec, num_images=int(row.maximum) + 1)
    assert len(plan.batches) == 2
    assert not plan.vouches_for(plan.job, spec)


# --- images forwarded as they are: described from the PNG structure, without Pillow ---------


def _png_variants() -> list[bytes]:
    import io

    from imagegen import bomb_png, gradient_image, png_bytes, truncated_png
    from PIL import Image

    out = [png_bytes(gradient_image(30, 20).convert(m)) for m in ("RGB", "RGBA", "L", "LA", "P")]
    out.append(png_bytes(gradient_image(30, 20).convert("I;16")))
    buffer = io.BytesIO()
    gradient_image(30, 20).save(buffer, format="PNG", interlace=1)
    out.append(buffer.getvalue())
    buffer = io.BytesIO()
    gradient_image(30, 20).convert("L").save(buffer, format="PNG", transparency=7)
    out.append(buffer.getvalue())
    broken = bytearray(png_bytes(gradient_image(30, 20)))
    broken[-20] ^= 0xFF  # inside the image data: a chunk CRC no longer matches
    out.append(bytes(broken))
    out.append(truncated_png(40, 40))
    out.append(bomb_png(5000, 5000))  # 25 MP in a tiny file
    out.append(png_bytes(Image.new("RGB", (64, 64))))
    return out


_PNG_KINDS = [
    "rgb",
    "rgba",
    "l",
    "la",
    "p",
    "i16",
    "interlaced",
    "trns",
    "bad-crc",
    "truncated",
    "bomb",
    "black",
]


@pytest.mark.parametrize("index", range(len(_PNG_KINDS)), ids=_PNG_KINDS)
def test_a_forwarded_png_is_described_as_pillow_would(
    index: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The structure-only check of an image sent as it is gives what the Pillow path gives:
    the same size, mode and format, or the same error."""
    from inpaintkit import images
    from inpaintkit.limits import ImageLimits

    data = _png_variants()[index]
    limits = ImageLimits(max_pixels=16_000_000)
    fast = images._probe(data, "$.image", limits, load=False)
    monkeypatch.setattr(images, "_described_png", lambda raw, path, limits: None)
    slow = images._probe(data, "$.image", limits, load=False)

    def seen(probe: Any) -> Any:
        loaded, size, error = probe
        if loaded is None:
            shown = None
        else:
            shown = (loaded.format, loaded.width, loaded.height, loaded.mode)
        return shown, size, None if error is None else (error.path, error.rule)

    assert seen(fast) == seen(slow)


def test_a_plain_png_sent_as_it_is_is_never_opened_by_pillow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from imagegen import gradient_image, png_bytes, rect_mask
    from inpaintkit import images
    from PIL import Image

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("Image.open was called")

    monkeypatch.setattr(Image, "open", refuse)
    image = png_bytes(gradient_image(64, 48))
    mask = png_bytes(rect_mask(64, 48, (8, 8, 30, 30)).convert("L"))
    loaded, _ = images.load_pair(image, mask, decode_image=False, decode_mask=False)
    assert (loaded.width, loaded.height, loaded.format, loaded.mode) == (64, 48, "png", "RGB")


async def test_a_jobs_provider_options_are_structured_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Planning structures the job's ``extras`` for its provider; the request check, the
    image-host decision and the build reuse that (they ran it three more times)."""
    from imagegen import gradient_image, png_bytes, rect_mask
    from inpaintkit import InpaintClient, VirtualClock, convert
    from inpaintkit.mockserver import MockConfig, run_mock

    structured: list[object] = []
    original = convert.structure_options

    def counting(data: Any, cls: Any) -> Any:
        structured.append(cls)
        return original(data, cls)

    monkeypatch.setattr(convert, "structure_options", counting)
    job = InpaintJob(
        image=png_bytes(gradient_image(64, 64)),
        mask=png_bytes(rect_mask(64, 64, (8, 8, 40, 40))),
        prompt="p",
        model="pony_realism",
        extras={"modelslab": {"base64": True, "temp": False}},
    )
    clock = VirtualClock()
    async with (
        run_mock(MockConfig(seed=3, sync_mode="instant"), clock=clock) as mock,
        InpaintClient(api_keys={"modelslab": "k"}, base_url=mock.url, clock=clock) as client,
    ):
        result = await client.inpaint(job, "modelslab")
    assert result.images
    assert len(structured) == 1


async def test_the_image_host_hook_is_asked_once_per_provider() -> None:
    from imagegen import gradient_image, png_bytes, rect_mask
    from inpaintkit import InpaintClient, VirtualClock
    from inpaintkit.mockserver import MockConfig, run_mock

    registry = ProviderRegistry.default()
    asked: list[str] = []
    original = registry.image_host

    def counting(provider_id: str) -> Any:
        asked.append(provider_id)
        return original(provider_id)

    registry.image_host = counting  # type: ignore[method-assign]
    job = InpaintJob(
        image=png_bytes(gradient_image(64, 64)),
        mask=png_bytes(rect_mask(64, 64, (8, 8, 40, 40))),
        prompt="p",
        model="pony_realism",
    )
    clock = VirtualClock()
    async with (
        run_mock(MockConfig(seed=3, sync_mode="instant"), clock=clock) as mock,
        InpaintClient(
            api_keys={"modelslab": "k"}, base_url=mock.url, clock=clock, registry=registry
        ) as client,
    ):
        for _ in range(3):
            result = await client.inpaint(job, "modelslab")  # uploads through the hook's host
            assert result.images
        assert asked == ["modelslab"]
        assert [e["path"] for e in mock.journal() if "base64_to_url" in e["path"]][:1]


# --- the built request's check: one walk over the core's fields ------------------------------


def _real(picture: Any) -> PreparedImage:
    from imagegen import png_bytes

    return PreparedImage(data=png_bytes(picture), format="png", width=64, height=64)


def _real_pair() -> tuple[PreparedImage, PreparedImage]:
    from imagegen import gradient_image, rect_mask

    return _real(gradient_image(64, 64)), _real(rect_mask(64, 64, (16, 16, 32, 32)))


_REAL_IMAGE, _REAL_MASK = _real_pair()


def _leaf_paths(node: Any, trail: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if isinstance(node, dict) and node:
        return [p for k, v in node.items() for p in _leaf_paths(v, (*trail, k))]
    return [trail] if trail else []


def _mutated(body: dict[str, Any], path: tuple[str, ...], how: str) -> dict[str, Any]:
    import copy

    out = copy.deepcopy(body)
    node = out
    for key in path[:-1]:
        node = node[key]
    if how == "drop":
        del node[path[-1]]
    elif how == "change":
        node[path[-1]] = ["changed", node[path[-1]]]
    else:  # an equal value that is not the same object: still kept
        node[path[-1]] = copy.deepcopy(node[path[-1]])
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    job=_few_fields | _jobs,
    extras=_extras,
    provider=st.sampled_from(sorted(SPECS)),
    model=st.sampled_from([None, "sd_xl_base_1.0.safetensors", "pony_realism"]),
    pick=st.integers(0, 10_000),
    how=st.sampled_from(["none", "drop", "change", "equal copy"]),
)
def test_the_quick_walk_of_check_built_never_passes_what_the_full_check_refuses(
    job: InpaintJob, extras: dict[str, Any], provider: str, model: Any, pick: int, how: str
) -> None:
    """``check_built`` first walks the fields the core built (a few) instead of every path of
    the table (most of them unset).  Over random jobs and random damage to the adapter's body,
    whatever that walk passes, the full path-by-path check passes too; and an undamaged body
    is always passed by the walk (so the full check runs only to describe a problem)."""
    job = attrs.evolve(job, extras=extras, model=model)
    spec = SPECS[provider]
    adapter = REGISTRY[provider]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plan = plan_job(job, spec, unsupported=UnsupportedPolicy.DROP)
        request = PreparedRequest(job=plan.job, image=_REAL_IMAGE, mask=_REAL_MASK)
        checked = check_request(request, spec, plan=plan)
        built = adapter.build_submit(checked)
    except InpaintError:
        return
    if built.json is None:
        return
    checks = checking_module._built_checks(spec.capabilities)
    if how == "none":
        assert checking_module._kept_everything(checked, built, checks)
        return
    leaves = _leaf_paths(built.json)
    if not leaves:
        return
    damaged = attrs.evolve(built, json=_mutated(built.json, leaves[pick % len(leaves)], how))
    quick = checking_module._kept_everything(checked, damaged, checks)
    full = checking_module._built_problems(damaged, checked, checks)
    if quick:
        assert full == []
    if how == "equal copy":
        assert quick
