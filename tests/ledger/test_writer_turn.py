"""Writers of one SQLite file take turns through a lock file: a writer in another process waits in the kernel
and starts as soon as the turn is free, and the turn of a process that dies is free at once."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from ledger.storage.writer_turn import WriterTurn

HOLD = """
import sys, time
from pathlib import Path
from ledger.storage.writer_turn import WriterTurn
turn = WriterTurn(Path(sys.argv[1]))
with turn():
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_a_writer_in_another_process_waits_for_the_turn_and_gets_it_at_once(tmp_path: Path) -> None:
    database = tmp_path / "ledger.db"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(database), "0.5"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    began = time.monotonic()
    turn = WriterTurn(database)
    with turn():
        waited = time.monotonic() - began
    holder.wait(timeout=10)
    turn.close()
    assert 0.3 < waited < 2.0, waited


def test_the_turn_of_a_killed_process_is_free(tmp_path: Path) -> None:
    database = tmp_path / "ledger.db"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(database), "60"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    holder.kill()
    holder.wait()
    began = time.monotonic()
    turn = WriterTurn(database)
    with turn():
        assert time.monotonic() - began < 1.0
    turn.close()


def test_threads_of_one_process_take_turns_too(tmp_path: Path) -> None:
    turn = WriterTurn(tmp_path / "ledger.db")
    inside, overlaps = [0], [0]

    def write() -> None:
        for _ in range(50):
            with turn():
                inside[0] += 1
                overlaps[0] += inside[0] > 1
                time.sleep(0.0005)
                inside[0] -= 1

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    turn.close()
    assert overlaps[0] == 0


def test_an_in_memory_database_needs_no_turn() -> None:
    turn = WriterTurn(None)
    with turn(), turn():  # nested: nothing is locked
        pass
