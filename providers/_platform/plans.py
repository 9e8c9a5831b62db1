"""The platform's documented rate limits: queued requests per account, by plan.

ModelsLab's ``rate-limits.mdx`` (reference 3.4, ML-DOCS HEAD): limits are "queue-based per
account, across all endpoints": Pay-as-you-go 5, Standard 10, Unlimited Premium 15 queued
requests; more are "rejected with a rate limit error" (HTTP 429, ``retry_after`` 30 in the
documented body).  StableDiffusionAPI v3 runs on the same platform and account system (this
package's premise) and documents no number of its own, only a duplicate-request spam filter
(reference 2.4), so both providers take the table from here.  A queued request is a task not
yet finished, which the client bounds as jobs in flight (``RateLimit.concurrency``).
"""

from __future__ import annotations

from typing import Final

from inpaintkit.ratelimit import RateLimit

__all__ = ["DEFAULT_PLAN", "PLAN_QUEUE_LIMITS", "plan_rate_limit"]

PLAN_QUEUE_LIMITS: Final = {"pay-as-you-go": 5, "standard": 10, "unlimited-premium": 15}
"""Queued requests per account, by plan (reference 3.4)."""

DEFAULT_PLAN: Final = "pay-as-you-go"
"""The plan assumed unless overridden: the lowest, so no account is pushed into 429s."""


def plan_rate_limit(plan: str = DEFAULT_PLAN, *, provider: str = "ModelsLab") -> RateLimit:
    """The :class:`RateLimit` of ``plan`` (one of :data:`PLAN_QUEUE_LIMITS`), e.g. for
    ``InpaintClient(rate_limits={"modelslab": plan_rate_limit("standard")})``."""
    if plan not in PLAN_QUEUE_LIMITS:
        known = ", ".join(PLAN_QUEUE_LIMITS)
        raise ValueError(f"plan: must be one of {known}, got {plan!r}")
    source = (
        f"{PLAN_QUEUE_LIMITS[plan]} queued requests per account on the {plan} plan "
        "(ModelsLab rate-limits.mdx, reference 3.4)"
    )
    if provider != "ModelsLab":
        source += f"; {provider} documents no number of its own and shares the platform"
    return RateLimit(concurrency=PLAN_QUEUE_LIMITS[plan], source=source)
