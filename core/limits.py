"""Limits on values and on images, stated once and checked one way.

:class:`Limits` is the single vocabulary for "what values does this accept": the neutral schema's
own rules (:class:`inpaintkit.schema.Rule`) and every provider's capability rows
(:class:`inpaintkit.provider.Capability`) expose their bounds as a :class:`Limits`, and both are
checked by :meth:`Limits.violations`, so a range reads and fails the same way wherever it is
written.  :class:`ImageLimits` does the same for what a provider accepts as an image: sides,
pixel counts, aspect ratio, size multiples and file formats.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import attrs

from .errors import FieldError

__all__ = ["ImageLimits", "Limits", "fmt_number"]


def fmt_number(value: float) -> str:
    """Render a bound without float noise: 1 not 1.0, 4294967295 not 4.29497e+09."""
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def _choice_text(choice: Any) -> str:
    return repr(getattr(choice, "value", choice))


@attrs.frozen
class Limits:
    """Bounds on one value: range (inclusive), choices, multiple, string length, item count.

    Every bound is optional; an empty ``Limits()`` accepts everything.  ``violations`` checks a
    value that already has the right type (type checks belong to the schema), and returns at
    most one :class:`~inpaintkit.errors.FieldError` per value: the first rule it breaks, so a
    message never piles up restatements of the same mistake.
    """

    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] | None = None
    multiple_of: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    max_items: int | None = None

    @property
    def is_empty(self) -> bool:
        """Whether no bound is set."""
        return all(getattr(self, a.name) is None for a in attrs.fields(Limits))

    def describe_range(self) -> str:
        """The numeric range as ``[lo, hi]``, ``>= lo`` or ``<= hi`` (empty when unbounded)."""
        if self.minimum is not None and self.maximum is not None:
            return f"[{fmt_number(self.minimum)}, {fmt_number(self.maximum)}]"
        if self.minimum is not None:
            return f">= {fmt_number(self.minimum)}"
        if self.maximum is not None:
            return f"<= {fmt_number(self.maximum)}"
        return ""

    def describe_rule(self) -> str:
        """The numeric range as a rule: ``must be in [1, 50]``, ``must be >= 1``."""
        text = self.describe_range()
        return f"must be {text}" if text[:1] in "<>" else f"must be in {text}"

    def describe(self) -> str:
        """Every bound as text, for error messages and the capability matrix."""
        parts: list[str] = []
        if self.choices is not None:
            parts.append("one of " + ", ".join(str(getattr(c, "value", c)) for c in self.choices))
        if self.describe_range():
            parts.append(self.describe_range())
        if self.multiple_of is not None:
            parts.append(f"multiple of {self.multiple_of}")
        if self.min_length is not None or self.max_length is not None:
            parts.append(f"length {self._length_range()}")
        if self.max_items is not None:
            parts.append(f"at most {self.max_items} items")
        return "; ".join(parts)

    def _length_range(self) -> str:
        low = self.min_length if self.min_length is not None else 0
        high = self.max_length if self.max_length is not None else "..."
        return f"[{low}, {high}]"

    def violations(
        self, value: Any, path: str, *, suffix: str = "", ignore_maximum: bool = False
    ) -> list[FieldError]:
        """Why ``value`` at ``path`` breaks these limits (an empty list when it does not).

        ``suffix`` ends each rule (``" for novita"``); ``ignore_maximum`` lets a count above the
        maximum through where the caller will split it over several requests.
        """
        if value is None:
            return []
        if isinstance(value, str):
            too_short = self.min_length is not None and len(value) < self.min_length
            too_long = self.max_length is not None and len(value) > self.max_length
            if too_short or too_long:
                if self.max_length is None and self.min_length is not None:
                    rule = f"must have at least {self.min_length} character(s){suffix}"
                else:
                    rule = (
                        f"must have a length in {self._length_range()}{suffix} "
                        f"(length {len(value)})"
                    )
                return [FieldError(path, rule, value)]
        if self.choices is not None and value not in self.choices:
            shown = ", ".join(_choice_text(c) for c in self.choices)
            return [
                FieldError(path, f"must be one of {shown}{suffix}", getattr(value, "value", value))
            ]
        if isinstance(value, int | float) and not isinstance(value, bool):
            return self._number_violations(value, path, suffix, ignore_maximum)
        is_list = isinstance(value, Sequence) and not isinstance(value, str | bytes)
        if is_list and self.max_items is not None and len(value) > self.max_items:
            return [FieldError(path, f"must have at most {self.max_items} items{suffix}", value)]
        return []

    def _number_violations(
        self, value: float, path: str, suffix: str, ignore_maximum: bool
    ) -> list[FieldError]:
        if isinstance(value, float) and not math.isfinite(value):
            return [FieldError(path, f"must be a finite number{suffix}", value)]
        too_low = self.minimum is not None and value < self.minimum
        too_high = not ignore_maximum and self.maximum is not None and value > self.maximum
        if too_low or too_high:
            return [FieldError(path, f"{self.describe_rule()}{suffix}", value)]
        if self.multiple_of is not None and (
            not float(value).is_integer() or int(value) % self.multiple_of != 0
        ):
            return [FieldError(path, f"must be a multiple of {self.multiple_of}{suffix}", value)]
        return []

    def clamp_cycle(self, value: int) -> int:
        """``value`` wrapped into ``[minimum, maximum]`` (for seeds derived by offsetting)."""
        if self.minimum is None or self.maximum is None:
            return value
        low, high = int(self.minimum), int(self.maximum)
        return low + (value - low) % (high - low + 1)


def _positive(_instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not value > 0:
        raise ValueError(f"{attribute.name} must be > 0, got {value}")


@attrs.frozen
class ImageLimits:
    """What a provider accepts as an image (input, and the output size it is asked for).

    Sides are in pixels; ``aspect`` bounds width/height; ``side_multiple`` is a multiple both
    sides must be; ``sizes`` lists the only sizes accepted where a provider has such a list;
    ``formats`` are lower-case Pillow format names the provider decodes (``"png"``, ``"jpeg"``,
    ``"webp"``); ``max_bytes`` bounds one encoded input.
    """

    min_side: int | None = attrs.field(default=None, validator=_positive)
    max_side: int | None = attrs.field(default=None, validator=_positive)
    min_pixels: int | None = attrs.field(default=None, validator=_positive)
    max_pixels: int | None = attrs.field(default=None, validator=_positive)
    min_aspect: float | None = attrs.field(default=None, validator=_positive)
    max_aspect: float | None = attrs.field(default=None, validator=_positive)
    side_multiple: int | None = attrs.field(default=None, validator=_positive)
    sizes: tuple[tuple[int, int], ...] | None = None
    """The only sizes accepted, as (width, height) pairs, for providers with a fixed list."""
    formats: tuple[str, ...] = ("png", "jpeg", "webp")
    max_bytes: int | None = attrs.field(default=None, validator=_positive)

    def size_violations(
        self, width: int, height: int, path: str, *, suffix: str = ""
    ) -> list[FieldError]:
        """Why a ``width`` x ``height`` image at ``path`` breaks these limits."""
        size = f"{width}x{height}"
        errors: list[FieldError] = []
        for name, side in (("width", width), ("height", height)):
            side_limits = Limits(minimum=self.min_side, maximum=self.max_side)
            for error in side_limits.violations(side, f"{path}.{name}", suffix=suffix):
                errors.append(attrs.evolve(error, rule=f"{error.rule} (image {size})"))
            if self.side_multiple is not None and side % self.side_multiple:
                rule = f"must be a multiple of {self.side_multiple}{suffix} (image {size})"
                errors.append(FieldError(f"{path}.{name}", rule, side))
        pixels = Limits(minimum=self.min_pixels, maximum=self.max_pixels)
        for error in pixels.violations(width * height, path, suffix=suffix):
            rule = f"must have a pixel count in {pixels.describe_range()}{suffix}"
            errors.append(attrs.evolve(error, rule=rule, value=size))
        if self.sizes is not None and (width, height) not in self.sizes:
            shown = ", ".join(f"{w}x{h}" for w, h in self.sizes)
            errors.append(FieldError(path, f"must be one of the sizes {shown}{suffix}", size))
        aspect = Limits(minimum=self.min_aspect, maximum=self.max_aspect)
        if height and aspect.violations(width / height, path):
            rule = f"must have an aspect ratio (width/height) in {aspect.describe_range()}{suffix}"
            errors.append(FieldError(path, rule, size))
        return errors

    def format_violations(
        self, fmt: str | None, path: str, *, suffix: str = ""
    ) -> list[FieldError]:
        """Why an image in Pillow format ``fmt`` cannot be sent as it is."""
        if fmt is None or fmt.lower() in self.formats:
            return []
        accepted = ", ".join(self.formats)
        return [FieldError(path, f"must be one of the formats {accepted}{suffix}", fmt.lower())]

    def describe(self) -> str:
        """The limits as text, for the capability matrix."""
        parts: list[str] = []
        sides = Limits(minimum=self.min_side, maximum=self.max_side).describe_range()
        if sides:
            parts.append(f"sides {sides}")
        pixels = Limits(minimum=self.min_pixels, maximum=self.max_pixels).describe_range()
        if pixels:
            parts.append(f"pixels {pixels}")
        aspect = Limits(minimum=self.min_aspect, maximum=self.max_aspect).describe_range()
        if aspect:
            parts.append(f"aspect {aspect}")
        if self.side_multiple is not None:
            parts.append(f"sides multiple of {self.side_multiple}")
        if self.sizes is not None:
            parts.append("sizes " + "/".join(f"{w}x{h}" for w, h in self.sizes))
        parts.append("formats " + "/".join(self.formats))
        return "; ".join(parts)
