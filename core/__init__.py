"""inpaintkit: provider-agnostic image inpainting.

The public API lives at the package root; see README.md for a tour.
"""

from __future__ import annotations

__version__ = "0.1.0"
