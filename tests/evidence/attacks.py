"""The attacks of the tamper suite (issue 5), each a function of a ``Scene`` returning how it must be refused.

An attack tampers with the producer (the simulator appends what an honest ledger refuses, or the
operator re-signs with its own trusted key), with the server (hooks on what it serves), or with the
chain. The same attack is then run through ``verify_bundle``, ``verify_ticket`` and ``audit_log``.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.evidence.scene import FIRST_ANCHOR, Expected, Scene
from tests.evidence.sim_chain import CONTRACT, SimulatedChain
from tests.evidence.simulator import UNIT
from verifier.checkpoint import Checkpoint, sign_checkpoint
from verifier.entry import format_at
from verifier.merkle import leaf_hash
from verifier.note import NoteSigner
from verifier.policy import parse_policy

Attack = Callable[[Scene], Expected]


def _flip(data: bytes) -> bytes:
    """One byte changed where the entry stays well-formed: ``complaint`` becomes ``complbint``."""
    position = data.index(b"complaint") + 5
    return data[:position] + b"b" + data[position + 1 :]


def _position(document: dict[str, Any], index: int) -> int:
    return next(n for n, item in enumerate(document["entries"]) if item["index"] == index)


def _served_tree(scene: Scene) -> dict[str, Any]:
    """A full audit's evidence when the entries served do not build the latest checkpoint's tree."""
    return {"size": scene.sim.size, "expected_root": scene.sim.root()}


def flipped_byte(scene: Scene) -> Expected:
    """A byte of an entry changed in transit (its claimed leaf hash kept)."""
    scene.seal()

    def bundle(document: dict[str, Any]) -> None:
        item = document["entries"][_position(document, 2)]
        item["data"] = base64.b64encode(_flip(base64.b64decode(item["data"]))).decode()

    scene.api.on_bundle.append(bundle)
    scene.api.on_entries.append(lambda start, page: [_flip(d) if start + n == 2 else d for n, d in enumerate(page)])
    claimed = leaf_hash(scene.sim.entries[2])
    return Expected(
        "T-1001",
        "V2",
        {"index": 2, "claimed": claimed, "calculated": leaf_hash(_flip(scene.sim.entries[2]))},
        log_step="V3",
        log_evidence=_served_tree(scene),
    )


def dropped_entry(scene: Scene) -> Expected:
    """T-1001's seq 2 left out of what is served."""
    scene.seal()
    scene.api.on_bundle.append(lambda document: document["entries"].pop(_position(document, 3)))
    scene.api.on_entries.append(lambda start, page: [d for n, d in enumerate(page) if start + n != 3])
    return Expected(
        "T-1001",
        "V7",
        {"ticket": "T-1001", "seq": 3, "expected_seq": 2, "index": 4},
        log_step="V3",
        log_evidence=_served_tree(scene),
    )


def swapped_entries(scene: Scene) -> Expected:
    """T-1001's seq 2 and seq 3 swapped in what is served (each keeping its index and proof)."""
    scene.seal()

    def bundle(document: dict[str, Any]) -> None:
        first, second = document["entries"][_position(document, 3)], document["entries"][_position(document, 4)]
        for name in ("data", "hash"):
            first[name], second[name] = second[name], first[name]

    def page(start: int, entries: list[bytes]) -> list[bytes]:
        if start <= 3 and start + len(entries) > 4:
            entries[3 - start], entries[4 - start] = entries[4 - start], entries[3 - start]
        return entries

    scene.api.on_bundle.append(bundle)
    scene.api.on_entries.append(page)
    return Expected(
        "T-1001",
        "V3",
        {"index": 3},
        log_step="V3",
        log_evidence=_served_tree(scene),
    )


def inserted_entry(scene: Scene) -> Expected:
    """A made-up T-1001 transition inserted in the bundle, under an index of the log, with a proof."""
    scene.seal()
    forged = scene.sim.entries[6].replace(b'"accepted"', b'"replied"').replace(b'"accept"', b'"reply"')

    def bundle(document: dict[str, Any]) -> None:
        item = dict(document["entries"][_position(document, 6)])
        item.update(index=7, data=base64.b64encode(forged).decode(), hash=leaf_hash(forged).hex())
        document["entries"].append(item)

    scene.api.on_bundle.append(bundle)
    scene.api.on_entries.append(
        lambda start, page: [*page[: 7 - start], forged, *page[7 - start :]] if start <= 7 < start + len(page) else page
    )
    return Expected(
        "T-1001",
        "V3",
        {"index": 7},
        log_step="V3",
        log_evidence=_served_tree(scene),
    )


def forked_ticket(scene: Scene) -> Expected:
    """The operator logs a second seq 4 of T-1001 (a fork of the ticket's chain) and anchors it."""
    sim = scene.sim
    prev = leaf_hash(sim.entries[4]).hex()
    sim.transition(
        "T-1001", "request_return", "return_requested", role="unit", org=UNIT, seq=4, prev=prev, from_="dispatched"
    )
    scene.seal()
    evidence = {"ticket": "T-1001", "seq": 4, "expected_seq": 5, "index": 8, "previous_index": 6}
    return Expected("T-1001", "V7", evidence, log_step="V7", log_evidence=evidence)


