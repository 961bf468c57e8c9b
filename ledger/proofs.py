"""Which stored tree nodes make up an inclusion or consistency proof (RFC 9162 §2.1.3, §2.1.4).

This is the producer's half of proofs ("which nodes"), kept apart from the verifier's half
("does it check out", ``verifier.merkle``), after transparency-dev/merkle's ``proof`` package.
A node is named by ``(level, index)``: the root of the perfect subtree over leaves
``[index·2^level, (index+1)·2^level)``. Only perfect subtrees are stored; a proof for a tree
whose size is not a power of two may also need one *ephemeral* node (the root of an
incomplete right subtree), which ``ProofPlan.rehash`` folds from a span of stored nodes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from verifier.merkle import node_hash

NodeId = tuple[int, int]


class ProofRequestError(ValueError):
    """Proof parameters that no tree can satisfy (index beyond size, shrinking sizes…)."""


@dataclass(frozen=True)
class ProofPlan:
    """The stored nodes a proof needs, in order; ``ids[begin:end]`` fold into one hash."""

    ids: tuple[NodeId, ...]
    begin: int = 0
    end: int = 0

    def rehash(self, hashes: Sequence[bytes]) -> list[bytes]:
        """Turn the hashes of ``ids`` (same order) into the proof, folding the ephemeral span."""
        if len(hashes) != len(self.ids):
            raise ValueError(f"expected {len(self.ids)} node hashes, got {len(hashes)}")
        if self.end - self.begin < 2:
            return list(hashes)
        folded = hashes[self.begin]
        for h in hashes[self.begin + 1 : self.end]:
            folded = node_hash(h, folded)
        return [*hashes[: self.begin], folded, *hashes[self.end :]]

    def skip_first(self) -> ProofPlan:
        """The same plan without its first node (the node being proved)."""
        if self.begin < self.end:
            return ProofPlan(self.ids[1:], self.begin - 1, self.end - 1)
        return ProofPlan(self.ids[1:])


def range_nodes(begin: int, end: int) -> list[NodeId]:
    """The perfect subtrees that exactly cover leaves ``[begin, end)``, left to right."""
    if begin == 0:
        left, right = 0, end
    else:
        xbegin = begin - 1
        mask = (1 << ((xbegin ^ end).bit_length() - 1)) - 1
        left, right = ~xbegin & mask, end & mask
    ids: list[NodeId] = []
    pos = begin
    while left:
        level = (left & -left).bit_length() - 1
        ids.append((level, pos >> level))
        pos += 1 << level
        left ^= 1 << level
    while right:
        level = right.bit_length() - 1
        ids.append((level, pos >> level))
        pos += 1 << level
        right ^= 1 << level
    return ids


def right_border(tree_size: int) -> list[NodeId]:
    """The perfect subtrees whose roots fold into the root of a tree of ``tree_size``."""
    return range_nodes(0, tree_size)


def _plan(index: int, level: int, size: int) -> ProofPlan:
    # The fork is where the path to node (level, index) leaves the path to leaf `size`; the
    # sibling of the fork is the ephemeral node covering the incomplete rest of the tree.
    inner = (index ^ (size >> level)).bit_length() - 1
    fork_level, fork_index = level + inner, index >> inner
    begin, end = fork_index << fork_level, (fork_index + 1) << fork_level
    ids: list[NodeId] = [(level, index)]
    node_level, node_index = level, index
    while node_level < fork_level:
        ids.append((node_level, node_index ^ 1))
        node_level, node_index = node_level + 1, node_index >> 1
    len1 = len(ids)
    ids.extend(reversed(range_nodes(end, size)))
    len2 = len(ids)
    ids.extend(reversed(range_nodes(0, begin)))
    if len1 >= len2:
        len1 = len2 = 0
    return ProofPlan(tuple(ids), len1, len2)


def inclusion_plan(index: int, tree_size: int) -> ProofPlan:
    """The nodes of the inclusion proof (audit path) of leaf ``index`` in a tree of ``tree_size``.

    Raises:
        ProofRequestError: ``index >= tree_size`` or a negative value.
    """
    if not 0 <= index < tree_size:
        raise ProofRequestError(f"index {index} is not in a tree of size {tree_size}")
    return _plan(index, 0, tree_size).skip_first()


_LOW_BITS = tuple((1 << level) - 1 for level in range(64))


def inclusion_path_keys(index: int, tree_size: int) -> tuple[int, list[int]]:
    """The part of an inclusion proof inside the leaf's perfect subtree, as ``node_key`` values.

    A tree of ``tree_size`` is its right border's perfect subtrees (``right_border``); leaf ``index``
    lies in the one of height ``(index ^ tree_size).bit_length() - 1``. Its proof is the leaf's sibling
    at each level inside that subtree, bottom up (these keys), then nodes that are the same for every
    leaf of the subtree at this size: ``inclusion_plan(index, tree_size)``'s hashes after the first
    ``height``. Returns ``(height, keys)``; ``0 <= index < tree_size`` is the caller's to check.
    """
    height = (index ^ tree_size).bit_length() - 1
    # Sibling at `level`: node (level, (index >> level) ^ 1), numbered as node_key numbers it.
    return height, [(((index >> level) ^ 1) << (level + 1)) | _LOW_BITS[level] for level in range(height)]


def consistency_plan(size1: int, size2: int) -> ProofPlan:
    """The nodes of the consistency proof from ``size1`` to ``size2``.

    Raises:
        ProofRequestError: ``size1 > size2``, a negative size, or ``size1 == 0`` (the empty
            tree needs no proof, and the verifier accepts only an empty one).
    """
    if not 0 < size1 <= size2:
        raise ProofRequestError(f"no consistency proof from size {size1} to {size2}")
    if size1 == size2:
        return ProofPlan(())
    # The biggest perfect subtree that ends at size1; if size1 is a power of two the verifier
    # knows that node already (it is root1), so it is left out.
    level = (size1 & -size1).bit_length() - 1
    index = (size1 - 1) >> level
    plan = _plan(index, level, size2)
    return plan.skip_first() if index == 0 else plan


def node_key(node: NodeId) -> int:
    """A unique integer for a node: its position in the tree's in-order (flat) numbering."""
    level, index = node
    return (index << (level + 1)) + (1 << level) - 1
