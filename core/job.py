"""The neutral inpainting job: one vocabulary for every provider.

Field names follow the diffusers vocabulary.  Every field has one meaning everywhere, written in
its docstring; ranges that are true of the concept (strength in [0, 1], steps >= 1) are declared
here, while a provider's own limits live in that provider's capability table.  ``None`` means
"not set": the provider's default applies, and an unset field never counts as used, so it can
never be rejected as unsupported.

Mask polarity is fixed: WHITE pixels are repainted, black pixels are kept.  Where an unset field
would mean different things on different providers (strength, safety, enhance_prompt, the
masked-only padding), its docstring states the one neutral meaning and the tables send it.
"""

from __future__ import annotations

import base64
import binascii
import enum
import functools
import io
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar

import attrs

from .errors import FieldError, ValidationError
from .schema import Rule, default_of, raise_if_invalid, rule_metadata

if TYPE_CHECKING:
    from PIL import Image as PILImage

__all__ = [
    "DEFAULT_MASK_PADDING",
    "DEFAULT_STRENGTH",
    "NEUTRAL_UNSET",
    "Embedding",
    "ImageInput",
    "InpaintJob",
    "Lora",
    "MaskOptions",
    "OutputFormat",
    "S3Storage",
    "SafetyCheck",
    "SafetyMode",
    "Sampler",
    "Webhook",
]

MAX_SEED = 2**32 - 1

DEFAULT_STRENGTH = 0.7
"""What an unset ``strength`` means on every provider, sent explicitly where the provider has the
field.  0.7 is the documented default of StableDiffusionAPI (seed 002 example) and ModelsLab
(seed 003 'default: 0.7'); Novita documents none and its SDK's raw default 1.0 ignores the
input image (reference 1.9 and quirk 7), which is no inpainting default at all.  A1111's own
default (0.75) is close; 0.7 keeps two of the three providers' behaviour unchanged."""

DEFAULT_MASK_PADDING = 32
"""Pixels of context around the mask's box for ``masked_only`` when ``padding`` is unset, on
every provider: AUTOMATIC1111's default (``inpaint_full_res_padding``) and the value seed 001's
own example sends.  Novita's server default is 8 (seed 001), so it is sent explicitly there;
the client's emulated crop uses the same value."""


class Sampler(enum.StrEnum):
    """Samplers by their AUTOMATIC1111 names, including the Karras-sigma variants.

    Providers that speak diffusers scheduler names (ModelsLab) map these in their plugin; a name
    a provider cannot express is an error, never a silent substitution.
    """

    EULER_A = "Euler a"
    EULER = "Euler"
    LMS = "LMS"
    HEUN = "Heun"
    DPM2 = "DPM2"
    DPM2_A = "DPM2 a"
    DPMPP_2S_A = "DPM++ 2S a"
    DPMPP_2M = "DPM++ 2M"
    DPMPP_SDE = "DPM++ SDE"
    DPMPP_2M_SDE = "DPM++ 2M SDE"
    DPM_FAST = "DPM fast"
    DPM_ADAPTIVE = "DPM adaptive"
    LMS_KARRAS = "LMS Karras"
    DPM2_KARRAS = "DPM2 Karras"
    DPM2_A_KARRAS = "DPM2 a Karras"
    DPMPP_2S_A_KARRAS = "DPM++ 2S a Karras"
    DPMPP_2M_KARRAS = "DPM++ 2M Karras"
    DPMPP_SDE_KARRAS = "DPM++ SDE Karras"
    DPMPP_2M_SDE_KARRAS = "DPM++ 2M SDE Karras"
    DDIM = "DDIM"
    PLMS = "PLMS"
    UNIPC = "UniPC"

    @property
    def karras(self) -> bool:
        """Whether this is a Karras-sigma variant."""
        return self.value.endswith(" Karras")

    @property
    def base(self) -> Sampler:
        """The sampler without its Karras schedule (``DPM++ 2M Karras`` -> ``DPM++ 2M``)."""
        if not self.karras:
            return self
        return Sampler(self.value.removesuffix(" Karras"))


