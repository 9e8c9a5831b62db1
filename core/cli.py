"""The ``inpaintkit`` console script.

Subcommands: ``demo`` (the offline tour), ``run`` (a job file on a provider, optionally against
the embedded mock), ``validate`` (a dry run against a provider's capability table),
``providers`` (what is installed), ``matrix`` (the capability matrix as Markdown) and ``mock``
(serve the mock server).  Exit codes: 0 success, 1 the job failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import InpaintError, ValidationError
from .result import InpaintResult

__all__ = ["main"]


def _providers(args: argparse.Namespace) -> int:
    from .matrix import spec_summary
    from .plugins import ProviderRegistry

    registry = ProviderRegistry.default()
    summaries = [spec_summary(registry[pid]) for pid in sorted(registry)]
    if args.json:
        print(json.dumps(summaries, indent=2))
        return 0
    for s in summaries:
        native = sum(1 for c in s["capabilities"] if c["support"] == "native")
        emulated = sum(1 for c in s["capabilities"] if c["support"] == "emulated")
        print(
            f"{s['id']:<20} {s['name']:<22} {s['mode']:<5} {s['base_url']}  "
            f"({native} native, {emulated} emulated fields; key from {s['env_var']})"
        )
    return 0


def _matrix(args: argparse.Namespace) -> int:
    from .matrix import render_matrix
    from .plugins import ProviderRegistry, make_plugin_manager

    pm = make_plugin_manager(entry_points=not args.builtins)
    text = render_matrix(ProviderRegistry.from_plugin_manager(pm))
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        print(text, end="")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from .convert import load_job
    from .planning import plan_job
    from .plugins import ProviderRegistry

    job = load_job(args.job)
    spec = ProviderRegistry.default()[args.provider].spec
    plan = plan_job(job, spec, unsupported=args.unsupported)
    print(f"{args.job}: valid for {spec.id}")
    for outcome in plan.outcomes:
        print(f"  {outcome.field:<28} {outcome.disposition.value:<9} {outcome.note}")
    if len(plan.batches) > 1:
        print(f"  num_images split over {len(plan.batches)} requests: {list(plan.batches)}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from .client import InpaintClient
    from .convert import load_job

    job = load_job(args.job)
    out = Path(args.out)

    async def go(base_url: str | None, keys: dict[str, str] | None) -> InpaintResult:
        async with InpaintClient(
            base_url=base_url, api_keys=keys, unsupported=args.unsupported
        ) as client:
            return await client.inpaint(job, args.provider)

    if args.mock:
        from inpaintkit.mockserver import MockConfig, MockServer

        with MockServer(MockConfig(seed=args.seed)) as mock:
            result = asyncio.run(go(mock.url, {args.provider: "mock-key"}))
    else:
        result = asyncio.run(go(args.base_url, None))
    out.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(result.images):
        path = out / f"{args.provider}-{i}.{image.format}"
        image.save(path)
        print(path)
    for outcome in result.outcomes:
        if outcome.disposition.value != "native":
            print(f"  {outcome.field}: {outcome.disposition.value} ({outcome.note})")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    rows = run_demo(Path(args.out), args.provider or None)
    failed = 0
    for row in rows:
        if row["ok"]:
            print(f"{row['provider']:<20} ok   {', '.join(row['images'])}  tasks={row['task_ids']}")
            print(f"{'':<25}emulated={row['emulated']} dropped={row['dropped']}")
        else:
            failed += 1
            print(f"{row['provider']:<20} FAILED {row['error']}")
    print(f"outputs and summary.json in {args.out}/")
    return 1 if failed else 0


def _conformance(args: argparse.Namespace) -> int:
    from inpaintkit.conformance.runner import missing_requirements, run_conformance

    problem = missing_requirements()
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    out = Path(args.matrix_out) if args.matrix_out else None
    code, matrix, _ = run_conformance(args.provider or None, matrix_out=out)
    if out is None:
        print(matrix, end="")
    return code


def _mock(args: argparse.Namespace) -> int:
    from inpaintkit.mockserver import cli as mock_cli

    return mock_cli.run(args)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    parser = argparse.ArgumentParser(prog="inpaintkit", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("providers", help="list installed providers")
    p.add_argument("--json", action="store_true", help="print JSON with capability tables")
    p.set_defaults(func=_providers)

    p = sub.add_parser("matrix", help="print the capability matrix as Markdown")
    p.add_argument("--output", "-o", help="write to this file instead of stdout")
    p.add_argument(
        "--builtins", action="store_true", help="only the built-in providers (docs/providers.md)"
    )
    p.set_defaults(func=_matrix)

    for name, func, text in (
        ("validate", _validate, "check a job file against a provider without sending it"),
        ("run", _run, "run a job file on a provider"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("job", help="path of a JSON job file")
        p.add_argument("--provider", "-p", required=True)
        p.add_argument("--unsupported", choices=["strict", "warn", "drop"], default="strict")
        if name == "run":
            p.add_argument("--out", default="out", help="folder for the result images")
            p.add_argument("--base-url", help="send requests here instead of the provider")
            p.add_argument("--mock", action="store_true", help="run against an embedded mock")
            p.add_argument("--seed", type=int, default=0, help="mock seed (with --mock)")
        p.set_defaults(func=func)

    p = sub.add_parser("demo", help="the offline tour: every provider against the mock server")
    p.add_argument("--out", default="out", help="folder for inputs, outputs and summary.json")
    p.add_argument("--provider", "-p", action="append", help="limit to these providers")
    p.set_defaults(func=_demo)

    p = sub.add_parser("conformance", help="run the conformance suite against the mock server")
    p.add_argument("--provider", "-p", action="append", help="limit to these providers")
    p.add_argument("--matrix-out", help="write the compatibility matrix (Markdown) here")
    p.set_defaults(func=_conformance)

    p = sub.add_parser("mock", help="serve the mock server until interrupted")
    try:
        from inpaintkit.mockserver import cli as mock_cli

        mock_cli.add_arguments(p)
    except ImportError:  # pragma: no cover - the mock ships with the package
        pass
    p.set_defaults(func=_mock)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except ValidationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except InpaintError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
