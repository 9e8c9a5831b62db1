"""The web UI server's rules for ``/sdapi/v1/img2img``, in wire terms, as pure functions.

A transcription of AUTOMATIC1111 web UI v1.10 (fastapi 0.94, pydantic 1.x), written from its
source (``modules/api/models.py``, ``modules/api/api.py``, ``modules/processing.py``,
``modules/sd_samplers*.py``, ``modules/sd_schedulers.py``) and deliberately independent of the
plugin's capability table: this module never imports the plugin, so the conformance suite can
catch a plugin that disagrees with the server.  What the server does, and so what this does:

- The request model is generated from the processing class with every field ``Optional``: it
  checks TYPES only, with pydantic 1.x coercion (``"30"`` and ``30.7`` are read as the integer
  30, ``"yes"`` as true, a number as a string), accepts ``null`` everywhere, ignores unknown
  fields, and lists every bad field in one 422 ``{"detail": [{loc, msg, type}]}``.
- It checks NO ranges.  ``steps: 1000`` runs.  Values the pipeline cannot run fail later with
  the web UI's 500 body ``{error, detail, body, errors}``; the mock reproduces the failures it
  can name (``null`` for a number the pipeline computes with, an empty ``init_images``, an image
  side under one latent pixel, a masked whole-picture inpainting at a side that is not a
  multiple of 8, a CLIP skip beyond the text encoder's 12 layers) and stands in
  for the GPU running out of memory on absurd sizes.
- ``init_images: null`` (or absent) -> 404 "Init image not found"; an undecodable image or mask
  -> 500 "Invalid encoded image".
- Samplers: a legacy name with a schedule suffix (``DPM++ 2M Karras``) is split into sampler and
  scheduler (v1.9+).  An unknown sampler is refused with 404 "Sampler not found" by default, as
  ``validate_sampler_name`` did up to v1.8; v1.9+ silently substitutes the first sampler, which
  the mock does only when asked (``unknown_sampler="fallback"``), because a silent substitution
  cannot be caught by a test.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping
from typing import Any, Final

import attrs

__all__ = [
    "DEFAULTS",
    "FIELD_KINDS",
    "SAMPLERS",
    "SCHEDULERS",
    "CheckedBody",
    "Kind",
    "ResolvedSampler",
    "SamplerInfo",
    "SchedulerInfo",
    "check_body",
    "coerce",
    "error_body",
    "http_error",
    "resolve_sampler",
    "validation_item",
]


class Kind(enum.Enum):
    """The pydantic 1.x field types of the request model."""

    INT = "int"
    FLOAT = "float"
    STR = "str"
    BOOL = "bool"
    LIST = "list"
    DICT = "dict"


_I, _F, _S, _B, _L, _D = Kind.INT, Kind.FLOAT, Kind.STR, Kind.BOOL, Kind.LIST, Kind.DICT

FIELD_KINDS: Final[Mapping[str, Kind]] = {
    # StableDiffusionProcessing (minus the API_NOT_ALLOWED names)
    "prompt": _S,
    "negative_prompt": _S,
    "styles": _L,
    "seed": _I,
    "subseed": _I,
    "subseed_strength": _F,
    "seed_resize_from_h": _I,
    "seed_resize_from_w": _I,
    "sampler_name": _S,
    "scheduler": _S,
    "batch_size": _I,
    "n_iter": _I,
    "steps": _I,
    "cfg_scale": _F,
    "width": _I,
    "height": _I,
    "restore_faces": _B,
    "tiling": _B,
    "do_not_save_samples": _B,
    "do_not_save_grid": _B,
    "eta": _F,
    "s_min_uncond": _F,
    "s_churn": _F,
    "s_tmax": _F,
    "s_tmin": _F,
    "s_noise": _F,
    "override_settings": _D,
    "override_settings_restore_afterwards": _B,
    "refiner_checkpoint": _S,
    "refiner_switch_at": _F,
    "disable_extra_networks": _B,
    "comments": _D,
    # StableDiffusionProcessingImg2Img
    "init_images": _L,
    "resize_mode": _I,
    "denoising_strength": _F,
    "image_cfg_scale": _F,
    "mask": _S,
    "mask_blur_x": _I,
    "mask_blur_y": _I,
    "mask_blur": _I,
    "mask_round": _B,
    "inpainting_fill": _I,
    "inpaint_full_res": _B,
    "inpaint_full_res_padding": _I,
    "inpainting_mask_invert": _I,
    "initial_noise_multiplier": _F,
    "force_task_id": _S,
    # fields the API model adds
    "sampler_index": _S,
    "include_init_images": _B,
    "script_name": _S,
    "script_args": _L,
    "send_images": _B,
    "save_images": _B,
    "alwayson_scripts": _D,
    "infotext": _S,
}
"""Every field of ``StableDiffusionImg2ImgProcessingAPI`` and its type."""

DEFAULTS: Final[Mapping[str, Any]] = {
    "prompt": "",
    "negative_prompt": "",
    "styles": None,
    "seed": -1,
    "subseed": -1,
    "subseed_strength": 0,
    "seed_resize_from_h": -1,
    "seed_resize_from_w": -1,
    "sampler_name": None,
    "scheduler": None,
    "batch_size": 1,
    "n_iter": 1,
    "steps": 50,
    "cfg_scale": 7.0,
    "width": 512,
    "height": 512,
    "restore_faces": None,
    "tiling": None,
    "override_settings": None,
    "override_settings_restore_afterwards": True,
    "init_images": None,
    "resize_mode": 0,
    "denoising_strength": 0.75,
    "mask": None,
    "mask_blur_x": 4,
    "mask_blur_y": 4,
    "mask_blur": None,
    "mask_round": True,
    "inpainting_fill": 0,
    "inpaint_full_res": True,
    "inpaint_full_res_padding": 0,
    "inpainting_mask_invert": 0,
    "initial_noise_multiplier": None,
    "sampler_index": "Euler",
    "include_init_images": False,
    "script_name": None,
    "script_args": [],
    "send_images": True,
    "save_images": False,
    "alwayson_scripts": {},
}
"""The model's defaults (the processing class's, plus the API's own), echoed in
``parameters``.  Note the API's inpainting defaults are not the web UI's: fill 0 ('fill'),
only-masked true, padding 0."""

PIPELINE_NUMBERS: Final = ("steps", "cfg_scale", "width", "height", "batch_size", "n_iter")
"""Fields the pipeline computes with: an explicit ``null`` passes the model and then fails."""

_MESSAGES: Final[Mapping[Kind, tuple[str, str]]] = {
    Kind.INT: ("value is not a valid integer", "type_error.integer"),
    Kind.FLOAT: ("value is not a valid float", "type_error.float"),
    Kind.STR: ("str type expected", "type_error.str"),
    Kind.BOOL: ("value could not be parsed to a boolean", "type_error.bool"),
    Kind.LIST: ("value is not a valid list", "type_error.list"),
    Kind.DICT: ("value is not a valid dict", "type_error.dict"),
}

_TRUE: Final = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE: Final = frozenset({"0", "off", "f", "false", "n", "no"})


class _Invalid(Exception):
    pass


def coerce(kind: Kind, value: Any) -> Any:
    """``value`` as pydantic 1.x reads it for ``kind``; raises ``ValueError`` if it cannot."""
    try:
        return _COERCE[kind](value)
    except _Invalid:
        raise ValueError(_MESSAGES[kind][0]) from None


def _int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float | bool | str):
        try:
            return int(value)  # 30.7 -> 30 and True -> 1, exactly as pydantic 1.x does
        except (ValueError, OverflowError):
            raise _Invalid from None
    raise _Invalid


def _float(value: Any) -> float:
    if isinstance(value, float):
        return value
    if isinstance(value, int | str):
        try:
            return float(value)
        except ValueError:
            raise _Invalid from None
    raise _Invalid


def _str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)  # pydantic 1.x stringifies numbers (and booleans, which are ints)
    raise _Invalid


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    raise _Invalid


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    raise _Invalid


def _dict(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, list):
        try:
            return dict(value)  # pydantic 1.x tries dict(v): a list of pairs passes
        except (TypeError, ValueError):
            raise _Invalid from None
    raise _Invalid


_COERCE: Final[Mapping[Kind, Callable[[Any], Any]]] = {
    Kind.INT: _int,
    Kind.FLOAT: _float,
    Kind.STR: _str,
    Kind.BOOL: _bool,
    Kind.LIST: _list,
    Kind.DICT: _dict,
}


def validation_item(loc: list[Any], kind: Kind) -> dict[str, Any]:
    """One FastAPI/pydantic 1.x error item."""
    msg, type_ = _MESSAGES[kind]
    return {"loc": loc, "msg": msg, "type": type_}


@attrs.frozen
class CheckedBody:
    """A body the request model accepted: coerced values for the fields that were sent (an
    explicit ``null`` kept as ``None``), and the unknown fields it ignored."""

    values: Mapping[str, Any]
    ignored: tuple[str, ...] = ()

    def get(self, name: str) -> Any:
        """The sent value, or the model's default when the field was absent or null."""
        value = self.values.get(name)
        return DEFAULTS.get(name) if value is None else value


