"""The ledger's evidence: ticket bundles under the latest anchor, with the policies and keys they need,
disclosures only when asked, and single-entry tlog-proofs."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.bundles import NotAnchoredYet, TicketNotFound, entries_bundle, entry_tlog_proof, ticket_bundle
from tests.anchoring.conftest import Clock
from tests.evidence.conftest import AnchoredLog
from tests.ledger.test_actor_keys import ORG, public_bytes, signed
from tests.ledger.test_sequencer import register
from verifier.bundle import Bundle, Disclosure, parse_bundle
from verifier.bundle_check import verify_bundle
from verifier.entry import Actor, KeyEntry, PolicyEntry, Transition, format_at, parse_entry
from verifier.report import Outcome, Report, Status
from verifier.tlog_proof import verify_tlog_proof


def offline(bundle: Bundle, log: AnchoredLog) -> Report:
    """Verify offline; every step that runs must pass (the chain steps and V12 cannot run)."""
    report = verify_bundle(bundle.encode(), log.trust, chain=None, seen=None)
    assert [r.step for r in report.ordered if r.status is Status.FAILED] == [], report.lines()
    assert report.outcome is Outcome.INCOMPLETE
    return report


def test_a_ticket_bundle_holds_the_ticket_in_order_and_its_policy(anchored: AnchoredLog) -> None:
    for ticket in anchored.tickets:
        result = ticket_bundle(anchored.ledger, ticket)
        assert result.pending == 0
        stored = anchored.ledger.ticket_entries(ticket)
        assert [e.index for e in result.bundle.entries] == [e.index for e in stored]
        assert [e.data for e in result.bundle.entries] == [e.data for e in stored]
        (policy,) = [parse_entry(e.data) for e in result.bundle.policies]
        assert isinstance(policy, PolicyEntry) and policy.id == anchored.ledger.default_policy
        assert parse_bundle(result.bundle.encode()) == result.bundle
        offline(result.bundle, anchored)


def test_entries_after_the_anchor_wait_for_the_next_one(anchored: AnchoredLog, clock: Clock) -> None:
    with pytest.raises(TicketNotFound):
        ticket_bundle(anchored.ledger, "NO-SUCH-TICKET")
    anchored.ledger.append([register("late-1", ticket="LATE-0001", at=format_at(datetime.now(UTC)))])
    with pytest.raises(NotAnchoredYet, match="not anchored yet"):
        ticket_bundle(anchored.ledger, "LATE-0001")
    clock.now += 60
    assert anchored.worker.step() is not None
    assert len(ticket_bundle(anchored.ledger, "LATE-0001").bundle.entries) == 1


def test_signed_transitions_bring_their_key_entries_and_a_later_revocation(anchored: AnchoredLog, clock: Clock) -> None:
    ledger = anchored.ledger
    key = Ed25519PrivateKey.generate()
    registered = ledger.register_actor_key("agent-0042", org=ORG, role="agent", public_key=public_bytes(key))
    request = dataclasses.replace(
        register("signed-1", ticket="SIGNED-0001", at=format_at(datetime.now(UTC))),
        actor=Actor(ORG, "agent", "agent-0042"),
        payload=None,
    )
    ledger.append([signed(ledger, request, key)])
    revoked = ledger.revoke_actor_key("agent-0042")
    clock.now += 60
    assert anchored.worker.step() is not None

    bundle = ticket_bundle(ledger, "SIGNED-0001").bundle
    keys = [parse_entry(e.data) for e in bundle.keys]
    assert [e.index for e in bundle.keys] == [registered, revoked]
    assert all(isinstance(k, KeyEntry) for k in keys)
    report = offline(bundle, anchored)
    assert "1 signed transition(s) verified" in report.results["V9"].detail


def test_disclosures_only_when_asked_and_they_open_the_commitments(anchored: AnchoredLog) -> None:
    ledger = anchored.ledger
    stored = ledger.ticket_entries(anchored.tickets[0])
    with_payload = [e.index for e in stored if isinstance(t := parse_entry(e.data), Transition) and t.payload]
    assert with_payload, "the demo's opening transitions carry payloads"
    plain = entries_bundle(ledger, [e.index for e in stored])
    assert plain.disclosures == ()
    disclosed = entries_bundle(ledger, [e.index for e in stored], disclose=True)
    assert [d.index for d in disclosed.disclosures] == with_payload
    detail = offline(disclosed, anchored).results["V11"].detail
    assert detail == f"{len(with_payload)} disclosure(s) match their commitments"
    for text in {str(v) for d in disclosed.disclosures for v in d.payload.values()}:
        assert text.encode() not in plain.encode()
    altered = Disclosure(with_payload[0], {**disclosed.disclosures[0].payload, "content": "改过的内容"}, b"\0" * 32)
    report = verify_bundle(
        dataclasses.replace(disclosed, disclosures=(altered,)).encode(), anchored.trust, chain=None, seen=None
    )
    assert report.first_failure is not None and report.first_failure.step == "V11"


def test_a_single_entry_has_a_tlog_proof_under_the_anchored_checkpoint(anchored: AnchoredLog) -> None:
    ledger = anchored.ledger
    entry = ledger.ticket_entries(anchored.tickets[1])[0]
    proof = entry_tlog_proof(ledger, entry.index)
    checkpoint = verify_tlog_proof(proof.text(), entry.data, anchored.trust.verifier_keys, origin=ledger.origin)
    anchor = ledger.latest_anchor()
    assert anchor is not None and checkpoint.tree_size == anchor.tree_size
    with pytest.raises(NotAnchoredYet):
        entry_tlog_proof(ledger, ledger.head().tree_size)
