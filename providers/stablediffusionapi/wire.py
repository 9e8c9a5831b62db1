"""Translating a prepared neutral job into the flat ``/api/v3/inpaint`` JSON body.

The wire format is the seed example's (seed 002): integers the docs show as strings are sent as
numeric strings (``"width": "512"``, ``"samples": "1"``, ``"num_inference_steps": "30"``), the
float knobs as JSON numbers (``7.5``, ``0.7``), options as ``"yes"``/``"no"``, and ``seed``,
``negative_prompt``, ``webhook`` and ``track_id`` as ``null`` when unset.  Every other optional
field is omitted when unset so that the provider's own default applies (see
:data:`~.capabilities.NULL_WHEN_UNSET`).  Keys are emitted in the seed example's order, which
makes golden tests and request journals easy to compare with the documentation.  The API key is
never added here: the runtime puts it in the body (``BodyKeyAuth("key")``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inpaintkit.errors import FieldError, UnsupportedFieldError, ValidationError
from inpaintkit.job import InpaintJob
from inpaintkit.provider import PreparedImage, PreparedRequest, Support

from .capabilities import (
    CAPABILITIES,
    EXTRA_DEFAULTS,
    EXTRA_FIELDS,
    NULL_WHEN_UNSET,
    PROVIDER_ID,
)

__all__ = [
    "WIRE_ORDER",
    "check_translatable",
    "default_size",
    "extras_of",
    "number_string",
    "submit_body",
    "used_paths",
    "yes_no",
]


def yes_no(flag: bool) -> str:
    """The platform's boolean: the strings ``"yes"`` and ``"no"`` (seed 002)."""
    return "yes" if flag else "no"


def number_string(value: int) -> str:
    """An integer as the numeric string the seed example sends (``"512"``)."""
    return str(int(value))


def used_paths(job: InpaintJob) -> tuple[str, ...]:
    """The neutral paths a job uses, including the nested ones that have their own rows."""
    paths = list(job.used_fields())
    if job.safety is not None and job.safety.level is not None:
        paths.append("safety.level")
    if job.webhook is not None and job.webhook.track_id is not None:
        paths.append("webhook.track_id")
    return tuple(paths)


def _value_at(job: InpaintJob, path: str) -> Any:
    value: Any = job
    for part in path.split("."):
        value = getattr(value, part, None)
    return value


def check_translatable(job: InpaintJob) -> None:
    """Refuse a job that still uses a field v3 cannot honour.

    The planner rejects or drops unsupported fields before a request is prepared, so this only
    fires when an adapter is driven directly with an unplanned job; it makes sure nothing is ever
    dropped silently.  Emulated fields are left alone: the runtime applies them around the
    request (the output format, for one, is converted after the answer arrives).
    """
    errors = [
        FieldError(
            f"$.{path}",
            f"is not supported by {PROVIDER_ID} (see its capability table)",
            _value_at(job, path),
        )
        for path in used_paths(job)
        if CAPABILITIES.support(path) is Support.UNSUPPORTED
    ]
    if errors:
        raise UnsupportedFieldError(errors, provider=PROVIDER_ID)


def extras_of(job: InpaintJob) -> dict[str, Any]:
    """The provider-only options in ``job.extras['stablediffusionapi']``, checked.

    Only ``base64`` (a bool) is accepted; anything else is an error naming its path rather than
    a field passed through unchecked.
    """
    given: Mapping[str, Any] = job.extras.get(PROVIDER_ID, {})
    errors: list[FieldError] = []
    options = dict(EXTRA_DEFAULTS)
    for name, value in given.items():
        path = f"$.extras.{PROVIDER_ID}.{name}"
        if name not in EXTRA_FIELDS:
            accepted = ", ".join(sorted(EXTRA_FIELDS))
            errors.append(
                FieldError(path, f"is not a {PROVIDER_ID} option (accepted: {accepted})", value)
            )
        elif not isinstance(value, bool):
            errors.append(FieldError(path, "must be a boolean", value))
        else:
            options[name] = value
    if errors:
        raise ValidationError(errors, provider=PROVIDER_ID)
    return options


