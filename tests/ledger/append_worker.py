"""A process that appends to a shared ledger database, for the concurrency and crash tests.

Run as ``python -m tests.ledger.append_worker --url URL --payload-key-file F --signer-file F
--origin O --worker N --tickets K`` (``tests.ledger.workers`` does). The worker opens the log with
``Ledger.open`` and then, by mode:

- default: appends the histories of ``K`` tickets of its own (serials ``N·10000 + i``), interleaved
  at random, in small batches and single appends, with retries of transitions it already has a
  receipt for (idempotent replays) now and then;
- ``--race``: walks the same ``K`` tickets as every other racing worker (same ``--seed``), each
  step with ``expected_seq`` and a transition id of its own; on ``StaleSequence`` it goes on at
  the ``next_seq`` the ledger named;
- ``--forever``: like the default, but with endless tickets (serials from ``--first-serial``),
  publishing a checkpoint after every ``--publish-every`` appends, until it is killed.

It speaks in JSON lines on stdout. A receipt, refusal or checkpoint line is written and flushed
right after the ledger call it reports has returned, so it means "committed" (or "refused"):

- ``{"event": "ready"}`` before it waits for ``--start-file`` (if given): by default once it has
  opened the log, with ``--start-before store`` or ``log`` before it opens the store or the log;
- ``{"event": "pending", "transition_ids": [...]}`` right before each append;
- ``{"event": "receipt", ...}`` one per request of an append: a ``Receipt``'s fields, plus
  ``expected_seq`` in race mode;
- ``{"event": "refused", "code", "transition_id", "ticket", "expected_seq", "next_seq"}``;
- ``{"event": "checkpoint", "tree_size", "root", "note"}`` after ``publish_checkpoint``;
- ``{"event": "done"}`` when a finite run has finished.

Every line also names its ``worker``.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import random
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ledger.demo import CHINA, ticket_requests
from ledger.errors import StaleSequence
from ledger.payloads import PayloadKey
from ledger.policies import load_policy
from ledger.sequencer import Receipt, TransitionRequest
from ledger.service import Ledger
from ledger.storage import LedgerStore
from verifier.note import NoteSigner

#: Ticket serials per worker, so that workers' own tickets never share a number.
SERIALS_PER_WORKER = 10_000
#: How many tickets are open at once in an interleaved stream.
OPEN_TICKETS = 6
START = datetime(2026, 3, 2, 8, 30, tzinfo=CHINA)
#: How long a worker waits for the start file before it gives up.
START_TIMEOUT_SECONDS = 60.0


def ticket_histories(seed: str, serials: Iterable[int]) -> Iterator[list[TransitionRequest]]:
    """Each ticket's whole history (``ledger.demo.ticket_requests``), one ticket per serial."""
    rng = random.Random(seed)
    opened = START
    for serial in serials:
        opened += timedelta(seconds=rng.randrange(20, 200))
        yield ticket_requests(rng, serial, opened)


def interleaved_requests(seed: str, serials: Iterable[int]) -> Iterator[TransitionRequest]:
    """The histories of ``serials`` (endless when ``serials`` is), a few tickets at a time, steps shuffled.

    Each ticket's own steps stay in order. The same seed and serials give the same requests.
    """
    rng = random.Random(seed + "/interleave")
    histories = ticket_histories(seed, serials)
    open_tickets: list[list[TransitionRequest]] = []
    while True:
        open_tickets.extend(itertools.islice(histories, OPEN_TICKETS - len(open_tickets)))
        if not open_tickets:
            return
        history = rng.choice(open_tickets)
        yield history.pop(0)
        if not history:
            open_tickets.remove(history)


def own_requests(seed: str, worker: int, tickets: int) -> Iterator[TransitionRequest]:
    """What ``worker`` appends in the default mode: ``tickets`` tickets of its own."""
    first = worker * SERIALS_PER_WORKER
    return interleaved_requests(f"{seed}/{worker}", range(first, first + tickets))


def forever_requests(seed: str, first_serial: int) -> Iterator[TransitionRequest]:
    """What a worker appends in ``--forever`` mode: endless tickets from serial ``first_serial`` on."""
    return interleaved_requests(seed, itertools.count(first_serial))


def shared_histories(seed: str, tickets: int) -> Iterator[list[TransitionRequest]]:
    """The tickets racing workers walk in ``--race`` mode: the same for every worker of a seed."""
    return ticket_histories(seed, range(tickets))


def racing_id(request: TransitionRequest, worker: int) -> str:
    """The transition id under which ``worker`` proposes a step of a shared ticket."""
    return f"{request.transition_id}/w{worker}"


class Output:
    """JSON lines on stdout, flushed at once: a line is only written after what it reports happened."""

    def __init__(self, worker: int) -> None:
        self.worker = worker

    def emit(self, *events: dict[str, Any]) -> None:
        sys.stdout.write("".join(json.dumps({**event, "worker": self.worker}) + "\n" for event in events))
        sys.stdout.flush()

    def receipts(self, receipts: Sequence[Receipt], **extra: Any) -> None:
        self.emit(*({"event": "receipt", **dataclasses.asdict(r), **extra} for r in receipts))