def check_body(body: Any) -> CheckedBody | list[dict[str, Any]]:
    """Validate a decoded JSON body against the request model: accepted, or 422 items."""
    if not isinstance(body, dict):
        return [{"loc": ["body"], "msg": "value is not a valid dict", "type": "type_error.dict"}]
    values: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    ignored: list[str] = []
    for name, value in body.items():
        kind = FIELD_KINDS.get(name)
        if kind is None:
            ignored.append(name)
            continue
        if value is None:
            values[name] = None
            continue
        try:
            values[name] = coerce(kind, value)
        except ValueError:
            errors.append(validation_item(["body", name], kind))
    if errors:
        return errors
    return CheckedBody(values, tuple(ignored))


# --- error bodies -------------------------------------------------------------------------------


def error_body(error: str, errors: str, detail: str = "") -> dict[str, Any]:
    """The body of ``api_middleware.handle_exception``: ``{error, detail, body, errors}``."""
    return {"error": error, "detail": detail, "body": "", "errors": errors}


def http_error(status: int, detail: str) -> dict[str, Any]:
    """An ``HTTPException`` as the web UI's handler words it (``str(e)`` is "status: detail")."""
    return error_body("HTTPException", f"{status}: {detail}", detail)


# --- samplers and schedulers --------------------------------------------------------------------


