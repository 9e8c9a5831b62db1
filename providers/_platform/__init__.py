"""What StableDiffusionAPI v3 and ModelsLab v6 share: one company, one backend, one module.

Not a provider itself: each of the two plugins is a :class:`PlatformProvider` record (its spec
with its own capability table and options, its paths, its genuine differences as data) driven by
:class:`PlatformAdapter`.  The envelope (success / processing with eta, id, fetch_result,
future_links / error / failed), the fetch request, error classification, Retry-After and
"please wait N seconds", and webhook payloads are read here once (:mod:`.answers`,
:mod:`.errors`), so the two providers cannot drift apart again.
"""

from __future__ import annotations

from .adapter import INLINE_FLAG, PlatformAdapter, PlatformProvider
from .answers import PENDING_STATUSES, Reader, task_id_of
from .errors import SUBSCRIPTION_HINT, classify, message_of, retry_after_of
from .wire import as_number, size_row

__all__ = [
    "INLINE_FLAG",
    "PENDING_STATUSES",
    "SUBSCRIPTION_HINT",
    "PlatformAdapter",
    "PlatformProvider",
    "Reader",
    "as_number",
    "classify",
    "message_of",
    "retry_after_of",
    "size_row",
    "task_id_of",
]
