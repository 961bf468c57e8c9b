"""The chain-side attacks on a real chain: a ledger anchored on anvil by the real worker, read by the real
``ChainReader``. A fork re-signed with the operator's key, an anchor claimed on another deployment of the
contract, and a real reorg (``anvil_reorg``) that removes the anchor's block."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.anchoring.deployment import Deployment, deploy
from ledger.anchoring.development import development_accounts
from ledger.bundles import entries_bundle, ticket_bundle
from tests.anchoring.conftest import DevChain
from tests.conftest import ORIGIN
from tests.evidence.conftest import AnchoredLog
from tests.evidence.forge import forked_bundle
from tests.evidence.scene import assert_refused, assert_verified
from verifier.bundle_check import verify_bundle
from verifier.canonical import canonical_bytes
from verifier.report import Report
from verifier.seen import SeenCheckpoints
from verifier.sources.chain import ChainReader
from verifier.trust import Trust

pytestmark = pytest.mark.parametrize("dev_chain", ["anvil"], indirect=True)


@pytest.fixture
def reader(dev_chain: DevChain) -> Iterator[ChainReader]:
    assert dev_chain.node is not None
    with ChainReader([dev_chain.node.url], timeout=10) as chain:
        yield chain


def _verify(document: dict[str, Any], trust: Trust, chain: ChainReader, tmp_path: Path) -> Report:
    seen = SeenCheckpoints.load(tmp_path / f"state-{len(list(tmp_path.iterdir()))}", ORIGIN)
    return verify_bundle(canonical_bytes(document), trust, chain=chain, seen=seen)


def _bundle(anchored: AnchoredLog) -> dict[str, Any]:
    bundles = (ticket_bundle(anchored.ledger, t).bundle for t in anchored.tickets)
    return next(b for b in bundles if len(b.entries) >= 2).document()


def test_forks_and_foreign_anchors_are_refused_by_the_real_chain(
    anchored: AnchoredLog, dev_chain: DevChain, deployment: Deployment, reader: ChainReader, tmp_path: Path
) -> None:
    document = _bundle(anchored)
    assert_verified(_verify(document, anchored.trust, reader, tmp_path))

    size = document["anchor"]["size"]
    entries = [e.data for e in anchored.ledger.entries(0, size)]
    forked = forked_bundle(document, entries, anchored.ledger.signer)
    report = _verify(forked, anchored.trust, reader, tmp_path)
    assert_refused(report, "V5", {"size": size, "anchored_root": document["anchor"]["root"]})

    # A second deployment of the contract, with this log registered but never anchored there: a bundle (and a
    # trust file) naming it are refused by what that contract holds.
    admin, anchorer = development_accounts()[:2]
    other = deploy(dev_chain.w3, admin, origin=ORIGIN, anchorer=anchorer.address, chain_id=deployment.chain_id)
    elsewhere = json.loads(json.dumps(document))
    elsewhere["chain"]["contract"] = other.contract.lower()
    place = dataclasses.replace(anchored.trust.chain, contract=other.contract.lower())
    report = _verify(elsewhere, dataclasses.replace(anchored.trust, chain=place), reader, tmp_path)
    assert_refused(report, "V5", {"size": size})


def test_an_anchor_removed_by_a_real_reorg_is_refused(
    anchored: AnchoredLog, dev_chain: DevChain, reader: ChainReader, tmp_path: Path
) -> None:
    document = _bundle(anchored)
    assert_verified(_verify(document, anchored.trust, reader, tmp_path))
    anchor_block = document["anchor"]["block_number"]
    depth = dev_chain.w3.eth.block_number - anchor_block + 1
    dev_chain.w3.provider.make_request("anvil_reorg", [depth, []])  # type: ignore[arg-type]
    report = _verify(document, anchored.trust, reader, tmp_path)
    assert_refused(
        report, "V6", {"block_number": anchor_block, "claimed_block_hash": document["anchor"]["block_hash"][2:]}
    )


def test_an_altered_disclosure_in_a_real_regulator_bundle_is_refused(
    anchored: AnchoredLog, reader: ChainReader, tmp_path: Path
) -> None:
    """A bundle with the payloads disclosed (as a regulator receives them): one payload edited after export."""
    size = anchored.ledger.latest_anchor().tree_size  # type: ignore[union-attr]
    ledger = anchored.ledger
    transitions = [e.index for t in anchored.tickets for e in ledger.ticket_entries(t) if e.index < size]
    document = entries_bundle(ledger, transitions, disclose=True).document()
    assert document["disclosures"], "the demo tickets carry payloads"
    assert_verified(_verify(document, anchored.trust, reader, tmp_path))
    disclosure = document["disclosures"][-1]
    disclosure["payload"] = {**disclosure["payload"], "content": "已按要求整改"}
    assert_refused(_verify(document, anchored.trust, reader, tmp_path), "V11", {"index": disclosure["index"]})
