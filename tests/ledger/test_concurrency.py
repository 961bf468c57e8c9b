"""Several processes appending to one database at once build one log: gap-free, duplicate-free, and whole.

The writers are ``tests.ledger.append_worker`` processes, released together; the checks run in
the test process afterwards, on PostgreSQL and SQLite.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest

from ledger.sequencer import Receipt, TransitionRequest
from ledger.service import Ledger
from ledger.storage import LedgerStore
from tests.conftest import ORIGIN
from tests.ledger.append_worker import own_requests, racing_id, shared_histories
from tests.ledger.log_checks import assert_acknowledged, assert_no_duplicates, assert_storage_whole
from tests.ledger.test_sequencer import assert_log_intact
from tests.ledger.workers import Event, WorkerSetup, receipts, running_workers, start_together
from verifier.note import NoteSigner

pytestmark = pytest.mark.slow

SEED = "concurrency"
WORKERS = 3
TICKETS = 10
RACERS = 2
RACE_TICKETS = 12
#: A client's think time between appends, at most: it lets SQLite's sleeping writers in (its lock is not
#: fair: a busy writer would otherwise take it again and again), and it makes each run last long enough
#: (about a second) for every worker to be running while the others are.
PAUSE_MS = "3"


@pytest.fixture
def setup(db_url: str, tmp_path: Path, operator_signer: NoteSigner) -> WorkerSetup:
    return WorkerSetup.create(db_url, ORIGIN, operator_signer, tmp_path)


@pytest.fixture
def shared_ledger(setup: WorkerSetup, open_ledger: Callable[..., Ledger]) -> Ledger:
    """The log, created before the workers start (as a deployment migrates before it starts replicas)."""
    return open_ledger(key=setup.payload_key)


def run_together(setup: WorkerSetup, directory: Path, *arguments: list[str]) -> list[Event]:
    """Run one worker per argument list, released at once; return every event, all workers' together."""
    start = directory / "start"
    commands = [setup.arguments(worker, "--start-file", str(start), *more) for worker, more in enumerate(arguments)]
    with running_workers(commands, directory) as workers:
        start_together(workers, start)
        for worker in workers:
            worker.finish()
    return [event for worker in workers for event in worker.events]


def test_concurrent_appenders_build_one_intact_log(
    shared_ledger: Ledger, setup: WorkerSetup, tmp_path: Path, operator_signer: NoteSigner
) -> None:
    own = ["--tickets", str(TICKETS), "--seed", SEED, "--pause-ms", PAUSE_MS]
    events = run_together(setup, tmp_path, *[own] * WORKERS)
    acknowledged = receipts(events)
    requested: dict[int, list[TransitionRequest]] = {w: list(own_requests(SEED, w, TICKETS)) for w in range(WORKERS)}
    owner = {r.ticket: w for w, requests in requested.items() for r in requests}
    assert len(owner) == WORKERS * TICKETS, "each worker has tickets of its own"

    assert_log_intact(shared_ledger)
    assert_no_duplicates(shared_ledger)
    assert_acknowledged(shared_ledger, acknowledged)
    assert_storage_whole(shared_ledger, operator_signer.verifier())
    # Every request is in the log once; each worker's tickets hold exactly its histories, in order.
    head = shared_ledger.head()
    assert head.tree_size == 1 + sum(len(requests) for requests in requested.values())
    for requests in requested.values():
        for ticket in {r.ticket for r in requests}:
            history = [r.transition_id for r in requests if r.ticket == ticket]
            assert [e.transition_id for e in shared_ledger.ticket_entries(ticket)] == history
    # One first receipt per transition; every retry was answered with that same receipt.
    first: dict[str, Receipt] = {}
    for receipt in (r for r in acknowledged if not r.replayed):
        assert first.setdefault(receipt.transition_id, receipt) is receipt, f"{receipt.transition_id} sequenced twice"
    retries = [r for r in acknowledged if r.replayed]
    assert retries, "the workers retried acknowledged transitions"
    for retry in retries:
        assert retry == dataclasses.replace(first[retry.transition_id], replayed=True)
    # The workers really wrote at the same time: their entries alternate along the log.
    writers = [owner[e.ticket] for e in shared_ledger.entries(1, head.tree_size) if e.ticket is not None]
    switches = sum(1 for a, b in itertools.pairwise(writers) if a != b)
    assert switches >= 2 * WORKERS, f"the workers' entries alternate only {switches} times"


