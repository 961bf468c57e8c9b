"""The payload store: sealed content behind salted commitments, and erasure that keeps history verifiable."""

from __future__ import annotations

import dataclasses

import pytest

from ledger.errors import IllegalTransition, LogStateError, PayloadNotFound
from ledger.payloads import PayloadKey
from ledger.service import Ledger
from tests.ledger.test_sequencer import TICKET, assert_log_intact, register, submit
from verifier.commitment import DisclosureMismatch, verify_disclosure
from verifier.entry import Actor, Transition, parse_entry

SYSTEM = Actor("330100-12345", "system")
CONTENT = {"caller": "王先生", "phone": "13800001234", "content": "夜间施工噪音"}


def test_a_payload_opens_only_with_its_salt(ledger: Ledger) -> None:
    receipt = ledger.append_one(register(payload=CONTENT))
    assert receipt.payload is not None
    assert ledger.payload(receipt.payload) == CONTENT
    with ledger.store.reading() as view:
        sealed = view.payload(receipt.payload)
    assert sealed is not None and len(sealed.salt) == 32 and len(sealed.nonce) == 12
    assert sealed.entry_index == receipt.index
    assert b"13800001234" not in sealed.ciphertext
    verify_disclosure(receipt.payload, sealed.salt, CONTENT)
    with pytest.raises(DisclosureMismatch):
        verify_disclosure(receipt.payload, sealed.salt, {**CONTENT, "phone": "13800001235"})
    with pytest.raises(DisclosureMismatch):
        verify_disclosure(receipt.payload, bytes(32), CONTENT)


def test_each_payload_gets_its_own_salt(ledger: Ledger) -> None:
    first = ledger.append_one(register("a", ticket="TICKET-A", payload=CONTENT))
    second = ledger.append_one(register("b", ticket="TICKET-B", payload=CONTENT))
    assert first.payload != second.payload


def test_altered_ciphertext_or_another_key_does_not_open() -> None:
    key = PayloadKey.generate()
    sealed = key.seal(b'{"a":1}', 0)
    assert key.open(sealed) == {"a": 1}
    with pytest.raises(LogStateError):
        key.open(dataclasses.replace(sealed, ciphertext=bytes([sealed.ciphertext[0] ^ 1]) + sealed.ciphertext[1:]))
    with pytest.raises(LogStateError):
        PayloadKey.generate().open(sealed)
    # The commitment is the associated data: a ciphertext cannot be moved to another entry.
    with pytest.raises(LogStateError):
        key.open(dataclasses.replace(sealed, commitment="sha256:" + "0" * 64))


def test_erasure_deletes_content_and_salt_and_records_it(ledger: Ledger) -> None:
    receipt = ledger.append_one(register(payload=CONTENT))
    ledger.append_one(submit())
    assert receipt.payload is not None
    erased = ledger.erase_payload(receipt.payload, actor=SYSTEM, reason="pipl_art47")
    assert (erased.ticket, erased.seq, erased.state) == (TICKET, 3, "pending_dispatch")
    with ledger.store.reading() as view:
        assert view.payload(receipt.payload) is None
    with pytest.raises(PayloadNotFound):
        ledger.payload(receipt.payload)
    stored = ledger.entry(erased.index)
    assert stored is not None
    entry = parse_entry(stored.data)
    assert isinstance(entry, Transition)
    assert (entry.event, entry.from_state, entry.to_state) == ("erase", "pending_dispatch", "pending_dispatch")
    assert entry.attrs == {"erased": receipt.payload, "reason": "pipl_art47"}
    # The history stays verifiable: the registered entry still holds its commitment.
    first = ledger.entry(receipt.index)
    assert first is not None and receipt.payload.encode() in first.data
    assert_log_intact(ledger)


def test_erasing_twice_or_an_unknown_payload_is_refused(ledger: Ledger) -> None:
    receipt = ledger.append_one(register(payload=CONTENT))
    assert receipt.payload is not None
    ledger.erase_payload(receipt.payload, actor=SYSTEM, reason="pipl_art47")
    size = ledger.head().tree_size
    with pytest.raises(PayloadNotFound):
        ledger.erase_payload(receipt.payload, actor=SYSTEM, reason="pipl_art47")
    with pytest.raises(PayloadNotFound):
        ledger.erase_payload("sha256:" + "1" * 64, actor=SYSTEM, reason="pipl_art47")
    # Not a commitment at all (a NUL was a database error on PostgreSQL): not found either.
    for malformed in ("sha256:\x00", "", receipt.payload.upper()):
        with pytest.raises(PayloadNotFound):
            ledger.erase_payload(malformed, actor=SYSTEM, reason="pipl_art47")
        with pytest.raises(PayloadNotFound):
            ledger.payload(malformed)
    assert ledger.head().tree_size == size


def test_an_erasure_the_policy_refuses_erases_nothing(ledger: Ledger) -> None:
    receipt = ledger.append_one(register(payload=CONTENT))
    assert receipt.payload is not None
    with pytest.raises(IllegalTransition):
        ledger.erase_payload(receipt.payload, actor=Actor("330100-12345", "agent"), reason="pipl_art47")
    assert ledger.payload(receipt.payload) == CONTENT


def test_payload_key_file_is_private_and_stable(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "payload.key"  # type: ignore[operator]
    key = PayloadKey.load_or_create(path)
    assert path.stat().st_mode & 0o777 == 0o600
    sealed = key.seal(b"[1]", 0)
    assert PayloadKey.load_or_create(path).open(sealed) == [1]
    path.write_text("not a key\n")
    with pytest.raises(LogStateError):
        PayloadKey.load_or_create(path)
