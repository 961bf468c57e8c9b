"""Sequencing on both databases: chains, idempotency, refusals and all-or-nothing batches."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from ledger.demo import demo_requests
from ledger.errors import IllegalTransition, InvalidRequest, StaleSequence, TransitionConflict, UnknownPolicy
from ledger.sequencer import TransitionRequest
from ledger.service import Ledger
from verifier.entry import Actor, PolicyEntry, Transition, parse_entry
from verifier.merkle import leaf_hash, tree_root

AGENT = Actor("330100-12345", "agent")
TICKET = "250912101108115409"


def register(transition_id: str = "t-1", ticket: str = TICKET, **changes: object) -> TransitionRequest:
    request = TransitionRequest(
        transition_id=transition_id,
        ticket=ticket,
        event="register",
        to="registered",
        actor=AGENT,
        at="2026-03-02T09:15:00.123+08:00",
        attrs={"category": "complaint", "urgency": "normal", "channel": "phone"},
        payload={"caller": "王先生", "phone": "13800001234", "content": "夜间施工噪音"},
    )
    return dataclasses.replace(request, **changes)  # type: ignore[arg-type]


def submit(transition_id: str = "t-2", ticket: str = TICKET, **changes: object) -> TransitionRequest:
    request = TransitionRequest(
        transition_id=transition_id,
        ticket=ticket,
        event="submit_for_dispatch",
        to="pending_dispatch",
        actor=AGENT,
        at="2026-03-02T09:20:00.000+08:00",
    )
    return dataclasses.replace(request, **changes)  # type: ignore[arg-type]


def assert_log_intact(ledger: Ledger) -> None:
    """Recompute the whole log: gap-free indices, parsable entries, chains, and the stored root."""
    head = ledger.head()
    stored = ledger.entries(0, head.tree_size)
    assert [e.index for e in stored] == list(range(head.tree_size))
    assert tree_root(leaf_hash(e.data) for e in stored) == head.root
    chains: dict[str, Transition] = {}
    for e in stored:
        entry = parse_entry(e.data)
        if isinstance(entry, Transition):
            previous = chains.get(entry.ticket)
            assert entry.seq == (previous.seq + 1 if previous else 1)
            assert entry.prev == (previous.leaf_hash.hex() if previous else None)
            assert entry.from_state == (previous.to_state if previous else None)
            chains[entry.ticket] = entry


def test_a_new_log_starts_with_its_policy(ledger: Ledger) -> None:
    head = ledger.head()
    assert head.tree_size == 1
    first = parse_entry(ledger.entries(0, 1)[0].data)
    assert isinstance(first, PolicyEntry)
    assert first.id == ledger.default_policy


def test_demo_traffic_builds_an_intact_log(ledger: Ledger) -> None:
    requests = list(demo_requests(120, seed=7))
    for start in range(0, len(requests), 97):
        receipts = ledger.append(requests[start : start + 97])
        assert all(not r.replayed for r in receipts)
    head = ledger.head()
    assert head.tree_size == 1 + len(requests)
    assert_log_intact(ledger)


def test_receipt_describes_the_entry(ledger: Ledger) -> None:
    receipt = ledger.append_one(register())
    stored = ledger.entry(receipt.index)
    assert stored is not None
    entry = parse_entry(stored.data)
    assert isinstance(entry, Transition)
    assert receipt.entry_hash == entry.leaf_hash.hex()
    assert (receipt.ticket, receipt.seq, receipt.state) == (TICKET, 1, "registered")
    assert entry.payload == receipt.payload and receipt.payload is not None
    # Personal content never enters the log, only its salted commitment.
    assert b"13800001234" not in stored.data
    assert "王先生".encode() not in stored.data


def test_same_transition_id_and_content_gives_the_same_receipt(ledger: Ledger) -> None:
    first = ledger.append_one(register())
    size = ledger.head().tree_size
    again = ledger.append_one(register())
    assert again == dataclasses.replace(first, replayed=True)
    assert ledger.head().tree_size == size


def test_same_transition_id_with_other_content_is_a_conflict(ledger: Ledger) -> None:
    ledger.append_one(register())
    size = ledger.head().tree_size
    with pytest.raises(TransitionConflict) as caught:
        ledger.append_one(register(payload={"content": "另一个内容"}))
    assert caught.value.details["transition_id"] == "t-1"
    with pytest.raises(TransitionConflict):
        ledger.append_one(register(at="2026-03-02T09:15:00.124+08:00"))
    assert ledger.head().tree_size == size


def test_duplicate_ids_inside_one_batch(ledger: Ledger) -> None:
    receipts = ledger.append([register(), register()])
    assert receipts[0] == receipts[1]
    with pytest.raises(TransitionConflict):
        ledger.append([submit("x"), submit("x", at="2026-03-02T09:21:00.000+08:00")])


def test_stale_expected_seq_is_refused_with_the_ticket_and_state(ledger: Ledger) -> None:
    ledger.append_one(register(expected_seq=1))
    with pytest.raises(StaleSequence) as caught:
        ledger.append_one(submit(expected_seq=3))
    assert caught.value.details == {
        "ticket": TICKET,
        "expected_seq": 3,
        "next_seq": 2,
        "state": "registered",
    }
    assert TICKET in caught.value.message and "registered" in caught.value.message
    assert ledger.append_one(submit(expected_seq=2)).seq == 2


def test_illegal_transition_names_ticket_state_and_event(ledger: Ledger) -> None:
    ledger.append_one(register())
    with pytest.raises(IllegalTransition) as caught:
        ledger.append_one(submit(event="accept", to="accepted", actor=Actor("330102-zjj", "unit")))
    details = caught.value.details
    assert (details["ticket"], details["state"], details["event"]) == (TICKET, "registered", "accept")
    assert TICKET in caught.value.message


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"event": "dispatch", "to": "dispatched"}, "not allowed from state"),
        ({"to": "closed"}, "leads to state"),
        ({"actor": Actor("330100-12345", "unit")}, "role 'unit'"),
        ({"event": "teleport"}, "unknown event"),
    ],
)
def test_policy_refusals(ledger: Ledger, changes: dict[str, object], reason: str) -> None:
    ledger.append_one(register())
    size = ledger.head().tree_size
    with pytest.raises(IllegalTransition, match=reason):
        ledger.append_one(submit(**changes))
    assert ledger.head().tree_size == size


def test_a_ticket_must_be_opened_first(ledger: Ledger) -> None:
    with pytest.raises(IllegalTransition) as caught:
        ledger.append_one(submit())
    assert caught.value.details["state"] is None


def test_a_batch_is_all_or_nothing(ledger: Ledger) -> None:
    before = ledger.head()
    with pytest.raises(IllegalTransition):
        ledger.append([register(), submit(), register("t-3", ticket="BAD-ONE", event="accept", to="accepted")])
    assert ledger.head() == before
    assert ledger.ticket_entries(TICKET) == []
    # The same requests, minus the bad one, go through afterwards.
    assert [r.seq for r in ledger.append([register(), submit()])] == [1, 2]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ticket": "no"}, "ticket"),
        ({"ticket": "has space in it"}, "ticket"),
        ({"at": "2026-03-02 09:15:00"}, "at"),
        ({"at": "2026-02-30T09:15:00.000+08:00"}, "at"),
        ({"actor": Actor("", "agent")}, "org"),
        ({"attrs": {"score": 1.5}}, "$.attrs.score"),
        ({"payload": {"n": 2**60}}, "$.n"),
        ({"transition_id": ""}, "transition_id"),
        ({"transition_id": "x" * 129}, "transition_id"),
        # PostgreSQL text cannot hold U+0000: it was a database error there, and stored as is by SQLite.
        ({"transition_id": "t\x001"}, "transition_id"),
    ],
)
def test_malformed_requests_are_refused_before_anything_is_written(
    ledger: Ledger, changes: dict[str, object], field: str
) -> None:
    before = ledger.head()
    with pytest.raises(InvalidRequest) as caught:
        ledger.append_one(register(**changes))
    assert field in caught.value.message or field in str(caught.value.details)
    assert ledger.head() == before


def test_a_transition_id_that_cannot_be_recorded_is_never_found(ledger: Ledger) -> None:
    assert ledger.transition("t\x001") is None


def test_unknown_policy_is_refused(ledger: Ledger) -> None:
    with pytest.raises(UnknownPolicy):
        ledger.append_one(register(policy="cn-baseline@000000000000"))


def test_reopening_a_database_keeps_everything(open_ledger: Callable[..., Ledger]) -> None:
    first = open_ledger()
    receipt = first.append_one(register())
    again = open_ledger()
    assert again.head() == first.head()
    assert again.append_one(register()).index == receipt.index
    assert again.append_one(submit()).seq == 2
