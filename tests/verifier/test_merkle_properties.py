"""Property tests for ``verifier.merkle``: honest proofs verify, every mutation is refused.

Proofs come from the RFC 9162 oracle in ``tests.merkle_reference`` (trees of 1..300 leaves),
or, for parameter-only checks on trees of up to 2^40 (and 2^64 − 1) leaves, are synthetic:
random 32-byte elements of the length the RFC recursion requires, with the roots the RFC
recursion computes from them. Roots and inclusion paths are also cross-checked against
pymerkle 7 (``pymerkle.InmemoryTree``), the independent implementation DESIGN §2 asks for.

A caution on "wrong size": an inclusion or consistency proof binds the tree size only through
its shape, so a proof may verify for another size with the same shape (the proof for leaf 0
of 5 leaves also proves leaf 0 of 6 leaves with the same hashes). Those mutations are checked
against the oracle: the verifier must refuse exactly when the RFC recursion does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import pymerkle
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import merkle_reference as ref
from verifier.errors import (
    ConsistencyProofError,
    ConsistencyRootMismatchError,
    HashLengthError,
    InclusionProofError,
    InclusionRootMismatchError,
    RootMismatchError,
    VerificationError,
)
from verifier.limits import MAX_UINT64
from verifier.merkle import leaf_hash, root_from_inclusion_proof, tree_root, verify_consistency, verify_inclusion

MAX_LEAVES = 300
DATA = [b"hotline-ledger leaf %d" % i for i in range(MAX_LEAVES)]
LEAVES = [leaf_hash(d) for d in DATA]
TREE = ref.ReferenceTree(LEAVES)

FEW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SOME = settings(max_examples=120, deadline=None)
MANY = settings(max_examples=300, deadline=None)


@cache
def pymerkle_tree() -> pymerkle.InmemoryTree:
    return pymerkle.InmemoryTree.init_from_entries(DATA, algorithm="sha256")


def synthetic_hash(seed: int, i: int) -> bytes:
    return hashlib.sha256(b"synthetic %d %d" % (seed, i)).digest()


def flip(value: bytes, bit: int) -> bytes:
    data = bytearray(value)
    data[bit // 8] ^= 1 << (bit % 8)
    return bytes(data)


def refuses(check: Callable[..., None], *args: Any) -> VerificationError | None:
    """Run ``check(*args)``; return its ``VerificationError``, or ``None`` if it accepted."""
    try:
        check(*args)
    except VerificationError as exc:
        return exc
    return None


def reference_accepts_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    if not 0 <= index < size or len(proof) != ref.path_length(index, size):
        return False
    return ref.root_from_path(leaf, index, size, proof) == root


def reference_accepts_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> bool:
    if not 0 < size1 < size2 or len(proof) != ref.proof_length(size1, size2):
        return size1 == size2 > 0 and not proof and root1 == root2
    return ref.roots_from_proof(size1, size2, proof, root1) == (root1, root2)


@st.composite
def leaf_positions(draw: st.DrawFn, max_size: int = MAX_LEAVES) -> tuple[int, int]:
    size = draw(st.integers(1, max_size))
    return draw(st.integers(0, size - 1)), size


@st.composite
def size_pairs(draw: st.DrawFn, max_size: int = MAX_LEAVES) -> tuple[int, int]:
    size2 = draw(st.integers(2, max_size))
    return draw(st.integers(1, size2 - 1)), size2


# --- Honest proofs verify -------------------------------------------------------------------


def test_every_inclusion_proof_of_small_trees_verifies() -> None:
    for size in range(1, 65):
        root = TREE.root(size)
        for index in range(size):
            verify_inclusion(LEAVES[index], index, size, TREE.path(index, size), root)


def test_every_consistency_proof_of_small_trees_verifies() -> None:
    for size2 in range(1, 65):
        for size1 in range(1, size2 + 1):
            verify_consistency(size1, size2, TREE.proof(size1, size2), TREE.root(size1), TREE.root(size2))


@MANY
@given(leaf_positions())
def test_inclusion_proofs_verify(position: tuple[int, int]) -> None:
    index, size = position
    proof = TREE.path(index, size)
    verify_inclusion(LEAVES[index], index, size, proof, TREE.root(size))
    assert root_from_inclusion_proof(LEAVES[index], index, size, proof) == TREE.root(size)


@MANY
@given(size_pairs())
def test_consistency_proofs_verify(sizes: tuple[int, int]) -> None:
    size1, size2 = sizes
    verify_consistency(size1, size2, TREE.proof(size1, size2), TREE.root(size1), TREE.root(size2))


@SOME
@given(st.integers(1, MAX_LEAVES))
def test_equal_sizes_need_an_empty_proof_and_equal_roots(size: int) -> None:
    root = TREE.root(size)
    verify_consistency(size, size, [], root, root)
    with pytest.raises(ConsistencyProofError):
        verify_consistency(size, size, [root], root, root)
    with pytest.raises(ConsistencyRootMismatchError):
        verify_consistency(size, size, [], root, flip(root, 0))


# --- Bit flips ------------------------------------------------------------------------------


@FEW
@given(leaf_positions())
def test_inclusion_refuses_every_bit_flip(position: tuple[int, int]) -> None:
    index, size = position
    leaf, proof, root = LEAVES[index], TREE.path(index, size), TREE.root(size)
    for i in range(len(proof)):
        for bit in range(256):
            mutated = [*proof[:i], flip(proof[i], bit), *proof[i + 1 :]]
            with pytest.raises(InclusionRootMismatchError):
                verify_inclusion(leaf, index, size, mutated, root)
    for bit in range(256):
        with pytest.raises(InclusionRootMismatchError):
            verify_inclusion(flip(leaf, bit), index, size, proof, root)
        with pytest.raises(InclusionRootMismatchError) as caught:
            verify_inclusion(leaf, index, size, proof, flip(root, bit))
        assert caught.value.calculated_root == root


@FEW
@given(size_pairs())
def test_consistency_refuses_every_bit_flip(sizes: tuple[int, int]) -> None:
    size1, size2 = sizes
    proof, root1, root2 = TREE.proof(size1, size2), TREE.root(size1), TREE.root(size2)
    for i in range(len(proof)):
        for bit in range(256):
            mutated = [*proof[:i], flip(proof[i], bit), *proof[i + 1 :]]
            with pytest.raises(ConsistencyRootMismatchError):
                verify_consistency(size1, size2, mutated, root1, root2)
    for bit in range(256):
        with pytest.raises(ConsistencyRootMismatchError):
            verify_consistency(size1, size2, proof, flip(root1, bit), root2)
        with pytest.raises(ConsistencyRootMismatchError):
            verify_consistency(size1, size2, proof, root1, flip(root2, bit))


# --- Truncated, extended, reordered proofs; hashes of the wrong length ----------------------


def _shape_mutations(proof: Sequence[bytes], extra: bytes) -> list[tuple[str, list[bytes]]]:
    proof = list(proof)
    mutations: list[tuple[str, list[bytes]]] = []
    for i in range(len(proof)):
        mutations.append((f"without [{i}]", proof[:i] + proof[i + 1 :]))
        mutations.append((f"truncated to {i}", proof[:i]))
        mutations.append((f"[{i}] duplicated", proof[: i + 1] + proof[i:]))
    for i in range(len(proof) + 1):
        mutations.append((f"inserted at {i}", [*proof[:i], extra, *proof[i:]]))
    for i in range(len(proof)):
        for j in range(i + 1, len(proof)):
            if proof[i] != proof[j]:
                swapped = list(proof)
                swapped[i], swapped[j] = swapped[j], swapped[i]
                mutations.append((f"swapped [{i}] and [{j}]", swapped))
    return mutations


@SOME
@given(leaf_positions())
def test_inclusion_refuses_truncated_extended_and_reordered_proofs(position: tuple[int, int]) -> None:
    index, size = position
    leaf, proof, root = LEAVES[index], TREE.path(index, size), TREE.root(size)
    for what, mutated in _shape_mutations(proof, root):
        error = refuses(verify_inclusion, leaf, index, size, mutated, root)
        assert isinstance(error, InclusionProofError), f"accepted a proof {what}"
        if len(mutated) != len(proof):
            assert not isinstance(error, RootMismatchError), f"a proof {what} must fail on its length"


@SOME
@given(size_pairs())
def test_consistency_refuses_truncated_extended_and_reordered_proofs(sizes: tuple[int, int]) -> None:
    size1, size2 = sizes
    proof, root1, root2 = TREE.proof(size1, size2), TREE.root(size1), TREE.root(size2)
    for what, mutated in _shape_mutations(proof, root1):
        error = refuses(verify_consistency, size1, size2, mutated, root1, root2)
        assert isinstance(error, ConsistencyProofError), f"accepted a proof {what}"
        if len(mutated) != len(proof):
            assert not isinstance(error, RootMismatchError), f"a proof {what} must fail on its length"


@SOME
@given(leaf_positions(), st.integers(0, 64).filter(lambda n: n != 32))
def test_inclusion_refuses_hashes_of_the_wrong_length(position: tuple[int, int], length: int) -> None:
    index, size = position
    leaf, proof, root = LEAVES[index], TREE.path(index, size), TREE.root(size)
    bad = (leaf * 3)[:length]
    with pytest.raises(HashLengthError):
        verify_inclusion(bad, index, size, proof, root)
    with pytest.raises(HashLengthError):
        verify_inclusion(leaf, index, size, proof, bad)
    for i in range(len(proof)):
        with pytest.raises(HashLengthError):
            verify_inclusion(leaf, index, size, [*proof[:i], bad, *proof[i + 1 :]], root)


@SOME
@given(size_pairs(), st.integers(0, 64).filter(lambda n: n != 32))
def test_consistency_refuses_hashes_of_the_wrong_length(sizes: tuple[int, int], length: int) -> None:
    size1, size2 = sizes
    proof, root1, root2 = TREE.proof(size1, size2), TREE.root(size1), TREE.root(size2)
    bad = (root1 * 3)[:length]
    with pytest.raises(HashLengthError):
        verify_consistency(size1, size2, proof, bad, root2)
    with pytest.raises(HashLengthError):
        verify_consistency(size1, size2, proof, root1, bad)
    for i in range(len(proof)):
        with pytest.raises(HashLengthError):
            verify_consistency(size1, size2, [*proof[:i], bad, *proof[i + 1 :]], root1, root2)


# --- Wrong index, wrong size, swapped roots -------------------------------------------------


@SOME
@given(leaf_positions(), st.data())
def test_inclusion_refuses_a_wrong_index(position: tuple[int, int], data: st.DataObject) -> None:
    index, size = position
    leaf, proof, root = LEAVES[index], TREE.path(index, size), TREE.root(size)
    for other in range(size):
        if other != index:
            # Another leaf of the same tree has another root-to-leaf path: the hashes combine
            # in another order, or the proof has another length.
            with pytest.raises(InclusionProofError):
                verify_inclusion(leaf, other, size, proof, root)
    beyond = data.draw(st.integers(size, MAX_UINT64), label="index beyond size")
    error = refuses(verify_inclusion, leaf, beyond, size, proof, root)
    assert isinstance(error, InclusionProofError) and not isinstance(error, RootMismatchError)


@SOME
@given(leaf_positions())
def test_inclusion_refuses_a_wrong_size_unless_the_rfc_accepts_it(position: tuple[int, int]) -> None:
    index, size = position
    leaf, proof, root = LEAVES[index], TREE.path(index, size), TREE.root(size)
    for other in range(index + 1, 2 * MAX_LEAVES):
        accepted = refuses(verify_inclusion, leaf, index, other, proof, root) is None
        assert accepted == reference_accepts_inclusion(leaf, index, other, proof, root), f"size {other}"
    # Sizes whose proofs have another length are always refused, on the length.
    for other in (index + 1, size + 1, 2 * size, size * 2 + 1):
        if ref.path_length(index, other) != len(proof):
            error = refuses(verify_inclusion, leaf, index, other, proof, root)
            assert isinstance(error, InclusionProofError) and not isinstance(error, RootMismatchError)


@SOME
@given(size_pairs())
def test_consistency_refuses_wrong_sizes_unless_the_rfc_accepts_them(sizes: tuple[int, int]) -> None:
    size1, size2 = sizes
    proof, root1, root2 = TREE.proof(size1, size2), TREE.root(size1), TREE.root(size2)
    for other1 in range(0, size2 + 3):
        if other1 == size1:
            continue
        error = refuses(verify_consistency, other1, size2, proof, root1, root2)
        assert (error is None) == reference_accepts_consistency(other1, size2, proof, root1, root2), f"size1 {other1}"
    for other2 in range(0, 2 * size2 + 2):
        if other2 == size2:
            continue
        error = refuses(verify_consistency, size1, other2, proof, root1, root2)
        assert (error is None) == reference_accepts_consistency(size1, other2, proof, root1, root2), f"size2 {other2}"


@SOME
@given(size_pairs())
def test_consistency_refuses_swapped_roots_and_sizes(sizes: tuple[int, int]) -> None:
    size1, size2 = sizes
    proof, root1, root2 = TREE.proof(size1, size2), TREE.root(size1), TREE.root(size2)
    with pytest.raises(ConsistencyProofError):
        verify_consistency(size1, size2, proof, root2, root1)
    with pytest.raises(ConsistencyProofError):
        verify_consistency(size2, size1, proof, root2, root1)
    with pytest.raises(ConsistencyProofError):
        verify_consistency(size2, size1, proof, root1, root2)


# --- Large trees, synthetic proofs (parameter-only checks) ----------------------------------

LARGE = 2**40


@st.composite
def large_positions(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.one_of(st.integers(1, LARGE), st.sampled_from([LARGE, LARGE - 1, LARGE + 1, MAX_UINT64])))
    index = draw(st.one_of(st.integers(0, size - 1), st.sampled_from([0, size - 1, size // 2])))
    return index, size


@st.composite
def large_size_pairs(draw: st.DrawFn) -> tuple[int, int]:
    size2 = draw(st.one_of(st.integers(2, LARGE), st.sampled_from([LARGE, LARGE + 1, MAX_UINT64])))
    size1 = draw(st.one_of(st.integers(1, size2 - 1), st.sampled_from([1, size2 - 1, size2 // 2, 2**20])))
    return min(size1, size2 - 1), size2


@MANY
@given(large_positions(), st.integers(0, 2**32))
def test_large_synthetic_inclusion_proofs(position: tuple[int, int], seed: int) -> None:
    index, size = position
    leaf = synthetic_hash(seed, -1)
    proof = [synthetic_hash(seed, i) for i in range(ref.path_length(index, size))]
    root = ref.root_from_path(leaf, index, size, proof)
    verify_inclusion(leaf, index, size, proof, root)
    for mutated in ([proof[:-1]] if proof else []) + [[*proof, leaf], [leaf, *proof]]:
        error = refuses(verify_inclusion, leaf, index, size, mutated, root)
        assert isinstance(error, InclusionProofError) and not isinstance(error, RootMismatchError)
    if proof:
        with pytest.raises(InclusionRootMismatchError):
            verify_inclusion(leaf, index, size, [*proof[:-1], flip(proof[-1], seed % 256)], root)
    error = refuses(verify_inclusion, leaf, size, size, proof, root)
    assert isinstance(error, InclusionProofError) and not isinstance(error, RootMismatchError)
    for other in (size - 1, size + 1, size * 2, size // 2):
        if other != size and 0 < other <= MAX_UINT64 and index < other:
            accepted = refuses(verify_inclusion, leaf, index, other, proof, root) is None
            assert accepted == reference_accepts_inclusion(leaf, index, other, proof, root)


@MANY
@given(large_size_pairs(), st.integers(0, 2**32))
def test_large_synthetic_consistency_proofs(sizes: tuple[int, int], seed: int) -> None:
    size1, size2 = sizes
    proof = [synthetic_hash(seed, i) for i in range(ref.proof_length(size1, size2))]
    root1, root2 = ref.roots_from_proof(size1, size2, proof, synthetic_hash(seed, -1))
    verify_consistency(size1, size2, proof, root1, root2)
    for mutated in (proof[:-1], [*proof, root1], [root2, *proof]):
        error = refuses(verify_consistency, size1, size2, mutated, root1, root2)
        assert isinstance(error, ConsistencyProofError) and not isinstance(error, RootMismatchError)
    with pytest.raises(ConsistencyRootMismatchError):
        verify_consistency(size1, size2, [*proof[:-1], flip(proof[-1], seed % 256)], root1, root2)
    with pytest.raises(ConsistencyProofError):
        verify_consistency(size1, size2, proof, root2, root1)
    with pytest.raises(ConsistencyProofError):
        verify_consistency(size2, size1, proof, root1, root2)


@pytest.mark.parametrize("value", [-1, MAX_UINT64 + 1, 2**70, True, 1.0, "3"])
def test_sizes_and_indices_must_be_uint64(value: object) -> None:
    leaf = LEAVES[0]
    with pytest.raises(InclusionProofError):
        verify_inclusion(leaf, value, 4, TREE.path(0, 4), TREE.root(4))  # type: ignore[arg-type]
    with pytest.raises(InclusionProofError):
        verify_inclusion(leaf, 0, value, TREE.path(0, 4), TREE.root(4))  # type: ignore[arg-type]
    with pytest.raises(ConsistencyProofError):
        verify_consistency(value, 4, TREE.proof(2, 4), TREE.root(2), TREE.root(4))  # type: ignore[arg-type]
    with pytest.raises(ConsistencyProofError):
        verify_consistency(2, value, TREE.proof(2, 4), TREE.root(2), TREE.root(4))  # type: ignore[arg-type]


def test_proofs_longer_than_the_limit_are_refused_before_hashing() -> None:
    from verifier.limits import MAX_PROOF_HASHES

    long_proof = [LEAVES[0]] * (MAX_PROOF_HASHES + 1)
    error = refuses(verify_inclusion, LEAVES[0], 0, MAX_UINT64, long_proof, LEAVES[1])
    assert isinstance(error, InclusionProofError) and not isinstance(error, RootMismatchError)
    error = refuses(verify_consistency, 1, MAX_UINT64, long_proof, LEAVES[0], LEAVES[1])
    assert isinstance(error, ConsistencyProofError) and not isinstance(error, RootMismatchError)


# --- pymerkle 7 as the independent oracle ---------------------------------------------------


def test_roots_agree_with_pymerkle_for_every_size() -> None:
    tree = pymerkle_tree()
    for size in range(MAX_LEAVES + 1):
        want = tree.get_root(size)
        assert tree_root(LEAVES[:size]) == want, f"size {size}"
        assert TREE.root(size) == want, f"size {size}"


@MANY
@given(leaf_positions())
def test_inclusion_paths_agree_with_pymerkle(position: tuple[int, int]) -> None:
    index, size = position
    proof = pymerkle_tree().prove_inclusion(index + 1, size)  # pymerkle counts leaves from 1
    # pymerkle's path starts with the leaf hash itself; the RFC path is the rest.
    assert proof.path[0] == LEAVES[index]
    assert list(proof.path[1:]) == TREE.path(index, size)
    pymerkle.verify_inclusion(LEAVES[index], TREE.root(size), proof)


@SOME
@given(size_pairs())
def test_consistency_roots_agree_with_pymerkle(sizes: tuple[int, int]) -> None:
    size1, size2 = sizes
    proof = pymerkle_tree().prove_consistency(size1, size2)
    pymerkle.verify_consistency(TREE.root(size1), TREE.root(size2), proof)
    with pytest.raises(pymerkle.InvalidProof):
        pymerkle.verify_consistency(TREE.root(size1 + 1), TREE.root(size2), proof)
