"""The mock server's pytest fixtures, under their historical name.

pytest loads them through the ``inpaintkit_mock`` pytest11 entry point from
:mod:`inpaintkit.pytest_plugin`, which imports nothing heavy until a fixture is used (this
package imports aiohttp and Pillow).  Import from here only to list the plugin explicitly
(``pytest_plugins = ["inpaintkit.mockserver.pytest_plugin"]``) where entry points are off.
"""

from __future__ import annotations

from inpaintkit.pytest_plugin import (
    inpaintkit_mock,
    inpaintkit_mock_config,
    inpaintkit_mock_session,
)

__all__ = ["inpaintkit_mock", "inpaintkit_mock_config", "inpaintkit_mock_session"]
