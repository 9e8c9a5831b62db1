"""What the ``http_exchange`` hook costs per HTTP exchange, side by side with a bare send.

Three ways to send one request through an in-memory transport (so only the wrapping is
measured, not a network), alternating rounds so machine noise hits all alike:

* ``bare``: ``await transport.send(request)``, the baseline;
* ``no plugin``: :func:`inpaintkit.exchange.exchange` with the default plugin manager (the
  built-in providers, none implementing the hook), what every client pays;
* ``one wrapper``: the same with one timing wrapper registered, what tracing costs.

A loopback HTTP round trip with aiohttp is measured too, to put the overhead in proportion.
CPU time (``process_time``) and wall time are both reported, as ratios to the baseline.

Run: .venv/bin/python bench/bench_exchange_hook.py
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, Generator
from typing import Any

import aiohttp
from aiohttp import web
from inpaintkit import hookimpl
from inpaintkit.exchange import exchange
from inpaintkit.plugins import make_plugin_manager
from inpaintkit.provider import HttpResponse
from inpaintkit.transport import MemoryTransport, OutgoingRequest

ROUNDS = 7
SENDS = 20_000
LOOPBACK_SENDS = 300

RESPONSE = HttpResponse(200, b"{}", {"content-type": "application/json"})
REQUEST = OutgoingRequest("GET", "http://bench.invalid/task/1", {})


class Timing:
    def __init__(self) -> None:
        self.total = 0.0

    @hookimpl(wrapper=True)
    def http_exchange(self, request: OutgoingRequest) -> Generator[None, Any, Any]:
        started = time.perf_counter()
        try:
            return (yield)
        finally:
            self.total += time.perf_counter() - started


async def measure(send_once: Callable[[], Awaitable[object]], n: int) -> tuple[float, float]:
    """(wall, cpu) microseconds per call."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        await send_once()
    return (
        (time.perf_counter() - wall) / n * 1e6,
        (time.process_time() - cpu) / n * 1e6,
    )


async def loopback_us() -> float:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response({})

    app = web.Application()
    app.router.add_get("/", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with aiohttp.ClientSession() as session:
            started = time.perf_counter()
            for _ in range(LOOPBACK_SENDS):
                async with session.get(f"http://127.0.0.1:{port}/") as response:
                    await response.read()
            return (time.perf_counter() - started) / LOOPBACK_SENDS * 1e6
    finally:
        await runner.cleanup()


async def main() -> None:
    transport = MemoryTransport(lambda request: RESPONSE)
    plain_pm = make_plugin_manager(entry_points=False, mocks=False)
    traced_pm = make_plugin_manager(entry_points=False, mocks=False, plugins=[Timing()])

    def bare() -> Awaitable[HttpResponse]:
        transport.requests.clear()
        return transport.send(REQUEST, timeout=1.0)

    def via(pm: Any) -> Callable[[], Awaitable[HttpResponse]]:
        def once() -> Awaitable[HttpResponse]:
            transport.requests.clear()
            return exchange(pm, REQUEST, "bench", lambda: transport.send(REQUEST, timeout=1.0))

        return once

    cases = {"bare": bare, "no plugin": via(plain_pm), "one wrapper": via(traced_pm)}
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for _ in range(ROUNDS):
        for name, once in cases.items():
            samples[name].append(await measure(once, SENDS))
    base_wall = statistics.median(w for w, _ in samples["bare"])
    base_cpu = statistics.median(c for _, c in samples["bare"])
    print(f"{ROUNDS} rounds x {SENDS} sends, medians (in-memory transport)")
    print(f"{'case':<12} {'wall us':>8} {'cpu us':>8} {'wall x':>7} {'cpu x':>7} {'+cpu us':>8}")
    for name in cases:
        wall = statistics.median(w for w, _ in samples[name])
        cpu = statistics.median(c for _, c in samples[name])
        print(
            f"{name:<12} {wall:8.2f} {cpu:8.2f} {wall / base_wall:7.2f} {cpu / base_cpu:7.2f}"
            f" {cpu - base_cpu:8.2f}"
        )
    rtt = await loopback_us()
    extra = statistics.median(c for _, c in samples["no plugin"]) - base_cpu
    print(f"loopback aiohttp GET: {rtt:.0f} us wall per exchange")
    print(f"hook overhead with no plugin: {extra / rtt:.2%} of one loopback exchange")


if __name__ == "__main__":
    asyncio.run(main())
