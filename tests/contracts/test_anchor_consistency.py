"""CheckpointAnchor's RFC 9162 §2.1.4.2 check on chain agrees with ``verifier.merkle`` and the vectors.

Valid proofs come from the producer's own planning (``ledger.proofs.consistency_plan``, through
``tests.node_store`` and a real ``Ledger``); invalid ones from ../shared/vectors/rfc6962.json and from
mutations. Refusals are read from ``eth_call`` and decoded by selector.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.anchoring.contract import ContractError, log_id
from ledger.demo import demo_requests
from ledger.payloads import PayloadKey
from ledger.service import Ledger
from ledger.storage import LedgerStore
from tests.conftest import ORIGIN
from tests.contracts.chains import AnchorClient
from tests.contracts.trees import synthetic_tree
from tests.vectors import load_vector
from verifier.errors import VerificationError
from verifier.merkle import verify_consistency
from verifier.note import NoteSigner
from verifier.policy import Policy

MAX_PROOF_LENGTH = 65
MAX_UINT64 = 2**64 - 1
TREE = synthetic_tree(800)
_origins = itertools.count()


def fresh_log(client: AnchorClient) -> bytes:
    return client.register(f"test.example/log/{next(_origins)}")


def verifier_accepts(size1: int, size2: int, proof: list[bytes], root1: bytes, root2: bytes) -> bool:
    try:
        verify_consistency(size1, size2, proof, root1, root2)
    except VerificationError:
        return False
    return True


class AnchoredLogs:
    """Logs of one contract anchored once at a given size of ``TREE`` (reused: the tests only ``eth_call``)."""

    def __init__(self, client: AnchorClient) -> None:
        self.client = client
        self.by_size: dict[int, bytes] = {}

    def at(self, size: int) -> bytes:
        if size not in self.by_size:
            lid = fresh_log(self.client)
            self.client.anchor(lid, size, TREE.root(size), [])
            self.by_size[size] = lid
        return self.by_size[size]

    def outcome(self, size1: int, size2: int, root2: bytes, proof: list[bytes]) -> ContractError | None:
        """The anchor's custom error from (size1, TREE.root(size1)) to (size2, root2), or None if accepted."""
        lid = self.at(size1)
        try:
            return self.client.anchor_error(lid, size2, root2, proof)
        except AssertionError as exc:
            if "did not revert" in str(exc):
                return None
            raise


@pytest.fixture(scope="module")
def anchored(shared_client: AnchorClient) -> AnchoredLogs:
    return AnchoredLogs(shared_client)


# -- valid proofs are accepted ----------------------------------------------------------------------


@settings(max_examples=12, deadline=None)
@given(steps=st.lists(st.integers(1, 130), min_size=1, max_size=6))
def test_a_randomly_growing_log_is_anchored_step_by_step(shared_client: AnchorClient, steps: list[int]) -> None:
    client = shared_client
    lid = fresh_log(client)
    sizes = list(itertools.accumulate(steps))
    previous = 0
    anchored: dict[int, tuple[bytes, int, int]] = {}
    for size in sizes:
        root = TREE.root(size)
        proof = TREE.consistency_proof(previous, size) if previous else []
        if previous:
            verify_consistency(previous, size, proof, TREE.root(previous), root)
        receipt = client.anchor(lid, size, root, proof)
        (event,) = client.contract.events.Anchored().process_receipt(receipt)
        assert dict(event["args"]) == {"logId": lid, "size": size, "root": root, "previousSize": previous}
        block = client.w3.eth.get_block(receipt["blockNumber"])
        anchored[size] = (root, receipt["blockNumber"], block["timestamp"])
        assert client.latest(lid) == (size, *anchored[size])
        previous = size
    # Every anchor stays readable at its size; the sizes next to them were never anchored.
    for size, expected in anchored.items():
        assert client.anchored_at(lid, size) == expected
    for size in {s + d for s in anchored for d in (-1, 1)} - anchored.keys():
        assert client.anchored_at(lid, size) == (bytes(32), 0, 0)


def test_every_proof_between_small_trees_is_accepted(anchored: AnchoredLogs) -> None:
    # Exhaustive over sizes 1 ≤ size1 < size2 ≤ 34: every tree shape of the first levels.
    for size1, size2 in itertools.combinations(range(1, 35), 2):
        proof = TREE.consistency_proof(size1, size2)
        assert anchored.outcome(size1, size2, TREE.root(size2), proof) is None, (size1, size2)


