"""``watch_parent``: a child process learns that the process that launched it is gone."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from ledger.parent_watch import watch_parent

_ORPHAN = """
import os, sys, threading, time
from ledger.parent_watch import watch_parent
gone = threading.Event()
watch_parent(os.getppid(), gone.set, interval=0.05)
print("watching", flush=True)
sys.exit(0 if gone.wait(120) else 1)
"""


def test_a_parent_that_is_not_the_parent_any_more_is_reported_once() -> None:
    calls: list[int] = []
    done = threading.Event()
    watch_parent(os.getppid() + 100_000, lambda: (calls.append(1), done.set()), interval=0.01).join(2)
    assert done.is_set() and calls == [1]


def test_the_live_parent_is_watched_until_stopped() -> None:
    stop, fired = threading.Event(), threading.Event()
    thread = watch_parent(os.getppid(), fired.set, stop=stop, interval=0.01)
    time.sleep(0.1)
    stop.set()
    thread.join(2)
    assert not thread.is_alive() and not fired.is_set()


def test_a_child_whose_launcher_is_killed_notices() -> None:
    # launcher (killed) → child (watching its launcher): the child must see it gone and exit 0.
    launcher = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {_ORPHAN!r}]); time.sleep(60)",
        ],
    )
    time.sleep(1.5)
    launcher.kill()
    launcher.wait()
    deadline = time.monotonic() + 20
    # The orphan is reparented; find it by its command line and wait for it to exit.
    while time.monotonic() < deadline and _orphans():
        time.sleep(0.1)
    assert not _orphans()


def _orphans() -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as command:
                    if b"gone.wait(120)" in command.read():
                        found.append(int(entry))
            except OSError:
                continue
    return found
