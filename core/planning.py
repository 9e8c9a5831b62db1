"""Checking a job against a provider's capability table, and planning the emulations.

This is where the design's "never drop silently" rule lives.  Every field a job uses is
classified for the chosen provider as native (checked against the provider's own limits),
emulated (the client reproduces it, recorded on the result) or unsupported (an error under the
default strict policy; dropped and recorded under ``warn`` or ``drop``).  The output is a
:class:`Plan`: the job as the provider should see it, the emulations to apply, how to split
``num_images``, and the outcome of every field.
"""

from __future__ import annotations

import enum
import random
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from ._caller import user_stacklevel
from .errors import FieldError, UnsupportedFieldError, ValidationError
from .job import DEFAULT_MASK_PADDING, InpaintJob, MaskOptions, OutputFormat, field_applies
from .limits import Limits
from .options import options_for
from .provider import Capability, CapabilityTable, PreparedRequest, ProviderSpec, Support
from .schema import default_of
from .wiremap import Fixed, per_table

__all__ = [
    "Disposition",
    "Emulation",
    "FieldOutcome",
    "Plan",
    "UnsupportedFieldWarning",
    "UnsupportedPolicy",
    "check_native",
    "check_prepared",
    "fields_with",
    "fits_unset_size",
    "get_path",
    "plan_job",
    "prepared_errors",
]

DEFAULT_EMULATED_PADDING = DEFAULT_MASK_PADDING
"""Padding around the mask when masked-only inpainting is emulated: the neutral default
(:data:`inpaintkit.job.DEFAULT_MASK_PADDING`), the same value native providers are sent."""


class UnsupportedPolicy(enum.StrEnum):
    """What to do with fields the provider cannot honour."""

    STRICT = "strict"
    """Raise :class:`~inpaintkit.errors.UnsupportedFieldError` (the default)."""
    WARN = "warn"
    """Drop them, record them on the result, and emit :class:`UnsupportedFieldWarning`."""
    DROP = "drop"
    """Drop them and record them on the result."""


class UnsupportedFieldWarning(UserWarning):
    """A field was dropped because the provider does not support it (policy ``warn``)."""


class Disposition(enum.StrEnum):
    """What happened to a field on its way to the provider."""

    NATIVE = "native"
    EMULATED = "emulated"
    DROPPED = "dropped"
    DEFAULTED = "defaulted"


@attrs.frozen
class FieldOutcome:
    """The fate of one neutral field for one provider, recorded on the result."""

    field: str
    disposition: Disposition
    note: str = ""


def fields_with(outcomes: Iterable[FieldOutcome], disposition: Disposition) -> tuple[str, ...]:
    """The fields among ``outcomes`` that ended with ``disposition``."""
    return tuple(o.field for o in outcomes if o.disposition is disposition)


@attrs.frozen
class Emulation:
    """Client-side work that stands in for features the provider lacks."""

    invert_mask: bool = False
    blur_radius: int | None = None
    masked_only: bool = False
    padding: int = DEFAULT_EMULATED_PADDING
    resize_to: tuple[int, int] | None = None
    output_format: OutputFormat | None = None
    fit_unset_size: bool = False
    """The job leaves width/height unset and the provider's size rows declare
    ``fit_when_unset``: an input whose own size breaks their limits is resized to fit (aspect
    kept) when the inputs are prepared, and recorded then (the size is known only there)."""

    @property
    def touches_images(self) -> bool:
        """Whether the input image or mask must be processed locally before sending."""
        return (
            self.invert_mask
            or self.blur_radius is not None
            or self.masked_only
            or self.resize_to is not None
        )