def reordered_ticket(scene: Scene) -> Expected:
    """The operator logs T-1003's seq 3 before its seq 2 (each linking correctly) and anchors them."""
    sim = scene.sim
    second = sim.transition("T-1003", "submit_for_dispatch", "pending_dispatch")
    third = sim.transition("T-1003", "dispatch", "dispatched", role="dispatcher")
    sim.entries[second], sim.entries[third] = sim.entries[third], sim.entries[second]
    scene.seal()
    evidence = {"ticket": "T-1003", "seq": 3, "expected_seq": 2, "index": second}
    return Expected("T-1003", "V7", evidence, log_step="V7", log_evidence=evidence)


def _fork(scene: Scene) -> tuple[bytes, bytes]:
    """Anchor size 8, then rewrite entry 7 and sign the forked tree with the operator's trusted key."""
    sim = scene.sim
    scene.seal()
    anchored = sim.root()
    sim.entries[7] = sim.entries[7].replace(b'"complaint"', b'"consult"')
    forked = sim.root()
    sim.publish(8)
    sim.claims[8] = dataclasses.replace(sim.claims[8], root=forked)
    return anchored, forked


def forked_checkpoint(scene: Scene) -> Expected:
    """A checkpoint of a forked log, at a size the chain anchored: the chain holds the other root."""
    anchored, forked = _fork(scene)
    evidence = {"size": 8, "checkpoint_root": forked, "anchored_root": anchored}
    return Expected("T-1003", "V5", evidence, log_step="V5", log_evidence=evidence)


def forked_checkpoint_seen_offline(scene: Scene) -> Expected:
    """The same fork checked offline: the state file, which saw the anchored root at size 8, catches it."""
    anchored, forked = _fork(scene)
    scene.seen.remember(8, anchored)
    scene.chain = None
    return Expected("T-1003", "V12", {"size": 8, "seen_root": anchored, "root": forked})


def rolled_back_checkpoint(scene: Scene) -> Expected:
    """After this verifier saw size 8, the server serves the (genuine) checkpoint of size 6 as its latest."""
    scene.seal()
    scene.seen.remember(8, scene.sim.root())
    older = scene.sim.checkpoints[FIRST_ANCHOR]
    scene.api.on_checkpoint = lambda note: older
    evidence = {"size": FIRST_ANCHOR, "seen_size": 8}
    return Expected("T-1001", "V12", evidence, log_step="V12", log_evidence=evidence, bundle=False)


def untrusted_key(scene: Scene) -> Expected:
    """The checkpoint re-signed by a key of the same name that the trust file does not hold."""
    scene.seal()
    impostor = NoteSigner.generate(scene.sim.origin)
    note = sign_checkpoint(Checkpoint(scene.sim.origin, scene.sim.size, scene.sim.root()), impostor)
    scene.api.on_bundle.append(lambda document: document.update(checkpoint=note))
    scene.api.on_checkpoint = lambda original: note
    evidence = {"unverified_key_ids": [impostor.key_id.hex()]}
    return Expected("T-1001", "V4", evidence, log_step="V4", log_evidence=evidence)


def claimed_on_another_chain(scene: Scene) -> Expected:
    """The bundle names another chain for its anchor than the trusted one."""
    scene.seal()
    scene.api.on_bundle.append(lambda document: document["chain"].update(chain_id=1))
    return Expected("T-1001", "V5", {"bundle_chain": {**scene.trust.chain.document(), "chain_id": 1}})


def rpc_on_another_chain(scene: Scene) -> Expected:
    """The chain endpoint the verifier reads is on another chain (with the same contract)."""
    scene.seal()
    scene.chain = SimulatedChain(chain_id=1)
    evidence = {"chain_id": 1, "trusted_chain_id": scene.trust.chain.chain_id}
    return Expected("T-1001", "V5", evidence, log_step="V5", log_evidence=evidence)


OTHER_CONTRACT = "0x" + "b2" * 20


def anchored_on_another_contract(scene: Scene) -> Expected:
    """The operator anchors size 8 on a contract of its own, not the trusted one, and the bundle says so."""
    scene.sim.chain.contracts.add(OTHER_CONTRACT)
    scene.sim.contract = OTHER_CONTRACT
    scene.seal()
    return Expected("T-1003", "V5", {"bundle_chain": {**scene.trust.chain.document(), "contract": OTHER_CONTRACT}})


def claimed_on_the_trusted_contract(scene: Scene) -> Expected:
    """As above, but the bundle claims the trusted contract: the chain holds no anchor of size 8 there."""
    claim = anchored_on_another_contract(scene)
    scene.api.on_bundle.append(lambda document: document["chain"].update(contract=CONTRACT))
    return dataclasses.replace(claim, evidence={"size": 8})


