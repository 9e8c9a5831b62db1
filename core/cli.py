"""The ``inpaintkit`` console script."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    return 0
