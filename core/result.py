"""What a finished job returns."""

from __future__ import annotations

from typing import Any

import attrs

from .planning import Disposition, FieldOutcome, fields_with
from .provider import RunEcho

__all__ = ["InpaintResult", "ResultImage", "Timings"]


@attrs.frozen(repr=False)
class ResultImage:
    """One output image: its bytes (downloaded) and where the provider served it.

    ``url`` and ``url_expires_at`` (seconds on the client's clock) are kept because provider
    URLs are presigned and expire, typically after an hour; ``data`` is always filled in by the
    client, so the image survives the URL.
    """

    data: bytes
    format: str
    width: int
    height: int
    url: str | None = None
    url_expires_at: float | None = None
    nsfw: bool | None = None
    """The provider plugin's NSFW verdict (``None``: not checked or not reported)."""
    nsfw_confidence: float | None = None
    """The provider's NSFW score in [0, 1], when it reports one."""

    def save(self, path: Any) -> None:
        """Write the image bytes to ``path``."""
        from pathlib import Path

        Path(path).write_bytes(self.data)

    def __repr__(self) -> str:
        return (
            f"ResultImage({self.width}x{self.height} {self.format}, <{len(self.data)} bytes>, "
            f"url={self.url!r})"
        )


@attrs.frozen
class Timings:
    """Where the time went, in seconds of the client's clock."""

    total: float
    submit: float
    waiting: float
    download: float
    polls: int


@attrs.frozen
class InpaintResult:
    """A finished job.

    ``outcomes`` records what happened to every field the job used: native, emulated on the
    client, or dropped under the warn/drop policy. ``echoes`` are the provider's reports of what
    actually ran (:class:`~inpaintkit.provider.RunEcho`, one per request, ``None`` where it sent
    none; ``echo`` is the first). ``raw`` holds the provider's final response bodies (one per
    request when a job was split), with secrets redacted; a plugin may replace inline image data
    there by a note of its length (the bytes are in ``images``).
    """

    images: tuple[ResultImage, ...]
    provider: str
    task_ids: tuple[str, ...]
    seed: int | None
    timings: Timings
    outcomes: tuple[FieldOutcome, ...] = ()
    raw: tuple[Any, ...] = attrs.field(default=(), repr=False)
    echoes: tuple[RunEcho | None, ...] = ()

    @property
    def echo(self) -> RunEcho | None:
        """The provider's echo of the first request (most jobs have exactly one)."""
        return next((e for e in self.echoes if e is not None), None)

    @property
    def dropped(self) -> tuple[str, ...]:
        """Fields dropped because the provider does not support them."""
        return fields_with(self.outcomes, Disposition.DROPPED)

    @property
    def emulated(self) -> tuple[str, ...]:
        """Fields the client emulated."""
        return fields_with(self.outcomes, Disposition.EMULATED)

    @property
    def task_id(self) -> str | None:
        """The first task id (most jobs have exactly one)."""
        return self.task_ids[0] if self.task_ids else None