@attrs.frozen
class Plan:
    """The result of :func:`plan_job`."""

    provider: str
    job: InpaintJob
    """The job as the adapter should see it: emulated and dropped fields cleared."""
    emulation: Emulation
    batches: tuple[int, ...]
    """``num_images`` per request; more than one entry when a job is split."""
    outcomes: tuple[FieldOutcome, ...]
    _checked_against: CapabilityTable | None = attrs.field(
        default=None, init=False, repr=False, eq=False
    )
    """The table :func:`plan_job` checked :attr:`job` against (``None`` for a plan made any
    other way, or changed since: ``attrs.evolve`` does not carry it)."""
    _options: Any = attrs.field(default=None, init=False, repr=False, eq=False)

    @property
    def dropped(self) -> tuple[str, ...]:
        """The fields dropped under the warn/drop policy."""
        return fields_with(self.outcomes, Disposition.DROPPED)

    def vouches_for(self, job: InpaintJob, spec: ProviderSpec) -> bool:
        """Whether planning already checked ``job`` against ``spec``'s table, so the request
        check need not run the table again: ``job`` is this plan's own wire job (the very
        object, so unchanged), the plan came from :func:`plan_job` with this very table, and
        the job is not split (a split request's count and seed differ from the plan's job)."""
        return (
            self._checked_against is spec.capabilities
            and job is self.job
            and len(self.batches) == 1
        )

    def planned_options(self, job: InpaintJob, spec: ProviderSpec) -> Any:
        """The provider options of ``job`` as planning structured them (``job`` must be one the
        plan vouches for), so they are structured once per job, not once per step."""
        assert self.vouches_for(job, spec)
        return self._options

    @property
    def emulated(self) -> tuple[str, ...]:
        """The fields the client emulates."""
        return fields_with(self.outcomes, Disposition.EMULATED)


_MISSING = object()


def get_path(job: InpaintJob, path: str) -> Any:
    """The value at a neutral field path such as ``"mask_options.blur"`` (``None`` if absent)."""
    if "." not in path:
        return getattr(job, path, None)
    value: Any = job
    for part in path.split("."):
        if value is None:
            return None
        value = getattr(value, part, None)
    return value


def check_native(
    row: Capability, value: Any, path: str, provider: str, *, split: bool = True
) -> list[FieldError]:
    """The provider's own limits on one native value.

    With ``split`` (planning a whole job), a count above a ``split_above_maximum`` row's maximum
    is fine: it will be split over several requests.  A single prepared request has no such
    excuse, so :func:`prepared_errors` checks with ``split=False``.
    """
    may_split = split and row.split_above_maximum
    return row.limits.violations(value, path, suffix=f" for {provider}", ignore_maximum=may_split)


def _split(total: int, maximum: int) -> tuple[int, ...]:
    full, rest = divmod(total, maximum)
    return (maximum,) * full + ((rest,) if rest else ())


def _checked_fields(job: InpaintJob) -> list[str]:
    fields = ["prompt", "num_images", *job.used_fields()]
    for name, values in (("loras", job.loras), ("embeddings", job.embeddings)):
        if values:
            fields.extend(f"{name}[].{a.name}" for a in attrs.fields(type(values[0])))
    for name in ("safety", "webhook", "storage"):
        obj = getattr(job, name)
        if obj is not None:
            fields.extend(
                f"{name}.{a.name}"
                for a in attrs.fields(type(obj))
                if getattr(obj, a.name) is not None
            )
    return [f for f in dict.fromkeys(fields) if field_applies(job, f)]


def fixed_mismatch(row: Capability | None, value: Any) -> str | None:
    """Why ``value`` is unsupported by a :class:`~inpaintkit.wiremap.Fixed` row (else None)."""
    if row is None or not isinstance(row.wire, Fixed) or value is None or value == row.wire.value:
        return None
    fixed = getattr(row.wire.value, "value", row.wire.value)
    why = f": {row.wire.why}" if row.wire.why else ""
    return f"can only be {fixed!r}{why}"


def _values(job: InpaintJob, field: str) -> list[tuple[str, Any]]:
    """(path, value) pairs for a field, expanding ``list[].item`` paths per element."""
    if "[]." in field:
        list_name, item = field.split("[].", 1)
        return [
            (f"$.{list_name}[{i}].{item}", getattr(element, item))
            for i, element in enumerate(getattr(job, list_name))
        ]
    return [(f"$.{field}", get_path(job, field))]


def _required_errors(job: InpaintJob, spec: ProviderSpec) -> list[FieldError]:
    """Required rows without a default that the job leaves unset."""
    errors: list[FieldError] = []
    for row in _required_rows(spec.capabilities):
        unset = get_path(job, row.field.split("[]")[0]) in (None, ())
        if unset:
            paths = " + ".join(row.wire.paths) if row.wire is not None else ""
            wire = f" ({paths})" if paths else ""
            errors.append(FieldError.missing(f"$.{row.field}", f"is required by {spec.id}{wire}"))
    return errors


