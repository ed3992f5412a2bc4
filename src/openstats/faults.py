"""Named crash points, for the crash-safety tests: kill -9 this process at a given moment.

`crash_point("import.moved")` does nothing unless the environment variable
OPENSTATS_CRASH_AT names that point, and then kills the process with SIGKILL on the spot,
as a power cut or the out-of-memory killer would: no exception handler, `finally` block
or exit hook runs. The tests set the variable on a child process and check that what is
left on disk and in the catalogue is whole (see docs/reliability.md); in normal running
it is never set and each point costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

CRASH_AT = "OPENSTATS_CRASH_AT"


def crash_point(name: str) -> None:
    """Die here, at once, if the crash tests asked for this point."""
    if os.environ.get(CRASH_AT) == name:
        os.kill(os.getpid(), signal.SIGKILL)
