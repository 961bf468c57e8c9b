"""The tamper suite's bundle attacks applied to a real export, re-signed by the (trusted) exporter key as a
dishonest exporter would: the signature then holds (V13), and each attack is still refused at its own step."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from ledger.exports import ExportFilter, write_export
from tests.evidence.conftest import AnchoredLog
from tests.evidence.streamed import verify_streamed
from tests.evidence.test_exports import EXPORTER, resign, verify
from verifier.bundle import Bundle, ProvenEntry, parse_bundle
from verifier.checkpoint import open_checkpoint, sign_checkpoint
from verifier.note import NoteSigner, parse_vkey
from verifier.report import Report
from verifier.trust import ChainPlace

Mutation = Callable[[Bundle], Bundle]


def _flip(entry: ProvenEntry) -> ProvenEntry:
    position = entry.data.index(b'"event":"') + 10
    data = entry.data[:position] + bytes([entry.data[position] ^ 1]) + entry.data[position + 1 :]
    return dataclasses.replace(entry, data=data)


def _ticket_entries(bundle: Bundle) -> tuple[int, int, int]:
    """Positions of three entries of one ticket with at least three (first, middle, last by seq)."""
    by_ticket: dict[str, list[int]] = {}
    for position, entry in enumerate(bundle.entries):
        ticket = entry.data.split(b'"ticket":"')[1].split(b'"')[0].decode()
        by_ticket.setdefault(ticket, []).append(position)
    positions = next(p for p in by_ticket.values() if len(p) >= 3)
    return positions[0], positions[1], positions[-1]


def flipped_byte(bundle: Bundle) -> Bundle:
    entries = list(bundle.entries)
    entries[0] = _flip(entries[0])
    return dataclasses.replace(bundle, entries=tuple(entries))


def dropped_middle(bundle: Bundle) -> Bundle:
    _, middle, _ = _ticket_entries(bundle)
    entries = tuple(bundle.entries)
    return dataclasses.replace(bundle, entries=entries[:middle] + entries[middle + 1 :])


def swapped_data(bundle: Bundle) -> Bundle:
    first, middle, _ = _ticket_entries(bundle)
    entries = list(bundle.entries)
    a, b = entries[first], entries[middle]
    entries[first] = dataclasses.replace(a, data=b.data, leaf_hash=b.leaf_hash)
    entries[middle] = dataclasses.replace(b, data=a.data, leaf_hash=a.leaf_hash)
    return dataclasses.replace(bundle, entries=tuple(entries))


def inserted_copy(bundle: Bundle) -> Bundle:
    _, middle, _ = _ticket_entries(bundle)
    entries = tuple(bundle.entries)
    copy = dataclasses.replace(entries[middle], index=entries[-1].index + 1)  # in order, at an index not its own
    return dataclasses.replace(bundle, entries=(*entries, copy))


def out_of_order(bundle: Bundle) -> Bundle:
    entries = tuple(bundle.entries)
    return dataclasses.replace(bundle, entries=(entries[1], entries[0], *entries[2:]))


def untrusted_checkpoint(bundle: Bundle) -> Bundle:
    stranger = NoteSigner.generate(bundle.origin)
    checkpoint = open_checkpoint(bundle.checkpoint, [parse_vkey(bundle.verifier_key)], origin=bundle.origin)
    return dataclasses.replace(bundle, checkpoint=sign_checkpoint(checkpoint, stranger))


def another_chain(bundle: Bundle) -> Bundle:
    chain = bundle.chain
    return dataclasses.replace(bundle, chain=ChainPlace(chain.chain_id + 1, chain.contract, chain.log_id))


def edited_disclosure(bundle: Bundle) -> Bundle:
    first, *rest = bundle.disclosures
    edited = dataclasses.replace(first, payload={**first.payload, "content": "已改动"})
    return dataclasses.replace(bundle, disclosures=(edited, *rest))


ATTACKS: dict[str, tuple[Mutation, str]] = {
    "flipped byte": (flipped_byte, "V2"),
    "entry dropped from a ticket": (dropped_middle, "V7"),
    "two entries swapped": (swapped_data, "V3"),
    "entry inserted": (inserted_copy, "V3"),
    "entries listed out of index order": (out_of_order, "V1"),
    "checkpoint by an untrusted key": (untrusted_checkpoint, "V4"),
    "anchor claimed on another chain": (another_chain, "V5"),
    "disclosed payload edited": (edited_disclosure, "V11"),
}


@pytest.fixture
def export(anchored: AnchoredLog, tmp_path: Path) -> Bundle:
    out = tmp_path / "export.json"
    write_export(anchored.ledger, ExportFilter(disclose=True, reason="tamper test"), out, signer=EXPORTER, by="r")
    return parse_bundle(out.read_bytes())


def streamed(data: bytes, log: AnchoredLog, directory: Path) -> Report:
    trust = dataclasses.replace(log.trust, exporter_keys=(EXPORTER.verifier(),))
    return verify_streamed(data, trust, chain=None, seen=None, directory=directory)


@pytest.mark.parametrize("reader", ["in memory", "streamed"])
@pytest.mark.parametrize("attack", list(ATTACKS))
def test_an_export_tampered_and_signed_again_is_refused_at_the_attacks_step(
    anchored: AnchoredLog, export: Bundle, attack: str, reader: str, tmp_path: Path
) -> None:
    def check(data: bytes) -> Report:
        return verify(data, anchored) if reader == "in memory" else streamed(data, anchored, tmp_path)

    mutate, step = ATTACKS[attack]
    untouched = check(export.encode())
    assert untouched.first_failure is None, untouched.lines()
    report = check(resign(mutate(export)))
    assert report.first_failure is not None and report.first_failure.step == step, report.lines()