class OutputFormat(enum.StrEnum):
    """Encoding of the returned images."""

    PNG = "png"
    JPEG = "jpeg"
    WEBP = "webp"


# --- images -----------------------------------------------------------------------------------

ImageLike = "bytes | str | Path | PIL.Image.Image | ImageInput"


@attrs.frozen(repr=False)
class ImageInput:
    """An input image: exactly one of encoded bytes, a local file path, or a URL.

    Construct with :meth:`of`, which accepts bytes, a :class:`~pathlib.Path`, a string (an
    ``http(s)://`` or ``data:`` URL, otherwise a path), a PIL image (encoded as PNG), or another
    ``ImageInput``.  In JSON job files an image is a string (path or URL) or an object with one
    of ``path``, ``url`` or ``base64``.
    """

    data: bytes | None = None
    path: Path | None = None
    url: str | None = None

    def __attrs_post_init__(self) -> None:
        given = [n for n in ("data", "path", "url") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValidationError(
                [FieldError("$", "an image needs exactly one of data, path or url", given)]
            )
        if self.url is not None:
            error = url_error(self.url, "$.url")
            if error is not None:
                raise ValidationError([error])

    @classmethod
    def of(cls, value: Any) -> Any:
        """Convert an image-like value; anything unrecognised is returned unchanged (and then
        reported by the job's validation with its path)."""
        if isinstance(value, ImageInput):
            return value
        if isinstance(value, bytes | bytearray | memoryview):
            return cls(data=bytes(value))
        if isinstance(value, Path):
            return cls(path=value)
        if isinstance(value, str):
            if value[:8].lower().startswith(URL_SCHEMES) or _OTHER_URL.match(value):
                return cls(url=value)  # another scheme (ftp://, file://) raises: not a path
            return cls(path=Path(value))
        if _is_pil_image(value):
            buffer = io.BytesIO()
            value.save(buffer, format="PNG")
            return cls(data=buffer.getvalue())
        return value

    @classmethod
    def from_json(cls, value: Any, path: str) -> ImageInput:
        """Build from a JSON job file's value (see class docstring)."""
        if isinstance(value, str) and value:
            error = url_error(value, path) if _OTHER_URL.match(value) else None
            if error is not None:
                raise ValidationError([error])
            result = cls.of(value)
            assert isinstance(result, ImageInput)
            return result
        if isinstance(value, Mapping):
            keys = set(value) & {"path", "url", "base64"}
            extra = set(value) - {"path", "url", "base64"}
            if extra:
                raise ValidationError(
                    [
                        FieldError(f"{path}.{k}", "is not a field of an image", value[k])
                        for k in sorted(extra)
                    ]
                )
            if len(keys) != 1 or not isinstance(value[next(iter(keys))], str):
                raise ValidationError(
                    [FieldError(path, "must have exactly one string of path, url or base64", value)]
                )
            key = keys.pop()
            text = value[key]
            if key == "path":
                return cls(path=Path(text))
            if key == "url":
                error = url_error(text, f"{path}.url")
                if error is not None:
                    raise ValidationError([error])
                return cls(url=text)
            try:
                return cls(data=base64.b64decode(text, validate=True))
            except (binascii.Error, ValueError):
                raise ValidationError(
                    [FieldError(f"{path}.base64", "must be valid base64", text)]
                ) from None
        raise ValidationError(
            [
                FieldError(
                    path,
                    "must be a path or URL string, or an object with path, url or base64",
                    value,
                )
            ]
        )

    def to_json(self) -> Any:
        """The JSON form used in job files (inverse of :meth:`from_json`)."""
        if self.path is not None:
            return {"path": str(self.path)}
        if self.url is not None:
            return {"url": self.url}
        assert self.data is not None
        return {"base64": base64.b64encode(self.data).decode("ascii")}

    @property
    def kind(self) -> str:
        """``"data"``, ``"path"`` or ``"url"``."""
        if self.data is not None:
            return "data"
        return "path" if self.path is not None else "url"

    def __repr__(self) -> str:
        if self.data is not None:
            return f"ImageInput(<{len(self.data)} bytes>)"
        if self.path is not None:
            return f"ImageInput(path={str(self.path)!r})"
        url = self.url or ""
        shown = url if len(url) <= 60 else url[:57] + "..."
        return f"ImageInput(url={shown!r})"


URL_SCHEMES = ("http://", "https://", "data:")
"""The only URLs an image may be given as: fetching ``file:``, ``ftp:`` or anything else on the
caller's behalf would let a job file read local files or reach other services."""


_OTHER_URL: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+://")
"""A string that starts like a URL of any scheme (two letters at least: ``C://`` is a Windows
drive), which is never taken for a path: ``ftp://x/y.png`` as a path would be ``ftp:/x/y.png``
and fail as a missing file, hiding that only http(s) and data: URLs are fetched."""


def url_error(url: object, path: str) -> FieldError | None:
    """Why ``url`` is not an acceptable image URL, or ``None`` when it is."""
    if not isinstance(url, str):
        return FieldError(path, "must be a string", url)
    if not url.lower().startswith(URL_SCHEMES):
        return FieldError(path, "must be an http(s) or data: URL", url)
    if any(ord(c) < 0x20 or ord(c) == 0x7F or c == " " for c in url):
        return FieldError(path, "must not contain spaces or control characters", url)
    return None


def _is_pil_image(value: Any) -> bool:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - pillow is a dependency
        return False
    return isinstance(value, Image.Image)


def to_output_format(value: OutputFormat | str | None) -> OutputFormat | str | None:
    """attrs converter: ``"webp"`` as well as ``OutputFormat.WEBP``, as in JSON job files (an
    unknown name is kept, for validation to report with its path)."""
    return _to_enum(OutputFormat, value)


def to_sampler(value: Sampler | str | None) -> Sampler | str | None:
    """attrs converter: ``"DPM++ 2M Karras"`` as well as ``Sampler.DPMPP_2M_KARRAS``, as in JSON
    job files (an unknown name is kept, for validation to report with its path)."""
    return _to_enum(Sampler, value)


_E = TypeVar("_E", bound=enum.Enum)


def _to_enum(enum_type: type[_E], value: _E | str | None) -> _E | str | None:
    if isinstance(value, str) and not isinstance(value, enum_type):
        try:
            return enum_type(value)
        except ValueError:
            return value
    return value


def to_image_input(value: bytes | str | Path | PILImage.Image | ImageInput) -> ImageInput:
    """attrs converter for image fields (its parameter type is what ``InpaintJob()`` accepts).

    Values of other types are passed through unchanged so that validation can report them with
    their path instead of failing inside the converter.
    """
    return _image_input(value, "$.image")


def to_mask_input(value: bytes | str | Path | PILImage.Image | ImageInput) -> ImageInput:
    """attrs converter for the mask field (:func:`to_image_input`, reported at ``$.mask``)."""
    return _image_input(value, "$.mask")


def _image_input(value: Any, path: str) -> ImageInput:
    if isinstance(value, str) and _OTHER_URL.match(value):
        error = url_error(value, path)
        if error is not None:
            raise ValidationError([error])
    converted: ImageInput = ImageInput.of(value)
    return converted


def to_tuple(value: Iterable[Any]) -> tuple[Any, ...]:
    """attrs converter for list fields: accept any iterable, store a tuple."""
    if isinstance(value, tuple):
        return value
    if isinstance(value, list):
        return tuple(value)
    return value  # type: ignore[return-value]  # reported by validation with its path


def _image_rule(doc: str) -> Rule:
    return Rule(kind="object", item=ImageInput, loader=ImageInput.from_json, doc=doc)


# --- small value objects --------------------------------------------------------------------


@attrs.frozen
class MaskOptions:
    """How the mask is applied (AUTOMATIC1111's inpainting options)."""

    blur: int | None = attrs.field(
        default=None,
        metadata=rule_metadata(
            Rule("int", optional=True, minimum=0),
            "Gaussian blur radius in pixels applied to the mask before inpainting, softening "
            "the seam. None: the provider's default.",
        ),
    )
    invert: bool = attrs.field(
        default=False,
        metadata=rule_metadata(
            Rule("bool"), "Repaint the BLACK area of the mask instead of the white one."
        ),
    )
    masked_only: bool = attrs.field(
        default=False,
        metadata=rule_metadata(
            Rule("bool"),
            "Inpaint only the masked region at full resolution: the image is cropped to the "
            "mask's bounding box plus padding, inpainted, and pasted back.",
        ),
    )
    padding: int | None = attrs.field(
        default=None,
        metadata=rule_metadata(
            Rule("int", optional=True, minimum=0),
            "Pixels of context around the mask's bounding box when masked_only is set. "
            "None: 32 (DEFAULT_MASK_PADDING) on every provider, sent explicitly where the "
            "provider has the field (Novita's own default would be 8).",
        ),
    )

    def __attrs_post_init__(self) -> None:
        raise_if_invalid(self)


@attrs.frozen
class Lora:
    """A LoRA adapter applied to the model."""

    name: str = attrs.field(
        metadata=rule_metadata(Rule("str", min_length=1), "The provider's name or id of the LoRA.")
    )
    strength: float = attrs.field(
        default=1.0,
        metadata=rule_metadata(
            Rule("float"), "How strongly the LoRA applies (provider ranges vary)."
        ),
    )

    def __attrs_post_init__(self) -> None:
        raise_if_invalid(self)


@attrs.frozen
class Embedding:
    """A textual-inversion embedding."""

    name: str = attrs.field(
        metadata=rule_metadata(Rule("str", min_length=1), "The provider's name of the embedding.")
    )

    def __attrs_post_init__(self) -> None:
        raise_if_invalid(self)


class SafetyMode(enum.StrEnum):
    """What happens to an output the provider's NSFW check flags."""

    REPORT = "report"
    """The image is returned unchanged and marked (``ResultImage.nsfw``): Novita's detection."""
    BLANK = "blank"
    """The provider replaces the image by a blank one: StableDiffusionAPI and ModelsLab's
    ``safety_checker``."""


def to_safety_mode(value: SafetyMode | str) -> SafetyMode | str:
    """attrs converter: ``"blank"`` as well as ``SafetyMode.BLANK``, as in JSON job files."""
    result = _to_enum(SafetyMode, value)
    assert result is not None
    return result


@attrs.frozen
class SafetyCheck:
    """NSFW checking of the outputs, with one meaning on every provider.

    Each provider's capability table says which :class:`SafetyMode` it performs natively (its
    ``safety.mode`` row); asking for a mode the provider cannot perform is unsupported, an error
    under the default policy, so a flagged image is never blanked where the job asked for a
    report (or kept where it asked for blanking).  An unset ``InpaintJob.safety`` means no check
    on every provider: where a provider checks by default (ModelsLab), the off switch is sent.
    """

    enabled: bool = attrs.field(
        metadata=rule_metadata(
            Rule("bool"), "Whether the provider checks outputs for NSFW content."
        )
    )
    mode: SafetyMode = attrs.field(
        default=SafetyMode.REPORT,
        converter=to_safety_mode,
        metadata=rule_metadata(
            Rule("enum", enum_type=SafetyMode),
            "What happens to a flagged image: 'report' (kept and marked) or 'blank' (replaced "
            "by a blank image). Only checked when enabled; a provider that cannot perform the "
            "mode rejects the job.",
        ),
    )
    level: int | None = attrs.field(
        default=None,
        metadata=rule_metadata(
            Rule("int", optional=True, minimum=0, maximum=2),
            "Strictness from 0 (explicit content only) to 2 (also swimwear and underwear), as "
            "Novita defines its nsfw_detection_level. None: the provider's default.",
        ),
    )

    def __attrs_post_init__(self) -> None:
        raise_if_invalid(self)


@attrs.frozen
class Webhook:
    """Where the provider posts the result when the task finishes."""

    url: str = attrs.field(
        metadata=rule_metadata(
            Rule("str", min_length=1), "An http(s) URL that receives the result."
        )
    )
    track_id: str | None = attrs.field(
        default=None,
        metadata=rule_metadata(
            Rule("str", optional=True),
            "An id echoed back in the webhook call to match it to this job.",
        ),
    )

    def __attrs_post_init__(self) -> None:
        raise_if_invalid(self)
        if not self.url.startswith(("http://", "https://")):
            raise ValidationError([FieldError("$.url", "must be an http(s) URL", self.url)])


@attrs.frozen
class S3Storage:
    """Save outputs to the caller's own S3 bucket instead of the provider's storage."""

    region: str = attrs.field(
        metadata=rule_metadata(Rule("str", min_length=1), "AWS region of the bucket.")
    )
    bucket: str = attrs.field(metadata=rule_metadata(Rule("str", min_length=1), "Bucket name."))
    path: str = attrs.field(
        metadata=rule_metadata(Rule("str", min_length=1), "Key prefix for the outputs.")
    )
    save_to_path_directly: bool = attrs.field(
        default=False,
        metadata=rule_metadata(
            Rule("bool"), "Write directly under path instead of a provider-created subdirectory."
        ),
    )

    def __attrs_post_init__(self) -> None:
        raise_if_invalid(self)


# --- the job --------------------------------------------------------------------------------


@attrs.frozen(repr=False)
class InpaintJob:
    """One inpainting request, independent of any provider.

    Construction validates every field and raises one :class:`~inpaintkit.errors.ValidationError`
    that lists all broken rules with their paths.
    """

    image: ImageInput = attrs.field(
        converter=to_image_input,
        metadata=rule_metadata(
            _image_rule("The image to inpaint: bytes, a path, a URL or a PIL image.")
        ),
    )
    mask: ImageInput = attrs.field(
        converter=to_mask_input,
        metadata=rule_metadata(
            _image_rule("The mask, same resolution as the image. WHITE = repaint, black = keep.")
        ),
    )
    prompt: str = attrs.field(
        metadata=rule_metadata(Rule("str"), "What the repainted area should show.")
    )
    negative_prompt: str | None = attrs.field(
        default=None,
        metadata=rule_metadata(Rule("str", optional=True), "What the output should not show."),
    )
    model: str | None = attrs.field(
        default=None,
        metadata=rule_metadata(
            Rule("str", optional=True, min_length=1),
            "The provider's model (checkpoint) name or id. None: the provider's default.",
        ),
    )
    num_images: int = attrs.field(
        default=1, metadata=rule_metadata(Rule("int", minimum=1), "How many images to generate.")
    )
    steps: int | None = attrs.field(
        default=None,
        metadata=rule_metadata(Rule("int", optional=True, minimum=1), "Number of denoising steps."),
    )
    guidance_scale: float | None = attrs.field(
        default=None,
        metadata=rule_metadata(
            Rule("float", optional=True, minimum=0),
            "Classifier-free guidance scale: how closely to follow the prompt.",
        ),
    )
    strength: float | None = attrs.field(
        default=None,
        metadata=rule_metadata(
            Rule("float", optional=True, minimum=0, maximum=1),
            "How much of the masked area's original content to destroy: 0 keeps it, 1 ignores "
            "it. None: 0.7 (DEFAULT_STRENGTH) on every provider, sent explicitly.",
        ),
    )
    seed: int | None = attrs.field(
        default=None,
        metadata=rule_metadata(
            Rule("int", optional=True, minimum=0, maximum=MAX_SEED),
            "Random seed for reproducible results. None: random.",
        ),
    )
    sampler: Sampler | None = attrs.field(
        default=None,
        converter=to_sampler,
        metadata=rule_metadata(
            Rule("enum", optional=True, enum_type=Sampler),
            "The sampler, by its AUTOMATIC1111 name.",
        ),
    )
    clip_skip: int | None = attrs.field(
        default=None,
        metadata=rule_metadata(
            Rule("int", optional=True, minimum=1),
            "Where the text encoder stops, in AUTOMATIC1111's numbering "
            "(CLIP_stop_at_last_layers): 1 = use all layers, 2 = stop at the penultimate layer. "
            "Each provider's table states its own numbering and converts if it differs. None: "
            "the provider's default.",
        ),
    )
    mask_options: MaskOptions = attrs.field(
        factory=MaskOptions,
        metadata=rule_metadata(Rule("object", item=MaskOptions), "How the mask is applied."),
    )
    initial_noise_multiplier: float | None = attrs.field(
        default=None,
        metadata=rule_metadata(
            Rule("float", optional=True, minimum=0),
            "Scale of the initial latent noise (A1111 img2img setting).",
        ),
    )
    loras: tuple[Lora, ...] = attrs.field(
        default=(),
        converter=to_tuple,
        metadata=rule_metadata(Rule("tuple", item=Lora), "LoRA adapters to apply."),
    )
    embeddings: tuple[Embedding, ...] = attrs.field(
        default=(),
        converter=to_tuple,
        metadata=rule_metadata(
            Rule("tuple", item=Embedding), "Textual-inversion embeddings to load."
        ),
    )
    vae: str | None = attrs.field(
        default=None,
        metadata=rule_metadata(
            Rule("str", optional=True, min_length=1), "The provider's VAE name."
        ),
    )
    width: int | None = attrs.field(
        default=None,
        metadata=rule_metadata(
            Rule("int", optional=True, minimum=1),
            "Output width in pixels. None: the input image's width.",
        ),
    )
    height: int | None = attrs.field(
        default=None,
        metadata=rule_metadata(
            Rule("int", optional=True, minimum=1),
            "Output height in pixels. None: the input image's height.",
        ),
    )
    output_format: OutputFormat | None = attrs.field(
        default=None,
        converter=to_output_format,
        metadata=rule_metadata(
            Rule("enum", optional=True, enum_type=OutputFormat),
            "Encoding of the returned images. None: the provider's default.",
        ),
    )
    safety: SafetyCheck | None = attrs.field(
        default=None,
        metadata=rule_metadata(
            Rule("object", optional=True, item=SafetyCheck),
            "NSFW checking of the outputs (see SafetyCheck). None: no check on every provider "
            "(the provider's off switch is sent where it checks by default).",
        ),
    )
    webhook: Webhook | None = attrs.field(
        default=None,
        metadata=rule_metadata(
            Rule("object", optional=True, item=Webhook),
            "Ask the provider to post the result to a URL.",
        ),
    )
    storage: S3Storage | None = attrs.field(
        default=None,
        metadata=rule_metadata(
            Rule("object", optional=True, item=S3Storage), "Save outputs to the caller's S3 bucket."
        ),
    )
    enhance_prompt: bool | None = attrs.field(
        default=None,
        metadata=rule_metadata(
            Rule("bool", optional=True),
            "Let the provider rewrite the prompt for better results. None: off on every "
            "provider (the provider's off switch is sent where it rewrites by default).",
        ),
    )
    extras: Mapping[str, Mapping[str, Any]] = attrs.field(
        factory=dict,
        metadata=rule_metadata(
            Rule("mapping"),
            "Provider-only options, namespaced by provider id, e.g. "
            "{'novita': {'enterprise_plan': True}} or {'novita': NovitaOptions(...)}. Each "
            "provider's options class (ProviderSpec.options) types and checks its namespace; "
            "other providers' namespaces are ignored.",
        ),
    )

    def __attrs_post_init__(self) -> None:
        raise_if_invalid(self)

    def _cross_field_errors(self, path: str) -> list[FieldError]:
        errors: list[FieldError] = []
        if (self.width is None) != (self.height is None):
            which = "width" if self.width is None else "height"
            errors.append(
                FieldError.missing(f"{path}.{which}", "width and height must be given together")
            )
        extras = self.extras if isinstance(self.extras, Mapping) else {}
        for name, value in extras.items():
            options_object = attrs.has(type(value))  # a provider's typed options class
            if not isinstance(name, str) or not (isinstance(value, Mapping) or options_object):
                errors.append(
                    FieldError(
                        f"{path}.extras.{name}", "must map a provider id to an object", value
                    )
                )
        return errors

    def used_fields(self) -> tuple[str, ...]:
        """The neutral field paths this job sets to something other than "not set".

        These are what a provider must honour natively, emulate, or reject; fields left at their
        defaults are never counted as used.
        """
        used = [name for name, default in _optional_fields() if getattr(self, name) != default]
        mo = self.mask_options
        if mo.blur is not None:
            used.append("mask_options.blur")
        if mo.invert:
            used.append("mask_options.invert")
        if mo.masked_only:
            used.append("mask_options.masked_only")
            if mo.padding is not None:
                used.append("mask_options.padding")
        return tuple(used)

    def with_changes(self, **changes: Any) -> InpaintJob:
        """A copy with some fields replaced (validated like a new job)."""
        return attrs.evolve(self, **changes)

    def __repr__(self) -> str:
        parts = [f"image={self.image!r}", f"mask={self.mask!r}", f"prompt={self.prompt!r}"]
        for name in self.used_fields():
            if "." in name:
                continue
            parts.append(f"{name}={getattr(self, name)!r}")
        return f"InpaintJob({', '.join(parts)})"


def iter_schema_classes() -> Iterable[type]:
    """Every class of the neutral schema, for the converter and the docs."""
    return (InpaintJob, ImageInput, MaskOptions, Lora, Embedding, SafetyCheck, Webhook, S3Storage)


NEUTRAL_UNSET: Mapping[str, Any] = {
    "strength": DEFAULT_STRENGTH,
    "mask_options.padding": DEFAULT_MASK_PADDING,
    "enhance_prompt": False,
    "safety.enabled": False,
}
"""What an unset field means on EVERY provider, for the fields whose provider defaults differ
(issue 10).  A capability row with ``unset=Unset.NEUTRAL`` sends this value, encoded like any
other, so a provider's own default never decides; the value is written here once."""


@functools.cache
def _optional_fields() -> tuple[tuple[str, Any], ...]:
    """(name, default) of every job field :meth:`InpaintJob.used_fields` compares with its
    default, worked out once (every job of every provider asks, several times)."""
    skipped = ("image", "mask", "prompt", "mask_options", "extras")
    return tuple((a.name, default_of(a)) for a in attrs.fields(InpaintJob) if a.name not in skipped)


APPLIES_CONDITIONALLY: Final = frozenset({"mask_options.padding", "safety.mode"})
"""The fields :func:`field_applies` may say do not apply; every other field always does."""


def field_applies(job: InpaintJob, path: str) -> bool:
    """Whether ``path`` means anything in ``job``: the masked-only padding only with
    ``masked_only``, the safety mode only with the check enabled.  Fields that do not apply are
    neither checked against a provider nor sent."""
    if path == "mask_options.padding":
        return job.mask_options.masked_only
    if path == "safety.mode":
        return job.safety is not None and job.safety.enabled
    return True


if TYPE_CHECKING:  # pragma: no cover
    _unused: PILImage.Image
