"""Failpoints: named places where a crash test can kill this process with SIGKILL.

``TRADEWIND_FAILPOINT=outbox.after_call`` makes the process kill itself, with no clean-up at
all, the first time it reaches ``failpoint("outbox.after_call")``: what a power cut or the
OOM killer does at exactly that line. Unset (always, outside crash tests) a failpoint is one
dictionary lookup. The names in use are listed in docs/reference/configuration.md.
"""

from __future__ import annotations

import os
import signal

ENV = "TRADEWIND_FAILPOINT"


def failpoint(name: str) -> None:
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
