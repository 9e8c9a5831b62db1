"""One seed, many independent random streams.

Ids, etas, image seeds and fault draws each get their own :class:`random.Random`, derived from
the configured seed and the stream's name.  Streams are independent so that, say, enabling a
fault does not change the task ids a test expects; each is reproducible from the seed alone.
"""

from __future__ import annotations

import hashlib
import random
import threading
import uuid

__all__ = ["IdFactory", "SeededStreams", "derive_seed"]


def derive_seed(*parts: object) -> int:
    """A stable 64-bit seed from any printable parts (unlike ``hash()``, not salted per run)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big")


class SeededStreams:
    """Named random streams derived from one seed; :meth:`reset` rewinds them all."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._lock = threading.Lock()
        self._streams: dict[str, random.Random] = {}

    def stream(self, name: str) -> random.Random:
        with self._lock:
            rng = self._streams.get(name)
            if rng is None:
                rng = self._streams[name] = random.Random(derive_seed(self.seed, name))
            return rng

    def reset(self, seed: int | None = None) -> None:
        with self._lock:
            if seed is not None:
                self.seed = seed
            self._streams.clear()


class IdFactory:
    """Provider-looking ids: UUID strings (Novita) and growing integers (SDAPI, ModelsLab)."""

    def __init__(self, streams: SeededStreams) -> None:
        self._streams = streams
        self._lock = threading.Lock()
        self._next_int: int | None = None

    def uuid(self) -> str:
        rng = self._streams.stream("ids.uuid")
        with self._lock:
            return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def integer(self) -> int:
        """Integer ids grow like the real ones (``12384052``, ``134712448``), from a seeded base."""
        with self._lock:
            if self._next_int is None:
                self._next_int = self._streams.stream("ids.int").randint(10_000_000, 99_999_999)
            value = self._next_int
            self._next_int += self._streams.stream("ids.step").randint(1, 97)
            return value

    def reset(self) -> None:
        with self._lock:
            self._next_int = None