def test_racing_expected_seq_lets_exactly_one_writer_take_each_position(
    shared_ledger: Ledger, setup: WorkerSetup, tmp_path: Path, operator_signer: NoteSigner
) -> None:
    race = ["--race", "--tickets", str(RACE_TICKETS), "--seed", SEED, "--pause-ms", PAUSE_MS]
    events = run_together(setup, tmp_path, *[race] * RACERS)
    histories = list(shared_histories(SEED, RACE_TICKETS))
    acknowledged = receipts(events)
    refusals = [e for e in events if e["event"] == "refused"]

    assert_log_intact(shared_ledger)
    assert_no_duplicates(shared_ledger)
    assert_acknowledged(shared_ledger, acknowledged)
    assert_storage_whole(shared_ledger, operator_signer.verifier())
    # Each position of each ticket was won by exactly one worker, and the log holds the winner's step.
    winners: dict[tuple[str, int], list[int]] = defaultdict(list)
    for event in events:
        if event["event"] == "receipt":
            assert event["seq"] == event["expected_seq"] and not event["replayed"]
            winners[event["ticket"], event["seq"]].append(event["worker"])
    assert shared_ledger.head().tree_size == 1 + sum(len(h) for h in histories)
    for history in histories:
        stored = shared_ledger.ticket_entries(history[0].ticket)
        assert len(stored) == len(history)
        for seq, (step, entry) in enumerate(zip(history, stored, strict=True), start=1):
            assert entry.seq == seq
            (winner,) = winners.pop((step.ticket, seq))
            assert entry.transition_id == racing_id(step, winner)
    assert winners == {}, "receipts for positions the log does not have"
    # Each loser was refused as stale, told where the ticket stands, and never wins a taken position.
    assert refusals, "the workers raced for the same positions"
    for refusal in refusals:
        assert refusal["code"] == "stale_expected_seq"
        assert refusal["next_seq"] > refusal["expected_seq"]
        (entry,) = [e for e in shared_ledger.ticket_entries(refusal["ticket"]) if e.seq == refusal["expected_seq"]]
        assert entry.transition_id != refusal["transition_id"]
    # Which racer wins which position is the scheduler's choice: on a loaded machine one racer may win
    # them all, so the test asks only that the race happened (the refusals above).


@pytest.mark.parametrize("prepared", ["new", "migrated"])
def test_replicas_can_open_a_database_together(
    prepared: str,
    db_url: str,
    setup: WorkerSetup,
    tmp_path: Path,
    open_ledger: Callable[..., Ledger],
    request: pytest.FixtureRequest,
) -> None:
    """Replicas started at once on a database without a log (new, or only migrated) all come up and share one log.

    Their migrations are serialised (an advisory lock on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite)
    and creating the log head tolerates a replica that created it first.
    """
    if prepared == "migrated":
        LedgerStore.open(db_url).close()
    own = ["--start-before", "store" if prepared == "new" else "log", "--tickets", "2", "--seed", SEED]
    events = run_together(setup, tmp_path, *[own] * WORKERS)
    ledger = open_ledger(key=setup.payload_key)
    assert_log_intact(ledger)
    assert_acknowledged(ledger, receipts(events))
    assert_no_duplicates(ledger)
    assert ledger.policies.keys() == {ledger.default_policy}
    assert ledger.head().tree_size == 1 + sum(len(list(own_requests(SEED, w, 2))) for w in range(WORKERS))