@per_table
def _required_rows(rows: Iterable[Capability]) -> tuple[Capability, ...]:
    return tuple(row for row in rows if row.required and row.default is None)


def _always_sent(field: str, job: InpaintJob) -> bool:
    """Fields every job carries, which a table without a row simply leaves unlimited."""
    return field == "prompt" or (field == "num_images" and job.num_images == 1)


def plan_job(
    job: InpaintJob,
    spec: ProviderSpec,
    *,
    unsupported: UnsupportedPolicy | str = UnsupportedPolicy.STRICT,
) -> Plan:
    """Check ``job`` against ``spec``'s capability table and plan how to run it.

    Raises :class:`~inpaintkit.errors.ValidationError` listing every value outside the
    provider's limits and every missing required field, or
    :class:`~inpaintkit.errors.UnsupportedFieldError` (a subclass) when, under the strict policy,
    the job also uses fields the provider cannot honour.
    """
    if not isinstance(job, InpaintJob):
        rule = "must be an InpaintJob (from a dict: inpaintkit.job_from_dict; a file: load_job)"
        raise ValidationError([FieldError("$", rule, type(job).__name__)], provider=spec.id)
    policy = UnsupportedPolicy(unsupported)
    table = spec.capabilities
    errors: list[FieldError] = []
    unsupported_errors: list[FieldError] = []
    outcomes: list[FieldOutcome] = []
    dropped: list[str] = []
    emulation = Emulation()
    batches: tuple[int, ...] = (job.num_images,)

    errors.extend(_required_errors(job, spec))
    options, option_errors = options_for(job, spec)
    errors.extend(option_errors)
    for field in _checked_fields(job):
        row = table.get(field)
        support = row.support if row is not None else Support.UNSUPPORTED
        pairs = _values(job, field)
        fixed = [(p, v, why) for p, v in pairs if (why := fixed_mismatch(row, v)) is not None]
        if fixed:
            for path, value, why in fixed:
                rule = f"is not supported by {spec.id} ({why})"
                unsupported_errors.append(FieldError(path, rule, value))
            dropped.append(field)
            continue
        if support is Support.UNSUPPORTED:
            if _always_sent(field, job):
                continue
            for path, value in pairs:
                unsupported_errors.append(FieldError(path, f"is not supported by {spec.id}", value))
            dropped.append(field)
            continue
        assert row is not None
        if support is Support.EMULATED:
            emulation = _add_emulation(emulation, field, job)
            outcomes.append(FieldOutcome(field, Disposition.EMULATED, _emulation_note(field, job)))
            continue
        for path, value in pairs:
            errors.extend(check_native(row, value, path, spec.id))
        splits = field == "num_images" and row.split_above_maximum and row.maximum is not None
        if splits and row.maximum is not None and job.num_images > row.maximum:
            batches = _split(job.num_images, int(row.maximum))
            note = f"split over {len(batches)} requests of at most {int(row.maximum)}"
            outcomes.append(FieldOutcome(field, Disposition.EMULATED, note))
            continue
        if field in ("prompt",) or (field == "num_images" and job.num_images == 1):
            continue
        note = ""
        if isinstance(row.wire, Fixed):
            note = row.wire.describe()
        elif row.wire is not None:
            note = " + ".join(row.wire.paths)
        outcomes.append(FieldOutcome(field, Disposition.NATIVE, note))

    if policy is UnsupportedPolicy.STRICT and unsupported_errors:
        raise UnsupportedFieldError([*errors, *unsupported_errors], provider=spec.id)
    if errors:
        raise ValidationError(errors, provider=spec.id)
    for field in dropped:
        note = f"{spec.id} does not support it"
        outcomes.append(FieldOutcome(field, Disposition.DROPPED, note))
        if policy is UnsupportedPolicy.WARN:
            warnings.warn(
                f"{field} dropped: {note} (unsupported='warn')",
                UnsupportedFieldWarning,
                stacklevel=user_stacklevel(),
            )
    if job.width is None and job.height is None and fits_unset_size(spec):
        emulation = attrs.evolve(emulation, fit_unset_size=True)
    wire_job = _wire_job(job, emulation, dropped, table)
    plan = Plan(
        provider=spec.id,
        job=wire_job,
        emulation=emulation,
        batches=batches,
        outcomes=tuple(outcomes),
    )
    # The proof that this plan's job passed this table: the request check trusts it instead of
    # running the same table over the same job again (tests/test_cost_checks.py shows the
    # two agree).  Set here only; a Plan built or evolved elsewhere carries none.
    object.__setattr__(plan, "_checked_against", table)
    object.__setattr__(plan, "_options", options)
    return plan


