"""What each ``inpaintkit`` subcommand does; :mod:`inpaintkit.cli` parses and dispatches.

Every command returns its exit code (see :data:`EXIT_OK`, :data:`EXIT_FAILED`,
:data:`EXIT_USAGE`) and raises :class:`UsageError` or an
:class:`~inpaintkit.errors.InpaintError` for :func:`inpaintkit.cli.main` to render in CLI
terms.  ``validate``, ``run`` and ``compare`` all go through :mod:`inpaintkit.dryrun` before
they send, so they report a bad job the same way.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InpaintError, ValidationError
from .plugins import ProviderRegistry, UnknownProviderError

if TYPE_CHECKING:
    from .client import InpaintClient

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "UsageError",
    "cmd_batch",
    "cmd_compare",
    "cmd_conformance",
    "cmd_demo",
    "cmd_matrix",
    "cmd_mock",
    "cmd_models",
    "cmd_providers",
    "cmd_run",
    "cmd_validate",
    "exit_code",
    "say",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input on the command line that the user can fix: exit 2 with one message."""


def exit_code(exc: InpaintError) -> int:
    """2 for errors in what the user gave (the job, the provider id), 1 for failures."""
    return EXIT_USAGE if isinstance(exc, ValidationError | UnknownProviderError) else EXIT_FAILED


def say(exc: InpaintError | UsageError) -> None:
    """One line (plus field errors) on stderr, with the hint phrased for the command line."""
    text = exc.describe("cli") if isinstance(exc, InpaintError) else str(exc)
    print(f"inpaintkit: error: {text}", file=sys.stderr)


def _quiet_print(args: argparse.Namespace, *lines: str) -> None:
    if not getattr(args, "quiet", False):
        for line in lines:
            print(line)


# --- shared helpers --------------------------------------------------------------------------


def _registry() -> ProviderRegistry:
    return ProviderRegistry.default()


def _providers_of(args: argparse.Namespace, registry: ProviderRegistry) -> list[str]:
    """The ``-p`` values resolved to installed ids (case-insensitive), duplicates removed."""
    return list(dict.fromkeys(registry.resolve(p) for p in args.provider))


