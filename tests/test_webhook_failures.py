"""A failure reported by webhook is matched to its task, like a success or a progress report.

Before, any ``Failed`` state raised its error for whichever stored job it was applied to: a
failure of *another* job's task failed this job (instead of the documented
:class:`StoredJobError`), and a late failure report for a task that had already finished undid
nothing but still raised, so a duplicate or out-of-order delivery was not harmless.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit import InpaintClient, InpaintJob, TaskFailedError, VirtualClock
from inpaintkit.errors import InpaintError
from inpaintkit.jobstate import FinishRecipe, StoredImage, StoredJob, StoredJobError, StoredTask
from inpaintkit.mockserver import AsyncMock, MockConfig, run_mock
from inpaintkit.provider import Done, Failed, RemoteImage, TaskHandle

KEY = "webhook-failure-key-5d2e8a"
DIGEST = "cd" * 32


def stored(*, first_done: bool = False) -> StoredJob:
    done = Done(images=(RemoteImage(url="http://x/1.png"),), task_id="101", raw={})
    return StoredJob(
        provider="modelslab",
        tasks=(
            StoredTask(seed=1, done=done)
            if first_done
            else StoredTask(seed=1, handle=TaskHandle("modelslab", "101", {})),
            StoredTask(seed=2, handle=TaskHandle("modelslab", "102", {})),
        ),
        submitted_at=1_790_000_000.0,
        finish=FinishRecipe(),
        image=StoredImage(sha256=DIGEST),
        mask=StoredImage(sha256=DIGEST),
        seed=1,
    )


def failed(task_id: str | None) -> Failed:
    error = TaskFailedError("out of memory", provider="modelslab", task_id=task_id)
    return Failed(error=error, raw={"status": "failed", "id": task_id})


def test_a_failure_of_one_of_the_jobs_tasks_raises_with_the_jobs_task_ids() -> None:
    with pytest.raises(TaskFailedError, match="out of memory") as caught:
        stored().apply(failed("102"))
    assert caught.value.task_ids == ("101", "102")


def test_a_failure_of_another_jobs_task_is_a_stored_job_error() -> None:
    with pytest.raises(StoredJobError, match="not a task of this job"):
        stored().apply(failed("999"))


def test_a_late_failure_of_a_task_already_done_changes_nothing() -> None:
    job = stored(first_done=True)
    assert job.apply(failed("101")) is job


def test_a_failure_naming_no_task_still_raises() -> None:
    """A plugin whose failure names no task: the error cannot be matched, so it is raised."""
    with pytest.raises(TaskFailedError):
        stored().apply(failed(None))


# --- through the client, with the providers' own webhook payloads ------------------------------


@pytest.fixture
async def mock_and_clock() -> AsyncIterator[tuple[AsyncMock, VirtualClock]]:
    clock = VirtualClock()
    config = MockConfig(seed=3, sync_mode="processing", novita_images_per_minute=None)
    async with run_mock(config, clock=clock) as mock:
        yield mock, clock


def _job(provider: str, prompt: str) -> InpaintJob:
    models = {"novita": "sd_xl_base_1.0.safetensors", "modelslab": "pony_realism"}
    size = 512 if provider == "modelslab" else None
    return InpaintJob(
        image=png_bytes(gradient_image(64, 64)),
        mask=png_bytes(rect_mask(64, 64, (10, 10, 40, 40))),
        prompt=prompt,
        model=models[provider],
        width=size,
        height=size,
    )


def _failure_payload(provider: str, task_id: str) -> dict[str, Any]:
    if provider == "novita":
        task = {"task_id": task_id, "status": "TASK_STATUS_FAILED", "reason": "out of memory"}
        return {"event_type": "ASYNC_TASK_RESULT", "payload": {"task": task}}
    return {"status": "failed", "id": task_id, "message": "out of memory"}


@pytest.mark.parametrize("provider", ["novita", "modelslab"])
async def test_finish_from_webhook_matches_failures_to_their_job(
    mock_and_clock: tuple[AsyncMock, VirtualClock], provider: str
) -> None:
    mock, clock = mock_and_clock
    async with InpaintClient(
        api_keys={provider: KEY}, base_url=mock.url, clock=clock, retry_jitter=0.0
    ) as client:
        mine = (await client.submit(_job(provider, "mine"), provider)).to_json()
        other = await client.submit(_job(provider, "another job"), provider)
        (other_task,) = (h.task_id for h in other.task_handles)
        with pytest.raises(StoredJobError, match="not a task of this job"):
            await client.finish_from_webhook(mine, _failure_payload(provider, other_task))

        (my_task,) = StoredJob.from_json(mine).task_ids
        with pytest.raises(InpaintError, match="out of memory") as caught:
            await client.finish_from_webhook(mine, _failure_payload(provider, my_task))
        assert caught.value.task_ids == (my_task,)
