"""A small, bounded HTTP load generator and the servers it measures (used by bench_mock.py).

Every run is bounded in count and in time, and only ever talks to 127.0.0.1.  Servers run as
subprocesses pinned to their own core where the machine allows (``os.sched_setaffinity``), the
load generator on another, so that each side's rate is per core.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from PIL import Image, ImageDraw

HOST = "127.0.0.1"


@dataclass
class Rate:
    """What one bounded run measured."""

    name: str
    count: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    server_cpu: float | None = None
    """CPU seconds the server process (and its children) used during the run."""

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else 0.0

    @property
    def per_cpu_second(self) -> float | None:
        """Requests per CPU-second of the server: its rate on one whole core of its own,
        whatever else the machine was doing."""
        if not self.server_cpu:
            return None
        return self.count / self.server_cpu

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")


Op = Callable[[aiohttp.ClientSession, int], Awaitable[int]]


async def hammer(
    name: str,
    op: Op,
    *,
    concurrency: int,
    max_requests: int,
    max_seconds: float,
    warmup: int = 20,
    server_pid: int | None = None,
) -> Rate:
    """Run ``op`` ``max_requests`` times (or for ``max_seconds``) with ``concurrency`` workers;
    with ``server_pid``, also measure the server's CPU time over the run."""
    connector = aiohttp.TCPConnector(limit=concurrency * 2, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        for i in range(min(warmup, max_requests)):
            await op(session, -1 - i)
        rate = Rate(name, 0, 0.0)
        counter = iter(range(max_requests))
        cpu_before = cpu_seconds(server_pid) if server_pid else None
        started = time.perf_counter()
        deadline = started + max_seconds

        async def worker() -> None:
            for i in counter:
                if time.perf_counter() > deadline:
                    return
                t0 = time.perf_counter()
                try:
                    status = await op(session, i)
                except (aiohttp.ClientError, TimeoutError, AssertionError, KeyError):
                    rate.failures += 1
                    continue
                rate.latencies.append(time.perf_counter() - t0)
                rate.statuses[status] = rate.statuses.get(status, 0) + 1
                rate.count += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        rate.seconds = time.perf_counter() - started
        if server_pid and cpu_before is not None:
            after = cpu_seconds(server_pid)
            rate.server_cpu = None if after is None else after - cpu_before
    return rate


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system, the process and its waited-for children) from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


# -- inputs ------------------------------------------------------------------------------------


def photo(size: int, seed: int = 3) -> bytes:
    """A 512x512-ish photo stand-in (gradient and shapes) as PNG bytes."""
    rng = random.Random(seed)
    image = Image.linear_gradient("L").resize((size, size)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(size), rng.randrange(size)
        r = rng.randint(size // 20, size // 5)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(256) for _ in "rgb"))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def mask(size: int) -> bytes:
    image = Image.new("L", (size, size), 0)
    ImageDraw.Draw(image).rectangle((size // 4, size // 4, 3 * size // 4, 3 * size // 4), 255)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# -- servers -------------------------------------------------------------------------------------


def pin(process_id: int, cores: Sequence[int]) -> None:
    """Pin a process to ``cores`` where the platform allows it (a no-op elsewhere)."""
    available = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    chosen = {c for c in cores if c in available}
    if chosen and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(process_id, chosen)


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_mock(config: dict[str, Any], *, src: Path | None, core: int, workdir: Path) -> Server:
    """``python -m inpaintkit.mockserver`` with ``config``; ``src`` prepends a source tree (the
    original code, for before/after runs) to the import path."""
    cfg = workdir / "mock-config.json"
    cfg.write_text(json.dumps(config))
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = f"{src}{os.pathsep}{env.get('PYTHONPATH', '')}"
    process = subprocess.Popen(
        [sys.executable, "-m", "inpaintkit.mockserver", "--config", str(cfg), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert process.stdout is not None
    url = process.stdout.readline().decode().strip()
    if not url.startswith("http://"):
        process.kill()
        raise RuntimeError(f"mock did not start: {url!r}")
    pin(process.pid, [core])
    return Server("mock", url, process)


def wait_until_up(url: str, *, seconds: float = 60.0) -> bool:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return True
        except urllib.error.HTTPError:
            return True  # it answers, whatever it says
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.25)
    return False


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port