def reorged_anchor(scene: Scene) -> Expected:
    """A reorg removes the block of the anchor of size 8; a lying node still reports its event."""
    scene.seal()
    claim = scene.sim.claims[8]
    scene.sim.chain.reorg(1, lying_node=True)
    evidence = {"block_number": claim.block_number, "claimed_block_hash": claim.block_hash}
    return Expected(
        "T-1001", "V6", evidence, log_step="V6", log_evidence={"size": 8, "block_number": claim.block_number}
    )


def illegal_transition(scene: Scene) -> Expected:
    """The operator logs T-1003 going from registered straight to closed by a visit."""
    index = scene.sim.transition("T-1003", "visit_ok", "closed", role="callback")
    scene.seal()
    evidence = {"index": index, "event": "visit_ok"}
    return Expected("T-1003", "V8", evidence, log_step="V8", log_evidence=evidence)


def policy_hash_mismatch(scene: Scene) -> Expected:
    """A policy letting agents close any ticket, published under an id that is not its hash, and used."""
    sim = scene.sim
    document = {**sim.policy.document, "version": "forged"}
    claimed = sim.policy.name + "@000000000000"
    index = sim.publish_policy(parse_policy(document), claimed_id=claimed)
    sim.transition("T-1003", "close", "closed", policy=claimed)
    scene.seal()
    evidence = {"index": index, "value": claimed}
    return Expected("T-1003", "V8", evidence, log_step="V8", log_evidence=evidence)


def forged_signature(scene: Scene) -> Expected:
    """A transition in agent-7's name signed with another key."""
    index = scene.sim.transition("T-1004", "register", "registered", key="agent-7", signer=Ed25519PrivateKey.generate())
    scene.seal()
    evidence = {"index": index, "key": "agent-7", "ticket": "T-1004"}
    return Expected("T-1004", "V9", evidence, log_step="V9", log_evidence=evidence)


def revoked_key(scene: Scene) -> Expected:
    """A transition signed by agent-7's key after the log revoked it."""
    revoked = scene.sim.revoke_key("agent-7")
    index = scene.sim.transition("T-1004", "register", "registered", key="agent-7")
    scene.seal()
    evidence = {"index": index, "key": "agent-7", "revoked_index": revoked}
    return Expected("T-1004", "V9", evidence, log_step="V9", log_evidence=evidence)


def claimed_after_anchoring(scene: Scene) -> Expected:
    """T-1003's seq 2 claims a time an hour after the block that anchored it."""
    sim = scene.sim
    at = format_at(sim.now + timedelta(hours=1))
    index = sim.transition("T-1003", "submit_for_dispatch", "pending_dispatch", at=at)
    scene.seal()
    evidence = {"index": index, "at": at, "anchor_block": sim.claims[sim.size].block_number}
    return Expected("T-1003", "V10", evidence, log_step="V10", log_evidence=evidence)


def anchored_too_late(scene: Scene) -> Expected:
    """The operator holds entries 6 and 7 back for ten minutes before anchoring (the policy allows 5)."""
    scene.sim.anchor(delay=600)
    evidence = {"index": 6, "bound_seconds": 300}
    return Expected("T-1001", "V10", evidence, log_step="V10", log_evidence=evidence)


def altered_disclosure(scene: Scene) -> Expected:
    """A regulator's export whose disclosed payload was edited after export."""
    scene.seal()
    scene.api.disclose = True
    scene.api.on_bundle.append(lambda document: document["disclosures"][0]["payload"].update(content="已解决"))
    return Expected("T-1001", "V11", {"index": 2})


ATTACKS: dict[str, Attack] = {
    attack.__name__: attack
    for attack in (
        flipped_byte,
        dropped_entry,
        swapped_entries,
        inserted_entry,
        forked_ticket,
        reordered_ticket,
        forked_checkpoint,
        forked_checkpoint_seen_offline,
        rolled_back_checkpoint,
        untrusted_key,
        claimed_on_another_chain,
        rpc_on_another_chain,
        anchored_on_another_contract,
        claimed_on_the_trusted_contract,
        reorged_anchor,
        illegal_transition,
        policy_hash_mismatch,
        forged_signature,
        revoked_key,
        claimed_after_anchoring,
        anchored_too_late,
        altered_disclosure,
    )
}

#: Attacks only a server can make (serving an old checkpoint): no bundle carries them.
SERVER_ONLY = frozenset({"rolled_back_checkpoint"})
#: Attacks on a bundle's own claims, or checked offline: a full audit never meets them.
NOT_IN_A_LOG = frozenset(
    {
        "forked_checkpoint_seen_offline",
        "claimed_on_another_chain",
        "anchored_on_another_contract",
        "claimed_on_the_trusted_contract",
        "altered_disclosure",
    }
)
IN_BUNDLES = [name for name in ATTACKS if name not in SERVER_ONLY]
IN_LOGS = [name for name in ATTACKS if name not in NOT_IN_A_LOG]
