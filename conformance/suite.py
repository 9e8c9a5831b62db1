"""The reusable suite: subclass :class:`ProviderConformance` in a ``test_*.py`` file.

::

    from inpaintkit.conformance import ProviderConformance

    class TestMyProvider(ProviderConformance):
        provider_id = "myprovider"
        job_defaults = {"model": "some-inpainting-model"}   # fields your provider requires
        skip = {"test_webhook_deliveries": "the provider has no webhooks"}

The base class is not named ``Test*``, so pytest collects only subclasses.  Its fixtures come
from the ``inpaintkit_conformance`` pytest plugin (installed with inpaintkit); its test ids are
stable (``test_range_boundary[steps=101]``), so skips and expected disagreements can name them.
See ``docs/conformance.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
import pluggy
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test
from inpaintkit.provider import Done, Pending, PollingAdapter

from .cases import Case, boundary_cases, mock_bounds, probed_fields
from .differential import CaseResult, Differential
from .errors import DEFAULT_ERROR_CASES, ErrorCase, check_error_case, not_applicable
from .harness import Harness
from .meaning import MaskEncoding, end_to_end_polarity
from .semantics import make_state_machine
from .webhooks import collect_webhook_payloads, fold_deliveries, state_key

__all__ = ["ProviderConformance"]


class ProviderConformance:
    """Conformance tests for one provider plugin against its mock.  Subclass; set the ClassVars."""

    provider_id: ClassVar[str] = ""
    """The id the plugin registers (``register_providers``)."""
    mock_contract: ClassVar[str | None] = None
    """Id of a built-in mock contract whose boundaries add probe values (defaults to
    ``provider_id`` when that is a built-in; third-party mocks add none)."""
    image_size: ClassVar[tuple[int, int]] = (64, 64)
    """Size of the generated test image and mask (use the provider's minimum if it has one)."""
    mask_encoding: ClassVar[MaskEncoding] = MaskEncoding.WHITE
    """How the provider's wire mask marks the area to repaint: white (the neutral convention)
    or, as OpenAI's edits, fully transparent pixels.  The meaning checks read the mask the
    plugin sent through this declaration; the answer's changed pixels check it end to end."""
    job_defaults: ClassVar[Mapping[str, Any]] = {}
    """Neutral fields every test job sets, e.g. a required ``model``."""
    skip: ClassVar[Mapping[str, str]] = {}
    """Test name (``test_webhook_deliveries``) or full id (``test_range_boundary[steps=101]``)
    -> the reason it does not apply to this provider."""
    expected_disagreements: ClassVar[Mapping[str, str]] = {}
    """Probe id (``sampler='DPM++ 2M'``) -> why the plugin and the mock are known to disagree.
    The probe is reported as skipped with the reason and both verdicts; it FAILS once they agree,
    so a stale entry cannot linger."""
    error_cases: ClassVar[tuple[ErrorCase, ...]] = DEFAULT_ERROR_CASES
    """The documented errors to drive (override to add or remove)."""
    generated_examples: ClassVar[int] = 25
    """hypothesis examples of the generated-jobs differential test."""
    state_machine_examples: ClassVar[int] = 8
    state_machine_steps: ClassVar[int] = 10

    @classmethod
    def plugin_manager(cls) -> pluggy.PluginManager:
        """The plugins under test (default: every installed one).  Override to add your own
        plugin objects, e.g. ``make_plugin_manager(plugins=[my_module])``."""
        from inpaintkit.plugins import make_plugin_manager

        return make_plugin_manager()

    @classmethod
    def boundary_cases(cls) -> list[Case]:
        """The probes of :meth:`test_range_boundary` (computed at collection)."""
        from inpaintkit.plugins import ProviderRegistry

        registry = ProviderRegistry.from_plugin_manager(cls.plugin_manager())
        table = registry[cls.provider_id].spec.capabilities
        contract = cls.mock_contract or cls.provider_id
        return boundary_cases(table, mock_bounds(contract, table))

    # --- differential ranges -----------------------------------------------------------

    def test_baseline_job(self, conformance_differential: Differential) -> None:
        """The baseline job is accepted by both sides and reaches the mock with its meaning."""
        self._expect(conformance_differential.check({}, "baseline"), "baseline")

    def test_range_boundary(
        self, conformance_differential: Differential, conformance_case: Case
    ) -> None:
        """Plugin accepts the boundary value locally iff the mock accepts it on the wire."""
        result = conformance_differential.check(
            {conformance_case.field: conformance_case.value}, conformance_case.label
        )
        self._expect(result, conformance_case.id)

    def test_range_generated(self, conformance_differential: Differential) -> None:
        """The same property for hypothesis-generated jobs that set several fields at once."""
        diff = conformance_differential
        by_field: dict[str, list[Any]] = {}
        for case in self.boundary_cases():
            if case.id not in self.expected_disagreements:
                by_field.setdefault(case.field, []).append(case.value)
        fields = [r.field for r in probed_fields(diff.table) if r.field in by_field]
        strategy = st.dictionaries(
            st.sampled_from(fields), st.none(), min_size=1, max_size=4
        ).flatmap(
            lambda chosen: st.fixed_dictionaries({f: st.sampled_from(by_field[f]) for f in chosen})
        )

        @settings(
            max_examples=self.generated_examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(changes=strategy)
        def run(changes: dict[str, Any]) -> None:
            result = diff.check(changes, "generated")
            if result.skipped is None:
                assert result.ok, result.describe(self.provider_id)

        run()

    def _expect(self, result: CaseResult, case_id: str) -> None:
        text = result.describe(self.provider_id)
        reason = self.expected_disagreements.get(case_id)
        if reason is not None:
            if result.ok and result.skipped is None:
                pytest.fail(f"expected disagreement no longer occurs, remove it: {text}")
            pytest.skip(f"expected disagreement ({reason}):\n{text}")
        if result.skipped is not None:
            pytest.skip(text)
        assert result.ok, text

    # --- semantics -----------------------------------------------------------------------

    def test_state_machine(self, conformance_harness: Harness, conformance_base_job: Any) -> None:
        """Submit / advance / poll / wait / fault / abandon, with the suite's invariants."""
        machine = make_state_machine(conformance_harness, conformance_base_job)
        run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=self.state_machine_examples,
                stateful_step_count=self.state_machine_steps,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            ),
        )

    def test_mask_polarity_end_to_end(
        self, conformance_harness: Harness, conformance_base_job: Any
    ) -> None:
        """The result changes only where the job's asymmetric mask is white (and somewhere
        there): the provider read the plugin's wire mask with the neutral polarity.  The job
        runs to its result, downloaded or inline, and the pixels are compared with the input."""
        h = conformance_harness
        h.set_sync_mode("instant")
        problems = end_to_end_polarity(h, conformance_base_job)
        if isinstance(problems, str):
            pytest.skip(f"[{h.provider_id}] polarity not comparable: {problems}")
        assert not problems, f"[{h.provider_id}] " + "\n".join(problems)

    def test_poll_path(self, conformance_harness: Harness, conformance_base_job: Any) -> None:
        """The provider's waiting path runs to a result: an async provider polls its task; a
        sync provider's ``processing`` answer is fetched until done (mock ``sync_mode``)."""
        h = conformance_harness
        if not isinstance(h.adapter, PollingAdapter):
            pytest.skip(f"{h.provider_id} implements no polling: every answer is final")
        h.set_sync_mode("processing")  # the SDAPI platform's slow path; task APIs ignore it
        job = _with_two_images(h, conformance_base_job)
        sub = h.submit(job)
        assert sub.error is None, sub.error
        assert sub.handle is not None
        assert any(isinstance(s, Pending) for s in sub.handle.tasks), (
            f"[{h.provider_id}] expected a task to poll, got {sub.handle.tasks}"
        )
        result = h.run(h.client.wait(sub.handle))
        assert len(result.images) == job.num_images, (
            f"[{h.provider_id}] the job asked for {job.num_images} images, the result has "
            f"{len(result.images)}"
        )
        assert result.timings.polls >= 1
        for task_id in result.task_ids:
            assert h.mock_task_state(task_id) == "succeeded"

    def test_sync_answer(self, conformance_harness: Harness, conformance_base_job: Any) -> None:
        """A sync provider's immediate ``success`` is a result without any poll."""
        h = conformance_harness
        h.set_sync_mode("instant")
        job = _with_two_images(h, conformance_base_job)
        sub = h.submit(job)
        assert sub.handle is not None, sub.error
        if isinstance(h.adapter, PollingAdapter) and all(
            isinstance(s, Pending) for s in sub.handle.tasks
        ):
            pytest.skip(f"{h.provider_id} answers every submit with a task (a task-first API)")
        assert all(isinstance(s, Done) for s in sub.handle.tasks)
        result = h.run(h.client.wait(sub.handle))
        assert len(result.images) == job.num_images, (
            f"[{h.provider_id}] the job asked for {job.num_images} images, the result has "
            f"{len(result.images)}"
        )
        assert result.timings.polls == 0

    def test_submit_not_resent_after_reset(
        self, conformance_harness: Harness, conformance_base_job: Any
    ) -> None:
        """A submit whose connection drops may have reached the provider: never resent."""
        from inpaintkit.errors import SubmitOutcomeUnknownError

        h = conformance_harness
        first = h.submit(conformance_base_job)
        assert first.submit_path is not None, first.error
        h.reset()
        h.mock.set_fault("reset", path=first.submit_path)
        sub = h.submit(conformance_base_job)
        assert isinstance(sub.error, SubmitOutcomeUnknownError), sub.error
        assert len(sub.submits) == 1, f"{len(sub.submits)} submits after a dropped connection"

    def test_webhook_deliveries(
        self, conformance_harness: Harness, conformance_base_job: Any
    ) -> None:
        """Delivered webhooks, duplicated and in any order, parse to the polled outcome."""
        h = conformance_harness
        try:
            payloads, outcome = collect_webhook_payloads(h, conformance_base_job)
        except LookupError as exc:
            pytest.skip(str(exc))
        assert payloads, f"[{h.provider_id}] the mock delivered no webhook"
        final = fold_deliveries(h, payloads)
        assert final is not None, "no webhook parsed to a final state"
        if not isinstance(outcome, Exception):
            assert isinstance(final, Done)
            assert len(final.images) == len(outcome.images)
            assert final.task_id in outcome.task_ids or final.task_id is None

        @settings(max_examples=20, deadline=None, database=None)
        @given(st.lists(st.sampled_from(payloads), min_size=1, max_size=6), st.randoms())
        def reordered(picked: list[Any], rnd: Any) -> None:
            rnd.shuffle(picked)
            again = fold_deliveries(h, picked)
            assert again is not None
            assert state_key(again) == state_key(final)

        reordered()

    # --- errors ---------------------------------------------------------------------------

    def test_error_mapping(
        self,
        conformance_harness: Harness,
        conformance_base_job: Any,
        conformance_error_case: ErrorCase,
    ) -> None:
        """A documented provider error becomes the right typed error, with the raw body."""
        reason = not_applicable(conformance_error_case, conformance_harness.adapter)
        if reason is not None:
            pytest.skip(reason)
        problems = check_error_case(
            conformance_harness, conformance_base_job, conformance_error_case
        )
        assert not problems, "\n".join(problems)


def _with_two_images(h: Harness, job: Any) -> Any:
    """``job`` asking for two images when the plugin accepts that (so a result that drops or
    duplicates images shows), else ``job`` itself."""
    from inpaintkit.errors import ValidationError
    from inpaintkit.planning import plan_job

    two = attrs.evolve(job, num_images=2)
    try:
        plan_job(two, h.spec)
    except ValidationError:
        return job
    return two