def start(out: Output, start_file: Path | None) -> None:
    """Say ``ready``, then wait for the start file (if any)."""
    out.emit({"event": "ready"})
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while start_file is not None and not start_file.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{start_file} did not appear within {START_TIMEOUT_SECONDS} s")
        time.sleep(0.001)


@dataclasses.dataclass
class Pause:
    """A client's think time between two calls: up to ``milliseconds``, at random."""

    rng: random.Random
    milliseconds: float

    def __call__(self) -> None:
        if self.milliseconds:
            time.sleep(self.rng.uniform(0, self.milliseconds) / 1000)


def append_stream(
    ledger: Ledger,
    out: Output,
    requests: Iterator[TransitionRequest],
    rng: random.Random,
    publish_every: int,
    pause: Pause,
) -> None:
    """Append ``requests`` until they run out: batches, single appends and retries of acknowledged ones."""
    acknowledged: list[TransitionRequest] = []
    for appends in itertools.count(1):
        roll = rng.random()
        if acknowledged and roll < 0.1:
            # A client that lost its receipt sends the same transition again.
            batch = [rng.choice(acknowledged)]
        else:
            batch = list(itertools.islice(requests, 1 if roll < 0.35 else rng.randint(2, 6)))
            if not batch:
                return
            if acknowledged and rng.random() < 0.15:
                batch.insert(rng.randrange(len(batch) + 1), rng.choice(acknowledged))
        out.emit({"event": "pending", "transition_ids": [r.transition_id for r in batch]})
        receipts = [ledger.append_one(batch[0])] if len(batch) == 1 else ledger.append(batch)
        out.receipts(receipts)
        acknowledged.extend(batch)
        pause()
        if publish_every and appends % publish_every == 0:
            checkpoint = ledger.publish_checkpoint()
            out.emit(
                {
                    "event": "checkpoint",
                    "tree_size": checkpoint.tree_size,
                    "root": checkpoint.root.hex(),
                    "note": checkpoint.note,
                }
            )


def race(ledger: Ledger, out: Output, histories: Iterable[list[TransitionRequest]], pause: Pause) -> None:
    """Walk shared tickets step by step with ``expected_seq``; a refusal says where to go on."""
    for history in histories:
        seq = 1
        while seq <= len(history):
            step = history[seq - 1]
            request = dataclasses.replace(step, transition_id=racing_id(step, out.worker), expected_seq=seq)
            try:
                receipt = ledger.append_one(request)
            except StaleSequence as exc:
                next_seq = exc.details["next_seq"]
                out.emit(
                    {
                        "event": "refused",
                        "code": exc.code,
                        "transition_id": request.transition_id,
                        "ticket": request.ticket,
                        "expected_seq": seq,
                        "next_seq": next_seq,
                    }
                )
                seq = next_seq
            else:
                out.receipts([receipt], expected_seq=seq)
                seq += 1
            pause()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.ledger.append_worker", description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--payload-key-file", type=Path, required=True)
    parser.add_argument("--signer-file", type=Path, required=True)
    parser.add_argument("--origin", required=True)
    parser.add_argument("--policy", default="cn-baseline")
    parser.add_argument("--worker", type=int, required=True)
    parser.add_argument("--tickets", type=int, default=10)
    parser.add_argument("--seed", default="12345")
    parser.add_argument("--start-file", type=Path, help="say ready, then wait until this file exists")
    parser.add_argument(
        "--start-before",
        choices=["store", "log", "appends"],
        default="appends",
        help="wait for the start file before opening the store (LedgerStore.open), the log (Ledger.open) or appending",
    )
    parser.add_argument("--pause-ms", type=float, default=0, help="think time between appends, at most (ms)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--race", action="store_true", help="race the other workers over the same tickets")
    mode.add_argument("--forever", action="store_true", help="append endless tickets until killed")
    parser.add_argument("--first-serial", type=int, default=0, help="the first ticket serial in --forever mode")
    parser.add_argument("--publish-every", type=int, default=0, help="publish a checkpoint every N appends")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    payload_key = PayloadKey.load_or_create(args.payload_key_file)
    signer = NoteSigner.from_skey(args.signer_file.read_text().strip())
    policy = load_policy(args.policy)
    out = Output(args.worker)
    if args.start_before == "store":
        start(out, args.start_file)
    store = LedgerStore.open(args.url)
    try:
        if args.start_before == "log":
            start(out, args.start_file)
        ledger = Ledger.open(store, origin=args.origin, signer=signer, payload_key=payload_key, policies=[policy])
        if args.start_before == "appends":
            start(out, args.start_file)
        moves = random.Random(f"{args.seed}/{args.worker}/moves")
        pause = Pause(moves, args.pause_ms)
        if args.race:
            race(ledger, out, shared_histories(args.seed, args.tickets), pause)
        else:
            if args.forever:
                requests = forever_requests(args.seed, args.first_serial)
            else:
                requests = own_requests(args.seed, args.worker, args.tickets)
            append_stream(ledger, out, requests, moves, args.publish_every, pause)
        out.emit({"event": "done"})
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
