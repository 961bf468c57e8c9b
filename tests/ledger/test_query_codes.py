"""Citizens' query codes: issued once in the transaction that opens a ticket, stored only as a keyed hash."""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from pathlib import Path

import pytest

from ledger.errors import IllegalTransition, LogStateError
from ledger.query_codes import ALPHABET, CODE_LENGTH, QueryCodeKey, new_code, normalise_code, with_codes
from ledger.sequencer import Receipt
from ledger.service import Ledger
from tests.ledger.test_sequencer import TICKET, register, submit


def test_codes_are_typeable_and_carry_40_bits() -> None:
    assert len(set(ALPHABET)) == len(ALPHABET) == 32
    assert not set("01IO") & set(ALPHABET)
    assert CODE_LENGTH * math.log2(len(ALPHABET)) >= 40
    codes = {new_code() for _ in range(1000)}
    assert len(codes) == 1000
    assert all(len(c) == CODE_LENGTH and set(c) <= set(ALPHABET) for c in codes)
    assert normalise_code(" ab3d-x7kq ") == "AB3DX7KQ"


def test_every_symbol_is_as_likely_in_every_position() -> None:
    """5 random bits a symbol: over 20,000 codes each symbol shows about 625 times in each position (a code that
    used fewer bits, or reused them across positions, leaves symbols out or repeats patterns)."""
    codes = [new_code() for _ in range(20_000)]
    for position in range(CODE_LENGTH):
        counts = Counter(code[position] for code in codes)
        assert set(counts) == set(ALPHABET)
        assert all(450 < n < 800 for n in counts.values()), (position, counts)
    pairs = Counter(code[:2] for code in codes)
    assert len(pairs) > 0.6 * 32 * 32, "the first two symbols vary independently"


def test_key_file_is_created_private_and_reloaded(tmp_path: Path) -> None:
    path = tmp_path / "query-code.key"
    key = QueryCodeKey.load_or_create(path)
    assert path.stat().st_mode & 0o777 == 0o600
    again = QueryCodeKey.load_or_create(path)
    assert again.code_hash("T-0001", "ABCDEFGH") == key.code_hash("T-0001", "ABCDEFGH")
    path.write_text("not base64 at all\n")
    with pytest.raises(LogStateError, match="not a query code key"):
        QueryCodeKey.load_or_create(path)


def test_hash_binds_the_code_to_its_ticket() -> None:
    key = QueryCodeKey(bytes(range(32)))
    stored = key.code_hash("T-0001", "ABCDEFGH")
    assert key.matches("T-0001", "abcd-efgh", stored)
    assert not key.matches("T-0002", "ABCDEFGH", stored)
    assert not key.matches("T-0001", "ABCDEFGJ", stored)
    assert not key.matches("T-0001", "ABCDEFGH", None)
    assert not key.matches("T-0001", "", stored)


def test_opening_receipt_carries_the_code_once(ledger: Ledger) -> None:
    key = QueryCodeKey(bytes(32))
    opened, moved = ledger.append([register(), submit()], query_codes=key)
    assert opened.query_code is not None and moved.query_code is None
    assert key.matches(TICKET, opened.query_code, ledger.query_code_hash(TICKET))
    replayed = ledger.append([register()], query_codes=key)[0]
    assert replayed.replayed and replayed.query_code is None
    assert key.matches(TICKET, opened.query_code, ledger.query_code_hash(TICKET))


def test_a_refused_append_stores_no_code(ledger: Ledger) -> None:
    key = QueryCodeKey(bytes(32))
    with pytest.raises(IllegalTransition):
        ledger.append([register(), dataclasses.replace(submit(), event="close", to="closed")], query_codes=key)
    assert ledger.query_code_hash(TICKET) is None
    assert ledger.append([register()]) and ledger.query_code_hash(TICKET) is None  # no key: no code


def test_codes_drawn_before_the_lock_are_the_ones_given_out(ledger: Ledger) -> None:
    """``draw`` picks codes for the tickets a batch probably opens; ``issue`` gives out exactly those, draws
    fresh ones for tickets that were not guessed, and stores nothing for a guess that was wrong."""
    key = QueryCodeKey(bytes(32))
    ledger.append([register()], query_codes=key)
    drawn = key.draw([TICKET, "T-0002"])
    assert {ticket: key.code_hash(ticket, code) for ticket, (code, _) in drawn.items()} == {
        ticket: code_hash for ticket, (_, code_hash) in drawn.items()
    }
    with ledger.store.writing() as view:
        codes = key.issue(view, _receipts("T-0002", "T-0003"), drawn)
    given = with_codes(_receipts("T-0002", "T-0003"), codes)
    assert given[0].query_code == drawn["T-0002"][0]
    assert given[1].query_code is not None and key.matches(
        "T-0003", given[1].query_code, ledger.query_code_hash("T-0003")
    )
    assert key.matches("T-0002", drawn["T-0002"][0], ledger.query_code_hash("T-0002"))
    assert not key.matches(TICKET, drawn[TICKET][0], ledger.query_code_hash(TICKET))  # Drawn, not given: forgotten.
    # Through append: a batch that opens two tickets hands out two codes that match what is stored.
    receipts = ledger.append([register("t-5", "T-0005"), register("t-6", "T-0006")], query_codes=key)
    for receipt in receipts:
        assert receipt.query_code and key.matches(
            receipt.ticket, receipt.query_code, ledger.query_code_hash(receipt.ticket)
        )


def _receipts(*tickets: str) -> list[Receipt]:
    return [Receipt(f"id-{t}", 1, "00" * 32, t, 1, "registered", None) for t in tickets]
