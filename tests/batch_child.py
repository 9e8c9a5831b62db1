"""The child process of tests/test_batch_kill.py: ``inpaintkit batch`` on a virtual clock.

``python batch_child.py ARGS...`` is the console script with ``ARGS``, its waits (poll
intervals, retry delays) on a :class:`~inpaintkit.clock.VirtualClock`, so that polling the
test's mock takes no real time.  Everything else (the ledger, the files, the exit code) is the
real command's.
"""

from __future__ import annotations

import sys

from inpaintkit.cli import main
from inpaintkit.clock import VirtualClock

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:], clock=VirtualClock()))