def default_size(image: PreparedImage) -> tuple[int, int] | None:
    """The width and height to ask for when the job leaves them unset: the image's own size.

    A larger image is scaled down, keeping its aspect ratio, to fit the ``width``/``height``
    rows' maxima (the provider resizes the input to the requested size).  ``None`` when the size
    is unknown (an image URL passed through without being downloaded).
    """
    if not image.width or not image.height:
        return None
    width_row, height_row = CAPABILITIES.get("width"), CAPABILITIES.get("height")
    max_w = width_row.maximum if width_row is not None and width_row.maximum else image.width
    max_h = height_row.maximum if height_row is not None and height_row.maximum else image.height
    scale = min(1.0, max_w / image.width, max_h / image.height)
    if scale >= 1.0:
        return image.width, image.height
    return max(1, int(image.width * scale)), max(1, int(image.height * scale))


def _url_of(image: PreparedImage, field: str) -> str:
    if image.url is None:
        rule = (
            f"{PROVIDER_ID} takes images only as URLs and none was prepared; pass a URL or "
            "register an image_host plugin"
        )
        raise ValidationError([FieldError(f"$.{field}", rule, image)], provider=PROVIDER_ID)
    return image.url


WIRE_ORDER: tuple[str, ...] = (
    "prompt",
    "negative_prompt",
    "init_image",
    "mask_image",
    "width",
    "height",
    "samples",
    "num_inference_steps",
    "safety_checker",
    "enhance_prompt",
    "guidance_scale",
    "strength",
    "base64",
    "seed",
    "webhook",
    "track_id",
)
"""The seed example's key order (``key`` excluded: the runtime adds it)."""


def _set_values(request: PreparedRequest, options: Mapping[str, Any]) -> dict[str, Any]:
    """Wire field -> value for everything the job sets (unset fields are absent)."""
    job = request.job
    values: dict[str, Any] = {
        "prompt": job.prompt,
        "init_image": _url_of(request.image, "image"),
        "mask_image": _url_of(request.mask, "mask"),
        "samples": number_string(job.num_images),
        "base64": yes_no(options["base64"]),
    }
    size = (job.width, job.height) if job.width and job.height else default_size(request.image)
    if size is not None:
        values["width"], values["height"] = number_string(size[0]), number_string(size[1])
    optional: dict[str, Any] = {
        "negative_prompt": job.negative_prompt,
        "num_inference_steps": None if job.steps is None else number_string(job.steps),
        "safety_checker": None if job.safety is None else yes_no(job.safety.enabled),
        "enhance_prompt": None if job.enhance_prompt is None else yes_no(job.enhance_prompt),
        "guidance_scale": None if job.guidance_scale is None else float(job.guidance_scale),
        "strength": None if job.strength is None else float(job.strength),
        "seed": job.seed,
        "webhook": None if job.webhook is None else job.webhook.url,
        "track_id": None if job.webhook is None else job.webhook.track_id,
    }
    values.update({name: value for name, value in optional.items() if value is not None})
    return values


def submit_body(request: PreparedRequest) -> dict[str, Any]:
    """The JSON body of ``POST /api/v3/inpaint`` for ``request`` (without the key).

    Unset fields listed in :data:`~.capabilities.NULL_WHEN_UNSET` are sent as ``null``; the
    other unset ones are omitted.  Raises :class:`UnsupportedFieldError` for an unplanned job
    that uses unsupported fields and :class:`ValidationError` for bad extras or a missing URL.
    """
    check_translatable(request.job)
    values = _set_values(request, extras_of(request.job))
    body: dict[str, Any] = {}
    for name in WIRE_ORDER:
        if name in values:
            body[name] = values[name]
        elif name in NULL_WHEN_UNSET:
            body[name] = None
    return body