def test_a_real_ledger_is_anchored_as_it_grows(
    shared_client: AnchorClient, tmp_path: Path, operator_signer: NoteSigner, baseline_policy: Policy
) -> None:
    client = shared_client
    store = LedgerStore.open(f"sqlite:///{tmp_path / 'ledger.db'}")
    try:
        ledger = Ledger.open(
            store, origin=ORIGIN, signer=operator_signer, payload_key=PayloadKey.generate(), policies=[baseline_policy]
        )
        lid = client.register(ORIGIN)
        assert lid == log_id(ORIGIN)
        requests = demo_requests(100, seed=9162)
        rng = random.Random(9162)
        previous = 0
        for _ in range(6):
            ledger.append(list(itertools.islice(requests, rng.randint(1, 60))))
            checkpoint = ledger.publish_checkpoint()
            size, root = checkpoint.tree_size, checkpoint.root
            assert root == ledger.root_at(size)
            proof = ledger.consistency_proof(previous, size) if previous else []
            client.anchor(lid, size, root, proof)
            assert client.latest(lid)[:2] == (size, root)
            previous = size
    finally:
        store.close()


# -- the RFC 6962 / 9162 consistency vectors --------------------------------------------------------

_VECTORS = load_vector("rfc6962")


def _expressible(case: dict[str, Any]) -> bool:
    """32-byte roots and proof hashes, sizes within uint64; the anchored size1 must be above 0."""
    hashes = [case["root2"], *case["proof"]] + ([case["root1"]] if case["size1"] > 0 else [])
    return all(len(h) == 64 for h in hashes) and 0 <= case["size1"] <= MAX_UINT64 and 0 <= case["size2"] <= MAX_UINT64


def _case_id(case: dict[str, Any]) -> str:
    return f"{case['size1']}-{case['size2']}-{case['desc']}".replace(" ", "_")


_MAIN = [c for c in _VECTORS["consistency"] if _expressible(c)]
_POLICY_DEPENDENT = [c for c in _VECTORS["consistency_policy_dependent"] if _expressible(c)]


def test_the_vectors_left_out_cannot_be_expressed_on_chain() -> None:
    left_out = [c for c in _VECTORS["consistency"] if not _expressible(c)]
    # Only cases with a non-32-byte root or proof hash (bytes32 cannot carry them) are left out.
    assert all(any(len(h) != 64 for h in [c["root1"], c["root2"], *c["proof"]]) for c in left_out), left_out
    assert len(_MAIN) + len(left_out) == len(_VECTORS["consistency"])
    assert sum(not c["valid"] for c in _MAIN) >= 80


def _anchor_case(client: AnchorClient, case: dict[str, Any]) -> tuple[bytes, ContractError | None]:
    """Anchor the case's (size1, root1) in a fresh log, then try (size2, root2, proof)."""
    lid = fresh_log(client)
    size1, size2 = case["size1"], case["size2"]
    if size1 > 0:
        client.anchor(lid, size1, bytes.fromhex(case["root1"]), [])
    proof = [bytes.fromhex(h) for h in case["proof"]]
    try:
        return lid, client.anchor_error(lid, size2, bytes.fromhex(case["root2"]), proof)
    except AssertionError as exc:
        if "did not revert" in str(exc):
            return lid, None
        raise


def _expected_error(lid: bytes, case: dict[str, Any], accepts: Callable[[], bool]) -> ContractError | None:
    size1, size2, proof = case["size1"], case["size2"], case["proof"]
    if size2 <= size1:
        return ContractError("SizeNotIncreasing", (lid, size1, size2))
    if len(proof) > MAX_PROOF_LENGTH:
        return ContractError("ProofTooLong", (len(proof), MAX_PROOF_LENGTH))
    if size1 == 0:
        # The first anchor of a log: the empty tree is consistent with any tree, with an empty proof only.
        return None if not proof else ContractError("InconsistentCheckpoint", (lid, 0, size2))
    return None if accepts() else ContractError("InconsistentCheckpoint", (lid, size1, size2))


