"""CheckpointAnchor: registration, roles and every refusal by its named error, on eth-tester and anvil."""

from __future__ import annotations

import hashlib

from ledger.anchoring.contract import ContractError, anchorer_role, log_id
from tests.contracts.chains import AnchorClient
from tests.contracts.trees import synthetic_tree

ORIGIN = "12345.hangzhou.gov.cn/ledger/v1"
ZERO32 = bytes(32)
ADMIN_ROLE = ZERO32
MAX_PROOF_LENGTH = 65
TREE = synthetic_tree(64)
_root = TREE.root


# -- registration -----------------------------------------------------------------------------------


def test_register_log_returns_the_sha256_of_the_origin(client: AnchorClient) -> None:
    expected = hashlib.sha256(ORIGIN.encode()).digest()
    assert log_id(ORIGIN) == expected
    assert client.functions.registerLog(ORIGIN).call({"from": client.admin}) == expected
    receipt = client.send(client.functions.registerLog(ORIGIN), client.admin)
    (event,) = client.contract.events.LogRegistered().process_receipt(receipt)
    assert event["args"]["logId"] == expected
    assert event["args"]["origin"] == ORIGIN
    assert client.latest(expected) == (0, ZERO32, 0, 0)
    assert client.anchored_at(expected, 1) == (ZERO32, 0, 0)


def test_registering_a_log_twice_reverts(client: AnchorClient) -> None:
    lid = client.register(ORIGIN)
    assert client.revert(client.functions.registerLog(ORIGIN), client.admin) == ContractError(
        "LogAlreadyRegistered", (lid,)
    )


def test_an_empty_origin_is_refused(client: AnchorClient) -> None:
    assert client.revert(client.functions.registerLog(""), client.admin) == ContractError("EmptyOrigin", ())


def test_only_the_admin_registers_logs_and_manages_anchorers(client: AnchorClient) -> None:
    lid = client.register(ORIGIN)
    for sender in (client.outsider, client.anchorer):
        refused = ContractError("AccessControlUnauthorizedAccount", (sender, ADMIN_ROLE))
        for call in (
            client.functions.registerLog("other.example/log"),
            client.functions.addAnchorer(lid, client.outsider),
            client.functions.removeAnchorer(lid, client.anchorer),
        ):
            assert client.revert(call, sender) == refused


def test_the_constructor_refuses_the_zero_address(client: AnchorClient) -> None:
    factory = client.w3.eth.contract(abi=list(client.artifact.abi), bytecode=client.artifact.bytecode)
    zero = "0x" + "00" * 20
    assert client.revert(factory.constructor(zero), client.admin) == ContractError("ZeroAddress", ())


def test_the_zero_address_cannot_become_an_anchorer(client: AnchorClient) -> None:
    lid = client.register(ORIGIN)
    zero = "0x" + "00" * 20
    assert client.revert(client.functions.addAnchorer(lid, zero), client.admin) == ContractError("ZeroAddress", ())


def test_anchorers_of_an_unknown_log_are_refused(client: AnchorClient) -> None:
    lid = log_id("nowhere.example/log")
    for call in (
        client.functions.addAnchorer(lid, client.anchorer),
        client.functions.removeAnchorer(lid, client.anchorer),
    ):
        assert client.revert(call, client.admin) == ContractError("UnknownLog", (lid,))


def test_the_anchorer_role_is_documented_and_per_log(client: AnchorClient) -> None:
    lid = client.register(ORIGIN)
    other = client.register("other.example/log", anchorer=client.outsider)
    role = anchorer_role(lid)
    assert client.functions.anchorerRole(lid).call() == role
    assert client.functions.hasRole(role, client.anchorer).call()
    assert not client.functions.hasRole(role, client.outsider).call()
    assert client.functions.hasRole(anchorer_role(other), client.outsider).call()
    assert not client.functions.hasRole(role, client.admin).call()
    assert client.functions.getRoleAdmin(role).call() == ADMIN_ROLE


# -- who may anchor ---------------------------------------------------------------------------------


def test_only_an_anchorer_of_the_log_anchors(client: AnchorClient) -> None:
    lid = client.register(ORIGIN)
    other = client.register("other.example/log", anchorer=client.outsider)
    # The admin is not an anchorer, and an anchorer of another log is not one of this log.
    for sender in (client.admin, client.outsider):
        assert client.anchor_error(lid, 1, _root(1), [], sender=sender) == ContractError("NotAnchorer", (lid, sender))
    assert client.anchor_error(other, 1, _root(1), [], sender=client.anchorer) == ContractError(
        "NotAnchorer", (other, client.anchorer)
    )


