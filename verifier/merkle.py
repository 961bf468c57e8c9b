"""RFC 9162 §2.1 Merkle tree hashing and proof verification (SHA-256).

Functions raise on failure and never return a bool: if it is incorrect to ignore a result,
it must be an exception (``verifier.errors``). Every hash, root and proof element must be
exactly ``HASH_SIZE`` bytes; sizes and indices are unsigned 64-bit integers.

Consistency proofs from the empty tree (``size1 == 0``) are undefined in RFC 9162 §2.1.4.2.
This verifier follows C2SP tlog-witness ("the empty tree is consistent with any tree"): it
accepts ``size1 == 0`` only with an empty proof and ``root1`` equal to the empty-tree root.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from verifier.errors import (
    ConsistencyProofError,
    ConsistencyRootMismatchError,
    HashLengthError,
    InclusionProofError,
    InclusionRootMismatchError,
)
from verifier.limits import MAX_PROOF_HASHES, MAX_UINT64

HASH_SIZE = 32
_sha256 = hashlib.sha256

#: MTH({}) = SHA-256 of the empty string (RFC 9162 §2.1.1).
EMPTY_ROOT = _sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """Return the RFC 9162 leaf hash SHA-256(0x00 ‖ data)."""
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 9162 interior node hash SHA-256(0x01 ‖ left ‖ right)."""
    return _sha256(b"\x01" + left + right).digest()


def fold_right_border(subtree_roots: Iterable[bytes]) -> bytes:
    """Fold the roots of a tree's perfect subtrees (left to right, largest first) into its root.

    This is how a compact range becomes a root: ``node(left, acc)`` from right to left.
    Returns the empty-tree root for no subtrees.
    """
    roots = list(subtree_roots)
    if not roots:
        return EMPTY_ROOT
    acc = roots[-1]
    for left in reversed(roots[:-1]):
        acc = node_hash(left, acc)
    return acc


class CompactRange:
    """The perfect subtrees covering the leaves appended so far: a growing tree in O(log n) memory."""

    def __init__(self, size: int = 0, subtrees: Sequence[tuple[int, bytes]] = ()) -> None:
        #: (height, hash) of each perfect subtree, largest (leftmost) first.
        self.subtrees: list[tuple[int, bytes]] = list(subtrees)
        self.size = size

    def append(self, leaf: bytes) -> None:
        stack = self.subtrees
        height, acc = 0, leaf
        while stack and stack[-1][0] == height:
            acc = _sha256(b"\x01" + stack.pop()[1] + acc).digest()  # node_hash, inlined: once per leaf on average
            height += 1
        stack.append((height, acc))
        self.size += 1

    def root(self) -> bytes:
        return fold_right_border(h for _, h in self.subtrees)


def tree_root(leaf_hashes: Iterable[bytes]) -> bytes:
    """Return MTH over the given leaf hashes, in O(n) time and O(log n) memory."""
    tree = CompactRange()
    for leaf in leaf_hashes:
        tree.append(leaf)
    return tree.root()


def _check_hash(name: str, value: bytes) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        length = len(value) if isinstance(value, bytes | bytearray) else None
        raise HashLengthError(f"{name} must be {HASH_SIZE} bytes, got {length}", field=name, length=length)


def _check_uint64(
    name: str, value: int, error: type[InclusionProofError | ConsistencyProofError] = InclusionProofError
) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_UINT64:
        raise error(f"{name} {value!r} is not an unsigned 64-bit integer", field=name)


def _check_proof(proof: Sequence[bytes], error: type[InclusionProofError | ConsistencyProofError]) -> None:
    if len(proof) > MAX_PROOF_HASHES:
        raise error(f"proof has {len(proof)} hashes, more than {MAX_PROOF_HASHES}", proof_length=len(proof))
    for i, element in enumerate(proof):
        # Named (and formatted) only when it is wrong: this runs for every element of every proof.
        if type(element) is not bytes or len(element) != HASH_SIZE:
            _check_hash(f"proof[{i}]", element)


