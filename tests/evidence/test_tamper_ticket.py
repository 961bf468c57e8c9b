"""The tamper suite through ``verify_ticket``: a server that tampers, or serves a tampered log, is refused."""

from __future__ import annotations

import pytest

from tests.evidence.attacks import ATTACKS
from tests.evidence.scene import Scene, assert_refused, assert_verified
from verifier.ticket_check import verify_ticket


def test_an_untampered_ticket_verifies_and_is_remembered(scene: Scene) -> None:
    scene.seal()
    scene.sim.transition("T-1003", "submit_for_dispatch", "pending_dispatch")
    scene.sim.publish()  # the server's latest checkpoint is past the anchor: proved consistent (V12)
    assert_verified(verify_ticket(scene.api, "T-1001", scene.trust, chain=scene.chain, seen=scene.seen))
    assert max(scene.seen.roots) == scene.sim.size


@pytest.mark.parametrize("name", list(ATTACKS))
def test_a_tampered_ticket_is_refused_at_its_step(scene: Scene, name: str) -> None:
    expected = ATTACKS[name](scene)
    report = verify_ticket(scene.api, expected.ticket, scene.trust, chain=scene.chain, seen=scene.seen)
    assert_refused(report, expected.step, expected.evidence)
