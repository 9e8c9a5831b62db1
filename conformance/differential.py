"""The differential oracle: the plugin's local verdict must equal the mock's verdict on the wire.

For a job the plugin accepts (:func:`inpaintkit.planning.plan_job` succeeds), the real client
submits it to the mock and the mock's HTTP answer is the verdict; the request the mock
journaled must then carry the job's meaning (:mod:`.meaning`).

For a job the plugin refuses, there is no request to send, yet the question "would the provider
have accepted this value?" still has an answer.  The suite finds where the plugin puts the field
on the wire by submitting two accepted values and diffing the bodies (the plugin's own mapping,
not its declared one), submits an accepted "carrier" job, writes the refused value into the
carrier's body in the plugin's own representation, and sends that.  If the plugin's mapping is
not a plain copy of the value (a sampler renamed into another vocabulary), the probe is reported
as not probeable rather than guessed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
from inpaintkit.errors import PluginContractError, ValidationError
from inpaintkit.job import InpaintJob
from inpaintkit.planning import Plan, plan_job
from inpaintkit.provider import Capability

from .cases import apply_changes, field_path_of_error, neutral_rule, show
from .harness import Harness, MockVerdict
from .meaning import meaning_problems
from .wire import MISSING, SentRequest, leaf_paths, render_like, row_path, same_value, set_at

__all__ = ["CaseResult", "Differential", "Location"]


@attrs.frozen
class Location:
    """Where the plugin writes a neutral field in its submit body, learned by diffing."""

    path: str
    example_value: Any
    example_wire: Any
    carrier: SentRequest = attrs.field(repr=False, eq=False)
    """The accepted submit of the baseline with ``field = example_value``, reused as the
    carrier of single-field probes."""


@attrs.frozen
class CaseResult:
    """The outcome of one probe, with everything a failure message needs."""

    changes: Mapping[str, Any]
    label: str
    plugin_accepts: bool | None = None
    plugin_detail: str = ""
    mock_accepts: bool | None = None
    mock_detail: str = ""
    wire: Mapping[str, str] = attrs.field(factory=dict)
    problems: tuple[str, ...] = ()
    skipped: str | None = None

    @property
    def agree(self) -> bool:
        return self.plugin_accepts == self.mock_accepts

    @property
    def ok(self) -> bool:
        return self.skipped is not None or (self.agree and not self.problems)

    def describe(self, provider: str) -> str:
        """One paragraph naming the neutral and wire fields, the values and both verdicts."""
        parts = []
        for field, value in self.changes.items():
            wire = self.wire.get(field, "?")
            parts.append(f"{field} = {show(value)} (wire {wire})")
        head = f"[{provider}] {', '.join(parts) or 'baseline job'} [{self.label}]"
        if self.skipped is not None:
            return f"{head}: not probed: {self.skipped}"
        lines = [head]
        if not self.agree:
            plugin = "ACCEPTS" if self.plugin_accepts else "REJECTS"
            mock = "ACCEPTS" if self.mock_accepts else "REJECTS"
            lines.append(f"  plugin {plugin} locally ({self.plugin_detail or 'plan_job ok'})")
            lines.append(f"  mock {mock} the wire request ({self.mock_detail})")
        for problem in self.problems:
            lines.append(f"  {problem}")
        return "\n".join(lines)


def _plugin_verdict(job: InpaintJob, spec: Any) -> tuple[Plan | None, ValidationError | None]:
    try:
        return plan_job(job, spec), None
    except ValidationError as exc:
        return None, exc


class Differential:
    """Runs probes for one harness; caches where each field lands on the wire."""

    def __init__(
        self,
        harness: Harness,
        base_job: InpaintJob,
        *,
        image_size: tuple[int, int],
    ) -> None:
        self.h = harness
        self.base = base_job
        self.image_size = image_size
        self._locations: dict[str, Location | str] = {}
        self._epoch = -1

    def prepare(self) -> None:
        """Make the mock ready for probing (again, after anything reset it).

        Every task the probes create is held in processing (the mock's ``task_stuck`` fault):
        the mock validates a request fully before it creates the task, so the verdict is the
        same, but it skips generating output images, which for 512x512 providers is most of
        the cost of a probe.  Cached carriers hold URLs of images uploaded to the mock, so they
        are forgotten whenever the mock was reset.
        """
        if self._epoch == self.h.epoch:
            return
        self._locations.clear()
        self.h.mock.set_fault("task_stuck")
        self._epoch = self.h.epoch

    @property
    def table(self) -> Any:
        return self.h.spec.capabilities

    def job(self, changes: Mapping[str, Any]) -> InpaintJob | None:
        return apply_changes(self.base, changes, image_size=self.image_size)

    # --- finding a field on the wire ---------------------------------------------------

    def locate(self, field: str) -> Location | str:
        """Where ``field`` lands in the submit body, or why it cannot be found."""
        self.prepare()
        if field not in self._locations:
            self._locations[field] = self._discover(field)
        return self._locations[field]

    def _discover(self, field: str) -> Location | str:
        row = self.table.get(field)
        if row is None:
            return f"{field} has no capability row"
        values = [v for v in _carrier_candidates(row) if self._accepted(field, v)]
        if len(values) < 2:
            return f"fewer than two values of {field} are accepted locally"
        bodies: list[Any] = []
        carriers: list[SentRequest] = []
        accepted: list[Any] = []
        for value in values:  # the mock must accept the carriers too: try until two pass
            job = self.job({field: value})
            assert job is not None
            sub = self.h.submit(job)
            if sub.error is None and sub.submits:
                accepted.append(value)
                carriers.append(sub.submits[0])
                bodies.append(sub.submits[0].json_body)
            if len(accepted) == 2:
                break
        if len(accepted) < 2:
            return f"fewer than two values of {field} are accepted by both sides: {values}"
        a, b = accepted
        leaves_a = dict(leaf_paths(bodies[0]))
        leaves_b = dict(leaf_paths(bodies[1]))
        found = [
            path
            for path, wa in leaves_a.items()
            if path in leaves_b
            and wa != leaves_b[path]
            and same_value(a, wa)
            and same_value(b, leaves_b[path])
        ]
        if not found:
            return (
                f"no wire field carries {field} as a plain value (the plugin maps it, e.g. into "
                "another vocabulary), so an out-of-range value cannot be written the plugin's way"
            )
        declared = row_path(row)
        path = declared if declared in found else found[0]
        return Location(path, a, leaves_a[path], carriers[0])

    def _accepted(self, field: str, value: Any) -> bool:
        job = self.job({field: value})
        if job is None:
            return False
        plan, _ = _plugin_verdict(job, self.h.spec)
        return plan is not None

    # --- probing -----------------------------------------------------------------------

    def check(self, changes: Mapping[str, Any], label: str = "") -> CaseResult:
        """Probe one job (the baseline with ``changes``) and compare the two verdicts."""
        self.prepare()
        result = CaseResult(changes=dict(changes), label=label)
        job = self.job(changes)
        if job is None:
            return attrs.evolve(result, skipped="the neutral schema refuses this value")
        wire = {f: self._wire_name(f) for f in changes}
        result = attrs.evolve(result, wire=wire)
        plan, error = _plugin_verdict(job, self.h.spec)
        if plan is not None:
            return self._check_accepted(result, job, plan)
        assert error is not None
        return self._check_refused(result, changes, error)

    def _wire_name(self, field: str) -> str:
        location = self._locations.get(field)
        if isinstance(location, Location):
            return location.path
        row = self.table.get(field)
        return row.wire.describe() if row is not None and row.wire is not None else "?"

    def _check_accepted(self, result: CaseResult, job: InpaintJob, plan: Plan) -> CaseResult:
        result = attrs.evolve(result, plugin_accepts=True)
        sub = self.h.submit(job)
        if isinstance(sub.error, PluginContractError):
            return attrs.evolve(
                result,
                mock_accepts=None,
                mock_detail="nothing was sent",
                problems=(f"the core stopped the plugin's request: {sub.error}",),
            )
        if not sub.submits:
            return attrs.evolve(
                result,
                mock_accepts=None,
                mock_detail="nothing was sent",
                problems=(
                    "plan_job accepts the job but the client refused it before sending: "
                    f"{sub.error}",
                ),
            )
        verdicts = [
            MockVerdict(_ok(r.status, r.response), r.status, r.response) for r in sub.submits
        ]
        refused = [v for v in verdicts if not v.accepted]
        if refused:
            return attrs.evolve(result, mock_accepts=False, mock_detail=refused[0].describe())
        result = attrs.evolve(result, mock_accepts=True, mock_detail=f"HTTP {verdicts[0].status}")
        problems = meaning_problems(self.h, job, plan, sub)
        return attrs.evolve(result, problems=tuple(problems))

    def _check_refused(
        self, result: CaseResult, changes: Mapping[str, Any], error: ValidationError
    ) -> CaseResult:
        detail = "; ".join(str(e) for e in error.errors)
        result = attrs.evolve(result, plugin_accepts=False, plugin_detail=detail)
        refused_fields = {field_path_of_error(e.path) for e in error.errors}
        stray = refused_fields - set(changes)
        if stray:
            return attrs.evolve(
                result,
                mock_accepts=None,
                problems=(
                    "the plugin refuses fields the probe did not change "
                    f"({', '.join(sorted(stray))}): the baseline job is not valid for "
                    f"{self.h.provider_id}: {detail}",
                ),
            )
        carrier: dict[str, Any] = dict(changes)
        locations: dict[str, Location] = {}
        for field in refused_fields:
            location = self.locate(field)
            if isinstance(location, str):
                return attrs.evolve(result, skipped=location)
            locations[field] = location
            carrier[field] = location.example_value
        result = attrs.evolve(
            result, wire={**result.wire, **{f: loc.path for f, loc in locations.items()}}
        )
        if set(changes) == set(locations):
            like = next(iter(locations.values())).carrier if len(locations) == 1 else None
        else:
            like = None
        if like is None:
            carrier_job = self.job(carrier)
            assert carrier_job is not None
            sub = self.h.submit(carrier_job)
            if sub.error is not None or not sub.submits:
                return attrs.evolve(
                    result,
                    mock_accepts=None,
                    problems=(f"the carrier job {dict(carrier)} was not accepted: {sub.error}",),
                )
            like = sub.submits[0]
        body = like.json_body
        for field, location in locations.items():
            value = changes[field]
            if value is None:
                body = set_at(body, location.path, MISSING)
                continue
            rendered = render_like(location.example_wire, location.example_value, value)
            if rendered is MISSING:
                return attrs.evolve(
                    result,
                    skipped=f"the plugin writes {field} as {location.example_wire!r} for "
                    f"{show(location.example_value)}; {show(value)} cannot be written its way",
                )
            body = set_at(body, location.path, rendered)
        verdict = self.h.post(like, body)
        return attrs.evolve(result, mock_accepts=verdict.accepted, mock_detail=verdict.describe())


def _ok(status: int | None, body: Any) -> bool:
    error_body = isinstance(body, Mapping) and str(body.get("status", "")).lower() == "error"
    return status is not None and 200 <= status < 300 and not error_body


def _carrier_candidates(row: Capability) -> Sequence[Any]:
    """Values likely accepted, to learn where the field goes (two distinct ones are needed)."""
    rule = neutral_rule(row.field)
    kind = rule.kind if rule is not None else ""
    if row.choices is not None:
        return list(row.choices)
    if kind == "enum" and rule is not None and rule.enum_type is not None:
        return list(rule.enum_type)
    if kind == "str":
        low = max(row.min_length or 1, 1)
        return ["c" * low + "a", "c" * low + "b"]
    lo = row.minimum if row.minimum is not None else (rule.minimum if rule else None)
    hi = row.maximum if row.maximum is not None else (rule.maximum if rule else None)
    lo = 0 if lo is None else lo
    hi = lo + 10 if hi is None else hi
    integer = kind == "int"
    if row.multiple_of:
        m = row.multiple_of
        start = int(-(-lo // m) * m)
        picks: list[Any] = [start, start + m, int(hi // m * m)]
    elif integer:
        picks = [int(lo) + 1, int(lo) + 2, int((lo + hi) // 2), int(lo), int(hi) - 1, int(hi)]
    else:
        picks = [lo + (hi - lo) / 4, lo + (hi - lo) / 2, lo, hi, lo + (hi - lo) / 8]
        picks = [round(float(p), 4) for p in picks]
    return list(dict.fromkeys(picks))