@pytest.mark.parametrize("case", _MAIN, ids=_case_id)
def test_consistency_vector(shared_client: AnchorClient, case: dict[str, Any]) -> None:
    size1, size2 = case["size1"], case["size2"]
    proof = [bytes.fromhex(h) for h in case["proof"]]
    root1, root2 = bytes.fromhex(case["root1"]), bytes.fromhex(case["root2"])
    lid, error = _anchor_case(shared_client, case)

    def off_chain() -> bool:
        return verifier_accepts(size1, size2, proof, root1, root2)

    assert error == _expected_error(lid, case, off_chain)
    if 0 < size1 < size2:
        # On chain and off chain agree, and both agree with the vector.
        assert (error is None) == off_chain() == case["valid"]
    elif not case["valid"]:
        assert error is not None


@pytest.mark.parametrize("case", _POLICY_DEPENDENT, ids=_case_id)
def test_policy_dependent_vector(shared_client: AnchorClient, case: dict[str, Any]) -> None:
    # These are (size1 == 0) cases: on chain that is a log's first anchor, whose old root is the empty tree
    # by construction, so the case's root1 plays no part; size2 == size1 is refused as not increasing.
    lid, error = _anchor_case(shared_client, case)
    assert error == _expected_error(lid, case, lambda: False)


# -- mutations ----------------------------------------------------------------------------------------


@st.composite
def size_pairs(draw: st.DrawFn) -> tuple[int, int]:
    size2 = draw(st.integers(2, 600))
    size1 = draw(st.integers(1, size2 - 1))
    return size1, size2


@settings(max_examples=150, deadline=None)
@given(sizes=size_pairs(), data=st.data())
def test_every_single_bit_flip_of_a_valid_proof_is_refused(
    anchored: AnchoredLogs, sizes: tuple[int, int], data: st.DataObject
) -> None:
    size1, size2 = sizes
    proof = TREE.consistency_proof(size1, size2)
    element = data.draw(st.integers(0, len(proof) - 1), label="element")
    bit = data.draw(st.integers(0, 255), label="bit")
    mutated = list(proof)
    flipped = bytearray(mutated[element])
    flipped[bit // 8] ^= 0x80 >> (bit % 8)
    mutated[element] = bytes(flipped)
    root1, root2 = TREE.root(size1), TREE.root(size2)
    assert not verifier_accepts(size1, size2, mutated, root1, root2)
    lid = anchored.at(size1)
    assert anchored.outcome(size1, size2, root2, mutated) == ContractError(
        "InconsistentCheckpoint", (lid, size1, size2)
    )


@settings(max_examples=60, deadline=None)
@given(sizes=size_pairs(), bit=st.integers(0, 255))
def test_a_wrong_new_root_is_refused(anchored: AnchoredLogs, sizes: tuple[int, int], bit: int) -> None:
    size1, size2 = sizes
    root2 = bytearray(TREE.root(size2))
    root2[bit // 8] ^= 0x80 >> (bit % 8)
    lid = anchored.at(size1)
    assert anchored.outcome(size1, size2, bytes(root2), TREE.consistency_proof(size1, size2)) == ContractError(
        "InconsistentCheckpoint", (lid, size1, size2)
    )


@pytest.mark.parametrize(("size1", "size2"), [(1, 2), (1, 8), (3, 7), (4, 5), (6, 8), (7, 600), (256, 600), (599, 600)])
def test_structurally_wrong_proofs_are_refused(anchored: AnchoredLogs, size1: int, size2: int) -> None:
    proof = TREE.consistency_proof(size1, size2)
    root1, root2 = TREE.root(size1), TREE.root(size2)
    other = TREE.consistency_proof(size1, size2 - 1) if size2 - 1 > size1 else [root1]
    candidates = {
        "empty": [],
        "truncated": proof[:-1],
        "first dropped": proof[1:],
        "extra hash": [*proof, root2],
        "extra zero": [*proof, bytes(32)],
        "preceding root1": [root1, *proof],
        "reversed": proof[::-1],
        "proof for another size": other,
    }
    lid = anchored.at(size1)
    refused = ContractError("InconsistentCheckpoint", (lid, size1, size2))
    for name, candidate in candidates.items():
        if candidate == proof:
            continue
        assert not verifier_accepts(size1, size2, candidate, root1, root2), name
        assert anchored.outcome(size1, size2, root2, candidate) == refused, name
    # The right proof with the old root, or another size's root, as the new root.
    for wrong_root in (root1, TREE.root(size2 - 1), TREE.root(min(size2 + 1, 600))):
        if wrong_root != root2:
            assert anchored.outcome(size1, size2, wrong_root, proof) == refused
    # And the valid proof is accepted.
    assert anchored.outcome(size1, size2, root2, proof) is None
