"""The always-on check between the runtime and every adapter.

No plugin, built-in or third-party, can be handed a request the core has not checked, and no
plugin can drop a field the table says it sends:

* :func:`check_request` runs the provider's capability table over a prepared request (every
  field supported or emulated, every native value within limits, required fields present) and
  the provider's :class:`~inpaintkit.limits.ImageLimits` over the images and the output size,
  then builds the wire fields of every plain row (:func:`inpaintkit.wiremap.build_fields`).
  Its result, a :class:`CheckedRequest`, is the only thing the runtime passes to
  ``build_submit``; only this module can make one.
* :func:`check_built` reads the request the adapter built and confirms that every field the
  table maps is there with the value the table's encoder gives; a plugin that forgets or
  rewrites one is a plugin bug, reported before anything is sent.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs

from .errors import FieldError, PluginContractError, UnsupportedFieldError, ValidationError
from .job import InpaintJob
from .options import option_fields, options_for
from .planning import Plan, get_path, prepared_errors
from .provider import (
    Capability,
    HttpRequest,
    PreparedImage,
    PreparedRequest,
    ProviderSpec,
    Support,
)
from .wiremap import Custom, build_fields, per_table

__all__ = ["CheckedRequest", "check_built", "check_request", "image_errors"]

_SEAL: Final = object()


@attrs.frozen
class CheckedRequest:
    """A prepared request that passed :func:`check_request`: what an adapter translates.

    ``job`` has emulated and dropped fields cleared and ``num_images`` is this request's share
    of a split job (``batch_index`` of ``batch_count``).  ``fields`` holds the wire fields the
    core built from the table's plain rows; :meth:`body` hands out a fresh copy to extend with
    what only the adapter can write (images, envelopes).
    """

    job: InpaintJob
    image: PreparedImage
    mask: PreparedImage
    fields: Mapping[str, Any] = attrs.field(repr=False)
    options: Any = None
    """The provider's typed options for this job (an instance of ``spec.options``) or None."""
    batch_index: int = 0
    batch_count: int = 1
    seal: object = attrs.field(default=None, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if self.seal is not _SEAL:
            raise TypeError(
                "a CheckedRequest is made only by inpaintkit.checking.check_request(), which "
                "checks it against the provider's table first"
            )

    def body(self) -> dict[str, Any]:
        """A fresh copy of the table-built wire fields, for the adapter to complete."""
        body: dict[str, Any] = _copy_json(self.fields)
        return body


def _copy_json(node: Any) -> Any:
    """A copy of a JSON-shaped value's containers (dicts, lists); leaves are shared (they are
    immutable: strings, numbers), which is several times cheaper than ``copy.deepcopy``."""
    kind = type(node)
    if kind is str or kind is int or kind is float or kind is bool or node is None:
        return node  # the common leaves first: no ABC check for them
    if kind is dict or isinstance(node, Mapping):
        return {k: _copy_json(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_copy_json(v) for v in node]
    if isinstance(node, tuple):
        return tuple(_copy_json(v) for v in node)
    return copy.copy(node) if not isinstance(node, str | int | float | bool | None) else node


def image_errors(request: PreparedRequest, spec: ProviderSpec) -> list[FieldError]:
    """Why the prepared images (and the output size they imply) break the provider's limits.

    The output size is the job's width x height when set, else the image's own size (the
    neutral meaning of an unset size).  Formats are checked for images the client sends as
    bytes; a URL passed through is the provider's to fetch.
    """
    limits = spec.image_limits
    suffix = f" for {spec.id}"
    errors: list[FieldError] = []
    for path, image in (("$.image", request.image), ("$.mask", request.mask)):
        if image.data is not None:
            errors.extend(limits.format_violations(image.format, f"{path}.format", suffix=suffix))
    job = request.job
    image = request.image
    if job.width is not None and job.height is not None:
        errors.extend(limits.size_violations(job.width, job.height, "$.size", suffix=suffix))
    elif image.width is not None and image.height is not None:
        for error in limits.size_violations(image.width, image.height, "$.image", suffix=suffix):
            rule = (
                f"{error.rule} (the image's own size is used when width/height are unset; "
                "resize the image or set width and height)"
            )
            errors.append(attrs.evolve(error, rule=rule))
    return errors


def check_request(
    request: PreparedRequest, spec: ProviderSpec, *, plan: Plan | None = None
) -> CheckedRequest:
    """Check ``request`` against ``spec`` and build its plain wire fields.

    Raises :class:`~inpaintkit.errors.UnsupportedFieldError` for fields the provider cannot
    honour (or emulations not applied), else :class:`~inpaintkit.errors.ValidationError`
    listing every value outside the provider's limits, missing required field and image limit.

    With the ``plan`` the request came from, the table is not run a second time over a job
    :func:`~inpaintkit.planning.plan_job` already checked against it
    (:meth:`Plan.vouches_for`); the images are checked either way.
    """
    planned = plan is not None and plan.vouches_for(request.job, spec)
    unsupported: list[FieldError] = []
    invalid: list[FieldError] = []
    if not planned:
        unsupported, invalid = prepared_errors(request, spec)
    if unsupported:
        raise UnsupportedFieldError(unsupported, provider=spec.id)
    invalid.extend(image_errors(request, spec))
    if invalid:
        raise ValidationError(invalid, provider=spec.id)
    job = _without_unused(request.job)
    if planned:
        assert plan is not None
        options = plan.planned_options(request.job, spec)
    else:
        options, _ = options_for(job, spec)  # its errors are among prepared_errors'
    return CheckedRequest(
        job=job,
        image=request.image,
        mask=request.mask,
        fields=option_fields(options, build_fields(job, spec.capabilities)),
        options=options,
        batch_index=request.batch_index,
        batch_count=request.batch_count,
        seal=_SEAL,
    )


def _without_unused(job: InpaintJob) -> InpaintJob:
    """``job`` without values that mean nothing as given, so none is built unchecked.

    ``mask_options.padding`` is the padding of the masked-only crop: without ``masked_only`` it
    is not a used field (:meth:`InpaintJob.used_fields`), so the table checks skip it, and
    building it from the table would send a value nobody checked (``padding=400`` to a
    provider whose maximum is 256).
    """
    mo = job.mask_options
    if mo.padding is None or mo.masked_only:
        return job
    return attrs.evolve(job, mask_options=attrs.evolve(mo, padding=None))


_ABSENT: Final = object()


def _json_at(node: Any, path: str) -> Any:
    for part in path.split("."):
        # dict first: the ABC check of Mapping costs several times more, on every wire path
        if not (type(node) is dict or isinstance(node, Mapping)) or part not in node:
            return _ABSENT
        node = node[part]
    return node


def _wire_value(request: HttpRequest, path: str) -> Any:
    """The value at a wire path of a built request (JSON path, or a form field name)."""
    if request.form is not None:
        if path in request.form.fields:
            return request.form.fields[path]
        return request.form.files.get(path, _ABSENT)
    return _json_at(request.json, path)


def check_built(built: HttpRequest, checked: CheckedRequest, spec: ProviderSpec) -> None:
    """Raise :class:`PluginContractError` if ``built`` lost or changed a field the table maps.

    Every native :class:`Wire` and :class:`Composite` row whose value the core built must
    appear at its path with the same value; every :class:`Custom` row whose field the job sets
    must appear at its paths.  List item rows are covered by their list's value.
    """
    checks = _built_checks(spec.capabilities)
    if built.form is None and _kept_everything(checked, built, checks):
        return
    problems = _built_problems(built, checked, checks)
    if problems:
        raise PluginContractError(
            f"the {spec.id} plugin built a request that disagrees with its capability table: "
            + "; ".join(problems),
            provider=spec.id,
        )


def _built_problems(built: HttpRequest, checked: CheckedRequest, checks: _BuiltChecks) -> list[str]:
    """Every row of the table ``built`` lost or changed, described (path by path)."""
    problems: list[str] = []
    for check in checks.rows:
        if check.custom:
            missing = _custom_missing(check, checked, built)
            problems.extend(f"{check.field}: wire field {p} is missing" for p in missing)
            continue
        for path in check.paths:
            want = _json_at(checked.fields, path)
            if want is _ABSENT:
                continue  # unset and omitted: nothing to find
            got = _wire_value(built, path)
            if built.form is not None and got is not _ABSENT and not isinstance(want, str):
                want = _form_text(want)
            if got is _ABSENT:
                problems.append(f"{check.field}: wire field {path} is missing")
            elif got != want:
                problems.append(
                    f"{check.field}: wire field {path} is {got!r}, the table says {want!r}"
                )
    return problems


@attrs.frozen
class _BuiltCheck:
    """One row :func:`check_built` confirms: its field, its wire paths, and whether the
    adapter writes it (:class:`Custom`: only its presence can be checked)."""

    field: str
    paths: tuple[str, ...]
    custom: bool


@attrs.frozen
class _BuiltChecks:
    """What :func:`check_built` confirms for one table: its rows, and the same as a tree of
    the plain rows' wire paths (each path's parts, ``None`` where a path ends) for the walk
    of :func:`_kept_everything`."""

    rows: tuple[_BuiltCheck, ...]
    plain_paths: dict[str, Any]
    custom: tuple[_BuiltCheck, ...]


@per_table
def _built_checks(rows: Iterable[Capability]) -> _BuiltChecks:
    checks = tuple(
        _BuiltCheck(row.field, row.wire.paths, isinstance(row.wire, Custom))
        for row in rows
        if row.support is Support.NATIVE and row.wire is not None and "[]" not in row.field
    )
    tree: dict[str, Any] = {}
    for check in checks:
        if check.custom:
            continue
        for path in check.paths:
            *parents, last = path.split(".")
            node = tree
            for part in parents:
                child = node.setdefault(part, {})
                if child is None:  # a path inside another path's value: the outer one covers it
                    break
                node = child
            else:
                node[last] = None
    return _BuiltChecks(checks, tree, tuple(c for c in checks if c.custom))


def _kept_everything(checked: CheckedRequest, built: HttpRequest, checks: _BuiltChecks) -> bool:
    """Whether ``built`` (a JSON request) certainly passes :func:`check_built`: every value the
    core built at a plain row's path is there unchanged, and every custom row the job sets is
    present.  One walk over the few fields the core built, where the full check looks up every
    path of the table (most of them unset); ``False`` sends the request to that full check,
    which names what is wrong."""
    if not _same_at_paths(checked.fields, built.json, checks.plain_paths):
        return False
    return not any(_custom_missing(check, checked, built) for check in checks.custom)


def _custom_missing(check: _BuiltCheck, checked: CheckedRequest, built: HttpRequest) -> list[str]:
    """The wire paths of a :class:`Custom` row the job sets that ``built`` lacks (the adapter
    writes its value, so only its presence can be checked)."""
    value = get_path(checked.job, check.field)
    if value is None or value == ():
        return []
    return [p for p in check.paths if _wire_value(built, p) is _ABSENT]


def _same_at_paths(want: Mapping[str, Any], got: Any, paths: dict[str, Any]) -> bool:
    """Whether every value of ``want`` at a path of the tree ``paths`` is also in ``got``."""
    if not (type(got) is dict or isinstance(got, Mapping)):
        return False
    for key, value in want.items():
        if key not in paths:
            continue  # not a table path (an option's field): the table does not check it
        if key not in got:
            return False
        inner = paths[key]
        if inner is None:
            found = got[key]
            if found is not value and found != value:
                return False
        elif type(value) is dict or isinstance(value, Mapping):
            if not _same_at_paths(value, got[key], inner):
                return False
        else:
            return False  # the core built a leaf where the table has deeper paths: look closer
    return True


def _form_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
