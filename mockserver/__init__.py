"""An offline mock of the Novita, StableDiffusionAPI and ModelsLab inpainting APIs.

One aiohttp application serves all three providers at their real paths, with provider-exact
request contracts (:mod:`inpaintkit.mockserver.contracts`), a per-task state machine on an
injectable clock, deterministic seeded outputs at expiring URLs, webhooks, rate limits, fault
injection and a request journal.  See ``docs/mockserver.md``.

Public API::

    from inpaintkit.mockserver import MockConfig, MockServer

    with MockServer(MockConfig(seed=7)) as mock:
        ...  # point a client at mock.url; inspect mock.journal(); mock.set_fault("server_error")

Plugins add providers through the ``register_mocks`` hook with a :class:`MockProvider`, which
receives a :class:`MockContext` of shared facilities.
"""

from __future__ import annotations

from .app import CONTEXT, create_app
from .bodies import FormFile, ParsedForm, read_form, read_json
from .config import ConfigError, FaultRule, MockConfig
from .context import IGNORED_FIELD_NOTE, GeneratedImage, MockContext, MockProvider, ResolvedImage
from .faults import FAULT_HEADER, FAULTS, MAGIC_KEY_PREFIX, ActiveFault
from .journal import REDACTED, Journal
from .server import AsyncMock, MockServer, RunningMock, run_mock
from .tasks import Task, TaskStore
from .timesource import MockClock, ScaledClock

__all__ = [
    "CONTEXT",
    "FAULTS",
    "FAULT_HEADER",
    "IGNORED_FIELD_NOTE",
    "MAGIC_KEY_PREFIX",
    "REDACTED",
    "ActiveFault",
    "AsyncMock",
    "ConfigError",
    "FaultRule",
    "FormFile",
    "GeneratedImage",
    "Journal",
    "MockClock",
    "MockConfig",
    "MockContext",
    "MockProvider",
    "MockServer",
    "ParsedForm",
    "ResolvedImage",
    "RunningMock",
    "ScaledClock",
    "Task",
    "TaskStore",
    "create_app",
    "read_form",
    "read_json",
    "run_mock",
]