@attrs.frozen
class SamplerInfo:
    """A sampler as ``GET /sdapi/v1/samplers`` lists it."""

    name: str
    aliases: tuple[str, ...]
    options: Mapping[str, Any] = attrs.field(factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "aliases": list(self.aliases), "options": dict(self.options)}


@attrs.frozen
class SchedulerInfo:
    """A scheduler as ``GET /sdapi/v1/schedulers`` lists it."""

    name: str
    label: str
    aliases: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "aliases": list(self.aliases) or None,
            "default_rho": 7.0 if self.name == "karras" else None,
            "need_inner_model": self.name == "uniform" or None,
        }


def _s(name: str, alias: str, **options: Any) -> SamplerInfo:
    return SamplerInfo(name, (alias,), options)


SAMPLERS: Final[tuple[SamplerInfo, ...]] = (
    _s("DPM++ 2M", "k_dpmpp_2m", scheduler="karras"),
    _s("DPM++ SDE", "k_dpmpp_sde", second_order=True, brownian_noise=True, scheduler="karras"),
    _s("DPM++ 2M SDE", "k_dpmpp_2m_sde", brownian_noise=True, scheduler="exponential"),
    _s("DPM++ 2M SDE Heun", "k_dpmpp_2m_sde_heun", brownian_noise=True, scheduler="exponential"),
    _s("DPM++ 2S a", "k_dpmpp_2s_a", uses_ensd=True, second_order=True, scheduler="karras"),
    _s("DPM++ 3M SDE", "k_dpmpp_3m_sde", brownian_noise=True, scheduler="exponential"),
    SamplerInfo("Euler a", ("k_euler_a", "k_euler_ancestral"), {"uses_ensd": True}),
    _s("Euler", "k_euler"),
    _s("LMS", "k_lms"),
    _s("Heun", "k_heun", second_order=True),
    _s("DPM2", "k_dpm_2", discard_next_to_last_sigma=True, second_order=True),
    _s("DPM2 a", "k_dpm_2_a", discard_next_to_last_sigma=True, uses_ensd=True),
    _s("DPM fast", "k_dpm_fast", uses_ensd=True),
    _s("DPM adaptive", "k_dpm_ad", uses_ensd=True),
    _s("Restart", "restart", scheduler="karras", second_order=True),
    _s("DDIM", "ddim"),
    _s("DDIM CFG++", "ddim_cfgpp"),
    _s("PLMS", "plms"),
    _s("UniPC", "unipc"),
    _s("LCM", "k_lcm"),
)
"""v1.10's samplers in its order (the first is the default)."""

