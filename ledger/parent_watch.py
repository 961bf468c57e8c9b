"""Stopping a child process when the process that launched it dies, so that a launcher killed with SIGKILL
leaves nothing behind holding its port, journal or database.

A process whose parent dies is adopted by another (init, or a subreaper): its parent id changes. Polling
``os.getppid`` works on every POSIX system, unlike Linux's ``PR_SET_PDEATHSIG``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable


def watch_parent(
    parent: int, on_gone: Callable[[], None], *, stop: threading.Event | None = None, interval: float = 0.2
) -> threading.Thread:
    """Call ``on_gone`` once, from a daemon thread, when ``parent`` is no longer this process's parent.

    The thread ends after that, or when ``stop`` is set first.
    """

    def watch() -> None:
        idle = stop or threading.Event()
        while not idle.wait(interval):
            if os.getppid() != parent:
                on_gone()
                return

    thread = threading.Thread(target=watch, name="parent-watch", daemon=True)
    thread.start()
    return thread
