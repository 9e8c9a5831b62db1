"""The dry run: every check a job can fail before anything is sent, in one pass.

``inpaintkit validate`` is this module, and ``inpaintkit run`` goes through it before it sends,
so the two cannot tell different stories.  One pass collects, together:

* the neutral schema (types, ranges, unknown keys) of a job file, where one is given;
* the provider's capability table (limits, required fields, unsupported fields) through
  :func:`~inpaintkit.planning.plan_job`;
* the images, loaded and paired as the runtime will send them: each file exists and is an image
  within the provider's byte and pixel limits, the mask has the image's size, client-side
  emulations apply, and the size the provider receives when width/height are unset is within
  its native limits (ModelsLab's 512-1024, multiple of 8);
* the adapter's own backstop checks on the request it would build (without sending it).

A job whose schema is broken still gets the provider checks: the failing keys are left out and
the rest of the job is checked, so a user fixes everything in one round.  Remote image URLs are
not downloaded here (that is sending); the report says they were not checked.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from . import images
from .checking import check_built, check_request
from .errors import FieldError, UnsupportedFieldError, ValidationError
from .files import read_file
from .job import ImageInput, InpaintJob
from .planning import (
    Plan,
    UnsupportedFieldWarning,
    UnsupportedPolicy,
    check_native,
    plan_job,
    seeds_for_batches,
)
from .prepare import PreparedInputs, prepare_inputs
from .provider import CapabilityTable, PreparedRequest, ProviderAdapter, ProviderSpec, Support

__all__ = [
    "DryRun",
    "check_job",
    "check_job_data",
    "check_job_file",
    "effective_size_errors",
    "prepared_requests",
    "read_local_image",
]

PLACEHOLDER_URL = "https://dry-run.invalid/inpaintkit/{name}.png"
"""What an image host "returns" in a dry run: the upload itself would be sending."""


@attrs.frozen
class DryRun:
    """What a dry run found for one provider.

    ``errors`` lists every failing field; ``unsupported`` says whether some of them are fields
    the provider cannot honour under the strict policy (they make the error an
    :class:`~inpaintkit.errors.UnsupportedFieldError`, as :func:`plan_job` does).  ``plan`` and
    ``inputs`` are set when the job got that far; ``notes`` says what could not be checked.
    """

    provider: str
    errors: tuple[FieldError, ...] = ()
    unsupported: bool = False
    job: InpaintJob | None = None
    plan: Plan | None = None
    inputs: PreparedInputs | None = attrs.field(default=None, repr=False)
    notes: tuple[str, ...] = ()
    hints: tuple[str | None, str | None] = (None, None)
    """A specific ``(hint, cli_hint)`` from a check that gave one (an image host to configure),
    carried to :meth:`error`; ``(None, None)`` for the generic advice."""

    @property
    def ok(self) -> bool:
        """True when nothing stops the job from being sent."""
        return not self.errors

    def error(self) -> ValidationError | None:
        """The one error ``run`` raises for this dry run (``None`` when it passed)."""
        if not self.errors:
            return None
        cls = UnsupportedFieldError if self.unsupported else ValidationError
        hint, cli_hint = self.hints
        return cls(self.errors, provider=self.provider, hint=hint, cli_hint=cli_hint)

    def raise_for_errors(self) -> None:
        """Raise :meth:`error` if there is one."""
        error = self.error()
        if error is not None:
            raise error


# --- images ------------------------------------------------------------------------------------


class _RemoteImage(Exception):
    """A remote URL the dry run does not download."""


async def read_local_image(image: ImageInput, path: str) -> bytes | None:
    """The bytes of an image given as data, a local file or a ``data:`` URL; ``None`` for a
    remote URL.  An unreadable file is a :class:`ValidationError` at ``<path>.path``."""
    if image.data is not None:
        return image.data
    if image.path is not None:
        file_path: Path = image.path
        try:
            return await asyncio.to_thread(read_file, file_path)
        except OSError as exc:
            raise ValidationError(
                [FieldError(f"{path}.path", f"cannot be read ({exc.strerror})", str(file_path))]
            ) from None
    assert image.url is not None
    if image.url[:5].lower() == "data:":  # a scheme is case-insensitive, as url_error has it
        return images.from_base64(image.url, path=path)
    return None


async def _read_without_sending(image: ImageInput, path: str) -> bytes:
    data = await read_local_image(image, path)
    if data is None:
        raise _RemoteImage(path)
    return data


def effective_size_errors(
    plan: Plan, inputs: PreparedInputs, spec: ProviderSpec
) -> list[FieldError]:
    """When the job leaves width/height unset, the provider gets the prepared image's own size;
    the errors of that size against the provider's native width/height limits."""
    if plan.job.width is not None or inputs.image.width is None:
        return []
    errors: list[FieldError] = []
    for name, value in (("width", inputs.image.width), ("height", inputs.image.height)):
        row = spec.capabilities.get(name)
        if row is None or row.support != "native":
            continue
        for error in check_native(row, value, f"$.{name}", spec.id):
            errors.append(
                attrs.evolve(
                    error,
                    rule=error.rule + " (the image's own size is used when width/height "
                    "are unset; resize the image or set width and height)",
                )
            )
    return errors


