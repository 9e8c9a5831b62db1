"""``MockServer.set_fault`` honours ``first=`` and ``probability=`` with a spec string too.

Before, ``set_fault("rate_limit:2", first=1)`` dropped ``first`` (the spec branch read only the
spec), so the fault hit every request instead of the first: a test meaning "one 429, then
success" got a permanent 429 and a RateLimitedError.
"""

from __future__ import annotations

from inpaintkit.mockserver import MockServer


def test_keyword_limits_apply_to_a_spec_string(inpaintkit_mock: MockServer) -> None:
    inpaintkit_mock.set_fault("server_error:503", first=2, provider="novita")
    inpaintkit_mock.set_fault("rate_limit:2:body", probability=0.5, path="/api/")
    inpaintkit_mock.set_fault("latency:1:first=3")
    by_fault = {rule.fault: rule for rule in inpaintkit_mock.ctx.faults.rules}
    assert by_fault["server_error"].first == 2
    assert by_fault["server_error"].arg == "503"
    assert by_fault["server_error"].provider == "novita"
    assert by_fault["rate_limit"].probability == 0.5
    assert by_fault["rate_limit"].arg == "2:body"
    assert by_fault["latency"].first == 3  # the spec's own, when no keyword is given
