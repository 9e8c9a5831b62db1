"""inpaintkit: provider-agnostic image inpainting.

One neutral :class:`InpaintJob`, any provider::

    import inpaintkit

    job = inpaintkit.InpaintJob(image="photo.png", mask="mask.png", prompt="a red bench")
    result = inpaintkit.inpaint(job, "novita")          # or: async with InpaintClient() ...
    result.images[0].save("out.png")

For several jobs from blocking code, ``with inpaintkit.SyncInpaintClient() as client:`` keeps one
session (and works inside a notebook's running event loop).

Mask polarity everywhere: white = repaint, black = keep.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# The public names load on first use (PEP 562), so `import inpaintkit` (and the pytest plugins,
# which live in this package) cost almost nothing until something is used.  Type checkers
# read the imports below.
if TYPE_CHECKING:
    from .client import (
        InpaintClient,
        JobHandle,
        WebhookUpdate,
    )
    from .clock import (
        Clock,
        SystemClock,
        VirtualClock,
    )
    from .convert import (
        dump_job,
        job_from_dict,
        job_to_dict,
        load_job,
    )
    from .credentials import (
        Secret,
    )
    from .dryrun import DryRun
    from .errors import (
        AuthenticationError,
        ClientClosedError,
        FieldError,
        InpaintError,
        InpaintTimeoutError,
        InsufficientCreditsError,
        JobCancelledError,
        ProviderError,
        ProviderUnavailableError,
        RateLimitedError,
        ServerError,
        SubmitOutcomeUnknownError,
        TaskFailedError,
        UnsupportedFieldError,
        ValidationError,
    )
    from .hookspecs import (
        hookimpl,
    )
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
    from .jobstate import FinishRecipe, StoredImage, StoredJob, StoredJobError, StoredTask
    from .limits import ImageLimits, Limits
    from .mapping import JobMap, MapOutcome, MapSubmitted
    from .planning import (
        Disposition,
        Emulation,
        FieldOutcome,
        Plan,
        UnsupportedFieldWarning,
        UnsupportedPolicy,
    )
    from .plugins import (
        ProviderRegistry,
        make_plugin_manager,
    )
    from .prepare import PreparedInputs
    from .provider import (
        BasicAuth,
        BearerAuth,
        BodyKeyAuth,
        Capability,
        CapabilityTable,
        Done,
        Failed,
        Form,
        FormFile,
        HostContext,
        HttpRequest,
        HttpResponse,
        ImageHost,
        ImageTransport,
        ModelInfo,
        ModelListAdapter,
        ModelPage,
        NoAuth,
        Pending,
        PollingAdapter,
        PollPolicy,
        PreparedImage,
        PreparedRequest,
        ProviderAdapter,
        ProviderSpec,
        QueryKeyAuth,
        RemoteImage,
        RunEcho,
        SubmitAdapter,
        Support,
        TaskHandle,
        TaskState,
        WebhookAdapter,
    )
    from .ratelimit import ProviderLimiter, RateLimit
    from .responses import error_for_response
    from .result import (
        InpaintResult,
        ResultImage,
        Timings,
    )
    from .settings import SettingsError
    from .sync import (
        inpaint,
    )
    from .syncclient import SyncInpaintClient, SyncJobMap
    from .transport import (
        AiohttpTransport,
        MemoryTransport,
        OutgoingRequest,
        RequestBody,
        Transport,
        TransportError,
    )
    from .wiremap import Composite, Custom, Fixed, Unset, Wire

_LAZY: dict[str, str] = {
    "JobCancelledError": ".errors",
    "JobMap": ".mapping",
    "MapOutcome": ".mapping",
    "MapSubmitted": ".mapping",
    "RateLimit": ".ratelimit",
    "ProviderLimiter": ".ratelimit",
    "SyncJobMap": ".syncclient",
    "FinishRecipe": ".jobstate",
    "StoredImage": ".jobstate",
    "StoredTask": ".jobstate",
    "ModelPage": ".provider",
    "WebhookUpdate": ".client",
    "SafetyMode": ".job",
    "StoredJob": ".jobstate",
    "StoredJobError": ".jobstate",
    "RunEcho": ".provider",
    "Fixed": ".wiremap",
    "ModelInfo": ".provider",
    "ModelListAdapter": ".provider",
    "error_for_response": ".responses",
    "MemoryTransport": ".transport",
    "SyncInpaintClient": ".syncclient",
    "SettingsError": ".settings",
    "ServerError": ".errors",
    "ClientClosedError": ".errors",
    "Unset": ".wiremap",
    "FormFile": ".provider",
    "OutgoingRequest": ".transport",
    "RequestBody": ".transport",
    "ImageLimits": ".limits",
    "Limits": ".limits",
    "DryRun": ".dryrun",
    "Wire": ".wiremap",
    "Custom": ".wiremap",
    "Composite": ".wiremap",
    "WebhookAdapter": ".provider",
    "PollingAdapter": ".provider",
    "SubmitAdapter": ".provider",
    "QueryKeyAuth": ".provider",
    "Form": ".provider",
    "BasicAuth": ".provider",
    "UnsupportedFieldWarning": ".planning",
    "CropPlan": ".images",
    "ImageHost": ".provider",
    "HostContext": ".provider",
    "RemoteImage": ".provider",
    "PreparedRequest": ".provider",
    "PreparedImage": ".provider",
    "PreparedInputs": ".prepare",
    "Emulation": ".planning",
    "AiohttpTransport": ".transport",
    "AuthenticationError": ".errors",
    "BearerAuth": ".provider",
    "BodyKeyAuth": ".provider",
    "Capability": ".provider",
    "CapabilityTable": ".provider",
    "Clock": ".clock",
    "Disposition": ".planning",
    "Done": ".provider",
    "Embedding": ".job",
    "Failed": ".provider",
    "FieldError": ".errors",
    "FieldOutcome": ".planning",
    "HttpRequest": ".provider",
    "HttpResponse": ".provider",
    "ImageInput": ".job",
    "ImageTransport": ".provider",
    "InpaintClient": ".client",
    "InpaintError": ".errors",
    "InpaintJob": ".job",
    "InpaintResult": ".result",
    "InpaintTimeoutError": ".errors",
    "InsufficientCreditsError": ".errors",
    "JobHandle": ".client",
    "Lora": ".job",
    "MaskOptions": ".job",
    "NoAuth": ".provider",
    "OutputFormat": ".job",
    "Pending": ".provider",
    "Plan": ".planning",
    "PollPolicy": ".provider",
    "ProviderAdapter": ".provider",
    "ProviderError": ".errors",
    "ProviderRegistry": ".plugins",
    "ProviderSpec": ".provider",
    "ProviderUnavailableError": ".errors",
    "RateLimitedError": ".errors",
    "ResultImage": ".result",
    "S3Storage": ".job",
    "SafetyCheck": ".job",
    "Sampler": ".job",
    "Secret": ".credentials",
    "SubmitOutcomeUnknownError": ".errors",
    "Support": ".provider",
    "SystemClock": ".clock",
    "TaskFailedError": ".errors",
    "TaskHandle": ".provider",
    "TaskState": ".provider",
    "Timings": ".result",
    "Transport": ".transport",
    "TransportError": ".transport",
    "UnsupportedFieldError": ".errors",
    "UnsupportedPolicy": ".planning",
    "ValidationError": ".errors",
    "VirtualClock": ".clock",
    "Webhook": ".job",
    "dump_job": ".convert",
    "hookimpl": ".hookspecs",
    "inpaint": ".sync",
    "job_from_dict": ".convert",
    "job_to_dict": ".convert",
    "load_job": ".convert",
    "make_plugin_manager": ".plugins",
}

__all__ = [
    "AiohttpTransport",
    "AuthenticationError",
    "BasicAuth",
    "BearerAuth",
    "BodyKeyAuth",
    "Capability",
    "CapabilityTable",
    "ClientClosedError",
    "Clock",
    "Composite",
    "CropPlan",
    "Custom",
    "Disposition",
    "Done",
    "DryRun",
    "Embedding",
    "Emulation",
    "Failed",
    "FieldError",
    "FieldOutcome",
    "FinishRecipe",
    "Fixed",
    "Form",
    "FormFile",
    "HostContext",
    "HttpRequest",
    "HttpResponse",
    "ImageHost",
    "ImageInput",
    "ImageLimits",
    "ImageTransport",
    "InpaintClient",
    "InpaintError",
    "InpaintJob",
    "InpaintResult",
    "InpaintTimeoutError",
    "InsufficientCreditsError",
    "JobCancelledError",
    "JobHandle",
    "JobMap",
    "Limits",
    "Lora",
    "MapOutcome",
    "MapSubmitted",
    "MaskOptions",
    "MemoryTransport",
    "ModelInfo",
    "ModelListAdapter",
    "ModelPage",
    "NoAuth",
    "OutgoingRequest",
    "OutputFormat",
    "Pending",
    "Plan",
    "PollPolicy",
    "PollingAdapter",
    "PreparedImage",
    "PreparedInputs",
    "PreparedRequest",
    "ProviderAdapter",
    "ProviderError",
    "ProviderLimiter",
    "ProviderRegistry",
    "ProviderSpec",
    "ProviderUnavailableError",
    "QueryKeyAuth",
    "RateLimit",
    "RateLimitedError",
    "RemoteImage",
    "RequestBody",
    "ResultImage",
    "RunEcho",
    "S3Storage",
    "SafetyCheck",
    "SafetyMode",
    "Sampler",
    "Secret",
    "ServerError",
    "SettingsError",
    "StoredImage",
    "StoredJob",
    "StoredJobError",
    "StoredTask",
    "SubmitAdapter",
    "SubmitOutcomeUnknownError",
    "Support",
    "SyncInpaintClient",
    "SyncJobMap",
    "SystemClock",
    "TaskFailedError",
    "TaskHandle",
    "TaskState",
    "Timings",
    "Transport",
    "TransportError",
    "Unset",
    "UnsupportedFieldError",
    "UnsupportedFieldWarning",
    "UnsupportedPolicy",
    "ValidationError",
    "VirtualClock",
    "Webhook",
    "WebhookAdapter",
    "WebhookUpdate",
    "Wire",
    "dump_job",
    "error_for_response",
    "hookimpl",
    "inpaint",
    "job_from_dict",
    "job_to_dict",
    "load_job",
    "make_plugin_manager",
]


def __getattr__(name: str) -> Any:
    from importlib import import_module

    module = _LAZY.get(name)
    if module is None:
        # A submodule read as an attribute (``inpaintkit.events``), as the eager imports allowed.
        if not name.startswith("__"):
            from importlib.util import find_spec

            if find_spec(f"{__name__}.{name}") is not None:
                return import_module(f"{__name__}.{name}")
        raise AttributeError(f"module 'inpaintkit' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
