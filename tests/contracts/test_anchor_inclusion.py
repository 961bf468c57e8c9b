"""``verifyInclusion`` on chain agrees with ``verifier.merkle.verify_inclusion`` (RFC 9162 §2.1.3.2)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.anchoring.contract import log_id
from tests.contracts.chains import AnchorClient
from tests.contracts.trees import synthetic_tree
from tests.vectors import load_vector
from verifier.errors import VerificationError
from verifier.merkle import leaf_hash, verify_inclusion

MAX_UINT64 = 2**64 - 1
TREE = synthetic_tree(600)
#: The sizes one log of ``TREE`` is anchored at, in order (each with its consistency proof).
ANCHORED_SIZES = (1, 2, 3, 5, 8, 13, 64, 100, 257, 511, 600)
_origins = itertools.count()


def verifier_accepts(leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> bool:
    try:
        verify_inclusion(leaf, index, size, proof, root)
    except VerificationError:
        return False
    return True


@pytest.fixture(scope="module")
def tree_log(shared_client: AnchorClient) -> bytes:
    """A log of ``TREE`` anchored at every size in ``ANCHORED_SIZES``."""
    lid = shared_client.register("inclusion.example/log")
    previous = 0
    for size in ANCHORED_SIZES:
        proof = TREE.consistency_proof(previous, size) if previous else []
        shared_client.anchor(lid, size, TREE.root(size), proof)
        previous = size
    return lid


def test_every_leaf_of_small_anchored_trees_verifies(shared_client: AnchorClient, tree_log: bytes) -> None:
    for size in ANCHORED_SIZES[:6]:
        for index in range(size):
            proof = TREE.inclusion_proof(index, size)
            assert shared_client.verify_inclusion(tree_log, size, TREE.nodes[(0, index)], index, proof)


@st.composite
def inclusion_cases(draw: st.DrawFn) -> tuple[int, int, bytes, list[bytes]]:
    """(size, index, leaf, proof): valid, or with one mutation, of a tree anchored in ``tree_log``."""
    size = draw(st.sampled_from(ANCHORED_SIZES))
    index = draw(st.integers(0, size - 1))
    leaf, proof = TREE.nodes[(0, index)], TREE.inclusion_proof(index, size)
    mutation = draw(st.sampled_from(["none", "proof bit", "leaf bit", "index", "truncate", "extend", "size"]))
    if mutation == "proof bit" and proof:
        element, bit = draw(st.integers(0, len(proof) - 1)), draw(st.integers(0, 255))
        flipped = bytearray(proof[element])
        flipped[bit // 8] ^= 0x80 >> (bit % 8)
        proof = [*proof[:element], bytes(flipped), *proof[element + 1 :]]
    elif mutation == "leaf bit":
        bit = draw(st.integers(0, 255))
        flipped = bytearray(leaf)
        flipped[bit // 8] ^= 0x80 >> (bit % 8)
        leaf = bytes(flipped)
    elif mutation == "index":
        index = draw(st.integers(0, MAX_UINT64).filter(lambda i: i != index))
    elif mutation == "truncate" and proof:
        proof = proof[:-1]
    elif mutation == "extend":
        proof = [*proof, draw(st.binary(min_size=32, max_size=32))]
    elif mutation == "size":
        size = draw(st.sampled_from([s for s in ANCHORED_SIZES if s != size]))
    return size, index, leaf, proof


@settings(max_examples=200, deadline=None)
@given(case=inclusion_cases())
def test_verify_inclusion_agrees_with_the_verifier(
    shared_client: AnchorClient, tree_log: bytes, case: tuple[int, int, bytes, list[bytes]]
) -> None:
    size, index, leaf, proof = case
    expected = verifier_accepts(leaf, index, size, proof, TREE.root(size))
    assert shared_client.verify_inclusion(tree_log, size, leaf, index, proof) is expected


def test_an_unanchored_size_or_another_log_never_verifies(shared_client: AnchorClient, tree_log: bytes) -> None:
    # Valid proofs against the right roots, but at sizes never anchored or in a log that does not hold them.
    for size in (4, 9, 599):
        assert verifier_accepts(TREE.nodes[(0, 0)], 0, size, TREE.inclusion_proof(0, size), TREE.root(size))
        assert not shared_client.verify_inclusion(tree_log, size, TREE.nodes[(0, 0)], 0, TREE.inclusion_proof(0, size))
    assert not shared_client.verify_inclusion(tree_log, 0, TREE.nodes[(0, 0)], 0, [])
    other = log_id("nowhere.example/log")
    assert not shared_client.verify_inclusion(other, 8, TREE.nodes[(0, 0)], 0, TREE.inclusion_proof(0, 8))


def test_overlong_proofs_never_verify(shared_client: AnchorClient, tree_log: bytes) -> None:
    proof = TREE.inclusion_proof(0, 600) + [bytes(32)] * 56
    assert len(proof) == 66
    assert not shared_client.verify_inclusion(tree_log, 600, TREE.nodes[(0, 0)], 0, proof)


# -- the RFC 6962 / 9162 inclusion vectors ----------------------------------------------------------

_VECTORS = load_vector("rfc6962")


def _leaf(case: dict[str, Any]) -> str | None:
    if case["leaf_hash"] is not None:
        return str(case["leaf_hash"])
    if case["leaf_hex"] is not None:
        return leaf_hash(bytes.fromhex(case["leaf_hex"])).hex()
    return None


def _expressible(case: dict[str, Any]) -> bool:
    leaf = _leaf(case)
    hashes = [leaf or "", case["root"], *case["path"]]
    return all(len(h) == 64 for h in hashes) and 0 <= case["index"] <= MAX_UINT64 and 0 <= case["size"] <= MAX_UINT64


_INCLUSION = [c for c in _VECTORS["inclusion"] if _expressible(c)]


def test_most_inclusion_vectors_are_expressible_on_chain() -> None:
    left_out = [c for c in _VECTORS["inclusion"] if not _expressible(c)]
    assert all(any(len(h) != 64 for h in [_leaf(c) or "", c["root"], *c["path"]]) for c in left_out)
    assert len(_INCLUSION) >= 90  # 98 of the 124


@pytest.fixture(scope="module")
def vector_logs(shared_client: AnchorClient) -> dict[tuple[int, str], bytes]:
    """One log per (size, root) of the vectors, anchored there (size 0 cannot be anchored)."""
    logs: dict[tuple[int, str], bytes] = {}
    for case in _INCLUSION:
        key = (case["size"], case["root"])
        if case["size"] > 0 and key not in logs:
            logs[key] = shared_client.register(f"inclusion-vectors.example/{next(_origins)}")
            shared_client.anchor(logs[key], case["size"], bytes.fromhex(case["root"]), [])
    return logs


@pytest.mark.parametrize(
    "case", _INCLUSION, ids=lambda c: f"{c['index']}-{c['size']}-{c['desc']}".replace(" ", "_")[:80]
)
def test_inclusion_vector(
    shared_client: AnchorClient, vector_logs: dict[tuple[int, str], bytes], case: dict[str, Any]
) -> None:
    leaf, root = bytes.fromhex(_leaf(case) or ""), bytes.fromhex(case["root"])
    proof = [bytes.fromhex(h) for h in case["path"]]
    expected = verifier_accepts(leaf, case["index"], case["size"], proof, root)
    assert expected == case["valid"]
    lid = vector_logs.get((case["size"], case["root"]), log_id("unanchored.example/log"))
    assert shared_client.verify_inclusion(lid, case["size"], leaf, case["index"], proof) is expected
