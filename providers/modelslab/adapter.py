"""The sans-I/O ModelsLab v6 adapter: the shared platform adapter driven by ModelsLab's record
(:data:`~.capabilities.PLATFORM`).

ModelsLab is "sync with a fallback": the inpaint call may answer ``success`` with the images at
once, or ``processing`` with an ``eta`` and an ``id`` to fetch later.  Everything it sends is a
row of its capability table (the sampler and LoRAs as composites) or one of its typed options
(:class:`~.options.ModelsLabOptions`); images go as URLs or inline base64 (``base64: "yes"``).
"""

from __future__ import annotations

from .._platform import PlatformAdapter, PlatformProvider
from .capabilities import PLATFORM

__all__ = ["ModelsLabAdapter"]


class ModelsLabAdapter(PlatformAdapter):
    """Translates neutral jobs for ModelsLab's ``/api/v6/images/inpaint``.

    ``data_url_prefix`` (see :class:`~inpaintkit.providers._platform.PlatformAdapter`) exists so
    that users can follow the provider if it turns out to want bare base64, without patching.
    """

    def __init__(
        self, *, data_url_prefix: bool = True, platform: PlatformProvider = PLATFORM
    ) -> None:
        super().__init__(platform, data_url_prefix=data_url_prefix)

    def __repr__(self) -> str:
        return f"ModelsLabAdapter(data_url_prefix={self._data_url_prefix})"