def fits_unset_size(spec: ProviderSpec) -> bool:
    """Whether ``spec``'s width and height rows both declare ``fit_when_unset``."""
    rows = [spec.capabilities.get("width"), spec.capabilities.get("height")]
    return all(row is not None and row.fit_when_unset for row in rows)


def _add_emulation(emulation: Emulation, field: str, job: InpaintJob) -> Emulation:
    mo = job.mask_options
    if field == "mask_options.invert":
        return attrs.evolve(emulation, invert_mask=True)
    if field == "mask_options.blur":
        return attrs.evolve(emulation, blur_radius=mo.blur)
    if field == "mask_options.masked_only":
        return attrs.evolve(
            emulation,
            masked_only=True,
            padding=mo.padding if mo.padding is not None else DEFAULT_EMULATED_PADDING,
        )
    if field == "mask_options.padding":
        return emulation
    if field in ("width", "height"):
        assert job.width is not None
        assert job.height is not None
        return attrs.evolve(emulation, resize_to=(job.width, job.height))
    if field == "output_format":
        return attrs.evolve(emulation, output_format=job.output_format)
    raise AssertionError(f"no emulation for {field}")  # pragma: no cover - Capability forbids it


def _emulation_note(field: str, job: InpaintJob) -> str:
    return {
        "mask_options.invert": "mask inverted on the client",
        "mask_options.blur": f"mask blurred on the client (radius {job.mask_options.blur})",
        "mask_options.masked_only": "cropped to the mask plus padding, result pasted back",
        "mask_options.padding": "padding of the client-side crop",
        "width": "input resized on the client",
        "height": "input resized on the client",
        "output_format": f"converted to {job.output_format} on the client",
    }.get(field, "emulated on the client")


def _wire_job(
    job: InpaintJob, emulation: Emulation, dropped: Sequence[str], table: CapabilityTable
) -> InpaintJob:
    """The job with emulated and dropped fields cleared, as the adapter must see it.

    A dropped field goes back to its neutral default, or, for a :class:`Fixed` row, to the
    one value the provider performs (what happens at the provider anyway)."""
    changes: dict[str, Any] = {}
    mo = job.mask_options
    mask_changes: dict[str, Any] = {}
    if emulation.invert_mask:
        mask_changes["invert"] = False
    if emulation.blur_radius is not None:
        mask_changes["blur"] = None
    if emulation.masked_only:
        mask_changes["masked_only"] = False
        mask_changes["padding"] = None
    if emulation.resize_to is not None:
        changes["width"] = None
        changes["height"] = None
    if emulation.output_format is not None:
        changes["output_format"] = None
    for field in dropped:
        head, _, rest = field.partition(".")
        if head == "mask_options":
            mask_changes[rest] = MaskOptions().__getattribute__(rest)
        elif "[]" in head or "[]" in field:
            list_name = field.split("[]")[0]
            changes[list_name] = ()
        elif rest:
            obj = changes.get(head, getattr(job, head))
            if obj is not None:
                a = attrs.fields_dict(type(obj))[rest]
                fixed = _fixed_value(table, field)
                if fixed is not _MISSING:
                    changes[head] = attrs.evolve(obj, **{rest: fixed})
                elif a.default is not attrs.NOTHING:
                    changes[head] = attrs.evolve(obj, **{rest: a.default})
                else:
                    changes[head] = None
        else:
            fixed = _fixed_value(table, field)
            a = attrs.fields_dict(InpaintJob)[head]
            changes[head] = fixed if fixed is not _MISSING else default_of(a)
    if mask_changes:
        changes["mask_options"] = attrs.evolve(mo, **mask_changes)
    return attrs.evolve(job, **changes) if changes else job


