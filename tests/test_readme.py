"""The README's Python examples run, and its table of which providers accept the example job is
what the planner says."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from inpaintkit import InpaintClient, UnsupportedFieldError
from inpaintkit.demo import demo_scene

README = Path(__file__).resolve().parent.parent / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


@pytest.fixture
def readme_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The names the README's first example defines (its job), run up to its network call."""
    monkeypatch.chdir(tmp_path)
    image, mask = demo_scene(512)
    image.save("photo.png")
    mask.save("mask.png")
    first = _python_blocks()[0]
    namespace: dict[str, Any] = {}
    exec(first.split("async def main")[0], namespace)
    return namespace


def test_the_mock_example_runs(readme_job: dict[str, Any]) -> None:
    [block] = [b for b in _python_blocks() if "MockServer" in b]
    namespace = dict(readme_job)
    exec(block, namespace)
    result = namespace["result"]
    assert len(result.images) == 2
    assert "mask_options.blur" in result.emulated


def _table() -> dict[str, str]:
    rows = re.findall(r"^\| `(\w+)`[^|]* \| (.+) \|$", README.read_text(), re.M)
    return dict(rows)


def test_the_provider_table_matches_the_planner(readme_job: dict[str, Any]) -> None:
    job = readme_job["job"]
    client = InpaintClient()
    table = _table()
    # The README speaks of the providers this repository ships; a plugin the reader installed
    # into the same environment (as docs/writing-a-plugin.md has them do) is not its business.
    shipped = {"novita", "stablediffusionapi", "modelslab", "sdwebui", "openai"}
    assert set(table) == shipped & set(client.registry)
    for provider, verdict in table.items():
        if verdict.startswith("refused"):
            with pytest.raises(UnsupportedFieldError):
                client.plan(job, provider)
            continue
        assert verdict.startswith("accepted"), verdict
        plan = client.plan(job, provider)
        assert plan.dropped == ()
        if "every field native" in verdict:
            assert plan.emulated == (), provider
        else:
            assert plan.emulated, provider
            for field in plan.emulated:
                assert field.split(".")[-1].replace("_", "-") in verdict, (provider, field)
