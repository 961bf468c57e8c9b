"""The tamper suite through ``verify_bundle``: every attack refused at its step, with evidence naming it."""

from __future__ import annotations

import pytest

from tests.evidence.attacks import ATTACKS
from tests.evidence.scene import Scene, assert_refused, assert_verified
from verifier.bundle_check import verify_bundle
from verifier.report import Outcome, Status


def test_an_untampered_bundle_verifies(scene: Scene) -> None:
    scene.seal()
    scene.api.disclose = True
    for ticket in ("T-1001", "T-1002", "T-1003"):
        data = scene.api.ticket_bundle(ticket)
        assert_verified(verify_bundle(data, scene.trust, chain=scene.chain, seen=scene.seen))


def test_an_untampered_bundle_is_incomplete_offline_and_only_for_the_chain_steps(scene: Scene) -> None:
    scene.seal()
    report = verify_bundle(scene.api.ticket_bundle("T-1001"), scene.trust, chain=None, seen=scene.seen)
    assert report.outcome is Outcome.INCOMPLETE
    assert {r.step for r in report.ordered if r.status is Status.NOT_RUN} == {"V5", "V6", "V10"}


@pytest.mark.parametrize("name", [name for name in ATTACKS])
def test_a_tampered_bundle_is_refused_at_its_step(scene: Scene, name: str) -> None:
    expected = ATTACKS[name](scene)
    if not expected.bundle:
        pytest.skip("only a server can make this attack (it is in the ticket and log suites)")
    data = scene.api.ticket_bundle(expected.ticket)
    report = verify_bundle(data, scene.trust, chain=scene.chain, seen=scene.seen)
    assert_refused(report, expected.step, expected.evidence)
