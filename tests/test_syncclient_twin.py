"""The blocking twin offers every call of the async client a script needs, stored jobs included:
``resume`` (finish a job another process submitted), ``finish_from_webhook`` and ``models``.
Before, a script had to drop into asyncio to finish the job it had stored."""

from __future__ import annotations

import inspect
from typing import Any

from imagegen import gradient_image, png_bytes, rect_mask
from inpaintkit import InpaintClient, InpaintJob, SyncInpaintClient
from inpaintkit.mockserver import MockServer
from test_client import make_job, result_png
from test_syncclient import options
from toytransport import ScriptedToy

ASYNC_CALLS = [
    name
    for name, member in inspect.getmembers(InpaintClient)
    if not name.startswith("_") and inspect.iscoroutinefunction(member)
]


def test_every_async_call_has_a_blocking_twin() -> None:
    assert {"inpaint", "resume", "finish_from_webhook", "models"} <= set(ASYNC_CALLS)
    missing = [name for name in ASYNC_CALLS if not hasattr(SyncInpaintClient, name)]
    assert missing == [], f"SyncInpaintClient lacks {missing}"


def test_a_job_stored_by_one_client_is_resumed_by_another() -> None:
    toy = ScriptedToy()  # the submit answers a pending task t1
    with SyncInpaintClient(**options(transport=toy.transport)) as first:
        stored = first.submit(make_job(), "toy").to_json_text()
    toy.polls.append({"state": "done", "id": "t1", "images": [{"b64": result_png()}]})
    with SyncInpaintClient(**options(transport=toy.transport)) as second:
        result = second.resume(stored)
    assert result.task_ids == ("t1",)
    assert len(result.images) == 1
    submits = [r for r in toy.requests if r.url.endswith("/toy/submit")]
    assert len(submits) == 1  # resuming sent no submit


def _novita_job() -> InpaintJob:
    return InpaintJob(
        image=png_bytes(gradient_image(64, 64)),
        mask=png_bytes(rect_mask(64, 64, (8, 8, 40, 40))),
        prompt="a blocking webhook",
        model="sd_xl_base_1.0.safetensors",
    )


def test_webhooks_and_model_lists_without_asyncio(inpaintkit_mock: MockServer) -> None:
    keys: dict[str, Any] = {"novita": "sync-twin-key"}
    with SyncInpaintClient(api_keys=keys, base_url=inpaintkit_mock.url) as client:
        handle = client.submit(_novita_job(), "novita")
        (task,) = handle.task_handles
        progress = {
            "event_type": "ASYNC_TASK_RESULT",
            "payload": {"task": {"task_id": task.task_id, "status": "TASK_STATUS_PROCESSING"}},
        }
        update = client.finish_from_webhook(handle.to_json(), progress)
        models = client.models("novita")
    assert update.result is None
    assert not update.changed
    assert update.stored.task_ids == (task.task_id,)
    assert models
    assert all(m.inpainting is not False for m in models)
