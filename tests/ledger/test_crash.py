"""A writer killed with SIGKILL in the middle of its work loses no acknowledged append and leaves nothing partial.

A ``tests.ledger.append_worker --forever`` process appends (batches, single appends, payloads,
and with ``--publish-every`` checkpoints) and acknowledges each call on stdout right after it
returned. The test kills it at a random point, reopens the database as a restarted replica
would, and checks what is stored; then it retries the append that was in flight, appends more
and publishes, and kills the next worker on the same database. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import itertools
import random
import signal
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from ledger.sequencer import Receipt, TransitionRequest
from ledger.service import Ledger
from tests.conftest import ORIGIN
from tests.ledger.append_worker import forever_requests, ticket_histories
from tests.ledger.log_checks import assert_acknowledged, assert_no_duplicates, assert_storage_whole
from tests.ledger.test_sequencer import assert_log_intact
from tests.ledger.workers import Event, WorkerSetup, receipts, running_workers
from verifier.checkpoint import open_checkpoint
from verifier.note import NoteSigner

pytestmark = pytest.mark.slow

KILLS = 5
#: Ticket serials per killed worker, so that each worker starts tickets of its own.
SERIALS_PER_RUN = 100_000
#: Acknowledgements to wait for before the kill, at most. The kill comes at once (to hit the moment right
#: after an acknowledgement: a worker acknowledging before its commit would lose that append) or up to
#: KILL_DELAY_SECONDS later (anywhere in the next append).
MAX_ACKNOWLEDGEMENTS = 200
KILL_DELAY_SECONDS = 0.02


@pytest.fixture
def setup(db_url: str, tmp_path: Path, operator_signer: NoteSigner) -> WorkerSetup:
    return WorkerSetup.create(db_url, ORIGIN, operator_signer, tmp_path)


@pytest.fixture
def kills() -> random.Random:
    """Where the kills land; the seed is printed, so a failure can be replayed."""
    seed = random.randrange(2**32)
    print(f"kill seed: {seed}")
    return random.Random(seed)


def run_and_kill(
    setup: WorkerSetup, directory: Path, run: int, wanted: int, kind: str, delay: float, *more: str
) -> list[Event]:
    """Start a ``--forever`` worker, SIGKILL it ``delay`` after its ``wanted``-th ``kind`` event; its events."""
    arguments = setup.arguments(
        run, "--forever", "--seed", f"crash-{run}", "--first-serial", str(run * SERIALS_PER_RUN)
    )
    with running_workers([[*arguments, *more]], directory) as (worker,):
        worker.wait_until(lambda events: sum(e["event"] == kind for e in events) >= wanted)
        time.sleep(delay)
        worker.kill()
        assert worker.process.returncode == -signal.SIGKILL, f"the worker ended before the kill\n{worker.stderr()}"
    return worker.events


def in_flight(events: Sequence[Event]) -> list[str]:
    """The transition ids of the append the worker had announced but not acknowledged when it died."""
    pending = [e for e in events if e["event"] == "pending"]
    acknowledged = {e["transition_id"] for e in events if e["event"] == "receipt"}
    last = pending[-1]["transition_ids"] if pending else []
    return [] if set(last) <= acknowledged else last


def retry_in_flight(ledger: Ledger, run: int, events: Sequence[Event]) -> tuple[str, list[Receipt]]:
    """Check that the append cut short is all in the log or not at all, and retry it.

    Returns which it was, and the receipts of the retry.
    """
    ids = in_flight(events)
    if not ids:
        return "none in flight", []
    earlier = {e["transition_id"] for e in events if e["event"] == "receipt"}
    new = [i for i in ids if i not in earlier]
    with ledger.store.reading() as view:
        stored = view.entries_by_transition_id(new)
    assert len(stored) in (0, len(new)), f"a batch was cut in half: {sorted(stored)} of {new}"
    stream = forever_requests(f"crash-{run}", run * SERIALS_PER_RUN)
    by_id: dict[str, TransitionRequest] = {}
    for request in itertools.islice(stream, 10 * len(earlier) + 100):
        by_id[request.transition_id] = request
        if set(ids) <= by_id.keys():
            break
    retried = ledger.append([by_id[i] for i in ids])
    # A client that never got its receipt sends the same requests again: each lands exactly once.
    assert all(r.replayed == (r.transition_id in earlier or bool(stored)) for r in retried)
    return "committed, unacknowledged" if stored else "rolled back", retried


def where_killed(events: Sequence[Event]) -> str:
    """What the worker was doing when it died, from the last line it wrote."""
    return {"pending": "appending", "receipt": "publishing", "checkpoint": "between"}[events[-1]["event"]]


def assert_recovered(ledger: Ledger, acknowledged: Sequence[Receipt], signer: NoteSigner) -> None:
    """Nothing acknowledged is lost, and nothing partial is stored."""
    assert_acknowledged(ledger, acknowledged)
    assert_log_intact(ledger)
    assert_no_duplicates(ledger)
    assert_storage_whole(ledger, signer.verifier())


def assert_writable(ledger: Ledger, signer: NoteSigner, run: int) -> None:
    """The log takes new appends (a ticket none of the workers has), and publishes a checkpoint that verifies."""
    (history,) = ticket_histories(f"after-kill-{run}", [run * SERIALS_PER_RUN + SERIALS_PER_RUN // 2])
    assert not any(r.replayed for r in ledger.append(history))
    checkpoint = ledger.publish_checkpoint()
    head = ledger.head()
    opened = open_checkpoint(checkpoint.note, [signer.verifier()], origin=ORIGIN)
    assert (opened.tree_size, opened.root_hash) == (head.tree_size, head.root)


def test_a_killed_appender_loses_no_acknowledged_append(
    setup: WorkerSetup,
    open_ledger: Callable[..., Ledger],
    operator_signer: NoteSigner,
    tmp_path: Path,
    kills: random.Random,
) -> None:
    open_ledger(key=setup.payload_key)
    acknowledged: list[Receipt] = []
    outcomes = []
    for run in range(KILLS):
        wanted = kills.randint(1, MAX_ACKNOWLEDGEMENTS)
        delay = kills.choice([0, kills.uniform(0, KILL_DELAY_SECONDS)])
        events = run_and_kill(setup, tmp_path, run, wanted, "receipt", delay)
        acknowledged += receipts(events)
        ledger = open_ledger(key=setup.payload_key)
        assert_recovered(ledger, acknowledged, operator_signer)
        outcome, retried = retry_in_flight(ledger, run, events)
        outcomes.append(outcome)
        acknowledged += retried
        assert_writable(ledger, operator_signer, run)
        assert_recovered(ledger, acknowledged, operator_signer)
    print("in flight at each kill:", outcomes)


def test_a_killed_publisher_leaves_only_whole_checkpoints(
    setup: WorkerSetup,
    open_ledger: Callable[..., Ledger],
    operator_signer: NoteSigner,
    tmp_path: Path,
    kills: random.Random,
) -> None:
    open_ledger(key=setup.payload_key)
    acknowledged: list[Receipt] = []
    landed = []
    for run in range(KILLS):
        # The worker publishes right after it acknowledged an append: a kill just after a receipt
        # lands in publish_checkpoint, one just after a checkpoint in the next append.
        kind = "receipt" if run % 2 else "checkpoint"
        wanted = kills.randint(1, MAX_ACKNOWLEDGEMENTS // 4)
        delay = kills.choice([0, kills.uniform(0, KILL_DELAY_SECONDS)])
        events = run_and_kill(setup, tmp_path, run, wanted, kind, delay, "--publish-every", "1")
        landed.append(where_killed(events))
        acknowledged += receipts(events)
        ledger = open_ledger(key=setup.payload_key)
        assert_recovered(ledger, acknowledged, operator_signer)
        for published in (e for e in events if e["event"] == "checkpoint"):
            stored = ledger.checkpoint(published["tree_size"])
            assert stored is not None, f"acknowledged checkpoint {published['tree_size']} is lost"
            assert (stored.root.hex(), stored.note) == (published["root"], published["note"])
        acknowledged += retry_in_flight(ledger, run, events)[1]
        assert_writable(ledger, operator_signer, run)
        assert_recovered(ledger, acknowledged, operator_signer)
    print("killed while:", landed)