def prepared_requests(
    plan: Plan,
    inputs: PreparedInputs,
    spec: ProviderSpec,
    *,
    rng: random.Random | None = None,
) -> list[PreparedRequest]:
    """The requests a plan sends: one per batch, with consecutive seeds in the provider's
    seed range (from one drawn from ``rng`` when a split job has none: see
    :func:`~inpaintkit.planning.seeds_for_batches`)."""
    seed_row = spec.capabilities.get("seed")
    takes_seed = seed_row is not None and seed_row.support is Support.NATIVE
    seeds = seeds_for_batches(
        plan.job.seed,
        plan.batches,
        seed_row.limits if seed_row is not None else None,
        rng=rng if takes_seed else None,  # a provider without seeds gets none drawn for it
    )
    job = plan.job
    return [
        PreparedRequest(
            # evolve re-runs every rule of the job: only when this request's share differs
            job=job
            if (count, seed) == (job.num_images, job.seed)
            else attrs.evolve(job, num_images=count, seed=seed),
            image=inputs.image,
            mask=inputs.mask,
            batch_index=index,
            batch_count=len(plan.batches),
        )
        for index, (count, seed) in enumerate(zip(plan.batches, seeds, strict=True))
    ]


# --- the provider part -------------------------------------------------------------------------


def _relaxed(spec: ProviderSpec) -> ProviderSpec:
    """``spec`` without required rows: a plan for checking the images of a job whose required
    fields are missing (those are reported already)."""
    rows = tuple(attrs.evolve(r, required=False) if r.required else r for r in spec.capabilities)
    return attrs.evolve(spec, capabilities=CapabilityTable(rows))


def _plan_for_images(job: InpaintJob, spec: ProviderSpec, bad: Sequence[str]) -> Plan | None:
    """A plan good enough to prepare the images when the real one failed: failing native fields
    reset, unsupported ones dropped, required ones waived.  ``None`` if even that fails."""
    data = _job_dict(job)
    if data is None:
        return None
    for path in bad:
        _prune(data, path)
    try:
        pruned = _structure(data, job)
    except ValidationError:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnsupportedFieldWarning)
        try:
            return plan_job(pruned, _relaxed(spec), unsupported=UnsupportedPolicy.DROP)
        except ValidationError:
            return None


def _job_dict(job: InpaintJob) -> dict[str, Any] | None:
    from .convert import job_to_dict

    try:
        return job_to_dict(job)
    except Exception:  # pragma: no cover - every constructed job unstructures
        return None


