"""``status`` and ``wait_task`` end typed whatever they are given.

Both read ``handle.task_id`` before their typed run began, so a value that is not a
:class:`TaskHandle` (the stored JSON's ``pending`` dict, a task id string) escaped as a bare
``AttributeError``.
"""

from __future__ import annotations

from typing import Any

import pytest
from inpaintkit import InpaintClient, ValidationError
from toytransport import ScriptedToy


@pytest.mark.parametrize("value", ["t1", {"task_id": "t1", "data": {}}, None])
@pytest.mark.parametrize("call", ["status", "wait_task"])
async def test_a_value_that_is_not_a_task_handle_is_a_validation_error(
    call: str, value: Any
) -> None:
    toy = ScriptedToy()
    async with InpaintClient(api_keys={"novita": "k"}, transport=toy.transport) as client:
        with pytest.raises(ValidationError) as caught:
            await getattr(client, call)(value)
    assert caught.value.paths == ("handle",)
    assert "must be a TaskHandle" in str(caught.value)
    assert toy.requests == []
