"""Novita's own options (``extras={"novita": {...}}``): the fields it has and the neutral job
does not, each with its rule and wire mapping, so the core checks and sends them.

Users write them as JSON (``{"novita": {"inpainting_fill": 1}}``) or as the class
(``extras={"novita": NovitaOptions(inpainting_fill=1)}``); anything else under ``novita`` is a
validation error at ``$.extras.novita.<name>`` before a request is built.

The one rule an options class cannot state alone is that the webhook test mode needs a
webhook (its event goes to ``extra.webhook.url``); :meth:`NovitaOptions.job_errors` states it
and the adapter raises it before building the request.
"""

from __future__ import annotations

import enum
from typing import Any, Final

import attrs
from inpaintkit.errors import FieldError
from inpaintkit.job import InpaintJob
from inpaintkit.options import option
from inpaintkit.schema import Rule
from inpaintkit.wiremap import Composite, Wire

__all__ = ["NovitaOptions", "WebhookTestStatus"]

PATH = "$.extras.novita"


class WebhookTestStatus(enum.StrEnum):
    """``extra.webhook.test_mode.return_task_status`` (seed 001): which mock event to send."""

    SUCCEED = "TASK_STATUS_SUCCEED"
    FAILED = "TASK_STATUS_FAILED"


def webhook_test_mode(status: WebhookTestStatus) -> dict[str, Any]:
    """Seed 001's ``test_mode`` object: both members are required once it is sent, and
    ``enabled: false`` is its default, so choosing a status is the whole option."""
    return {
        "extra.webhook.test_mode.enabled": True,
        "extra.webhook.test_mode.return_task_status": status.value,
    }


TEST_MODE_WIRE: Final = Composite(
    ("extra.webhook.test_mode.enabled", "extra.webhook.test_mode.return_task_status"),
    build=webhook_test_mode,
)


@attrs.frozen
class NovitaOptions:
    """Novita-only request fields (seed 001, and seeds 000/004 for ``inpainting_fill``)."""

    enterprise_plan: bool | None = option(
        Rule("bool", optional=True),
        wire=Wire("extra.enterprise_plan.enabled"),
        doc="Run on your Dedicated Endpoints (seed 001 extra.enterprise_plan.enabled, "
        "default false).",
    )
    # option() is an attrs field carrying the rule and the wire mapping, not a shared default.
    webhook_test_mode: WebhookTestStatus | None = option(  # noqa: RUF009
        Rule("enum", optional=True, enum_type=WebhookTestStatus),
        wire=TEST_MODE_WIRE,
        doc="Ask Novita to send a mock webhook event with this task status instead of "
        "running the task (seed 001 extra.webhook.test_mode); needs $.webhook.",
    )
    inpainting_fill: int | None = option(
        Rule("int", optional=True, minimum=0, maximum=3),
        wire=Wire("request.inpainting_fill"),
        doc="AUTOMATIC1111's masked-content fill (0 fill, 1 original, 2 latent noise, "
        "3 latent nothing).  Only in the request examples of seeds 000 and 004; seed 001 "
        "does not document it.",
    )

    def job_errors(self, job: InpaintJob, path: str = PATH) -> list[FieldError]:
        """Rules that involve the job as well: the webhook test mode needs a webhook."""
        if self.webhook_test_mode is not None and job.webhook is None:
            rule = "needs $.webhook to be set (Novita sends the mock event to its url)"
            return [FieldError(f"{path}.webhook_test_mode", rule, self.webhook_test_mode.value)]
        return []
