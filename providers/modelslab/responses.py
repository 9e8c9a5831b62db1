"""What ModelsLab says it ran: its ``meta`` echo, read into neutral terms.

The answers themselves (success / processing / error, fetch, webhooks) are the shared
platform's (:mod:`inpaintkit.providers._platform.answers`).  The ``meta`` object is ModelsLab's
own: ``W``/``H``, ``n_samples``, ``steps`` or ``num_inference_steps``, and the scheduler triple,
read back through :func:`~.samplers.sampler_from_wire` (reference 3.3).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from inpaintkit.job import Sampler
from inpaintkit.parsing import lenient_number

from .samplers import sampler_from_wire

__all__ = ["MetaEcho", "parse_meta"]


def _int(value: Any) -> int | None:
    number = lenient_number(value)
    return int(number) if number is not None and number.is_integer() else None


@attrs.frozen
class MetaEcho:
    """The parameters ModelsLab says it used (its ``meta`` object), in neutral terms.

    The server may differ from the request (capped steps, an enhanced prompt, a drawn seed),
    so this is what actually ran.  ``sampler`` is ``None`` when the echoed scheduler triple has
    no A1111 name (for example ``DDPMScheduler``).
    """

    model: str | None = None
    prompt: str | None = None
    seed: int | None = None
    steps: int | None = None
    num_images: int | None = None
    width: int | None = None
    height: int | None = None
    guidance_scale: float | None = None
    strength: float | None = None
    clip_skip: int | None = None
    sampler: Sampler | None = None
    scheduler: str | None = None


def parse_meta(meta: Any) -> MetaEcho:
    """Read a ``meta`` object (``W``/``H``, ``n_samples``, ``steps`` or ``num_inference_steps``)."""
    if not isinstance(meta, Mapping):
        return MetaEcho()
    scheduler = meta.get("scheduler")
    steps = meta.get("steps", meta.get("num_inference_steps"))
    model = meta.get("model_id")
    prompt = meta.get("prompt")
    return MetaEcho(
        model=model if isinstance(model, str) else None,
        prompt=prompt if isinstance(prompt, str) else None,
        seed=_int(meta.get("seed")),
        steps=_int(steps),
        num_images=_int(meta.get("n_samples", meta.get("samples"))),
        width=_int(meta.get("W", meta.get("width"))),
        height=_int(meta.get("H", meta.get("height"))),
        guidance_scale=lenient_number(meta.get("guidance_scale")),
        strength=lenient_number(meta.get("strength")),
        clip_skip=_int(meta.get("clip_skip")),
        sampler=sampler_from_wire(
            scheduler, meta.get("use_karras_sigmas"), meta.get("algorithm_type")
        ),
        scheduler=scheduler if isinstance(scheduler, str) else None,
    )
