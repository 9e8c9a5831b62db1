"""The ``inpaintkit`` console script.

Subcommands: ``demo`` (the offline tour), ``run`` (a job file on a provider, optionally against
the embedded mock), ``validate`` (the dry run of ``run``), ``compare`` (one job on several
providers, with a contact sheet), ``providers`` (what is installed), ``matrix`` (the capability
matrix as Markdown), ``models`` (a provider's model list), ``conformance`` and ``mock`` (serve
the mock server) and ``batch`` (every job of a JSON Lines manifest, resumable through a ledger
in its output folder).

Exit codes: 0 success; 1 a job or provider failed; 2 bad input or usage (an invalid job, an
unknown provider, a missing job file, an unwritable output folder, a busy port).  User errors
are one message on stderr, never a traceback; errors carry hints phrased for this interface
(``--unsupported warn``, not ``unsupported='warn'``).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import sys
import warnings
from argparse import SUPPRESS
from collections.abc import Iterator, Sequence

from . import __version__, commands
from .clock import Clock
from .commands import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, exit_code, say
from .errors import InpaintError
from .planning import UnsupportedFieldWarning

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "UsageError", "build_parser", "main"]

EPILOG = (
    "exit codes: 0 success; 1 a job or provider failed; 2 bad input or usage "
    "(invalid job, unknown provider, missing file, unwritable folder, busy port)"
)


# --- the parser ------------------------------------------------------------------------------


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-q", "--quiet", action="store_true", help="print only results and errors; no progress"
    )
    common.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="show the client's log on stderr (-v requests and retries, -vv everything)",
    )
    return common


def _json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the report as JSON on stdout")


def _job_options(parser: argparse.ArgumentParser, *, several: bool) -> None:
    parser.add_argument("job", help="path of a JSON job file (image paths relative to it)")
    parser.add_argument(
        "--provider",
        "-p",
        action="append",
        required=True,
        metavar="ID",
        help="provider id, case-insensitive"
        + ("; repeat for several" if several else " (one; `compare` takes several)"),
    )
    parser.add_argument(
        "--unsupported",
        choices=["strict", "warn", "drop"],
        default="strict",
        help="fields the provider cannot honour: strict = error (default), warn = drop and "
        "say so, drop = drop quietly (recorded in the result either way)",
    )


def _connection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base-url", metavar="URL", help="send every request here instead of the provider"
    )
    parser.add_argument(
        "--mock", action="store_true", help="run against an embedded mock server (offline)"
    )
    parser.add_argument("--seed", type=int, default=0, help="the mock's seed (with --mock)")


def _per_minute(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number per minute above 0, got {text!r}")
    return value


def _rate_limit_options(parser: argparse.ArgumentParser, *, whose: str) -> None:
    """Client-side rate limits: each flag replaces one of the provider's documented limits
    (``providers`` lists them); the others stay.  Shards sharing one key divide them."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--rate-limit",
        type=_per_minute,
        metavar="RPM",
        help=f"send at most RPM submits a minute to {whose}, instead of its documented limit "
        "(`inpaintkit providers`); N processes sharing one key each take RPM/N",
    )
    parser.add_argument(
        "--images-per-minute",
        type=_per_minute,
        metavar="IPM",
        help=f"ask {whose} for at most IPM images a minute, instead of its documented limit; "
        "N processes sharing one key each take IPM/N",
    )
    group.add_argument(
        "--no-rate-limit",
        action="store_true",
        help=f"no client-side limit for {whose} (rates and jobs at once): for a plan above the "
        "documented limits; the provider's 429 answers still slow every request down",
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    parser = argparse.ArgumentParser(
        prog="inpaintkit",
        description="Provider-agnostic image inpainting: one neutral job, any provider.",
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"inpaintkit {__version__}")
    # -q and -v before the command too (`inpaintkit -v batch ...`); merged in main().
    parser.add_argument("-q", "--quiet", dest="quiet_before", action="store_true", help=SUPPRESS)
    parser.add_argument(
        "-v", "--verbose", dest="verbose_before", action="count", default=0, help=SUPPRESS
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = _common()

    def add(name: str, text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=text, description=text, parents=[common], epilog=EPILOG)

    p = add("providers", "list the installed providers")
    _json_option(p)
    p.set_defaults(func=commands.cmd_providers)

    p = add("matrix", "print the capability matrix as Markdown")
    p.add_argument("--output", "-o", metavar="FILE", help="write to this file instead of stdout")
    p.add_argument(
        "--builtins", action="store_true", help="only the built-in providers (docs/providers.md)"
    )
    p.set_defaults(func=commands.cmd_matrix)

    p = add("validate", "dry run of `run`: every check that needs no request, all errors at once")
    _job_options(p, several=True)
    _json_option(p)
    p.set_defaults(func=commands.cmd_validate)

    p = add("run", "run a job file on a provider")
    _job_options(p, several=False)
    p.add_argument(
        "--out",
        metavar="DIR",
        help="folder for the images (default: next to the job file, named JOB-PROVIDER-N)",
    )
    _connection_options(p)
    _rate_limit_options(p, whose="the provider")
    _json_option(p)
    p.set_defaults(func=commands.cmd_run)

    p = add("compare", "run one job on several providers; write a contact sheet and summary")
    _job_options(p, several=True)
    p.add_argument(
        "--model",
        action="append",
        metavar="PROVIDER=MODEL",
        help="the model for one provider (model ids differ between providers); repeatable",
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        help="folder for outputs, summary.json and contact-sheet.png (default: JOB-compare "
        "next to the job file)",
    )
    _connection_options(p)
    _rate_limit_options(p, whose="each provider")
    _json_option(p)
    p.set_defaults(func=commands.cmd_compare)

    p = add("batch", "run every job of a JSON Lines manifest; rerun to resume after a crash")
    p.add_argument(
        "manifest",
        help="JSON Lines file, one job per line (image paths relative to it); optional keys per "
        "line: id (default: the line number), provider, overrides ({provider: {field: value}})",
    )
    p.add_argument(
        "--provider",
        "-p",
        action="append",
        required=True,
        metavar="ID",
        help="provider of the lines that name none, case-insensitive (one)",
    )
    p.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="folder for the images, results.jsonl, summary.json and the ledger; the same "
        "command with the same DIR resumes an interrupted run",
    )
    p.add_argument(
        "--unsupported",
        choices=["strict", "warn", "drop"],
        default="strict",
        help="fields a provider cannot honour: strict = error (default), warn or drop = drop "
        "them (recorded in results.jsonl either way)",
    )
    p.add_argument(
        "--concurrency",
        type=_positive_int,
        default=None,
        metavar="N",
        help="jobs in flight at once per provider (default: the provider's documented job "
        "limit, else 8); capped at that limit unless --no-rate-limit",
    )
    p.add_argument(
        "--resubmit-unknown",
        action="store_true",
        help="send again the jobs whose earlier submit may or may not have reached the "
        "provider (listed by a run without this flag; they may be billed twice)",
    )
    p.add_argument(
        "--shard",
        metavar="K/N",
        help="run only shard K of N (split by a stable hash of the job id), e.g. one per "
        "machine, each with its own --out",
    )
    _connection_options(p)
    _rate_limit_options(p, whose="the --provider")
    _json_option(p)
    p.set_defaults(func=commands.cmd_batch)

    p = add("models", "list a provider's models (the values for a job's model)")
    p.add_argument(
        "--provider", "-p", required=True, metavar="ID", help="provider id, case-insensitive"
    )
    p.add_argument("--all", action="store_true", help="every checkpoint, not only inpainting ones")
    _connection_options(p)
    _json_option(p)
    p.set_defaults(func=commands.cmd_models)

    p = add("demo", "the offline tour: every provider against the mock server")
    p.add_argument(
        "--out", default="out", metavar="DIR", help="folder for inputs, outputs and summary.json"
    )
    p.add_argument(
        "--provider", "-p", action="append", metavar="ID", help="limit to these providers"
    )
    _json_option(p)
    p.set_defaults(func=commands.cmd_demo)

    p = add("conformance", "run the conformance suite against the mock server")
    p.add_argument(
        "--provider", "-p", action="append", metavar="ID", help="limit to these providers"
    )
    p.add_argument("--matrix-out", metavar="FILE", help="write the compatibility matrix here")
    p.set_defaults(func=commands.cmd_conformance)

    p = add("mock", "serve the mock server until interrupted")
    try:
        from inpaintkit.mockserver import cli as mock_cli

        mock_cli.add_arguments(p)
    except ImportError:  # pragma: no cover - the mock ships with the package
        pass
    p.set_defaults(func=commands.cmd_mock)
    return parser


@contextlib.contextmanager
def _logging(verbosity: int) -> Iterator[None]:
    """The client's log on stderr for ``-v`` (INFO) and ``-vv`` (DEBUG), for this call only."""
    if verbosity <= 0:
        yield
        return
    logger = logging.getLogger("inpaintkit")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbosity > 1 else logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def main(argv: Sequence[str] | None = None, *, clock: Clock | None = None) -> int:
    """Entry point of the console script; returns the exit code.

    ``clock`` is the time source of the client, the embedded mock and the progress display;
    tests pass a :class:`~inpaintkit.clock.VirtualClock`, so that polling takes no real time.
    """
    args = build_parser().parse_args(argv)
    args.quiet = args.quiet or args.quiet_before
    args.verbose += args.verbose_before
    args.time_source = clock  # not ``clock``: that is the mock command's --clock option
    with _logging(args.verbose), warnings.catch_warnings():
        # Dropped fields are reported by the commands in CLI terms, not as Python warnings.
        warnings.simplefilter("ignore", UnsupportedFieldWarning)
        try:
            code: int = args.func(args)
            return code
        except UsageError as exc:
            say(exc)
            return EXIT_USAGE
        except InpaintError as exc:
            say(exc)
            return exit_code(exc)
        except KeyboardInterrupt:
            return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