def _job_path(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        reason = "is a folder" if path.is_dir() else "does not exist"
        raise UsageError(f"job file {text} {reason}")
    return path


def _writable_folder(path: Path) -> Path:
    """Create ``path`` if needed and prove it writable now, before anything is paid for."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".inpaintkit-probe-"):
            pass
    except OSError as exc:
        raise UsageError(f"cannot write to output folder {path} ({exc.strerror or exc})") from None
    return path


def _progress(args: argparse.Namespace) -> Any:
    import time

    from .progress import Progress

    clock = args.time_source.time if args.time_source is not None else time.monotonic
    return Progress(mode="quiet" if args.quiet else "auto", clock=clock)


@contextlib.contextmanager
def _connection(
    args: argparse.Namespace, providers: Sequence[str]
) -> Iterator[tuple[str | None, dict[str, str] | None]]:
    """``(base_url, api_keys)`` for the client: an embedded mock with ``--mock``, else the
    providers' real URLs (or ``--base-url``) and keys from the environment."""
    if not args.mock:
        yield args.base_url, None
        return
    from inpaintkit.mockserver import MockConfig, MockServer

    try:
        mock = MockServer(MockConfig(seed=args.seed), clock=args.time_source).start()
    except RuntimeError as exc:
        raise UsageError(f"cannot start the embedded mock ({exc.__cause__ or exc})") from None
    try:
        yield mock.url, dict.fromkeys(providers, "mock-key")
    finally:
        mock.stop()


# --- commands --------------------------------------------------------------------------------


def _image_hosts(args: argparse.Namespace, registry: ProviderRegistry) -> dict[str, Any]:
    """With ``--mock``, the offline image hosts the demo uses (StableDiffusionAPI's local images
    go through the mock's ModelsLab upload); none for real runs."""
    if not getattr(args, "mock", False):
        return {}
    from .demo import offline_image_hosts

    return offline_image_hosts(registry, "mock-key")


def _one_provider(
    args: argparse.Namespace,
    registry: ProviderRegistry,
    refusal: str,
    advice: Callable[[str], str],
) -> str:
    """The one provider a command takes; several ``-p`` are refused (never silently reduced),
    the message ending with ``advice(flags)`` on what to do instead."""
    pids = _providers_of(args, registry)
    if len(pids) > 1:
        flags = " ".join(f"-p {p}" for p in pids)
        raise UsageError(f"{refusal}, got {flags}; {advice(flags)}")
    return pids[0]


def _job_client(
    args: argparse.Namespace,
    registry: ProviderRegistry,
    pids: Sequence[str],
    base_url: str | None,
    keys: dict[str, str] | None,
    **settings: Any,
) -> InpaintClient:
    """The client of the commands that run jobs (run, compare, batch): their shared options
    (--unsupported, the rate-limit flags, --mock's offline image hosts) in one place."""
    from .client import InpaintClient

    return InpaintClient(
        base_url=base_url,
        api_keys=keys,
        unsupported=args.unsupported,
        registry=registry,
        clock=args.time_source,
        rate_limits=_rate_limits(args, registry, pids),
        image_hosts=_image_hosts(args, registry),
        **settings,
    )


def _has_host(args: argparse.Namespace, registry: ProviderRegistry, pid: str) -> bool:
    """Whether ``pid``'s local images have an image host in this run (a plugin's, or the
    offline one of ``--mock``): what the dry run needs to know."""
    return registry.image_host(pid) is not None or pid in _image_hosts(args, registry)


def _rate_limits(
    args: argparse.Namespace, registry: ProviderRegistry, pids: Sequence[str]
) -> dict[str, Any]:
    """``InpaintClient(rate_limits=...)`` from ``--rate-limit``, ``--images-per-minute`` and
    ``--no-rate-limit`` for ``pids``: each flag replaces one documented limit, the rest stay."""
    import attrs

    from .ratelimit import RateLimit

    if getattr(args, "no_rate_limit", False):
        return dict.fromkeys(pids)
    changes: dict[str, Any] = {}
    if getattr(args, "rate_limit", None) is not None:
        changes["requests_per_minute"] = args.rate_limit
    if getattr(args, "images_per_minute", None) is not None:
        changes["images_per_minute"] = args.images_per_minute
    if not changes:
        return {}
    limits: dict[str, Any] = {}
    for pid in pids:
        documented = registry[pid].spec.rate_limit or RateLimit()
        limits[pid] = attrs.evolve(documented, source="command line", **changes)
    return limits


def cmd_providers(args: argparse.Namespace) -> int:
    from .matrix import spec_summary

    registry = _registry()
    summaries = [spec_summary(registry[pid]) for pid in sorted(registry)]
    if args.json:
        for s in summaries:  # citations of the project's research notes mean nothing to users
            for row in s["capabilities"]:
                row.pop("source", None)
            if s["rate_limit"] is not None:
                s["rate_limit"].pop("source", None)
        print(json.dumps(summaries, indent=2))
        return EXIT_OK
    rows = []
    for s in summaries:
        native = sum(1 for c in s["capabilities"] if c["support"] == "native")
        emulated = sum(1 for c in s["capabilities"] if c["support"] == "emulated")
        limit = s["rate_limit"]["description"] if s["rate_limit"] else "none documented"
        rows.append(
            (
                s["id"],
                s["name"],
                s["mode"],
                s["base_url"],
                f"{native}/{emulated}",
                limit,
                s["env_var"],
            )
        )
    header = ("ID", "NAME", "MODE", "BASE URL", "NATIVE/EMULATED", "RATE LIMIT", "KEY FROM")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return EXIT_OK


def cmd_matrix(args: argparse.Namespace) -> int:
    from .matrix import render_matrix
    from .plugins import make_plugin_manager

    pm = make_plugin_manager(entry_points=not args.builtins)
    text = render_matrix(ProviderRegistry.from_plugin_manager(pm))
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {args.output} ({exc.strerror or exc})") from None
    else:
        print(text, end="")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from .dryrun import check_job_file
    from .report import dry_run_json

    registry = _registry()
    pids = _providers_of(args, registry)
    path = _job_path(args.job)

    async def check_all() -> list[Any]:
        return [
            await check_job_file(
                path,
                registry[pid],
                unsupported=args.unsupported,
                image_host=registry.image_host(pid) is not None
                or pid in _image_hosts(args, registry),
            )
            for pid in pids
        ]

    code = EXIT_OK
    runs = asyncio.run(check_all())
    for dry in runs:
        error = dry.error()
        if error is not None:
            code = max(code, exit_code(error))
            say(error)
            continue
        if args.json:
            continue
        lines = [f"{args.job}: valid for {dry.provider}"]
        assert dry.plan is not None
        fitted = dry.inputs.outcomes if dry.inputs is not None else ()
        for outcome in (*dry.plan.outcomes, *fitted):
            lines.append(f"  {outcome.field:<28} {outcome.disposition.value:<9} {outcome.note}")
        if len(dry.plan.batches) > 1:
            lines.append(
                f"  num_images split over {len(dry.plan.batches)} requests: "
                f"{list(dry.plan.batches)}"
            )
        lines += [f"  note: {note}" for note in dry.notes]
        key_note = _key_note(registry, dry.provider)
        if key_note:
            lines.append(f"  note: {key_note}")
        _quiet_print(args, *lines)
    if args.json:
        print(json.dumps([dry_run_json(d) for d in runs], indent=2))
    return code


def _key_note(registry: ProviderRegistry, provider: str) -> str | None:
    """Whether ``run`` will find a key (a note, not an error: ``--mock`` needs none)."""
    from .credentials import resolve_key
    from .errors import AuthenticationError

    spec = registry[provider].spec
    try:
        resolve_key(spec, None)
    except AuthenticationError:
        return f"{spec.env_var} is not set: `run` needs it, or --mock"
    return None


def cmd_run(args: argparse.Namespace) -> int:
    from .compare import ProviderRun, run_one, save_outputs, summary_row
    from .dryrun import check_job_file
    from .report import error_json

    registry = _registry()
    pid = _one_provider(
        args,
        registry,
        "run takes one provider",
        lambda flags: f"to run the job on each, use `inpaintkit compare {args.job} {flags}`",
    )
    job_path = _job_path(args.job)
    if args.out:
        out, prefix = Path(args.out), f"{pid}-"
    else:
        out, prefix = job_path.parent, f"{job_path.stem}-{pid}-"
    _writable_folder(out)
    progress = _progress(args)

    async def go(base_url: str | None, keys: dict[str, str] | None) -> ProviderRun:
        async with _job_client(args, registry, [pid], base_url, keys) as client:
            dry = await check_job_file(
                job_path,
                registry[pid],
                unsupported=args.unsupported,
                image_host=registry.image_host(pid) is not None
                or pid in _image_hosts(args, registry),
            )
            dry.raise_for_errors()
            assert dry.job is not None
            progress.step(pid, "checked, submitting")
            return await run_one(client, pid, dry.job, progress=progress, precheck=False)

    try:
        with _connection(args, [pid]) as (base_url, keys):
            result = asyncio.run(go(base_url, keys))
    except InpaintError as exc:
        result = ProviderRun(pid, error=exc)
    finally:
        progress.close()
    if result.error is not None:
        if args.json:
            print(json.dumps({"provider": pid, "ok": False, "error": error_json(result.error)}))
        raise result.error
    assert result.result is not None
    files = save_outputs(result, out, prefix=prefix)
    if args.json:
        print(json.dumps(summary_row(result, files), indent=2))
        return EXIT_OK
    for path in files:  # the results: printed with -q too, as its help says
        print(path)
    for outcome in result.result.outcomes:
        if outcome.disposition.value == "dropped" and args.unsupported == "warn":
            print(
                f"inpaintkit: warning: {outcome.field} dropped: {outcome.note} "
                "(--unsupported warn)",
                file=sys.stderr,
            )
        elif outcome.disposition.value != "native":
            _quiet_print(args, f"  {outcome.field}: {outcome.disposition.value} ({outcome.note})")
    return EXIT_OK


def cmd_batch(args: argparse.Namespace) -> int:
    """``inpaintkit batch MANIFEST -p ID --out DIR``: see :mod:`inpaintkit.batch`."""
    from .batch import BatchOptions, BatchReport, Shard, run_batch
    from .batch.ledger import LedgerError
    from .batch.manifest import ManifestUnreadable

    registry = _registry()
    pids = [
        _one_provider(
            args,
            registry,
            "batch takes one --provider (for the lines that name none)",
            lambda _flags: 'give a line its own with "provider"',
        )
    ]
    manifest = Path(args.manifest)
    if not manifest.is_file():
        reason = "is a folder" if manifest.is_dir() else "does not exist"
        raise UsageError(f"manifest {args.manifest} {reason}")
    try:
        shard = Shard.parse(args.shard) if args.shard else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    out = _writable_folder(Path(args.out))
    options = BatchOptions(
        manifest=manifest,
        out=out,
        provider=pids[0],
        concurrency=args.concurrency,
        resubmit_unknown=args.resubmit_unknown,
        shard=shard,
        unsupported=args.unsupported,
    )
    progress = _progress(args)

    async def go(base_url: str | None, keys: dict[str, str] | None) -> BatchReport:
        async with _job_client(
            args, registry, pids, base_url, keys, concurrency=args.concurrency or 8
        ) as client:
            return await run_batch(client, registry, options, progress=progress)

    try:
        with _connection(args, sorted(registry)) as (base_url, keys):
            report = asyncio.run(go(base_url, keys))
    except (ManifestUnreadable, LedgerError) as exc:
        raise UsageError(str(exc)) from None
    finally:
        progress.close()
    code = EXIT_OK
    for row in report.with_outcome("invalid", "failed"):
        code = max(code, EXIT_USAGE if row.outcome == "invalid" else EXIT_FAILED)
        error = (row.row or {}).get("error", {})
        status = f" (HTTP {error['status']})" if error.get("status") is not None else ""
        print(  # worded as say() words an error: message, status, a full stop, the hint
            f"inpaintkit: error: {args.manifest} line {row.line} (id {row.id}): "
            f"{error.get('type')}: {error.get('message')}{status}. {error.get('hint')}",
            file=sys.stderr,
        )
    unknown = report.with_outcome("unknown", "pending")
    if unknown:
        code = max(code, EXIT_FAILED)
        print(
            f"inpaintkit: {len(unknown)} job(s) may have been submitted but their outcome is "
            "unknown, so they were not sent again; check the provider, then rerun with "
            "--resubmit-unknown to send them again:",
            file=sys.stderr,
        )
        for row in unknown:
            print(f"  line {row.line} (id {row.id}) on {row.provider}", file=sys.stderr)
    if args.json:
        print(json.dumps({"out": str(out), **report.summary}, indent=2))
    else:
        counts = ", ".join(f"{n} {o}" for o, n in report.summary["outcomes"].items())
        _quiet_print(args, f"{report.summary['jobs']} jobs: {counts or 'none'}; results in {out}/")
    return code


def _parse_models(args: argparse.Namespace, registry: ProviderRegistry) -> dict[str, str]:
    models: dict[str, str] = {}
    for item in args.model or []:
        provider, sep, model = item.partition("=")
        if not sep or not model:
            raise UsageError(f"--model takes PROVIDER=MODEL, got {item!r}")
        models[registry.resolve(provider)] = model
    return models


def cmd_compare(args: argparse.Namespace) -> int:
    from . import contact_sheet
    from .compare import (
        ProviderRun,
        job_pictures,
        run_everywhere,
        save_outputs,
        sheet_entry,
        summary_row,
    )
    from .dryrun import check_job_file

    registry = _registry()
    pids = _providers_of(args, registry)
    models = _parse_models(args, registry)
    job_path = _job_path(args.job)
    out = Path(args.out) if args.out else job_path.parent / f"{job_path.stem}-compare"
    _writable_folder(out)
    progress = _progress(args)
    first_job: list[Any] = []

    async def go(base_url: str | None, keys: dict[str, str] | None) -> list[ProviderRun]:
        async with _job_client(args, registry, pids, base_url, keys) as client:
            failed: dict[str, ProviderRun] = {}
            jobs = {}
            for pid in pids:
                dry = await check_job_file(
                    job_path,
                    registry[pid],
                    unsupported=args.unsupported,
                    image_host=registry.image_host(pid) is not None
                    or pid in _image_hosts(args, registry),
                    overrides={"model": models[pid]} if pid in models else None,
                )
                error = dry.error()
                if dry.job is not None and not first_job:
                    first_job.append(dry.job)
                if error is not None:
                    progress.step(pid, f"failed the dry run: {type(error).__name__}")
                    failed[pid] = ProviderRun(pid, error=error)
                else:
                    assert dry.job is not None
                    jobs[pid] = dry.job
            done = await run_everywhere(client, jobs, progress=progress, precheck=False)
            by_id = {r.provider: r for r in [*failed.values(), *done]}
            return [by_id[pid] for pid in pids]

    try:
        with _connection(args, pids) as (base_url, keys):
            runs = asyncio.run(go(base_url, keys))
    finally:
        progress.close()
    rows = []
    entries = []
    for r in runs:
        files = save_outputs(r, out / r.provider, prefix="result-")
        rows.append(summary_row(r, files))
        entries.append(sheet_entry(r))
    image, mask = job_pictures(first_job[0] if first_job else None)
    sheet, _ = contact_sheet.render(image, mask, entries)
    sheet_path = out / "contact-sheet.png"
    sheet.save(sheet_path)
    summary = {"job": str(job_path), "contact_sheet": str(sheet_path), "providers": rows}
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for r, row in zip(runs, rows, strict=True):
            if r.error is not None:
                say(r.error)
            else:
                _quiet_print(
                    args,
                    f"{r.provider:<20} ok  {len(row['files'])} images  {row['seconds']:.1f} s  "
                    f"emulated={row['emulated']} dropped={row['dropped']}",
                )
        _quiet_print(args, f"contact sheet {sheet_path}; summary {out / 'summary.json'}")
    codes = [exit_code(r.error) for r in runs if r.error is not None]
    return max(codes, default=EXIT_OK)


def cmd_models(args: argparse.Namespace) -> int:
    """``inpaintkit models -p ID``: the provider's models, inpainting ones unless ``--all``."""
    from .client import InpaintClient
    from .provider import ModelInfo, ModelListAdapter

    registry = _registry()
    pid = registry.resolve(args.provider)
    if not isinstance(registry[pid], ModelListAdapter):
        raise UsageError(f"{pid} has no model list (its plugin implements no ModelListAdapter)")

    async def go(base_url: str | None, keys: dict[str, str] | None) -> tuple[ModelInfo, ...]:
        async with InpaintClient(
            base_url=base_url, api_keys=keys, registry=registry, clock=args.time_source
        ) as client:
            return await client.models(pid, inpainting=not args.all)

    with _connection(args, [pid]) as (base_url, keys):
        models = asyncio.run(go(base_url, keys))
    if args.json:
        print(json.dumps([_model_json(m) for m in models], indent=2))
        return EXIT_OK
    rows = [(m.model, m.base_model or "", m.name) for m in models]
    header = ("MODEL", "BASE", "NAME")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return EXIT_OK


def _model_json(model: Any) -> dict[str, Any]:
    return {
        "model": model.model,
        "name": model.name,
        "base_model": model.base_model,
        "inpainting": model.inpainting,
        "sdxl": model.sdxl,
        "kind": model.kind,
    }


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    out = _writable_folder(Path(args.out))
    registry = _registry()
    chosen = _providers_of(args, registry) if args.provider else None
    rows = run_demo(out, chosen, progress=_progress(args), clock=args.time_source)
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_FAILED if any(not row["ok"] for row in rows) else EXIT_OK
    failed = 0
    for row in rows:
        if row["ok"]:
            _quiet_print(
                args,
                f"{row['provider']:<20} ok   {', '.join(row['images'])}  tasks={row['task_ids']}",
                f"{'':<25}emulated={row['emulated']} dropped={row['dropped']}",
            )
        else:
            failed += 1
            print(f"{row['provider']:<20} FAILED {row['error']}", file=sys.stderr)
    _quiet_print(args, f"outputs, summary.json and contact-sheet.png in {out}/")
    return EXIT_FAILED if failed else EXIT_OK


def cmd_conformance(args: argparse.Namespace) -> int:
    from inpaintkit.conformance.runner import missing_requirements, run_conformance

    problem = missing_requirements()
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    out = Path(args.matrix_out) if args.matrix_out else None
    chosen = _providers_of(args, _registry()) if args.provider else None
    code, matrix, _ = run_conformance(chosen, matrix_out=out)
    if out is None:
        print(matrix, end="")
    return int(code)


def cmd_mock(args: argparse.Namespace) -> int:
    from inpaintkit.mockserver import cli as mock_cli

    try:
        return int(mock_cli.run(args))
    except RuntimeError as exc:  # MockServer.start: the port is taken, the host unknown, ...
        cause = exc.__cause__
        if isinstance(cause, OSError):
            where = f"{args.host or '127.0.0.1'}:{args.port if args.port is not None else 0}"
            raise UsageError(f"cannot serve the mock on {where} ({cause.strerror})") from None
        raise