def _structure(data: dict[str, Any], original: InpaintJob) -> InpaintJob:
    from .convert import job_from_dict

    job = job_from_dict({**data, "image": "-", "mask": "-"})
    return attrs.evolve(job, image=original.image, mask=original.mask)


async def check_job(
    job: InpaintJob,
    adapter: ProviderAdapter,
    *,
    unsupported: UnsupportedPolicy | str = UnsupportedPolicy.STRICT,
    image_host: bool = False,
    skip_paths: Sequence[str] = (),
) -> DryRun:
    """Every check of ``job`` for ``adapter``'s provider that needs no request.

    ``image_host`` says whether an image host is installed for the provider (images of a
    URL-only provider are then uploaded at run time; here they get a placeholder URL).
    ``skip_paths`` are paths already reported elsewhere (the schema): provider errors on them
    are left out, and images are not loaded when ``$.image`` or ``$.mask`` is among them.
    """
    spec = adapter.spec
    errors: list[FieldError] = []
    notes: list[str] = []
    is_unsupported = False
    plan: Plan | None = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnsupportedFieldWarning)
            plan = plan_job(job, spec, unsupported=unsupported)
    except UnsupportedFieldError as exc:
        errors.extend(exc.errors)
        is_unsupported = True
    except ValidationError as exc:
        errors.extend(exc.errors)
    image_plan = plan or _plan_for_images(job, spec, [e.path for e in errors])

    inputs: PreparedInputs | None = None
    hints: tuple[str | None, str | None] = (None, None)
    images_skipped = any(p.startswith(("$.image", "$.mask")) for p in skip_paths)
    if image_plan is not None and not images_skipped:

        async def host(_data: bytes, _media_type: str) -> str:
            return PLACEHOLDER_URL.format(name="upload")

        try:
            inputs = await prepare_inputs(
                job, image_plan, spec, read=_read_without_sending, host=host if image_host else None
            )
        except _RemoteImage as exc:
            notes.append(f"{exc.args[0]} is a remote URL: not downloaded, not checked")
        except ValidationError as exc:
            errors.extend(exc.errors)
            if exc.hint != ValidationError.default_hint:
                hints = (exc.hint, exc.cli_hint)
        else:
            errors.extend(effective_size_errors(image_plan, inputs, spec))

    if plan is not None and inputs is not None and not errors:
        # The core's always-on check and the adapter's build, on the requests it would send.
        for request in prepared_requests(plan, inputs, spec):
            try:
                checked = check_request(request, spec)
                check_built(adapter.build_submit(checked), checked, spec)
            except UnsupportedFieldError as exc:
                errors.extend(exc.errors)
                is_unsupported = True
            except ValidationError as exc:
                errors.extend(exc.errors)

    skipped = set(skip_paths)
    kept = [e for e in _dedupe(errors) if e.path not in skipped]
    return DryRun(
        provider=spec.id,
        errors=tuple(kept),
        unsupported=is_unsupported,
        job=job,
        plan=plan if not kept else None,
        inputs=inputs if not kept else None,
        notes=tuple(notes),
        hints=hints,
    )


def _dedupe(errors: Sequence[FieldError]) -> list[FieldError]:
    seen: set[tuple[str, str]] = set()
    out: list[FieldError] = []
    for error in errors:
        key = (error.path, error.rule)
        if key not in seen:
            seen.add(key)
            out.append(error)
    return out


# --- job files: the schema and the provider together -------------------------------------------

_TOKEN = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")
_MAX_ROUNDS = 5
_PLACEHOLDERS: dict[str, Any] = {"prompt": "", "image": "-", "mask": "-"}
"""Stand-ins for required keys whose value failed the schema; their paths are skipped later."""


