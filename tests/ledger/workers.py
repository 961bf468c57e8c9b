"""Running ``tests.ledger.append_worker`` processes from a test: start them, read their lines, reap them.

Every process started here is killed and waited for when its ``running_workers`` block ends,
whatever happened inside it; every wait has a timeout.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ledger.payloads import PayloadKey
from ledger.sequencer import Receipt
from verifier.note import NoteSigner

REPO = Path(__file__).resolve().parents[2]
#: How long a worker may take to start (imports, reading keys) or to finish its work.
WORKER_TIMEOUT_SECONDS = 60.0

Event = dict[str, Any]


@dataclass(frozen=True)
class WorkerSetup:
    """What the workers of one test share: the database, the log's origin and the operator's keys, as files."""

    url: str
    origin: str
    payload_key_file: Path
    signer_file: Path

    @classmethod
    def create(cls, url: str, origin: str, signer: NoteSigner, directory: Path) -> WorkerSetup:
        """Write a new payload key and ``signer`` into ``directory``."""
        payload_key_file = directory / "payload.key"
        PayloadKey.load_or_create(payload_key_file)
        signer_file = directory / "operator.skey"
        signer_file.write_text(signer.skey + "\n")
        return cls(url, origin, payload_key_file, signer_file)

    @property
    def payload_key(self) -> PayloadKey:
        return PayloadKey.load_or_create(self.payload_key_file)

    def arguments(self, worker: int, *more: str) -> list[str]:
        return [
            "--url",
            self.url,
            "--origin",
            self.origin,
            "--payload-key-file",
            str(self.payload_key_file),
            "--signer-file",
            str(self.signer_file),
            "--worker",
            str(worker),
            *more,
        ]


class WorkerProcess:
    """One running worker: its events as they arrive (read by a thread), and its stderr in a file."""

    def __init__(self, arguments: Sequence[str], stderr_path: Path) -> None:
        self.stderr_path = stderr_path
        self._stderr: IO[bytes] = stderr_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.ledger.append_worker", *arguments],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        self.events: list[Event] = []
        self._changed = threading.Condition()
        self._closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        try:
            for line in self.process.stdout:
                # A line cut short by a kill was never completely written, so it reports nothing.
                if line.endswith("\n"):
                    with self._changed:
                        self.events.append(json.loads(line))
                        self._changed.notify_all()
        finally:
            with self._changed:
                self._closed = True
                self._changed.notify_all()

    def of(self, kind: str) -> list[Event]:
        """The events of one kind (``receipt``, ``refused``…) seen so far."""
        with self._changed:
            return [event for event in self.events if event["event"] == kind]

    def wait_until(self, condition: Callable[[list[Event]], bool], timeout: float = WORKER_TIMEOUT_SECONDS) -> None:
        """Wait until ``condition(events)`` holds.

        Raises:
            AssertionError: the worker's output ended, or the time ran out, first.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition(self.events):
                remaining = deadline - time.monotonic()
                if self._closed or remaining <= 0:
                    reason = "ended its output" if self._closed else f"did not get there within {timeout} s"
                    raise AssertionError(f"worker {reason}\n{self.stderr()}")
                self._changed.wait(remaining)

    def finish(self, timeout: float = WORKER_TIMEOUT_SECONDS) -> None:
        """Wait for the worker to exit by itself, and require that it succeeded."""
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"worker still running after {timeout} s\n{self.stderr()}") from exc
        self._reader.join(timeout)
        assert code == 0, f"worker exited with {code}\n{self.stderr()}"

    def kill(self) -> None:
        """SIGKILL the worker (if it still runs), reap it, and read what it wrote before it died."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(WORKER_TIMEOUT_SECONDS)
        self._reader.join(WORKER_TIMEOUT_SECONDS)

    def close(self) -> None:
        self.kill()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr.close()

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")[-4000:]


@contextmanager
def running_workers(commands: Sequence[Sequence[str]], directory: Path) -> Iterator[list[WorkerProcess]]:
    """Start one worker per argument list; kill and reap them all when the block ends."""
    with ExitStack() as stack:
        workers = []
        for number, arguments in enumerate(commands):
            worker = WorkerProcess(arguments, directory / f"worker-{number}-{time.monotonic_ns()}.stderr")
            stack.callback(worker.close)
            workers.append(worker)
        yield workers


def start_together(workers: Sequence[WorkerProcess], start_file: Path) -> None:
    """Release workers started with ``--start-file`` once all of them are ready, so they open and append at once."""
    for worker in workers:
        worker.wait_until(lambda events: any(e["event"] == "ready" for e in events))
    start_file.touch()


def receipts(events: Sequence[Event]) -> list[Receipt]:
    """The ``Receipt``s of ``receipt`` events."""
    fields = {field.name for field in dataclasses.fields(Receipt)}
    return [Receipt(**{k: v for k, v in e.items() if k in fields}) for e in events if e["event"] == "receipt"]
