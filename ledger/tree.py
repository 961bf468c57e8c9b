"""Integration: growing the Merkle tree over newly sequenced leaves (RFC 9162 §2.1.1).

Only perfect subtrees are stored (one node per leaf and one per completed parent), so the tree
of size n holds 2n − popcount(n) nodes and a proof is O(log n) node reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ledger.records import NodeId
from verifier.merkle import fold_right_border, node_hash


def integrate(
    border: Sequence[tuple[NodeId, bytes]], tree_size: int, leaf_hashes: Iterable[bytes]
) -> tuple[list[tuple[NodeId, bytes]], bytes, int]:
    """Append leaves to a tree given by its right border (``ledger.proofs.right_border`` nodes).

    Returns the nodes to store (each new leaf and each newly completed parent), the new root
    and the new tree size.
    """
    stack = list(border)
    new_nodes: list[tuple[NodeId, bytes]] = []
    size = tree_size
    for leaf in leaf_hashes:
        node: tuple[NodeId, bytes] = ((0, size), leaf)
        new_nodes.append(node)
        while stack and stack[-1][0][0] == node[0][0]:
            (level, index), left = stack.pop()
            node = ((level + 1, index >> 1), node_hash(left, node[1]))
            new_nodes.append(node)
        stack.append(node)
        size += 1
    return new_nodes, fold_right_border(h for _, h in stack), size