def _prune(data: dict[str, Any], path: str) -> None:
    """Remove the key at a field path (``$.steps``, ``$.mask_options.blur``) from ``data``; a
    path into a list removes the whole list, so that other items keep their indices' meaning."""
    keys = [
        m.group(1) if m.group(1) is not None else int(m.group(2)) for m in _TOKEN.finditer(path)
    ]
    if not keys or not isinstance(keys[0], str):
        return
    node: Any = data
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        nxt = keys[depth + 1] if not last else None
        if not isinstance(node, dict) or not isinstance(key, str) or key not in node:
            return
        if last or isinstance(nxt, int):
            del node[key]
            return
        node = node[key]


def _schema_pass(data: Any, base_dir: Path | None) -> tuple[InpaintJob | None, list[FieldError]]:
    """Structure ``data``; on schema errors, leave the failing keys out and try again, so the
    provider checks can run on the rest.  Returns the best job found (``None`` when the data is
    not an object or lacks an image or mask) and every schema error."""
    from .convert import job_from_dict

    errors: list[FieldError] = []
    if not isinstance(data, dict):
        try:
            return job_from_dict(data, base_dir=base_dir), []
        except ValidationError as exc:
            return None, list(exc.errors)
    work = json.loads(json.dumps(data))
    for _ in range(_MAX_ROUNDS):
        try:
            job = job_from_dict(work, base_dir=base_dir)
        except ValidationError as exc:
            new = [e for e in exc.errors if e not in errors]
            errors.extend(new)
            if not new:
                break
            for error in new:
                _prune(work, error.path)
                head = error.path[2:].split(".")[0].split("[")[0]
                if head in _PLACEHOLDERS and head not in work:
                    work[head] = _PLACEHOLDERS[head]
            continue
        return job, errors
    return None, errors


async def check_job_data(
    data: Any,
    adapter: ProviderAdapter,
    *,
    base_dir: Path | None = None,
    unsupported: UnsupportedPolicy | str = UnsupportedPolicy.STRICT,
    image_host: bool = False,
) -> DryRun:
    """The dry run of a job in its JSON form: schema errors and provider errors together."""
    job, schema_errors = _schema_pass(data, base_dir)
    if job is None:
        return DryRun(provider=adapter.spec.id, errors=tuple(schema_errors))
    result = await check_job(
        job,
        adapter,
        unsupported=unsupported,
        image_host=image_host,
        skip_paths=[e.path for e in schema_errors],
    )
    if not schema_errors:
        return result
    return attrs.evolve(
        result,
        errors=(*schema_errors, *result.errors),
        plan=None,
        inputs=None,
    )


async def check_job_file(
    path: str | Path,
    adapter: ProviderAdapter,
    *,
    unsupported: UnsupportedPolicy | str = UnsupportedPolicy.STRICT,
    image_host: bool = False,
    overrides: Mapping[str, Any] | None = None,
) -> DryRun:
    """The dry run of a JSON job file (image paths relative to it).

    ``overrides`` replace top-level keys of the file (``compare --model`` sets each provider's
    model).  A file that cannot be read, is not UTF-8, is not JSON or is nested too deeply is
    a schema error at ``$``, worded as :func:`~inpaintkit.load_job` words it.
    """
    path = Path(path)

    def unreadable(rule: str) -> DryRun:
        error = FieldError("$", rule, None, has_value=False)
        return DryRun(provider=adapter.spec.id, errors=(error,))

    try:
        text = read_file(path).decode("utf-8")
    except OSError as exc:
        return unreadable(f"cannot be read: {exc.strerror or type(exc).__name__}")
    except UnicodeDecodeError as exc:
        return unreadable(f"is not UTF-8 text (invalid byte at offset {exc.start})")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return unreadable(f"is not valid JSON ({exc.msg} at line {exc.lineno})")
    except RecursionError:
        return unreadable("is nested too deeply to be a job")
    if overrides and isinstance(data, dict):
        data = {**data, **overrides}
    return await check_job_data(
        data, adapter, base_dir=path.parent, unsupported=unsupported, image_host=image_host
    )
