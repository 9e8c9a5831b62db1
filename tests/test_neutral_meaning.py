"""One meaning per neutral field, across providers (issue 10).

Each neutral field whose provider defaults once differed means the same everywhere: an unset
``strength``, ``enhance_prompt``, ``safety`` or masked-only ``padding`` is sent as its neutral
value where the provider has the field (or is what the provider always does); the safety mode
is honoured or refused, never silently swapped; ``clip_skip`` is in one numbering; the mask's
polarity is white = repaint with its evidence in every table.  The per-provider wire tests pin
the exact bodies; these tests compare the providers with each other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from inpaintkit.errors import UnsupportedFieldError
from inpaintkit.job import (
    DEFAULT_MASK_PADDING,
    DEFAULT_STRENGTH,
    NEUTRAL_UNSET,
    InpaintJob,
    MaskOptions,
    SafetyCheck,
    SafetyMode,
)
from inpaintkit.matrix import DECIDED_FIELDS
from inpaintkit.planning import DEFAULT_EMULATED_PADDING, plan_job
from inpaintkit.plugins import ProviderRegistry
from inpaintkit.provider import ProviderSpec, Support
from inpaintkit.wiremap import Fixed, Wire, build_fields, wire_paths

ROOT = Path(__file__).resolve().parents[1]
BUILTINS = ("novita", "stablediffusionapi", "modelslab")
MODEL = {"novita": "m.ckpt", "modelslab": "pony_realism", "stablediffusionapi": None}


def spec(pid: str) -> ProviderSpec:
    registry = ProviderRegistry.default()
    return registry[pid].spec


def job(pid: str, **changes: Any) -> InpaintJob:
    return InpaintJob(image=b"i", mask=b"m", prompt="a door", model=MODEL[pid], **changes)


def sent(pid: str, field: str, j: InpaintJob) -> Any:
    """What the table builds for ``field`` (``None`` when nothing is sent)."""
    row = spec(pid).capabilities.get(field)
    assert row is not None
    node: Any = build_fields(j, spec(pid).capabilities)
    for path in wire_paths(row)[:1]:
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return node
    return None


def test_the_neutral_unset_values_are_stated_once() -> None:
    assert NEUTRAL_UNSET == {
        "strength": DEFAULT_STRENGTH,
        "mask_options.padding": DEFAULT_MASK_PADDING,
        "enhance_prompt": False,
        "safety.enabled": False,
    }
    assert DEFAULT_STRENGTH == 0.7
    assert DEFAULT_MASK_PADDING == DEFAULT_EMULATED_PADDING == 32


@pytest.mark.parametrize("pid", BUILTINS)
def test_an_unset_strength_is_sent_as_the_neutral_default_everywhere(pid: str) -> None:
    # Novita documents no default (its SDK's raw 1.0 ignores the image); the others say 0.7.
    assert sent(pid, "strength", job(pid)) == 0.7
    assert sent(pid, "strength", job(pid, strength=0.3)) == 0.3


@pytest.mark.parametrize("pid", BUILTINS)
def test_an_unset_enhance_prompt_is_off_everywhere(pid: str) -> None:
    row = spec(pid).capabilities.get("enhance_prompt")
    assert row is not None
    if isinstance(row.wire, Fixed):  # the provider never rewrites (Novita)
        assert row.wire.value is False
        plan_job(job(pid, enhance_prompt=False), spec(pid))  # off is what it does
    else:
        assert sent(pid, "enhance_prompt", job(pid)) == "no"
        assert sent(pid, "enhance_prompt", job(pid, enhance_prompt=True)) == "yes"


@pytest.mark.parametrize("pid", BUILTINS)
def test_an_unset_safety_is_no_check_everywhere(pid: str) -> None:
    row = spec(pid).capabilities.get("safety.enabled")
    assert row is not None
    assert isinstance(row.wire, Wire)
    if pid == "novita":
        # nothing sent: 'When set to true, NSFW detection will be enabled' (seed 001)
        assert sent(pid, "safety.enabled", job(pid)) is None
        assert "When set to true" in row.note
    else:  # the platform checks by default (ModelsLab seed 003 'default: yes'): off is sent
        assert sent(pid, "safety.enabled", job(pid)) == "no"


MODES = {
    "novita": SafetyMode.REPORT,
    "stablediffusionapi": SafetyMode.BLANK,
    "modelslab": SafetyMode.BLANK,
}


@pytest.mark.parametrize("pid", BUILTINS)
def test_each_table_says_which_safety_mode_it_performs_and_refuses_the_other(pid: str) -> None:
    row = spec(pid).capabilities.get("safety.mode")
    assert row is not None
    assert row.support is Support.NATIVE
    assert isinstance(row.wire, Fixed)
    assert row.wire.value is MODES[pid]
    mine = SafetyCheck(enabled=True, mode=MODES[pid])
    plan_job(job(pid, safety=mine), spec(pid))
    (other,) = set(SafetyMode) - {MODES[pid]}
    with pytest.raises(UnsupportedFieldError) as info:
        plan_job(job(pid, safety=SafetyCheck(enabled=True, mode=other)), spec(pid))
    assert info.value.paths == ("$.safety.mode",)
    # Only an explicit drop policy runs it, and the result records that the mode was swapped.
    plan = plan_job(
        job(pid, safety=SafetyCheck(enabled=True, mode=other)), spec(pid), unsupported="drop"
    )
    assert plan.dropped == ("safety.mode",)
    assert plan.job.safety == mine


@pytest.mark.parametrize("pid", ["novita", "modelslab"])
def test_clip_skip_is_in_the_a1111_numbering_and_sent_unchanged(pid: str) -> None:
    row = spec(pid).capabilities.get("clip_skip")
    assert row is not None
    assert isinstance(row.wire, Wire)
    assert "AUTOMATIC1111's (1 = all layers), sent unchanged" in row.note
    assert row.minimum == 1  # "all layers" is a value the provider accepts
    for value in (1, 2, 4):
        assert str(sent(pid, "clip_skip", job(pid, clip_skip=value))) == str(value)


def test_the_masked_only_padding_has_one_default_native_or_emulated() -> None:
    masked = MaskOptions(masked_only=True)
    assert sent("novita", "mask_options.padding", job("novita", mask_options=masked)) == 32
    for pid in ("stablediffusionapi", "modelslab"):
        plan = plan_job(job(pid, mask_options=masked), spec(pid))
        assert plan.emulation.padding == DEFAULT_MASK_PADDING


@pytest.mark.parametrize("pid", BUILTINS)
def test_every_mask_row_records_the_evidence_for_white_is_repaint(pid: str) -> None:
    row = spec(pid).capabilities.get("mask")
    assert row is not None
    assert "white = repaint" in row.note
    assert "end to end" in row.note  # proven by the conformance suite, not assumed
    assert "ref" in row.note  # a cited source


def test_the_generated_docs_list_every_decision() -> None:
    docs = (ROOT / "docs" / "providers.md").read_text(encoding="utf-8")
    assert "## Decisions: one meaning per neutral field" in docs
    for field in DECIDED_FIELDS:
        assert f"### `{field}`" in docs
    assert '- modelslab: unset sends `enhance_prompt: "no"`.' in docs
    assert "- novita: always report (nothing sent)." in docs
    assert "- novita: unset sends `request.strength: 0.7`." in docs
