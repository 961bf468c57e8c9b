"""Publishing and proving on both databases: every proof the ledger serves verifies, every mutation fails."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.demo import demo_requests
from ledger.errors import LogStateError, PublishRefused
from ledger.proofs import ProofRequestError, node_key
from ledger.service import Ledger
from ledger.storage import store as store_module
from verifier.checkpoint import open_checkpoint
from verifier.errors import VerificationError
from verifier.merkle import leaf_hash, tree_root, verify_consistency, verify_inclusion
from verifier.note import NoteSigner

REQUESTS = list(demo_requests(40, seed=99))


def grow(ledger: Ledger, count: int) -> None:
    """Append the next ``count`` demo requests (the log then has ``1 + appended`` entries)."""
    done = ledger.head().tree_size - 1
    ledger.append(REQUESTS[done : done + count])


@pytest.fixture
def grown(ledger: Ledger) -> Ledger:
    """A ledger with 1 + 150 entries, checkpointed at several sizes on the way."""
    for count in (6, 25, 1, 48, 70):
        grow(ledger, count)
        ledger.publish_checkpoint()
    return ledger


def test_checkpoint_is_signed_and_matches_the_tree(grown: Ledger, operator_signer: NoteSigner) -> None:
    stored = grown.latest_checkpoint()
    assert stored is not None
    checkpoint = open_checkpoint(stored.note, [operator_signer.verifier()], origin=grown.origin)
    head = grown.head()
    assert (checkpoint.tree_size, checkpoint.root_hash) == (head.tree_size, head.root)
    assert tree_root(leaf_hash(e.data) for e in grown.entries(0, head.tree_size)) == head.root


def test_publishing_twice_at_one_size_returns_the_same_checkpoint(grown: Ledger) -> None:
    assert grown.publish_checkpoint() == grown.latest_checkpoint()


def test_every_historical_root_is_recomputable(grown: Ledger) -> None:
    leaves = [leaf_hash(e.data) for e in grown.entries(0, grown.head().tree_size)]
    for size in range(0, len(leaves) + 1):
        assert grown.root_at(size) == tree_root(leaves[:size])


def test_every_inclusion_and_consistency_proof_verifies(grown: Ledger) -> None:
    size = grown.head().tree_size
    leaves = [leaf_hash(e.data) for e in grown.entries(0, size)]
    roots = [tree_root(leaves[:n]) for n in range(size + 1)]
    rng = random.Random(5)
    for tree_size in [1, 2, 3, 7, 8, 9, 31, 32, 33, 64, 100, size - 1, size]:
        for index in {0, tree_size - 1, rng.randrange(tree_size)}:
            verify_inclusion(leaves[index], index, tree_size, grown.inclusion_proof(index, tree_size), roots[tree_size])
    for size1 in [1, 2, 3, 4, 7, 8, 16, 17, 63, 64, 99, size - 1, size]:
        for size2 in {size1, min(size, size1 + 1), size, rng.randrange(size1, size + 1)}:
            proof = grown.consistency_proof(size1, size2)
            verify_consistency(size1, size2, proof, roots[size1], roots[size2])


def test_proofs_at_the_current_size_are_the_proofs_at_that_size(grown: Ledger) -> None:
    # The first proof in each of the tree's perfect subtrees is planned; later ones reuse its upper part.
    size = grown.head().tree_size
    leaves = [leaf_hash(e.data) for e in grown.entries(0, size)]
    root = tree_root(leaves)
    for _ in range(2):
        for index in range(size):
            proof = grown.inclusion_proof(index)
            assert proof == grown.inclusion_proof(index, size)
            verify_inclusion(leaves[index], index, size, proof, root)


def test_the_first_proof_at_the_current_size_loads_the_upper_tree(
    grown: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "MAX_PREFILLED_NODES", 8)
    size = grown.head().tree_size
    # 151 leaves: 9 nodes at level 4 alone is more than 8 / 2, so the upper tree starts at level 5.
    assert (size, size >> 4, size >> 5) == (151, 9, 4)
    grown.inclusion_proof(0)
    grown.inclusion_proof(1)  # The first proof that takes the fast path, which loads the upper tree.
    upper = [(level, index) for level in range(5, 8) for index in range(size >> level)]
    cached = {key: grown.store._upper_nodes.get(key) for key in map(node_key, upper)}
    assert list(cached.values()) == grown.store.node_hashes(upper)


def test_proofs_at_the_current_size_follow_appends_by_another_process(
    grown: Ledger, open_ledger: Callable[..., Ledger]
) -> None:
    # The proving ledger remembers the size it last saw; another store (as another process would)
    # grows the log. A proof at the current size must be at the new size, never at the remembered one.
    grown.inclusion_proof(3)
    grown.consistency_proof(7)
    other = open_ledger()
    for count in (1, 9):
        grow(other, count)
        size = other.head().tree_size
        leaves = [leaf_hash(e.data) for e in other.entries(0, size)]
        root = tree_root(leaves)
        for index in (3, size - 2, size - 1, 3, size - 2, size - 1, 4):
            verify_inclusion(leaves[index], index, size, grown.inclusion_proof(index), root)
        verify_consistency(7, size, grown.consistency_proof(7), tree_root(leaves[:7]), root)
        assert grown.root_at(size) == root


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_single_bit_mutations_of_served_proofs_are_refused(grown: Ledger, data: st.DataObject) -> None:
    size = grown.head().tree_size
    tree_size = data.draw(st.integers(2, size), label="tree_size")
    index = data.draw(st.integers(0, tree_size - 1), label="index")
    stored = grown.entry(index)
    assert stored is not None
    leaf = leaf_hash(stored.data)
    root = grown.root_at(tree_size)
    proof = grown.inclusion_proof(index, tree_size)
    verify_inclusion(leaf, index, tree_size, proof, root)
    # Flip one bit of the proof, the leaf, or the root: the proof must no longer verify.
    target = data.draw(st.integers(0, len(proof) + 1), label="target")
    bit = data.draw(st.integers(0, 255), label="bit")

    def flip(value: bytes) -> bytes:
        mutated = bytearray(value)
        mutated[bit // 8] ^= 1 << (bit % 8)
        return bytes(mutated)

    if target < len(proof):
        proof = [*proof[:target], flip(proof[target]), *proof[target + 1 :]]
    elif target == len(proof):
        leaf = flip(leaf)
    else:
        root = flip(root)
    with pytest.raises(VerificationError):
        verify_inclusion(leaf, index, tree_size, proof, root)

    size1 = data.draw(st.integers(1, tree_size - 1), label="size1")
    consistency = grown.consistency_proof(size1, tree_size)
    root1 = grown.root_at(size1)
    root2 = grown.root_at(tree_size)
    verify_consistency(size1, tree_size, consistency, root1, root2)
    element = data.draw(st.integers(0, len(consistency) + 1), label="element")
    if element < len(consistency):
        consistency = [*consistency[:element], flip(consistency[element]), *consistency[element + 1 :]]
    elif element == len(consistency):
        root1 = flip(root1)
    else:
        root2 = flip(root2)
    with pytest.raises(VerificationError):
        verify_consistency(size1, tree_size, consistency, root1, root2)


@pytest.mark.parametrize(
    ("call", "args"),
    [
        ("inclusion_proof", (5, 5)),
        ("inclusion_proof", (0, 10_000)),
        ("inclusion_proof", (-1, None)),
        ("consistency_proof", (0, 5)),
        ("consistency_proof", (6, 5)),
        ("consistency_proof", (5, 10_000)),
        ("root_at", (10_000,)),
    ],
)
def test_impossible_proof_requests_are_refused(grown: Ledger, call: str, args: tuple[int, ...]) -> None:
    with pytest.raises(ProofRequestError):
        getattr(grown, call)(*args)


def test_a_tampered_database_is_neither_extended_nor_published(
    grown: Ledger, open_ledger: Callable[..., Ledger]
) -> None:
    # Someone rewrites a stored tree node behind the ledger's back.
    from sqlalchemy import text

    with grown.store.engine.begin() as conn:
        conn.execute(text("UPDATE nodes SET hash = :h WHERE id = (SELECT MAX(id) FROM nodes)"), {"h": b"\x00" * 32})
    before = grown.head()
    with pytest.raises(LogStateError):
        grow(grown, 1)
    assert grown.head() == before
    # A head rolled back to another root cannot be published over the existing checkpoints.
    with grown.store.engine.begin() as conn:
        conn.execute(text("UPDATE log_head SET root = :r"), {"r": b"\x11" * 32})
    with pytest.raises(PublishRefused):
        open_ledger().publish_checkpoint()


def test_a_head_that_does_not_extend_the_last_checkpoint_is_not_published(grown: Ledger) -> None:
    from sqlalchemy import text

    grow(grown, 3)
    with grown.store.engine.begin() as conn:
        conn.execute(text("UPDATE log_head SET root = :r"), {"r": b"\x22" * 32})
    with pytest.raises(PublishRefused, match="self-verification"):
        grown.publish_checkpoint()
    assert grown.latest_checkpoint() is not None
    assert grown.latest_checkpoint().tree_size == grown.head().tree_size - 3  # type: ignore[union-attr]
