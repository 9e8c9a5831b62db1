"""Reading the user's files (job files, manifests, image paths) without being hung or flooded.

``Path.read_bytes`` reads whatever the path names until it ends: ``/dev/zero`` or
``/dev/urandom`` never end (the process grows until a bare ``MemoryError``), and a FIFO
without a writer blocks the opening thread forever.  :func:`read_file` reads regular files
only; anything else is an :class:`OSError` with a ``strerror``, as an unreadable file is.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

__all__ = ["read_file"]

NOT_REGULAR = "not a regular file (a device, pipe or socket)"
"""The ``strerror`` of the error for a path that names no regular file."""


def read_file(path: Path | str) -> bytes:
    """The bytes of the regular file at ``path`` (symbolic links followed).

    Opened without blocking (a FIFO opens at once and is then refused), checked to be a
    regular file, then read.  A folder raises :class:`IsADirectoryError`, any other kind of
    file an :class:`OSError` whose ``strerror`` is :data:`NOT_REGULAR`.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, NOT_REGULAR, str(path))
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read()
    finally:
        os.close(fd)
