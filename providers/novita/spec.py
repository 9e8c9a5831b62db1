"""Novita's provider spec: everything about Novita that is data rather than behaviour."""

from __future__ import annotations

from typing import Final

from inpaintkit.limits import ImageLimits
from inpaintkit.provider import BearerAuth, ImageTransport, PollPolicy, ProviderSpec

from .capabilities import CAPABILITIES
from .options import NovitaOptions

__all__ = ["POLL_PATH", "POLL_POLICY", "SPEC", "SUBMIT_PATH"]

SUBMIT_PATH: Final = "/v3/async/inpainting"
"""``POST``: submit an inpainting task (seed 001)."""

POLL_PATH: Final = "/v3/async/task-result"
"""``GET ?task_id=<id>``: the task's state and, once done, its images (ref 1.4)."""

POLL_POLICY: Final = PollPolicy(
    initial_delay=1.0,
    interval=1.5,
    backoff=1.5,
    max_interval=10.0,
    honour_eta=True,
    max_eta_wait=30.0,
    deadline=600.0,
)
"""Novita answers the submit at once and inpainting takes seconds: look after 1 s, then every
1.5 s growing by half up to 10 s, and trust ``task.eta`` when Novita gives one (the JS SDK's
examples poll every second; the Python SDK every 0.5 s for about 150 s, ref 1.9-1.10).  Polls
are not images, so they do not count against the 10 images-per-minute limit (ref 1.7)."""

SPEC: Final = ProviderSpec(
    id="novita",
    name="Novita AI",
    base_url="https://api.novita.ai",
    auth=BearerAuth(),
    env_var="NOVITA_API_KEY",
    capabilities=CAPABILITIES,
    polling=POLL_POLICY,
    image_transport=ImageTransport.BASE64,
    image_limits=ImageLimits(max_pixels=16_000_000, max_bytes=30 * 1024 * 1024),
    docs_url="https://novita.ai/docs/api-reference/model-apis-inpainting",
    options=NovitaOptions,
)
"""Novita's spec: Bearer key from ``NOVITA_API_KEY`` (the name its SDK examples use), base64
images of at most 16 megapixels and 30 Mb (seed 001), asynchronous tasks, and its own options
(:class:`~.options.NovitaOptions`) under ``extras["novita"]``."""
