"""``inpaintkit mock`` / ``python -m inpaintkit.mockserver``: serve the mock until interrupted.

Binds to loopback by default and prints its base URL on the first line of output, so scripts
can read it.  Options mirror :class:`~inpaintkit.mockserver.config.MockConfig`; ``--config``
takes a JSON file of options, and the flags given on the command line override it.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from .config import ConfigError, MockConfig
from .faults import rule_from_spec

__all__ = ["add_arguments", "config_from_args", "main", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the mock's options to ``parser`` (used by ``inpaintkit mock`` and ``-m``)."""
    parser.add_argument("--host", default=None, help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="TCP port (default 0 = free)")
    parser.add_argument("--seed", type=int, default=None, help="seed for ids, images, faults")
    parser.add_argument("--config", type=Path, default=None, help="JSON file of MockConfig options")
    parser.add_argument("--clock", choices=["real", "manual"], default=None, help="clock mode")
    parser.add_argument("--time-scale", type=float, default=None, help="mock seconds per second")
    parser.add_argument(
        "--timings", choices=["fast", "realistic"], default=None, help="task durations"
    )
    parser.add_argument(
        "--sync-mode",
        choices=["instant", "processing", "load"],
        default=None,
        help="StableDiffusionAPI/ModelsLab: success at once, processing, or by queue load",
    )
    parser.add_argument(
        "--finish-after-polls", type=int, default=None, help="tasks finish on their N-th poll"
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="a fault rule, e.g. 'server_error:503:first=2' or 'latency:3:p=0.5' (repeatable)",
    )
    parser.add_argument(
        "--allow-fetch-host",
        action="append",
        default=[],
        metavar="HOST",
        help="host[:port] the mock may fetch request image URLs from (repeatable)",
    )
    parser.add_argument(
        "--allow-webhook-host",
        action="append",
        default=[],
        metavar="HOST",
        help="non-loopback host[:port] webhooks may be delivered to (repeatable)",
    )
    parser.add_argument(
        "--strict-urls",
        action="store_true",
        default=None,
        help="answer non-allow-listed image URLs with the provider's fetch error",
    )
    parser.add_argument("--s3-endpoint", default=None, help="S3 endpoint for custom_storage")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes rendering output images (default 1: threads of the server process); "
        "the server itself stays one process so task state is consistent",
    )


def config_from_args(args: argparse.Namespace) -> MockConfig:
    """The configuration the parsed arguments describe (``--config`` file, then flags)."""
    data: dict[str, Any] = {}
    if args.config is not None:
        try:
            data.update(json.loads(Path(args.config).read_text()))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"--config: cannot read {args.config}: {exc}") from exc
    flags = {
        "host": args.host,
        "port": args.port,
        "seed": args.seed,
        "clock": args.clock,
        "time_scale": args.time_scale,
        "timings": args.timings,
        "sync_mode": args.sync_mode,
        "finish_after_polls": args.finish_after_polls,
        "strict_urls": args.strict_urls,
        "s3_endpoint": args.s3_endpoint,
        "workers": args.workers,
    }
    data.update({k: v for k, v in flags.items() if v is not None})
    if args.allow_fetch_host:
        data["fetch_allowed_hosts"] = list(args.allow_fetch_host)
    if args.allow_webhook_host:
        data["webhook_allowed_hosts"] = list(args.allow_webhook_host)
    config = MockConfig.from_dict(data)
    if args.fault:
        rules = tuple(rule_from_spec(spec) for spec in args.fault)
        config = MockConfig.from_dict({"faults": list(config.faults) + list(rules)}, base=config)
    return config


def run(args: argparse.Namespace, *, stop: threading.Event | None = None) -> int:
    """Serve until interrupted (or ``stop`` is set); print the base URL first.  Returns 0, or 2
    for a bad option (the message names the option, the value and the rule)."""
    from .server import MockServer

    try:
        config = config_from_args(args)
    except ConfigError as exc:
        print(f"inpaintkit mock: {exc}", file=sys.stderr)
        return 2
    stop = stop or threading.Event()
    _stop_on_sigterm(stop)
    with MockServer(config) as server:
        print(server.url, flush=True)
        print(
            f"serving {', '.join(sorted(server.ctx.providers))}; admin API at "
            f"{server.url}/__mock/ (health: {server.url}/__mock/health); Ctrl-C to stop",
            file=sys.stderr,
            flush=True,
        )
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0


def _stop_on_sigterm(stop: threading.Event) -> None:
    """SIGTERM (``docker stop``, CI service teardown) stops the server gracefully, as Ctrl-C
    does: in-flight requests and webhook attempts finish before the process exits."""
    if threading.current_thread() is not threading.main_thread():
        return
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m inpaintkit.mockserver",
        description="Offline mock of the Novita, StableDiffusionAPI and ModelsLab inpainting APIs.",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))
