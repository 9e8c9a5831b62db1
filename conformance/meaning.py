"""Does the request the mock received mean what the job said?

An accepted request is not enough: a plugin that sends ``guidance_scale`` as ``cfg`` is accepted
by a server that ignores unknown fields, and a plugin that inverts the mask by mistake is
accepted too.  For every job the plugin accepts, these checks read the mock's journal and the
exact bytes the client sent, and report, naming the neutral and the wire field:

- a wire field the mock ignored as unknown (it carried no meaning for the provider);
- a journaled body that differs from what the client sent;
- a natively sent field whose wire value is absent or differs from the job's value (per batch
  for ``num_images`` and ``seed`` when a job is split);
- an input image whose size or pixels differ from the job's, and a mask whose polarity differs
  (white = repaint, inverted only when the client emulates ``mask_options.invert``), whether
  the image travels as base64 text, a URL, a list of one, or a multipart file part;
- an answer whose changed pixels are not the job's repaint area (checked for results the
  answer carries inline, when the geometry is untouched): this proves the mask's polarity end
  to end, through the provider's own reading of its wire mask.  :func:`end_to_end_polarity`
  does the same for every provider by running a job to its result and comparing the
  downloaded image (the suite's ``test_mask_polarity_end_to_end``), so providers whose results
  are URLs (Novita, StableDiffusionAPI, ModelsLab) are covered as well as inline ones.

A provider may carry the mask in another encoding than white = repaint: OpenAI marks the area
to edit by fully transparent pixels.  The suite class declares it (:class:`MaskEncoding`, the
``mask_encoding`` of :class:`~inpaintkit.conformance.ProviderConformance`), and the wire mask is
read back through that declaration; the end-to-end check above does not depend on it.
"""

from __future__ import annotations

import enum
import hashlib
import io
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs
from inpaintkit.images import normalize_mask
from inpaintkit.job import InpaintJob
from inpaintkit.mockserver.context import IGNORED_FIELD_NOTE
from inpaintkit.planning import Disposition, Plan, get_path, seeds_for_batches
from inpaintkit.provider import Done, FormFile
from PIL import Image, ImageChops

from .wire import (
    MISSING,
    decode_image_value,
    get_at,
    journal_summary,
    leaf_paths,
    row_path,
    same_value,
)

if TYPE_CHECKING:
    from .harness import Harness, Submission

__all__ = [
    "MaskEncoding",
    "end_to_end_polarity",
    "meaning_problems",
    "repaint_area",
    "repaint_problems",
]


class MaskEncoding(enum.StrEnum):
    """How a provider's wire mask marks the area to repaint (declared by the suite class)."""

    WHITE = "white"
    """Bright pixels repaint, dark ones are kept: the neutral convention, and most providers'."""
    TRANSPARENT = "transparent"
    """Fully transparent pixels (alpha 0) repaint, the others are kept (OpenAI's edits)."""


def repaint_area(mask: Image.Image, encoding: MaskEncoding) -> Image.Image:
    """The area a wire mask marks for repainting, as the neutral black-and-white mask."""
    if encoding is MaskEncoding.TRANSPARENT:
        if "A" not in mask.getbands() and "transparency" not in mask.info:
            return Image.new("L", mask.size, 0)  # nothing is transparent: nothing repaints
        alpha = mask.convert("RGBA").getchannel("A")
        return alpha.point(lambda v: 255 if v == 0 else 0)
    return normalize_mask(mask)


_IGNORED = IGNORED_FIELD_NOTE
_REDACTED = "<redacted>"


def meaning_problems(h: Harness, job: InpaintJob, plan: Plan, sub: Submission) -> list[str]:
    """Every way the submitted requests fail to carry ``job``'s meaning (empty when none)."""
    problems: list[str] = []
    journaled = [
        e for e in h.journal("request", method="POST") if e.get("path") == sub.submit_path
    ][-len(sub.submits) :]
    if len(journaled) != len(sub.submits):
        return [
            f"the mock journaled {len(journaled)} submit(s) but the client sent {len(sub.submits)}"
        ]
    # The runtime wraps split seeds inside the provider's seed range; expect the same.
    seed_row = h.spec.capabilities.get("seed")
    seeds = seeds_for_batches(
        plan.job.seed, plan.batches, seed_row.limits if seed_row is not None else None
    )
    for index, sent in enumerate(sub.submits):
        # Batches are sent concurrently: match each request to its entry by content.
        matching = [e for e in journaled if not _journal_matches(sent.json_body, e.get("body"))]
        if not matching:
            problems.append(
                "the mock's journal shows no request equal to the one the client sent: "
                + "; ".join(_journal_matches(sent.json_body, journaled[0].get("body")))
            )
            continue
        entry = matching[0]
        journaled.remove(entry)
        for note in entry.get("notes") or ():
            if note.startswith(_IGNORED):
                name = note[len(_IGNORED) :]
                problems.append(
                    f"wire field {name}: the mock ignored it as unknown, so whatever neutral "
                    "field it was meant to carry has no effect at the provider"
                )
        expected = {"num_images": plan.batches[index], "seed": seeds[index]}
        problems.extend(_field_values(h, plan, sent.json_body, expected))
        if index == 0:
            problems.extend(_images(h, job, plan, sent.json_body))
    problems.extend(_count_problems(plan, sub))
    problems.extend(_answer_problems(job, plan, sub))
    return problems


