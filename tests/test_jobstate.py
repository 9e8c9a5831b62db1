"""Storable jobs: the JSON form of a submitted job, resuming it, finishing it from a webhook.

The kill-and-resume test across processes is tests/test_resume_kill.py; these run in one
process, against the mock in this event loop on a shared VirtualClock (nothing sleeps).
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import attrs
import pytest
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit import (
    ImageInput,
    InpaintClient,
    InpaintError,
    InpaintJob,
    MaskOptions,
    OutputFormat,
    VirtualClock,
)
from inpaintkit.client import JobHandle
from inpaintkit.errors import PluginContractError
from inpaintkit.jobstate import (
    FinishRecipe,
    StoredImage,
    StoredJob,
    StoredJobError,
    StoredTask,
)
from inpaintkit.mockserver import AsyncMock, MockConfig, run_mock
from inpaintkit.planning import Disposition, FieldOutcome
from inpaintkit.provider import Done, Failed, Pending, RemoteImage, TaskHandle
from inpaintkit.providers.modelslab import ModelsLabUploadHost

KEY = "jobstate-key-7c1e93f0b2"
KEYS = {"novita": KEY, "modelslab": KEY, "stablediffusionapi": KEY}
IMAGE = png_bytes(gradient_image(64, 64))
MASK = png_bytes(rect_mask(64, 64, (20, 12, 44, 30)))
MODELS = {"novita": "sd_xl_base_1.0.safetensors", "modelslab": "pony_realism"}
SIZES = {"novita": None, "modelslab": 512, "stablediffusionapi": 512}
DIGEST = "ab" * 32


def sample() -> StoredJob:
    return StoredJob(
        provider="modelslab",
        tasks=(
            StoredTask(
                seed=7,
                handle=TaskHandle(
                    "modelslab", "123", {"future_links": ["http://x/1.png"], "track_id": "t"}
                ),
            ),
            StoredTask(
                seed=8,
                done=Done(
                    images=(
                        RemoteImage(data=b"\x89PNG inline", format="png"),
                        RemoteImage(url="http://x/2.png", ttl=3600.0, nsfw=False),
                    ),
                    task_id="124",
                    seed=8,
                    generation_time=1.5,
                    raw={"status": "success", "id": 124},
                ),
            ),
        ),
        submitted_at=1_790_000_000.5,
        finish=FinishRecipe(
            output_format="jpeg",
            invert_mask=True,
            resize_to=(512, 512),
            crop_box=(10, 20, 110, 220),
            original_size=(512, 512),
            padding=8,
        ),
        image=StoredImage(sha256=DIGEST, path="/data/photo.png"),
        mask=StoredImage(sha256=DIGEST, data=b"mask bytes"),
        seed=7,
        outcomes=(FieldOutcome("mask_options.masked_only", Disposition.EMULATED, "crop"),),
    )


# --- the format ------------------------------------------------------------------------------


def test_a_stored_job_round_trips_through_json_text() -> None:
    stored = sample()
    text = stored.to_json_text()
    loaded = StoredJob.from_json(text)
    assert loaded == stored
    assert loaded.to_json() == stored.to_json()
    assert StoredJob.from_json(text.encode()) == stored
    data = json.loads(text)
    assert (data["format"], data["version"]) == ("inpaintkit.job", 1)
    assert data["tasks"][1]["done"]["images"][0]["data"] == "iVBORyBpbmxpbmU="


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    target: Any = data
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is _DELETE:
        del target[int(last) if last.isdigit() else last]
    else:
        target[int(last) if last.isdigit() else last] = value


_DELETE = object()


@pytest.mark.parametrize(
    ("change", "value", "path"),
    [
        ("version", 2, "$.version"),
        ("format", "something.else", "$.format"),
        ("extra", 1, "$.extra"),
        ("seed", "7", "$.seed"),
        ("submitted_at", float("nan"), "$.submitted_at"),
        ("tasks", [], "$.tasks"),
        ("tasks.0.pending.task_id", 123, "$.tasks[0].pending.task_id"),
        ("tasks.0.pending.data", [], "$.tasks[0].pending.data"),
        ("tasks.0.done", {}, "$.tasks[0]"),
        ("tasks.1.done.images.0.data", "not base64!", "$.tasks[1].done.images[0].data"),
        ("tasks.1.done.images.0.nsfw", "no", "$.tasks[1].done.images[0].nsfw"),
        ("finish.output_format", "gif", "$.finish.output_format"),
        ("finish.crop.box", [0, 0, 600, 10], "$.finish.crop.box"),
        ("finish.crop.padding", -1, "$.finish.crop.padding"),
        ("finish.invert_mask", 1, "$.finish.invert_mask"),
        ("inputs.image.sha256", "ABC", "$.inputs.image.sha256"),
        ("inputs.image.url", "file:///etc/passwd", "$.inputs.image"),
        ("inputs.mask", _DELETE, "$.inputs.mask"),
        ("outcomes.0.disposition", "maybe", "$.outcomes[0].disposition"),
    ],
)
def test_loading_is_strict_and_names_the_path(change: str, value: Any, path: str) -> None:
    data = copy.deepcopy(sample().to_json())
    _set(data, change, value)
    with pytest.raises(StoredJobError) as caught:
        StoredJob.from_json(data)
    assert caught.value.paths == (path,)
    assert "invalid stored job" in str(caught.value)


def test_text_that_is_not_json_is_refused_at_the_root() -> None:
    with pytest.raises(StoredJobError) as caught:
        StoredJob.from_json("{not json")
    assert caught.value.paths == ("$",)


def test_a_handle_whose_data_is_not_json_is_a_plugin_bug() -> None:
    stored = attrs.evolve(
        sample(), tasks=(StoredTask(seed=None, handle=TaskHandle("x", "1", {"when": object()})),)
    )
    with pytest.raises(PluginContractError, match=r"\$\.tasks\[0\]\.pending\.data"):
        stored.to_json()


def test_apply_keeps_the_first_answer_and_ignores_late_progress() -> None:
    stored = sample()
    done = Done(images=(RemoteImage(url="http://x/first.png"),), task_id="123")
    after = stored.apply(done)
    assert after.finished
    assert after.tasks[0].done == done
    assert after.apply(Pending(TaskHandle("modelslab", "123"))) == after  # late progress
    again = Done(images=(RemoteImage(url="http://x/second.png"),), task_id="123")
    assert after.apply(again) == after  # a duplicate (even a different one) changes nothing
    assert stored.apply(Pending(TaskHandle("modelslab", "123"))) == stored
    with pytest.raises(StoredJobError, match="not a task of this job"):
        stored.apply(Done(images=done.images, task_id="999"))
    failure = InpaintError("boom", provider="modelslab")
    with pytest.raises(InpaintError, match="boom") as caught:
        stored.apply(Failed(failure))
    assert caught.value.task_ids == ("123", "124")


# --- against the mock ------------------------------------------------------------------------


@pytest.fixture
async def mock_and_clock() -> AsyncIterator[tuple[AsyncMock, VirtualClock]]:
    clock = VirtualClock()
    config = MockConfig(seed=5, sync_mode="processing", novita_images_per_minute=None)
    async with run_mock(config, clock=clock) as mock:
        yield mock, clock


def client_for(mock: AsyncMock, clock: VirtualClock) -> InpaintClient:
    return InpaintClient(
        api_keys=KEYS,
        base_url=mock.url,
        clock=clock,
        retry_jitter=0.0,
        image_hosts={"stablediffusionapi": ModelsLabUploadHost()},  # SDAPI takes links only
    )


def make_job(provider: str, **changes: Any) -> InpaintJob:
    size = SIZES[provider]
    fields: dict[str, Any] = {
        "image": IMAGE,
        "mask": MASK,
        "prompt": f"a stored {provider} job",
        "model": MODELS.get(provider),
        "seed": 11,
        "width": size,
        "height": size,
    }
    return InpaintJob(**(fields | changes))


def pasted_job(**changes: Any) -> InpaintJob:
    """A ModelsLab job whose finishing needs the originals: masked-only crop, JPEG."""
    return make_job(
        "modelslab",
        mask_options=MaskOptions(masked_only=True, padding=8),
        output_format=OutputFormat.JPEG,
        **changes,
    )


@pytest.mark.parametrize("provider", ["novita", "modelslab", "stablediffusionapi"])
async def test_builtin_task_handles_round_trip_and_the_key_is_never_stored(
    mock_and_clock: tuple[AsyncMock, VirtualClock], provider: str
) -> None:
    mock, clock = mock_and_clock
    async with client_for(mock, clock) as client:
        handle = await client.submit(make_job(provider), provider)
        text = handle.to_json_text(include_inputs=True)
        stored = StoredJob.from_json(text)
        assert KEY not in text
        assert tuple(t.handle for t in stored.tasks) == handle.task_handles
        if provider != "novita":  # the platform's processing answer names its future links
            assert stored.tasks[0].handle is not None
            assert stored.tasks[0].handle.data["future_links"]
        assert stored.seed == 11
        assert [t.seed for t in stored.tasks] == [11]
        assert stored.image.data == IMAGE
        assert stored.mask.data == MASK
        assert stored.image.sha256 == handle.inputs.image_sha256
        # A resumed job finishes to the bytes the live handle gives.
        resumed = await client.resume(text)
        live = await client.wait(handle)
    assert [i.data for i in resumed.images] == [i.data for i in live.images]
    assert resumed.task_ids == live.task_ids
    assert resumed.seed == live.seed


async def test_resume_pastes_back_with_the_originals_and_refuses_the_wrong_ones(
    mock_and_clock: tuple[AsyncMock, VirtualClock],
) -> None:
    mock, clock = mock_and_clock
    job = pasted_job()
    async with client_for(mock, clock) as client:
        expected = (await client.inpaint(job, "modelslab")).images[0]
        handle = await client.submit(job, "modelslab")
        bare = handle.to_json()
        assert bare["finish"]["crop"] is not None
        assert bare["finish"]["output_format"] == "jpeg"
        assert "data" not in bare["inputs"]["image"]  # inline bytes only when asked
        sent = len(mock.journal("request"))

        with pytest.raises(StoredJobError, match="include_inputs=True") as missing:
            await client.resume(bare)
        assert missing.value.paths == ("$.inputs.image",)
        other = pasted_job(image=png_bytes(gradient_image(64, 64, mode="L")))
        with pytest.raises(StoredJobError, match="not the image this job was submitted") as wrong:
            await client.resume(bare, job=other)
        assert wrong.value.paths == ("$.image",)
        assert len(mock.journal("request")) == sent  # refused before any request

        with_job = await client.resume(bare, job=job)
        with_inputs = await client.resume(handle.to_json(include_inputs=True))
        live = await client.resume(handle)  # a live handle is simply waited for
    assert with_job.images[0].format == "jpeg"
    assert with_job.images[0].data == expected.data
    assert with_inputs.images[0].data == expected.data
    assert live.images[0].data == expected.data
    submits = mock.journal("request", path="/api/v6/images/inpaint")
    assert len(submits) == 2  # the uninterrupted run and the stored one: resuming sent none


async def _fetch_answer(mock: AsyncMock, provider: str, task_id: str) -> Any:
    """The provider's answer about a task, as its webhook would carry it (a ModelsLab
    progress call names its task, unlike a fetch answer: reference 3.5)."""
    async with aiohttp.ClientSession() as session:
        if provider == "novita":
            url = f"{mock.url}/v3/async/task-result?task_id={task_id}"
            async with session.get(url, headers={"Authorization": f"Bearer {KEY}"}) as r:
                return {"event_type": "ASYNC_TASK_RESULT", "payload": await r.json()}
        url = f"{mock.url}/api/v6/images/fetch/{task_id}"
        async with session.post(url, json={"key": KEY}) as r:
            body = await r.json()
    if body["status"] == "processing":
        return {"status": "processing", "id": task_id, "track_id": "t-1"}
    return body


@pytest.mark.parametrize("provider", ["novita", "modelslab"])
async def test_finishing_from_webhooks_is_idempotent(
    mock_and_clock: tuple[AsyncMock, VirtualClock], provider: str
) -> None:
    mock, clock = mock_and_clock
    job = pasted_job() if provider == "modelslab" else make_job(provider)
    async with client_for(mock, clock) as client:
        expected = (await client.inpaint(job, provider)).images[0].data
        handle = await client.submit(job, provider)
        stored = handle.to_json(include_inputs=True)
        (task_id,) = (h.task_id for h in handle.task_handles)

        early = await _fetch_answer(mock, provider, task_id)
        progress = await client.finish_from_webhook(stored, early)
        assert (progress.result, progress.changed) == (None, False)
        assert not progress.stored.finished

        await clock.sleep(60)  # mock time passes: the task is done
        final = await _fetch_answer(mock, provider, task_id)
        first = await client.finish_from_webhook(stored, json.dumps(final))
        assert first.changed
        assert first.stored.finished
        assert first.result is not None
        assert first.result.images[0].data == expected

        duplicate = await client.finish_from_webhook(first.stored, final)
        assert not duplicate.changed
        assert duplicate.result is not None
        assert duplicate.result.images[0].data == expected
        late = await client.finish_from_webhook(first.stored, early)
        assert late.stored == first.stored
        assert not late.changed

        other = await _fetch_answer(mock, provider, await _other_task(client, provider))
        with pytest.raises(StoredJobError, match="not a task of this job"):
            await client.finish_from_webhook(stored, other)


async def _other_task(client: InpaintClient, provider: str) -> str:
    handle: JobHandle = await client.submit(make_job(provider, prompt="another job"), provider)
    return handle.task_handles[0].task_id


async def test_a_failed_task_reported_by_webhook_raises_with_its_task_id(
    mock_and_clock: tuple[AsyncMock, VirtualClock],
) -> None:
    mock, clock = mock_and_clock
    async with client_for(mock, clock) as client:
        handle = await client.submit(make_job("modelslab"), "modelslab")
        (task_id,) = (h.task_id for h in handle.task_handles)
        payload = {"status": "failed", "id": task_id, "message": "out of memory"}
        with pytest.raises(InpaintError, match="out of memory") as caught:
            await client.finish_from_webhook(handle.to_json(), payload)
    assert caught.value.task_ids == (task_id,)


async def test_a_jobs_own_bytes_are_digested_only_when_the_job_is_stored(
    mock_and_clock: tuple[AsyncMock, VirtualClock],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    """Hashing a large photo costs milliseconds, and only a stored job needs the digest: the
    bytes a job holds itself are digested on first use; bytes read from a file are digested
    at once (keeping them for later would hold the file in memory)."""
    import hashlib

    from inpaintkit import prepare

    digested: list[int] = []

    def counting(data: bytes) -> str:
        digested.append(len(data))
        return hashlib.sha256(data).hexdigest()

    monkeypatch.setattr(prepare, "sha256_hex", counting)
    mock, clock = mock_and_clock
    async with client_for(mock, clock) as client:
        handle = await client.submit(make_job("novita"), "novita")
        assert digested == []
        stored = StoredJob.from_json(handle.to_json_text())
        assert stored.image.sha256 == hashlib.sha256(IMAGE).hexdigest()
        assert stored.mask.sha256 == hashlib.sha256(MASK).hexdigest()
        assert sorted(digested) == sorted([len(IMAGE), len(MASK)])
        handle.to_json_text()
        assert len(digested) == 2  # worked out once

        digested.clear()
        on_disk = tmp_path / "photo.png"
        on_disk.write_bytes(IMAGE)
        await client.submit(make_job("novita", image=ImageInput(path=on_disk)), "novita")
        assert digested == [len(IMAGE)]  # read from a file: digested as read
