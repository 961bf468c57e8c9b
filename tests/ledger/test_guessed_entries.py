"""Entries built before the write lock (``TransitionSequencer.prepare``'s guess) change no outcome.

``prepare`` builds each request's entry on the guess that its ticket is new to the log (or moved on only by
the batch's earlier requests), and ``sequence`` takes the guessed entry when the record it puts together
under the lock is equal. Differential tests: the same prepared requests are sequenced with their guesses and
without (the reference, everything built under the lock) in the same database state, and must give the
same receipts, the same entry bytes and the same refusals, over realistic traffic mutated into replays,
conflicts, stale and wrong steps, unknown policies, signatures and malformed fields. Then the batch is
appended for real, so later batches meet tickets that exist.
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
from typing import Any

import pytest

from ledger.batch import PendingBatch
from ledger.demo import demo_requests
from ledger.errors import LedgerError
from ledger.sequencer import PreparedRequest, TransitionRequest
from ledger.service import Ledger
from tests.ledger.test_sequencer import assert_log_intact, register, submit
from verifier.entry import Actor


class _Rollback(Exception):
    """Ends a trial transaction without writing it."""


def sequenced(ledger: Ledger, prepared: list[PreparedRequest]) -> tuple[Any, ...]:
    """What sequencing ``prepared`` gives now: receipts and entry bytes, or the refusal; nothing is written."""
    outcome: tuple[Any, ...] = ()
    try:
        with ledger.store.writing() as view:
            head = view.lock_head()
            assert head is not None
            batch = PendingBatch(head)
            receipts = ledger._sequencer.sequence(view, batch, prepared)
            outcome = ("ok", receipts, [e.data for e in batch.entries], [p.entry_index for p in batch.payloads])
            raise _Rollback
    except _Rollback:
        return outcome
    except LedgerError as exc:
        return (type(exc).__name__, exc.message, exc.details)


def check_agrees(ledger: Ledger, requests: list[TransitionRequest]) -> tuple[Any, ...]:
    """Sequence ``requests`` with their guesses and without; both must agree. Returns the outcome."""
    try:
        prepared = ledger._sequencer.prepare(requests)
    except LedgerError as exc:
        return (type(exc).__name__,)  # Refused before any guess is used.
    fast = sequenced(ledger, prepared)
    reference = sequenced(ledger, [dataclasses.replace(p, guess=None) for p in prepared])
    assert fast == reference
    return fast


def mutate(rng: random.Random, request: TransitionRequest, earlier: list[TransitionRequest]) -> TransitionRequest:
    """``request``, or a variant of it that the ledger may replay, refuse or sequence differently."""
    choice = rng.randrange(60)
    if choice == 0 and earlier:
        return rng.choice(earlier)  # A replay (of a request recorded, refused or still in this batch).
    if choice == 1 and earlier:
        return dataclasses.replace(request, transition_id=rng.choice(earlier).transition_id)  # A conflict, mostly.
    if choice == 2:
        return dataclasses.replace(request, expected_seq=rng.choice([1, 2, 3, 7]))
    if choice == 3:
        return dataclasses.replace(request, event=rng.choice(["register", "accept", "archive", "submit_for_dispatch"]))
    if choice == 4:
        return dataclasses.replace(request, policy=rng.choice(["cn-baseline@000000000000", "nope"]))
    if choice == 5:
        return dataclasses.replace(request, at=rng.choice(["2026-02-30T09:00:00.000+08:00", "yesterday"]))
    if choice == 6:
        return dataclasses.replace(request, actor=Actor("330100-12345", "agent", "k-1"), sig="A" * 86 + "==")
    if choice == 7:
        return dataclasses.replace(request, attrs={**request.attrs, "x": rng.choice([1.5, "y" * 5000, [1, None]])})
    if choice == 8:
        return dataclasses.replace(request, ticket=rng.choice(["x", "250912101108115409", request.ticket + "-b"]))
    if choice == 9:
        return dataclasses.replace(request, to=rng.choice(["archived", "registered", "BAD"]))
    return request


@pytest.mark.parametrize("seed", range(6))
def test_guessed_entries_give_the_reference_outcome(ledger: Ledger, seed: int) -> None:
    rng = random.Random(seed)
    traffic = list(demo_requests(40, seed=seed))
    earlier: list[TransitionRequest] = []
    position = 0
    outcomes: set[str] = set()
    while position < len(traffic):
        size = rng.choice([1, 2, 5, 17, 40])
        original = traffic[position : position + size]
        position += size
        batch = [mutate(rng, request, earlier) for request in original]
        outcome = check_agrees(ledger, batch)
        outcomes.add(outcome[0])
        # The batch as it came, else the traffic it was made from, so that tickets move on (unless an earlier
        # mutation moved one elsewhere).
        with contextlib.suppress(LedgerError):
            ledger.append(batch if outcome[0] == "ok" else original)
        earlier.extend(batch)
    assert_log_intact(ledger)
    assert "ok" in outcomes and len(outcomes) > 1  # Both kinds of outcome were compared.


def test_a_batch_of_new_tickets_is_built_before_the_lock(ledger: Ledger) -> None:
    requests = []
    for number in range(3):
        ticket = f"25091210110811540{number}"
        requests += [register(f"{ticket}-1", ticket), submit(f"{ticket}-2", ticket, expected_seq=2)]
    prepared = ledger._sequencer.prepare(requests)
    assert all(p.guess is not None for p in prepared)
    assert [p.may_open_ticket for p in prepared] == [True, False] * 3
    outcome = sequenced(ledger, prepared)
    assert outcome[0] == "ok"
    assert outcome[2] == [p.guess.entry.data for p in prepared if p.guess is not None]


def test_a_guess_on_an_existing_ticket_is_not_used(ledger: Ledger) -> None:
    ledger.append([register()])
    # Not refused by any check that needs no database, so guessed as a new ticket's first step: wrongly.
    prepared = ledger._sequencer.prepare([submit()])
    assert prepared[0].guess is None  # submit_for_dispatch cannot open a ticket: no guess.
    reopened = ledger._sequencer.prepare([register("t-9")])
    assert reopened[0].guess is not None and reopened[0].guess.position[0] == 1
    outcome = check_agrees(ledger, [register("t-9")])
    assert outcome[0] == "IllegalTransition"
    receipt = ledger.append([submit()])[0]
    assert receipt.seq == 2


def test_a_ticket_opened_in_the_batch_after_a_replay_chains_on_the_log(ledger: Ledger) -> None:
    first = ledger.append([register()])[0]
    # The replayed register is guessed as new, so the guess of the submit after it chains on a wrong prev.
    batch = [register(), submit(expected_seq=2)]
    prepared = ledger._sequencer.prepare(batch)
    assert prepared[1].guess is not None and prepared[1].guess.position[1] != first.entry_hash
    outcome = check_agrees(ledger, batch)
    assert outcome[0] == "ok"
    assert outcome[1][1].seq == 2
    receipts = ledger.append(batch)
    assert receipts[0].replayed and receipts[1].seq == 2
    assert_log_intact(ledger)