def _count_problems(plan: Plan, sub: Submission) -> list[str]:
    """Every answer that is already a result carries the images its request asked for: a
    plugin that parses fewer (or more) hands the user another job than the one they ran."""
    if sub.handle is None:
        return []
    out = []
    for index, (state, wanted) in enumerate(zip(sub.handle.tasks, plan.batches, strict=False)):
        if isinstance(state, Done) and len(state.images) != wanted:
            out.append(
                f"num_images = {wanted}: the answer to request {index + 1} parsed to "
                f"{len(state.images)} image(s)"
            )
    return out


def _journal_matches(sent: Any, journaled: Any) -> list[str]:
    """The journal shows the body the client sent (keys redacted, long strings summarised,
    form files by their digest)."""
    if journaled is None and any(isinstance(v, FormFile) for _, v in leaf_paths(sent)):
        return []  # a mock core that journals no form bodies: the handler's checks remain
    out = []
    for path, value in leaf_paths(sent):
        seen = get_at(journaled, path)
        if isinstance(value, FormFile):
            digest = hashlib.sha256(value.data).hexdigest()
            if isinstance(seen, Mapping) and seen.get("sha256") == digest:
                continue
            out.append(f"wire field {path}: the mock journaled no file with the sent bytes")
            continue
        if seen in (value, _REDACTED):
            continue
        if isinstance(value, str) and seen == journal_summary(value):
            continue
        if isinstance(value, str) and isinstance(seen, str) and _REDACTED in seen:
            continue
        out.append(
            f"wire field {path}: the client sent {value!r:.60} but the mock journaled {seen!r:.60}"
        )
    return out


def _field_values(h: Harness, plan: Plan, body: Any, per_batch: dict[str, Any]) -> list[str]:
    table = h.spec.capabilities
    out = []
    for outcome in plan.outcomes:
        if outcome.disposition is not Disposition.NATIVE:
            continue
        row = table.get(outcome.field)
        wire_path = row_path(row) if row is not None else None
        if wire_path is None:
            continue
        if outcome.field in ("prompt", "image", "mask") or (
            "." in outcome.field
            and (outcome.field.split(".")[0] in ("webhook", "storage", "safety"))
        ):
            continue
        value = per_batch.get(outcome.field, get_path(plan.job, outcome.field))
        if value is None or isinstance(value, tuple) or attrs.has(type(value)):
            continue  # containers: their members have rows of their own
        wire_value = get_at(body, wire_path)
        if value == "" and wire_value in (MISSING, None, ""):
            continue  # an empty string and an absent field mean the same to every provider
        if wire_value is MISSING:
            out.append(
                f"{outcome.field} = {_plain(value)!r}: wire field {wire_path} (declared by the "
                "plugin) is absent from the request the mock received"
            )
        elif not same_value(value, wire_value):
            out.append(
                f"{outcome.field} = {_plain(value)!r}: wire field {wire_path} carries "
                f"{wire_value!r} instead"
            )
    return out


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)


def _images(h: Harness, job: InpaintJob, plan: Plan, body: Any) -> list[str]:
    table = h.spec.capabilities
    out: list[str] = []
    emulation = plan.emulation
    job_image = _open(job.image.data)
    job_mask = _open(job.mask.data)
    if job_image is None or job_mask is None:
        return out  # path or URL inputs: nothing to compare against here
    for field in ("image", "mask"):
        row = table.get(field)
        paths: tuple[str, ...] = row.wire.paths if row is not None and row.wire is not None else ()
        if len(paths) != 1:
            continue  # no mapping, or spread over several fields: nothing to read back
        wire_path = paths[0]
        wire_value = get_at(body, wire_path)
        if isinstance(wire_value, list) and len(wire_value) == 1:
            wire_value = wire_value[0]  # a one-item list of images (init_images)
        if not isinstance(wire_value, str | FormFile):
            out.append(f"{field}: wire field {wire_path} holds no image ({wire_value!r:.40})")
            continue
        received = _wire_image(h, wire_value)
        if received is None:
            out.append(f"{field}: wire field {wire_path} does not decode to an image")
            continue
        if emulation.resize_to is not None or emulation.masked_only:
            continue  # geometry changed on purpose; pixels cannot be compared one to one
        if received.size != job_image.size:
            out.append(
                f"{field}: wire field {wire_path} is {received.size[0]}x{received.size[1]}, "
                f"the job's image is {job_image.size[0]}x{job_image.size[1]}"
            )
            continue
        if field == "image":
            if (
                ImageChops.difference(received.convert("RGB"), job_image.convert("RGB")).getbbox()
                is not None
            ):
                out.append(f"image: wire field {wire_path} has other pixels than the job's image")
            continue
        if emulation.blur_radius is not None:
            continue  # blurred on the client: grey edges, polarity checked through invert only
        out.extend(
            _mask_polarity(received, job_mask, emulation.invert_mask, wire_path, h.mask_encoding)
        )
    return out


