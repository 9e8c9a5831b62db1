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
  (white = repaint, inverted only when the client emulates ``mask_options.invert``).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import attrs
from inpaintkit.images import normalize_mask
from inpaintkit.job import InpaintJob
from inpaintkit.planning import Disposition, Plan, get_path, seeds_for_batches
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

__all__ = ["meaning_problems"]

_IGNORED = "ignored unknown field "
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
    seeds = seeds_for_batches(plan.job.seed, plan.batches)
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
    return problems


def _journal_matches(sent: Any, journaled: Any) -> list[str]:
    """The journal shows the body the client sent (keys redacted, long strings summarised)."""
    out = []
    for path, value in leaf_paths(sent):
        seen = get_at(journaled, path)
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
        wire_path = row_path(row) if row is not None else None
        if wire_path is None:
            continue
        wire_value = get_at(body, wire_path)
        if not isinstance(wire_value, str):
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
        out.extend(_mask_polarity(received, job_mask, emulation.invert_mask, wire_path))
    return out


def _mask_polarity(
    received: Image.Image, job_mask: Image.Image, inverted: bool, wire: str
) -> list[str]:
    want = normalize_mask(job_mask)
    if inverted:
        want = ImageChops.invert(want)
    got = normalize_mask(received)
    if ImageChops.difference(got, want).getbbox() is None:
        return []
    if ImageChops.difference(got, ImageChops.invert(want)).getbbox() is None:
        polarity = "inverted" if not inverted else "not inverted although invert is emulated"
        return [
            f"mask: wire field {wire} has the wrong polarity ({polarity}): white must mark the "
            "area to repaint"
        ]
    return [f"mask: wire field {wire} differs from the job's mask"]


def _open(data: bytes | None) -> Image.Image | None:
    if data is None:
        return None
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except OSError:
        return None
    return image


def _wire_image(h: Harness, value: str) -> Image.Image | None:
    if value.startswith(("http://", "https://")):
        raw = h.fetch(value)
        return _open(raw)
    return decode_image_value(value)
