"""The tamper suite through ``verify_bundle``: every attack refused at its step, with evidence naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.evidence.attacks import ATTACKS, IN_BUNDLES, NOT_IN_A_LOG, SERVER_ONLY
from tests.evidence.scene import Scene, assert_refused, assert_verified
from verifier.bundle_check import verify_bundle
from verifier.cli import main
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


@pytest.mark.parametrize("name", list(ATTACKS))
def test_each_attack_says_where_it_applies(scene: Scene, name: str) -> None:
    """The lists the suites are parametrized from agree with what each attack declares."""
    expected = ATTACKS[name](scene)
    assert expected.bundle == (name not in SERVER_ONLY)
    assert (expected.log_step is None) == (name in NOT_IN_A_LOG)


@pytest.mark.parametrize("name", IN_BUNDLES)
def test_a_tampered_bundle_is_refused_at_its_step(scene: Scene, name: str) -> None:
    expected = ATTACKS[name](scene)
    data = scene.api.ticket_bundle(expected.ticket)
    report = verify_bundle(data, scene.trust, chain=scene.chain, seen=scene.seen)
    assert_refused(report, expected.step, expected.evidence)


#: Attacks only the chain can reveal: offline, their bundles are unproved, not refused.
ONLY_ON_CHAIN = {
    "forked_checkpoint",
    "rpc_on_another_chain",
    "claimed_on_the_trusted_contract",
    "reorged_anchor",
    "claimed_after_anchoring",
    "anchored_too_late",
}


@pytest.mark.parametrize("name", IN_BUNDLES)
def test_hotline_verify_bundle_offline_refuses_or_leaves_incomplete(
    scene: Scene, name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``hotline-verify bundle --offline``: exit 1 with the step for what the bundle itself betrays, exit 3
    (never 0) for what only the chain can show."""
    expected = ATTACKS[name](scene)
    bundle, trust = tmp_path / "bundle.json", tmp_path / "trust.json"
    bundle.write_bytes(scene.api.ticket_bundle(expected.ticket))
    trust.write_bytes(scene.trust.encode())
    scene.seen.save()
    argv = ["bundle", str(bundle), "--trust", str(trust), "--offline", "--state-dir", str(scene.seen.path.parent)]
    code = main(argv)
    first = capsys.readouterr().out.splitlines()[0]
    if name in ONLY_ON_CHAIN:
        assert (code, first.split(":")[0]) == (3, "INCOMPLETE"), first
    else:
        assert code == 1 and first.startswith(f"FAIL: {expected.step} "), first