def root_from_inclusion_proof(leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes]) -> bytes:
    """Recompute the root that ``proof`` leads to from ``leaf`` at ``index`` (RFC 9162 §2.1.3.2).

    Raises:
        HashLengthError: the leaf hash or a proof element is not 32 bytes.
        InclusionProofError: ``index >= tree_size``, a size or index out of uint64 range,
            or a proof of the wrong length for this index and size.
    """
    _check_uint64("index", index)
    _check_uint64("tree_size", tree_size)
    _check_hash("leaf_hash", leaf)
    _check_proof(proof, InclusionProofError)
    if index >= tree_size:
        raise InclusionProofError(f"index {index} is beyond tree size {tree_size}", index=index, tree_size=tree_size)
    fn, sn, r = index, tree_size - 1, leaf
    sha256 = _sha256
    for p in proof:
        if sn == 0:
            raise InclusionProofError(
                f"proof is longer than a tree of size {tree_size} needs for index {index}",
                index=index,
                tree_size=tree_size,
                proof_length=len(proof),
            )
        # node_hash inlined: SHA-256(0x01 ‖ left ‖ right), RFC 9162 §2.1.1.
        if fn & 1 or fn == sn:
            r = sha256(b"\x01" + p + r).digest()
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = sha256(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InclusionProofError(
            f"proof is shorter than a tree of size {tree_size} needs for index {index}",
            index=index,
            tree_size=tree_size,
            proof_length=len(proof),
        )
    return r


def verify_inclusion(leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Check that ``leaf_hash`` is at ``index`` in the tree of ``tree_size`` with ``root``.

    Raises:
        HashLengthError: a hash, the root or a proof element is not 32 bytes.
        InclusionProofError: the proof is malformed for this index and size.
        InclusionRootMismatchError: the proof leads to another root (carries both roots).
    """
    _check_hash("root", root)
    calculated = root_from_inclusion_proof(leaf_hash, index, tree_size, proof)
    if calculated != root:
        raise InclusionRootMismatchError(
            f"inclusion proof for index {index} leads to another root than the tree of size {tree_size}",
            expected_root=root,
            calculated_root=calculated,
            index=index,
            tree_size=tree_size,
        )


def verify_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> None:
    """Check that the tree of ``size2`` with ``root2`` extends the one of ``size1`` with ``root1``.

    Implements RFC 9162 §2.1.4.2, plus: equal sizes need an empty proof and equal roots;
    ``size1 == 0`` needs an empty proof and the empty-tree root (C2SP tlog-witness).

    Raises:
        HashLengthError: a root or proof element is not 32 bytes.
        ConsistencyProofError: sizes out of order or range, or a proof of the wrong length.
        ConsistencyRootMismatchError: the proof does not lead to ``root1`` or ``root2``.
    """
    _check_uint64("size1", size1, ConsistencyProofError)
    _check_uint64("size2", size2, ConsistencyProofError)
    _check_hash("root1", root1)
    _check_hash("root2", root2)
    _check_proof(proof, ConsistencyProofError)
    if size1 > size2:
        raise ConsistencyProofError(
            f"size1 {size1} is larger than size2 {size2}: a log never shrinks", size1=size1, size2=size2
        )
    if size1 == size2 or size1 == 0:
        if proof:
            raise ConsistencyProofError(f"a proof from size {size1} to {size2} must be empty", size1=size1, size2=size2)
        # The empty tree's root is SHA-256(""); equal sizes need equal roots.
        for expected, actual, which in ((EMPTY_ROOT, root1, size1 == 0), (root2, root1, size1 == size2)):
            if which and actual != expected:
                raise ConsistencyRootMismatchError(
                    f"root of size {size1} differs from the root it must equal",
                    expected_root=expected,
                    calculated_root=actual,
                    size1=size1,
                    size2=size2,
                )
        return
    if not proof:
        raise ConsistencyProofError(
            f"an empty proof cannot show that size {size2} extends size {size1}", size1=size1, size2=size2
        )
    path = list(proof)
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ConsistencyProofError(f"proof is longer than sizes {size1} → {size2} need", size1=size1, size2=size2)
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ConsistencyProofError(f"proof is shorter than sizes {size1} → {size2} need", size1=size1, size2=size2)
    if fr != root1:
        raise ConsistencyRootMismatchError(
            f"consistency proof does not lead to the root of size {size1}",
            expected_root=root1,
            calculated_root=fr,
            size1=size1,
            size2=size2,
        )
    if sr != root2:
        raise ConsistencyRootMismatchError(
            f"consistency proof does not lead to the root of size {size2}",
            expected_root=root2,
            calculated_root=sr,
            size1=size1,
            size2=size2,
        )
