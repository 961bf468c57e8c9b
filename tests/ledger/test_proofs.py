"""``ledger.proofs``: which stored nodes make up a proof.

Checked three ways: against transparency-dev's node-ID vectors (``proof_node_ids`` in
../shared/vectors/rfc6962.json), against the RFC 9162 PATH/PROOF oracle in
``tests.merkle_reference`` (proofs built from a dict node store, exhaustively for trees of up to
140 leaves), and against ``verifier.merkle`` (every built proof verifies).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.proofs import (
    NodeId,
    ProofPlan,
    ProofRequestError,
    consistency_plan,
    inclusion_path_keys,
    inclusion_plan,
    node_key,
    range_nodes,
    right_border,
)
from tests import merkle_reference as ref
from tests.node_store import NodeStore
from tests.vectors import load_vector
from verifier.limits import MAX_UINT64
from verifier.merkle import fold_right_border, leaf_hash, node_hash, tree_root, verify_consistency, verify_inclusion

VECTORS: dict[str, Any] = load_vector("rfc6962.json")
NODE_IDS: dict[str, Any] = VECTORS["proof_node_ids"]
LEAF_HASHES = [bytes.fromhex(h) for h in VECTORS["leaf_hashes"]]

EXHAUSTIVE = 140
LEAVES = [leaf_hash(b"ledger proofs %d" % i) for i in range(EXHAUSTIVE)]
STORE = NodeStore(LEAVES)
TREE = ref.ReferenceTree(LEAVES)


def _ids(nodes: list[list[int]]) -> tuple[NodeId, ...]:
    return tuple((level, index) for level, index in nodes)


def _inside(node: NodeId, size: int) -> bool:
    level, index = node
    return index >= 0 and (index + 1) << level <= size


def _check_plan(plan: ProofPlan, case: dict[str, Any]) -> None:
    assert plan.ids == _ids(case["nodes"])
    if case["rehash"] is None:
        assert plan.begin == plan.end, "no ephemeral node, so no span to fold"
    else:
        assert (plan.begin, plan.end) == tuple(case["rehash"])


def _fold_as_the_vectors_say(hashes: list[bytes], rehash: list[int] | None) -> list[bytes]:
    """The README's rule: h = nodes[b]; for i in b+1..e-1: h = node(nodes[i], h)."""
    if rehash is None:
        return hashes
    begin, end = rehash
    folded = hashes[begin]
    for h in hashes[begin + 1 : end]:
        folded = node_hash(h, folded)
    return [*hashes[:begin], folded, *hashes[end:]]


# --- transparency-dev node-ID vectors -------------------------------------------------------


def test_node_id_vector_counts() -> None:
    # README "Counts": 52 node-ID vectors (23 inclusion, 29 consistency).
    assert (len(NODE_IDS["inclusion"]), len(NODE_IDS["consistency"])) == (23, 29)


@pytest.mark.parametrize(
    "case",
    NODE_IDS["inclusion"],
    ids=lambda c: f"index{c['index']}-size{c['size']}-{'valid' if c['valid'] else 'refused'}",
)
def test_inclusion_node_ids(case: dict[str, Any]) -> None:
    if not case["valid"]:
        with pytest.raises(ProofRequestError):
            inclusion_plan(case["index"], case["size"])
        return
    plan = inclusion_plan(case["index"], case["size"])
    _check_plan(plan, case)
    if case["size"] <= EXHAUSTIVE:
        proof = _fold_as_the_vectors_say(STORE.hashes(plan.ids), case["rehash"])
        assert proof == STORE.build(plan) == TREE.path(case["index"], case["size"])


@pytest.mark.parametrize(
    "case",
    NODE_IDS["consistency"],
    ids=lambda c: f"{c['size1']}-to-{c['size2']}-{'valid' if c['valid'] else 'refused'}",
)
def test_consistency_node_ids(case: dict[str, Any]) -> None:
    if not case["valid"]:
        with pytest.raises(ProofRequestError):
            consistency_plan(case["size1"], case["size2"])
        return
    plan = consistency_plan(case["size1"], case["size2"])
    _check_plan(plan, case)
    if case["size2"] <= EXHAUSTIVE:
        proof = _fold_as_the_vectors_say(STORE.hashes(plan.ids), case["rehash"])
        assert proof == STORE.build(plan) == TREE.proof(case["size1"], case["size2"])


