"""How long a task queues and runs, drawn from the seeded ``etas`` stream.

``fast`` keeps every task under a second of mock time so demos and SDK calls feel immediate;
``realistic`` queues for seconds and generates for roughly 0.1-0.2 s per step per image, like the
hosted services; ``task_duration`` pins the total for tests that want exact numbers.
"""

from __future__ import annotations

import random

from .config import MockConfig

__all__ = ["draw_timing"]


def draw_timing(
    config: MockConfig, rng: random.Random, *, steps: int | None, images: int
) -> tuple[float, float]:
    """``(queue_seconds, run_seconds)`` for a new task."""
    if config.task_duration is not None:
        total = config.task_duration
        return total * 0.3, total * 0.7
    if config.timings == "fast":
        total = rng.uniform(0.3, 0.9)
        return total * 0.3, total * 0.7
    queue = rng.uniform(0.5, 4.0)
    per_step = rng.uniform(0.1, 0.2)
    run = 1.0 + per_step * (steps or 25) * max(1, images) ** 0.8
    return queue, run