def _fixed_value(table: CapabilityTable, field: str) -> Any:
    row = table.get(field)
    return row.wire.value if row is not None and isinstance(row.wire, Fixed) else _MISSING


def prepared_errors(
    request: PreparedRequest, spec: ProviderSpec
) -> tuple[list[FieldError], list[FieldError]]:
    """Why ``request`` cannot be sent as it is: ``(unsupported, invalid)`` field errors.

    The same table checks as :func:`plan_job`, applied to what reached the adapter: a field the
    provider cannot honour, an emulated field the client has not applied yet (a width/height
    already equal to the prepared image's size counts as applied), a missing required field, or
    a native value outside the provider's limits (``num_images`` included: splitting is over).
    Adapters use it through :func:`check_prepared` as a backstop for callers that skip planning.
    """
    job = request.job
    unsupported: list[FieldError] = []
    invalid = _required_errors(job, spec) + options_for(job, spec)[1]
    for field in _checked_fields(job):
        row = spec.capabilities.get(field)
        support = row.support if row is not None else Support.UNSUPPORTED
        for path, value in _values(job, field):
            why = fixed_mismatch(row, value)
            if why is not None:
                unsupported.append(
                    FieldError(path, f"is not supported by {spec.id} ({why})", value)
                )
            elif support is Support.UNSUPPORTED:
                if not _always_sent(field, job):
                    unsupported.append(FieldError(path, f"is not supported by {spec.id}", value))
            elif support is Support.EMULATED:
                if not _already_applied(field, value, request):
                    rule = (
                        "is emulated by the client and must be applied before the request is built"
                    )
                    unsupported.append(FieldError(path, rule, value))
            else:
                assert row is not None
                invalid.extend(check_native(row, value, path, spec.id, split=False))
    return unsupported, invalid


def check_prepared(
    request: PreparedRequest, spec: ProviderSpec, *, extra: Sequence[FieldError] = ()
) -> None:
    """Raise if ``request`` cannot be sent: :class:`UnsupportedFieldError` for fields the
    provider cannot honour, else :class:`ValidationError` for every invalid value plus
    ``extra`` (an adapter's own checks, such as its provider-only ``extras``)."""
    unsupported, invalid = prepared_errors(request, spec)
    if unsupported:
        raise UnsupportedFieldError(unsupported, provider=spec.id)
    invalid.extend(extra)
    if invalid:
        raise ValidationError(invalid, provider=spec.id)


def _already_applied(field: str, value: Any, request: PreparedRequest) -> bool:
    if field == "width":
        return bool(value == request.image.width)
    if field == "height":
        return bool(value == request.image.height)
    return False


def seeds_for_batches(
    seed: int | None,
    batches: Sequence[int],
    limits: Limits | None = None,
    *,
    rng: random.Random | None = None,
) -> list[int | None]:
    """Seeds for split requests: consecutive offsets so images differ yet stay reproducible.

    Offsets wrap within the provider's own seed range (``limits``, from its ``seed`` row), so a
    seed near the top of the range never becomes one the provider rejects; without a range they
    wrap at 2**32 (the neutral schema's seed range).

    A split job without a seed starts from one drawn from ``rng`` in that range: its parts
    would otherwise be identical requests, which a provider's duplicate filter refuses
    (StableDiffusionAPI: "you are sending same request multiple times").  Without ``rng``, or
    with one request, the seed stays unset (the provider draws its own).
    """
    bounds = limits if limits is not None and limits.maximum is not None else _NEUTRAL_SEEDS
    if seed is None and rng is not None and len(batches) > 1:
        assert bounds.maximum is not None
        low = int(bounds.minimum) if bounds.minimum is not None else 0
        seed = rng.randint(low, int(bounds.maximum))
    if seed is None:
        return [None] * len(batches)
    out: list[int | None] = []
    offset = 0
    for count in batches:
        out.append(bounds.clamp_cycle(seed + offset))
        offset += count
    return out


_NEUTRAL_SEEDS = Limits(minimum=0, maximum=2**32 - 1)