def test_a_removed_anchorer_can_no_longer_anchor_and_its_anchors_stay(client: AnchorClient) -> None:
    lid = client.register(ORIGIN)
    receipt = client.anchor(lid, 3, _root(3), [])
    client.send(client.functions.removeAnchorer(lid, client.anchorer), client.admin)
    assert not client.functions.hasRole(anchorer_role(lid), client.anchorer).call()
    assert client.anchor_error(lid, 5, _root(5), TREE.consistency_proof(3, 5)) == ContractError(
        "NotAnchorer", (lid, client.anchorer)
    )
    size, anchored_root, block_number, _ = client.latest(lid)
    assert (size, anchored_root, block_number) == (3, _root(3), receipt["blockNumber"])
    # Added back, it continues from the anchored size.
    client.send(client.functions.addAnchorer(lid, client.anchorer), client.admin)
    client.anchor(lid, 5, _root(5), TREE.consistency_proof(3, 5))
    assert client.latest(lid)[:2] == (5, _root(5))


def test_an_unknown_log_is_refused_everywhere(client: AnchorClient) -> None:
    lid = log_id("nowhere.example/log")
    assert client.anchor_error(lid, 1, _root(1), []) == ContractError("UnknownLog", (lid,))
    for call in (client.functions.latest(lid), client.functions.anchoredAt(lid, 1)):
        assert client.revert(call, client.outsider) == ContractError("UnknownLog", (lid,))
    assert client.verify_inclusion(lid, 1, TREE.nodes[(0, 0)], 0, []) is False


# -- sizes and proofs -------------------------------------------------------------------------------


def test_sizes_must_increase_and_zero_is_refused(client: AnchorClient) -> None:
    lid = client.register(ORIGIN)
    assert client.anchor_error(lid, 0, _root(1), []) == ContractError("SizeNotIncreasing", (lid, 0, 0))
    client.anchor(lid, 5, _root(5), [])
    for size in (5, 4, 1, 0):
        assert client.anchor_error(lid, size, _root(max(size, 1)), []) == ContractError(
            "SizeNotIncreasing", (lid, 5, size)
        )
    # An anchored root is never overwritten, not even with the same size and a valid-looking proof.
    assert client.anchor_error(lid, 5, b"\x55" * 32, TREE.consistency_proof(4, 5)) == ContractError(
        "SizeNotIncreasing", (lid, 5, 5)
    )
    assert client.anchored_at(lid, 5)[0] == _root(5)


def test_the_first_anchor_must_come_without_a_proof(client: AnchorClient) -> None:
    lid = client.register(ORIGIN)
    assert client.anchor_error(lid, 8, _root(8), TREE.consistency_proof(4, 8)) == ContractError(
        "InconsistentCheckpoint", (lid, 0, 8)
    )
    client.anchor(lid, 8, _root(8), [])
    assert client.latest(lid)[:2] == (8, _root(8))


def test_proofs_longer_than_any_valid_proof_are_refused(client: AnchorClient) -> None:
    lid = client.register(ORIGIN)
    too_long = [b"\x01" * 32] * (MAX_PROOF_LENGTH + 1)
    assert client.functions.MAX_PROOF_LENGTH().call() == MAX_PROOF_LENGTH
    assert client.anchor_error(lid, 2, _root(2), too_long) == ContractError(
        "ProofTooLong", (MAX_PROOF_LENGTH + 1, MAX_PROOF_LENGTH)
    )
    client.anchor(lid, 1, _root(1), [])
    assert client.anchor_error(lid, 2, _root(2), too_long) == ContractError(
        "ProofTooLong", (MAX_PROOF_LENGTH + 1, MAX_PROOF_LENGTH)
    )
    # A proof of exactly the maximum length gets as far as the consistency check.
    assert client.anchor_error(lid, 2, _root(2), too_long[:-1]) == ContractError("InconsistentCheckpoint", (lid, 1, 2))


def test_a_reverted_anchor_is_mined_with_status_0_and_changes_nothing(client: AnchorClient) -> None:
    lid = client.register(ORIGIN)
    client.anchor(lid, 4, _root(4), [])
    before = client.latest(lid)
    bad_proof = [bytes(32)] * len(TREE.consistency_proof(4, 6))
    for call, sender in (
        (client.functions.anchor(lid, 6, _root(6), bad_proof), client.anchorer),
        (client.functions.anchor(lid, 6, _root(6), TREE.consistency_proof(4, 6)), client.outsider),
        (client.functions.anchor(lid, 3, _root(3), []), client.anchorer),
    ):
        receipt = client.submit(call, sender)
        assert receipt["status"] == 0
        assert receipt["logs"] == []
    assert client.latest(lid) == before
    assert client.anchored_at(lid, 6) == (ZERO32, 0, 0)
