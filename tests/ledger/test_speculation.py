"""Sequencing before the write lock (``ledger.speculation``): whatever another writer does between the
snapshot and the lock, the outcome is the one sequencing under the lock gives — the same entries, indices,
receipts and errors — and a speculation is used only when what it read is unchanged."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from ledger.demo import demo_requests
from ledger.errors import LedgerError
from ledger.payloads import PayloadKey
from ledger.service import Ledger
from ledger.speculation import confirm
from ledger.storage import LedgerStore
from tests.conftest import ORIGIN
from tests.ledger.test_sequencer import assert_log_intact, register, submit
from verifier.entry import parse_entry
from verifier.note import NoteSigner
from verifier.policy import Policy


def entries_of(ledger: Ledger) -> list[tuple[int, bytes]]:
    return [(e.index, e.data) for e in ledger.entries(0, ledger.head().tree_size)]


def test_demo_traffic_sequenced_first_gives_the_same_log(
    open_ledger: Callable[..., Ledger],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    operator_signer: NoteSigner,
    baseline_policy: Policy,
) -> None:
    """The same traffic, with the same salts, makes the same log byte for byte, whichever path sequences it."""
    requests = list(demo_requests(150, seed=11))
    reference_store = LedgerStore.open(f"sqlite:///{tmp_path / 'reference.db'}")
    logs, answers = [], []
    try:
        for sequence_first in (True, False):
            randomness = random.Random(5)
            monkeypatch.setattr("ledger.payloads.os.urandom", lambda n, r=randomness: r.randbytes(n))
            ledger = open_ledger() if sequence_first else Ledger.open(
                reference_store, origin=ORIGIN, signer=operator_signer, payload_key=PayloadKey.generate(),
                policies=[baseline_policy],
            )  # fmt: skip
            receipts = []
            for start in range(0, len(requests), 89):
                receipts += ledger.append(requests[start : start + 89], sequence_first=sequence_first)
            receipts += ledger.append(requests[:50], sequence_first=sequence_first)  # replays
            assert_log_intact(ledger)
            logs.append(entries_of(ledger)[1:])  # entry 0, the policy, carries the time it was published
            answers.append(receipts)
    finally:
        reference_store.close()
    assert logs[0] == logs[1] and answers[0] == answers[1]
    assert sum(r.replayed for r in answers[0]) == 50


def test_a_speculation_is_renumbered_after_another_writers_entries(open_ledger: Callable[..., Ledger]) -> None:
    mine, other = open_ledger(), open_ledger()
    mine.append([register("a-1", "A-0001"), register("b-1", "B-0001")])
    prepared = mine.prepare([submit("a-2", "A-0001"), register("a-3", "A-0002")])
    speculation = mine.speculate(prepared)
    assert speculation is not None and [r.index for r in speculation.receipts] == [3, 4]
    other.append([submit("b-2", "B-0001"), register("b-3", "B-0002")])  # other tickets: nothing it read
    receipts = mine.append_prepared(prepared, speculation)
    assert [r.index for r in receipts] == [5, 6] and [r.seq for r in receipts] == [2, 1]
    assert_log_intact(mine)
    assert [parse_entry(e.data).ticket for e in mine.entries(5, 7)] == ["A-0001", "A-0002"]  # type: ignore[union-attr]


def test_a_ticket_written_meanwhile_is_sequenced_under_the_lock(open_ledger: Callable[..., Ledger]) -> None:
    mine, other = open_ledger(), open_ledger()
    mine.append([register("t-1", "T-0001")])
    prepared = mine.prepare([submit("t-2", "T-0001", expected_seq=2)])
    speculation = mine.speculate(prepared)
    assert speculation is not None
    other.append([submit("t-2b", "T-0001")])  # the same ticket moved on: the speculation's seq 2 is taken
    with mine.store.reading() as view:
        head, found = view.head(), mine._sequencer.lookups(view, prepared)
    assert head is not None and confirm(speculation, head, found) is None
    with pytest.raises(LedgerError, match="expected_seq 2 is stale") as speculated:
        mine.append_prepared(prepared, speculation)
    with pytest.raises(LedgerError) as locked:
        mine.append_prepared(prepared, None)
    assert speculated.value.args == locked.value.args, "the outcome sequencing under the lock gives"
    assert_log_intact(mine)


def test_the_same_transition_recorded_meanwhile_is_a_replay(open_ledger: Callable[..., Ledger]) -> None:
    mine, other = open_ledger(), open_ledger()
    prepared = mine.prepare([register("same", "S-0001")])
    speculation = mine.speculate(prepared)
    assert speculation is not None and not speculation.receipts[0].replayed
    recorded = other.append([register("same", "S-0001")])[0]
    receipt = mine.append_prepared(prepared, speculation)[0]
    assert receipt.replayed and receipt.index == recorded.index
    assert mine.head().tree_size == 2


def test_refusals_and_signatures_are_left_to_the_lock(ledger: Ledger) -> None:
    ledger.append([register("r-1", "R-0001")])
    illegal = ledger.prepare([dataclasses.replace(submit("r-2", "R-0001"), event="archive", to="archived")])
    assert ledger.speculate(illegal) is None
    with pytest.raises(LedgerError) as refused:
        ledger.append_prepared(illegal, None)
    with pytest.raises(type(refused.value), match=str(refused.value.args[0])[:30]):
        ledger.append([illegal[0].request], sequence_first=True)
    signed = dataclasses.replace(submit("r-3", "R-0001"), sig="A" * 86 + "==")
    assert ledger.speculate(ledger.prepare([signed])) is None
