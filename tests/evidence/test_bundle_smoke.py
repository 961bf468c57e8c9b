from __future__ import annotations

from ledger.bundles import ticket_bundle
from tests.evidence.conftest import AnchoredLog
from verifier.bundle_check import verify_bundle
from verifier.report import Outcome, Status


def test_a_ticket_bundle_verifies_offline_except_the_chain_steps(anchored: AnchoredLog) -> None:
    result = ticket_bundle(anchored.ledger, anchored.tickets[0])
    report = verify_bundle(result.bundle.encode(), anchored.trust, chain=None, seen=None)
    print("\n".join(report.lines()))
    assert report.outcome is Outcome.INCOMPLETE
    assert {r.step for r in report.ordered if r.status is Status.NOT_RUN} == {"V5", "V6", "V10", "V12"}