def test_node_id_vectors_include_single_node_rehash_spans() -> None:
    """README point 5: single-node spans occur; folding one node must leave it unchanged."""
    spans = [c["rehash"] for group in ("inclusion", "consistency") for c in NODE_IDS[group] if c.get("rehash")]
    assert any(end - begin == 1 for begin, end in spans)
    assert any(end - begin > 1 for begin, end in spans)


# --- Compact ranges -------------------------------------------------------------------------


COMPACT_RANGES: dict[str, list[str]] = VECTORS["compact_ranges"]


@pytest.mark.parametrize("size", sorted(int(size) for size in COMPACT_RANGES))
def test_right_border_matches_compact_ranges(size: int) -> None:
    store = NodeStore(LEAF_HASHES)
    want = [bytes.fromhex(h) for h in COMPACT_RANGES[str(size)]]
    assert store.hashes(right_border(size)) == want


def _greedy_cover(begin: int, end: int) -> list[NodeId]:
    """The canonical cover: from the left, the largest aligned perfect subtree that fits."""
    nodes: list[NodeId] = []
    pos = begin
    while pos < end:
        level = 0
        while pos % (2 << level) == 0 and pos + (2 << level) <= end:
            level += 1
        nodes.append((level, pos >> level))
        pos += 1 << level
    return nodes


def test_range_nodes_is_the_canonical_cover() -> None:
    for end in range(EXHAUSTIVE + 1):
        for begin in range(end + 1):
            assert range_nodes(begin, end) == _greedy_cover(begin, end), f"[{begin}, {end})"


def test_right_border_folds_to_the_root() -> None:
    for size in range(EXHAUSTIVE + 1):
        border = right_border(size)
        assert all(_inside(node, size) for node in border)
        assert fold_right_border(STORE.hashes(border)) == tree_root(LEAVES[:size]) == TREE.root(size)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, MAX_UINT64), st.integers(0, MAX_UINT64))
def test_range_nodes_of_large_ranges(a: int, b: int) -> None:
    begin, end = min(a, b), max(a, b)
    nodes = range_nodes(begin, end)
    pos = begin
    for level, index in nodes:
        assert index << level == pos, "contiguous, left to right, aligned"
        pos += 1 << level
    assert pos == end
    assert len(nodes) <= 2 * 64


# --- Proofs built from a node store equal the RFC's, and verify ------------------------------


def test_every_inclusion_proof_up_to_140_leaves() -> None:
    for size in range(1, EXHAUSTIVE + 1):
        root = TREE.root(size)
        for index in range(size):
            plan = inclusion_plan(index, size)
            assert all(_inside(node, size) for node in plan.ids), (index, size)
            proof = STORE.build(plan)
            assert proof == TREE.path(index, size), (index, size)
            verify_inclusion(LEAVES[index], index, size, proof, root)


def test_every_consistency_proof_up_to_140_leaves() -> None:
    for size2 in range(1, EXHAUSTIVE + 1):
        root2 = TREE.root(size2)
        for size1 in range(1, size2 + 1):
            plan = consistency_plan(size1, size2)
            assert all(_inside(node, size2) for node in plan.ids), (size1, size2)
            proof = STORE.build(plan)
            assert proof == TREE.proof(size1, size2), (size1, size2)
            verify_consistency(size1, size2, proof, TREE.root(size1), root2)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, MAX_UINT64), st.data())
def test_large_inclusion_plans_have_the_rfc_shape(size: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, size - 1), label="index")
    plan = inclusion_plan(index, size)
    assert len(set(plan.ids)) == len(plan.ids)
    assert all(_inside(node, size) for node in plan.ids)
    assert len(plan.rehash([b"\x00" * 32] * len(plan.ids))) == ref.path_length(index, size)


