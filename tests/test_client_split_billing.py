"""A split job that fails tells the caller about every task its requests may have created.

Found by the chaos test (tests/test_chaos.py): when one request of a split job failed, a
sibling submit already on its way was cancelled mid-flight; the provider still created (and
billed) its task, but the client never read the answer, so the error named no such task.  Also,
a submit answered "failed" with a task id left that id out of ``task_ids``.

Over :class:`~inpaintkit.transport.MemoryTransport` and a :class:`VirtualClock`: the slow
sibling's answer takes five virtual seconds, which pass only once the failing sibling has been
handled, so the order is fixed without any real sleep.
"""

from __future__ import annotations

import json

import pytest
from inpaintkit import InpaintClient, VirtualClock
from inpaintkit.errors import AuthenticationError, SubmitOutcomeUnknownError, TaskFailedError
from inpaintkit.provider import HttpResponse
from inpaintkit.providers.modelslab import ModelsLabUploadHost
from inpaintkit.transport import MemoryTransport, OutgoingRequest, TransportError
from test_client import KEY, make_job, registry
from test_client_outcomes import UPLOAD, UPLOADED, ScriptedTransport, sdapi_job


def answer(status: int, body: object) -> HttpResponse:
    return HttpResponse(status, json.dumps(body).encode(), {})


class SplitSubmits:
    """The toy provider's submits: the first one is slow (created at once, answered after
    five virtual seconds, or its answer is lost), the second is refused with a 401."""

    def __init__(self, clock: VirtualClock, *, lose_answer: bool) -> None:
        self.clock = clock
        self.lose_answer = lose_answer
        self.created: list[str] = []
        self.submits = 0

    async def __call__(self, request: OutgoingRequest) -> HttpResponse:
        self.submits += 1
        if self.submits == 2:
            return answer(401, {"error": "bad key"})
        self.created.append("slow")  # the provider took it: the task exists from now on
        await self.clock.sleep(5.0)
        if self.lose_answer:
            raise TransportError("connection reset after sending", reached=True)
        return answer(200, {"state": "pending", "id": "slow"})


def toy_client(transport: MemoryTransport, clock: VirtualClock) -> InpaintClient:
    return InpaintClient(
        api_keys={"toy": KEY},
        base_url="http://toy.invalid",
        registry=registry(),
        clock=clock,
        transport=transport,
        concurrency=2,
    )


async def test_a_sibling_submit_under_way_when_the_job_fails_is_awaited_and_its_task_listed() -> (
    None
):
    clock = VirtualClock()
    server = SplitSubmits(clock, lose_answer=False)
    async with toy_client(MemoryTransport(server), clock) as c:
        with pytest.raises(AuthenticationError) as info:
            await c.inpaint(make_job(num_images=4), "toy")  # two requests of two images
    assert server.created == ["slow"]
    assert info.value.task_ids == ("slow",)


async def test_a_sibling_submit_whose_answer_is_lost_makes_the_outcome_unknown() -> None:
    clock = VirtualClock()
    server = SplitSubmits(clock, lose_answer=True)
    async with toy_client(MemoryTransport(server), clock) as c:
        with pytest.raises(SubmitOutcomeUnknownError) as info:
            await c.inpaint(make_job(num_images=4), "toy")
    assert server.created == ["slow"]
    assert "may have reached the provider" in str(info.value)
    assert "bad key" in str(info.value)  # why the job stopped
    assert isinstance(info.value.__cause__, AuthenticationError)


async def test_a_submit_answered_failed_with_a_task_id_lists_it_in_task_ids() -> None:
    failed = (200, {"status": "failed", "id": 30420827, "message": "chaos", "output": ""})
    transport = ScriptedTransport(
        {UPLOAD: [UPLOADED, UPLOADED], "/api/v3/inpaint": [failed]},
        default=(401, {"status": "error", "message": "Invalid API key"}),
    )
    async with InpaintClient(
        api_keys={"stablediffusionapi": "k"},
        base_url="http://mock.invalid",
        clock=VirtualClock(),
        transport=transport,
        image_hosts={"stablediffusionapi": ModelsLabUploadHost(key="ml-key")},
    ) as c:
        with pytest.raises(TaskFailedError) as info:
            await c.inpaint(sdapi_job(), "stablediffusionapi")
    assert info.value.task_id == "30420827"
    assert info.value.task_ids == ("30420827",)
