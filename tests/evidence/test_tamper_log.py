"""The tamper suite through ``audit_log``: a full audit refuses a tampered log at its step, with evidence."""

from __future__ import annotations

import pytest

from tests.evidence.attacks import ATTACKS, IN_LOGS
from tests.evidence.scene import Scene, assert_refused, assert_verified
from verifier.log_audit import audit_log


def test_an_untampered_log_passes_a_full_audit(scene: Scene) -> None:
    scene.seal()
    scene.sim.transition("T-1003", "submit_for_dispatch", "pending_dispatch")
    scene.sim.publish()
    report = audit_log(scene.api, scene.trust, scene.chain, scene.seen)
    assert_verified(report)
    assert report.facts["entries"] == scene.sim.size and report.facts["anchors"] == 2


@pytest.mark.parametrize("name", IN_LOGS)
def test_a_tampered_log_is_refused_at_its_step(scene: Scene, name: str) -> None:
    expected = ATTACKS[name](scene)
    assert expected.log_step is not None and scene.chain is not None
    report = audit_log(scene.api, scene.trust, scene.chain, scene.seen)
    assert_refused(report, expected.log_step, expected.log_evidence)
