"""A split job without a seed sends parts that differ: each part gets its own seed.

With no seed set, the parts of a split job (``num_images`` above the provider's maximum) were
byte-identical requests.  StableDiffusionAPI's documented spam filter ("you are sending same
request multiple times") refuses the second one with a 429, so the job stalled for the filter's
window (30 s) before the part was sent again.  Parts now get consecutive seeds from one drawn
at random within the provider's seed range, as a job with a seed gets them from its own, and
the result reports the seeds used.
"""

from __future__ import annotations

import json
import random

from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit import InpaintClient, InpaintJob, VirtualClock
from inpaintkit.mockserver import MockConfig, run_mock
from inpaintkit.planning import seeds_for_batches
from inpaintkit.plugins import ProviderRegistry
from inpaintkit.providers.modelslab import ModelsLabUploadHost

KEY = "split-seed-key-81c4"


def _job(**changes: object) -> InpaintJob:
    image = png_bytes(gradient_image(512, 512))
    mask = png_bytes(rect_mask(512, 512, (100, 100, 200, 200)))
    fields: dict[str, object] = {"num_images": 8, **changes}
    return InpaintJob(image=image, mask=mask, prompt="a bench", **fields)  # type: ignore[arg-type]


async def test_a_split_job_without_a_seed_is_not_refused_as_a_repeated_request() -> None:
    clock = VirtualClock()
    config = MockConfig(seed=3, sync_mode="instant")  # the spam filter on, as documented
    async with (
        run_mock(config, clock=clock) as mock,
        InpaintClient(
            api_keys={"stablediffusionapi": KEY, "modelslab": KEY},
            base_url=mock.url,
            clock=clock,
            random_seed=5,
            image_hosts={"stablediffusionapi": ModelsLabUploadHost()},
            rate_limits={"stablediffusionapi": None},
        ) as client,
    ):
        result = await client.inpaint(_job(), "stablediffusionapi")
        submits = [e for e in mock.journal("request") if e["path"] == "/api/v3/inpaint"]
    assert len(result.images) == 8
    assert [e["status"] for e in submits] == [200, 200]  # no 429 from the spam filter
    bodies = [json.dumps(e["body"], sort_keys=True) for e in submits]
    assert bodies[0] != bodies[1]
    seeds = sorted(int(e["body"]["seed"]) for e in submits)
    assert seeds[1] - seeds[0] == 4  # consecutive: the second part starts after the first's 4
    assert clock.time() < 10  # nothing waited out the filter's window


def test_split_seeds_stay_in_the_provider_range_and_follow_the_random_source() -> None:
    registry = ProviderRegistry.default()
    for provider in registry:
        row = registry[provider].spec.capabilities.get("seed")
        if row is None:
            continue
        limits = row.limits
        seeds = seeds_for_batches(None, (4, 4, 2), limits, rng=random.Random(1))
        again = seeds_for_batches(None, (4, 4, 2), limits, rng=random.Random(1))
        assert seeds == again
        assert all(s is not None for s in seeds)
        if limits is not None and limits.maximum is not None:
            assert all(limits.minimum <= s <= limits.maximum for s in seeds)  # type: ignore[operator]


def test_an_unsplit_job_without_a_seed_still_leaves_the_seed_to_the_provider() -> None:
    assert seeds_for_batches(None, (4,), None, rng=random.Random(1)) == [None]
    assert seeds_for_batches(None, (4, 4), None) == [None, None]  # no random source: as before


def test_a_provider_without_seeds_gets_no_seed_drawn_for_its_parts() -> None:
    from inpaintkit.dryrun import prepared_requests
    from inpaintkit.planning import plan_job
    from inpaintkit.prepare import PreparedInputs
    from inpaintkit.provider import PreparedImage

    spec = ProviderRegistry.default()["openai"].spec
    plan = plan_job(_job(model="dall-e-2", num_images=12), spec)
    assert len(plan.batches) > 1
    image = PreparedImage(data=b"x", format="png", width=512, height=512)
    inputs = PreparedInputs(image=image, mask=image)
    requests = prepared_requests(plan, inputs, spec, rng=random.Random(1))
    assert [r.job.seed for r in requests] == [None] * len(requests)


def test_drawn_seeds_do_not_depend_on_other_jobs_retries() -> None:
    """With ``random_seed`` set, the seeds drawn for split jobs come from their own stream: a
    retry's jitter in another job (drawn from the retry stream) does not shift them."""
    from inpaintkit.dryrun import prepared_requests
    from inpaintkit.planning import plan_job
    from inpaintkit.prepare import PreparedInputs
    from inpaintkit.provider import PreparedImage

    spec = ProviderRegistry.default()["novita"].spec
    plan = plan_job(_job(model="sd_xl_base_1.0.safetensors", num_images=12), spec)
    image = PreparedImage(data=b"x", format="png", width=512, height=512)
    inputs = PreparedInputs(image=image, mask=image)

    def drawn(retries: int) -> list[int | None]:
        client = InpaintClient(random_seed=11)
        for _ in range(retries):
            client._rng.random()  # what a retry's jitter draws
        requests = prepared_requests(plan, inputs, spec, rng=client._seed_rng)
        return [r.job.seed for r in requests]

    assert drawn(0) == drawn(3)
    assert None not in drawn(0)
