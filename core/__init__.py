"""inpaintkit: provider-agnostic image inpainting.

One neutral :class:`InpaintJob`, any provider::

    import inpaintkit

    job = inpaintkit.InpaintJob(image="photo.png", mask="mask.png", prompt="a red bench")
    result = inpaintkit.inpaint(job, "novita")          # or: async with InpaintClient() ...

For several jobs from blocking code, ``with inpaintkit.SyncInpaintClient() as client:`` keeps one
session (and works inside a notebook's running event loop).
    result.images[0].save("out.png")

Mask polarity everywhere: white = repaint, black = keep.
"""

from __future__ import annotations

from .client import InpaintClient, JobHandle, WebhookUpdate
from .clock import Clock, SystemClock, VirtualClock
from .convert import dump_job, job_from_dict, job_to_dict, load_job
from .errors import (
    AuthenticationError,
    ClientClosedError,
    FieldError,
    InpaintError,
    InpaintTimeoutError,
    InsufficientCreditsError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
    ServerError,
    SubmitOutcomeUnknownError,
    TaskFailedError,
    UnsupportedFieldError,
    ValidationError,
)
from .hookspecs import hookimpl
from .job import (
    Embedding,
    ImageInput,
    InpaintJob,
    Lora,
    MaskOptions,
    OutputFormat,
    S3Storage,
    SafetyCheck,
    SafetyMode,
    Sampler,
    Webhook,
)
from .jobstate import StoredJob, StoredJobError
from .planning import Disposition, FieldOutcome, Plan, UnsupportedPolicy
from .plugins import ProviderRegistry, make_plugin_manager
from .provider import RunEcho
from .result import InpaintResult, ResultImage, Timings
from .settings import SettingsError
from .sync import inpaint
from .syncclient import SyncInpaintClient

__version__ = "0.1.0"

__all__ = [
    "AuthenticationError",
    "ClientClosedError",
    "Clock",
    "Disposition",
    "Embedding",
    "FieldError",
    "FieldOutcome",
    "ImageInput",
    "InpaintClient",
    "InpaintError",
    "InpaintJob",
    "InpaintResult",
    "InpaintTimeoutError",
    "InsufficientCreditsError",
    "JobHandle",
    "Lora",
    "MaskOptions",
    "OutputFormat",
    "Plan",
    "ProviderError",
    "ProviderRegistry",
    "ProviderUnavailableError",
    "RateLimitedError",
    "ResultImage",
    "RunEcho",
    "S3Storage",
    "SafetyCheck",
    "SafetyMode",
    "Sampler",
    "ServerError",
    "SettingsError",
    "StoredJob",
    "StoredJobError",
    "SubmitOutcomeUnknownError",
    "SyncInpaintClient",
    "SystemClock",
    "TaskFailedError",
    "Timings",
    "UnsupportedFieldError",
    "UnsupportedPolicy",
    "ValidationError",
    "VirtualClock",
    "Webhook",
    "WebhookUpdate",
    "dump_job",
    "hookimpl",
    "inpaint",
    "job_from_dict",
    "job_to_dict",
    "load_job",
    "make_plugin_manager",
]