def _mask_polarity(
    received: Image.Image,
    job_mask: Image.Image,
    inverted: bool,
    wire: str,
    encoding: MaskEncoding = MaskEncoding.WHITE,
) -> list[str]:
    want = normalize_mask(job_mask)
    if inverted:
        want = ImageChops.invert(want)
    got = repaint_area(received, encoding)
    if ImageChops.difference(got, want).getbbox() is None:
        return []
    marker = "fully transparent pixels" if encoding is MaskEncoding.TRANSPARENT else "white"
    if ImageChops.difference(got, ImageChops.invert(want)).getbbox() is None:
        polarity = "inverted" if not inverted else "not inverted although invert is emulated"
        return [
            f"mask: wire field {wire} has the wrong polarity ({polarity}): {marker} must mark "
            "the area to repaint"
        ]
    return [f"mask: wire field {wire} differs from the job's mask (read as {marker} = repaint)"]


def _answer_problems(job: InpaintJob, plan: Plan, sub: Submission) -> list[str]:
    """The first inline result changes exactly where the job repaints: no pixel of the kept
    area differs from the input, and some pixel of the repaint area does.

    Only for answers that carry the image (nothing is downloaded), at the input's size, for jobs
    whose geometry and mask edge the client leaves alone and without a provider-side blur.
    """
    emulation = plan.emulation
    mo = plan.job.mask_options
    if (
        emulation.resize_to is not None
        or emulation.masked_only
        or (emulation.blur_radius is not None)
    ):
        return []  # the client changed the geometry or the edge: no pixel-exact comparison
    if mo.blur or mo.masked_only or sub.handle is None:
        return []
    done = [t for t in sub.handle.tasks if isinstance(t, Done)]
    data = done[0].images[0].data if done and done[0].images else None
    problems = repaint_problems(job, data, inverted=emulation.invert_mask or mo.invert)
    return problems if isinstance(problems, list) else []


def repaint_problems(
    job: InpaintJob, data: bytes | None, *, inverted: bool = False
) -> list[str] | str:
    """How a result image ``data`` strays from the job's repaint area: pixels of the kept area
    that differ from the input, or no changed pixel in the repaint area.  A string says why
    the two cannot be compared pixel for pixel (a lossy or resized result, inputs that are not
    bytes)."""
    if data is None or not data.startswith(b"\x89PNG"):
        return "the result is not a PNG: kept pixels cannot be compared exactly"
    result, original, job_mask = _open(data), _open(job.image.data), _open(job.mask.data)
    if result is None or original is None or job_mask is None:
        return "the job's image or mask is not given as bytes"
    if result.size != original.size:
        return f"the result is {result.size}, the input {original.size}"
    repaint = normalize_mask(job_mask)
    if inverted:
        repaint = ImageChops.invert(repaint)
    diff = ImageChops.difference(result.convert("RGB"), original.convert("RGB")).convert("L")
    changed = diff.point(lambda v: 255 if v else 0)
    outside = ImageChops.subtract(changed, repaint).getbbox()
    if outside is not None:
        return [
            f"the answer changed pixels the mask keeps (within {outside}): the provider did not "
            "read the mask as the job meant it (wrong polarity or a wrong mask encoding)"
        ]
    if ImageChops.multiply(changed, repaint).getbbox() is None:
        return ["the answer changed no pixel of the area the mask repaints"]
    return []


def end_to_end_polarity(h: Harness, job: InpaintJob) -> list[str] | str:
    """Run ``job`` to its result and report where the result's changed pixels stray from the
    job's repaint area (a string: why it cannot be compared).

    ``job`` should carry an asymmetric mask (the suite's repaints one off-centre rectangle), so
    an inverted, mirrored or ignored mask changes pixels the job keeps.  Independent of the
    plugin's declarations: only the input and the downloaded result are compared.
    """
    from inpaintkit.errors import InpaintError

    mo = job.mask_options
    if mo.blur or mo.masked_only or job.width is not None:
        return "the job blurs, crops or resizes: no pixel-exact comparison"
    sub = h.submit(job)
    if sub.error is not None or sub.handle is None:
        return [f"the job was not accepted: {sub.error}"]
    try:
        result = h.run(h.client.wait(sub.handle))
    except InpaintError as exc:
        return [f"the job did not finish: {exc}"]
    if not result.images:
        return ["the result has no image"]
    return repaint_problems(job, result.images[0].data, inverted=mo.invert)


def _open(data: bytes | None) -> Image.Image | None:
    if data is None:
        return None
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except OSError:
        return None
    return image


def _wire_image(h: Harness, value: str | FormFile) -> Image.Image | None:
    if isinstance(value, FormFile):
        return _open(value.data)
    if value.startswith(("http://", "https://")):
        raw = h.fetch(value)
        return _open(raw)
    return decode_image_value(value)