SCHEDULERS: Final[tuple[SchedulerInfo, ...]] = (
    SchedulerInfo("automatic", "Automatic"),
    SchedulerInfo("uniform", "Uniform"),
    SchedulerInfo("karras", "Karras"),
    SchedulerInfo("exponential", "Exponential"),
    SchedulerInfo("polyexponential", "Polyexponential"),
    SchedulerInfo("sgm_uniform", "SGM Uniform", ("SGMUniform",)),
    SchedulerInfo("kl_optimal", "KL Optimal"),
    SchedulerInfo("align_your_steps", "Align Your Steps"),
    SchedulerInfo("simple", "Simple"),
    SchedulerInfo("normal", "Normal"),
    SchedulerInfo("ddim", "DDIM"),
    SchedulerInfo("beta", "Beta"),
)
"""v1.10's schedulers (the first, Automatic, lets the sampler choose)."""

_SAMPLERS_BY_NAME: Final = {s.name: s for s in SAMPLERS}
_SCHEDULERS_BY_KEY: Final = {
    **{s.name: s for s in SCHEDULERS},
    **{s.label: s for s in SCHEDULERS},
}


@attrs.frozen
class ResolvedSampler:
    """What the server runs: sampler, schedule label, and whether the name was known."""

    sampler: str
    scheduler: str
    known: bool


def resolve_sampler(sampler_name: str | None, scheduler_name: str | None) -> ResolvedSampler:
    """``sd_samplers.get_sampler_and_scheduler`` of v1.10, plus whether the sampler existed.

    A name ending in " <scheduler>" (label, name or alias) loses the suffix, which selects that
    scheduler; when the scheduler is the sampler's own automatic one, Automatic is reported.
    """
    found = _SCHEDULERS_BY_KEY.get(scheduler_name or "", SCHEDULERS[0])
    name = sampler_name or SAMPLERS[0].name
    for scheduler in SCHEDULERS:
        for option in (scheduler.label, scheduler.name, *scheduler.aliases):
            if name.endswith(" " + option):
                found = scheduler
                name = name[: -(len(option) + 1)]
                break
    sampler = _SAMPLERS_BY_NAME.get(name)
    known = sampler is not None
    if sampler is None:
        sampler = SAMPLERS[0]
    if sampler.options.get("scheduler") == found.name:
        found = SCHEDULERS[0]
    return ResolvedSampler(sampler.name, found.label, known)


def finite(value: Any) -> bool:
    """Whether a number the pipeline uses is finite (NaN and infinities break it)."""
    return not isinstance(value, float) or math.isfinite(value)