@settings(max_examples=300, deadline=None)
@given(st.integers(2, MAX_UINT64), st.data())
def test_large_consistency_plans_have_the_rfc_shape(size2: int, data: st.DataObject) -> None:
    size1 = data.draw(st.integers(1, size2 - 1), label="size1")
    plan = consistency_plan(size1, size2)
    assert len(set(plan.ids)) == len(plan.ids)
    assert all(_inside(node, size2) for node in plan.ids)
    assert len(plan.rehash([b"\x00" * 32] * len(plan.ids))) == ref.proof_length(size1, size2)


# --- Refused parameters, plan mechanics -----------------------------------------------------


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 1), (5, 5), (6, 5), (-1, 5), (-1, 0), (2**64, 2**64)])
def test_inclusion_plan_refuses_impossible_parameters(index: int, size: int) -> None:
    with pytest.raises(ProofRequestError):
        inclusion_plan(index, size)


@pytest.mark.parametrize(("size1", "size2"), [(0, 0), (0, 1), (0, 5), (2, 1), (9, 8), (-1, 5), (1, -1), (5, 0)])
def test_consistency_plan_refuses_impossible_parameters(size1: int, size2: int) -> None:
    with pytest.raises(ProofRequestError):
        consistency_plan(size1, size2)


def test_consistency_plan_for_equal_sizes_is_empty() -> None:
    for size in (1, 2, 3, 7, 8, 2**40 + 3):
        plan = consistency_plan(size, size)
        assert plan.ids == () and plan.rehash([]) == []


def test_rehash_refuses_the_wrong_number_of_hashes() -> None:
    plan = inclusion_plan(1, 3)
    with pytest.raises(ValueError, match="expected 2 node hashes"):
        plan.rehash([LEAVES[0]])
    with pytest.raises(ValueError):
        plan.rehash([LEAVES[0]] * 3)


def test_proof_request_error_is_a_value_error() -> None:
    # Callers (the API layer) map it to a client error; it must not be a VerificationError.
    assert issubclass(ProofRequestError, ValueError)


# --- node_key -------------------------------------------------------------------------------


def test_node_key_is_injective_up_to_4096_leaves() -> None:
    size = 2**12
    nodes = [(level, index) for level in range(13) for index in range(size >> level)]
    keys = [node_key(node) for node in nodes]
    assert len(set(keys)) == len(nodes) == 2 * size - 1
    # In-order (flat) numbering: a perfect tree's 2n − 1 nodes take exactly 0 … 2n − 2, and
    # every node sits between its children.
    assert sorted(keys) == list(range(2 * size - 1))
    for level, index in nodes:
        if level:
            left, right = node_key((level - 1, 2 * index)), node_key((level - 1, 2 * index + 1))
            assert left < node_key((level, index)) < right


def test_node_key_orders_leaves_at_even_positions() -> None:
    assert [node_key((0, i)) for i in range(5)] == [0, 2, 4, 6, 8]


def _check_path_keys(index: int, size: int) -> None:
    height, keys = inclusion_path_keys(index, size)
    ids = inclusion_plan(index, size).ids
    assert keys == [node_key(node) for node in ids[:height]]
    # The path ends at the leaf's perfect subtree; the rest (folded or not) lies outside it.
    first = (index >> height) << height
    assert all(level < height for level, _ in ids[:height])
    assert all(not first <= index_ << level < first + (1 << height) for level, index_ in ids[height:])
    # So the rest is the same for every leaf of that subtree.
    for other in {first, first + (1 << height) - 1}:
        assert inclusion_path_keys(other, size)[0] == height
        plan = inclusion_plan(other, size)
        assert plan.ids[height:] == ids[height:]
        assert (plan.begin - height, plan.end - height) == (
            inclusion_plan(index, size).begin - height,
            inclusion_plan(index, size).end - height,
        )


def test_inclusion_path_keys_exhaustively() -> None:
    for size in range(1, 70):
        for index in range(size):
            _check_path_keys(index, size)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=MAX_UINT64), st.data())
def test_inclusion_path_keys_of_large_trees(size: int, data: st.DataObject) -> None:
    _check_path_keys(data.draw(st.integers(min_value=0, max_value=size - 1)), size)
