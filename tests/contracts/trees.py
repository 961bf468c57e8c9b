"""Synthetic trees for the contract tests: every prefix's root and proofs, from ``ledger.proofs`` plans."""

from __future__ import annotations

from functools import cache

from ledger.proofs import right_border
from tests.node_store import NodeStore
from verifier.merkle import fold_right_border, leaf_hash


class Tree(NodeStore):
    """A ``NodeStore`` whose prefixes are the tree sizes a test anchors."""

    def root(self, size: int) -> bytes:
        """MTH of the first ``size`` leaves, folded from the stored right border as the producer does."""
        return fold_right_border(self.hashes(right_border(size)))


@cache
def synthetic_tree(size: int) -> Tree:
    """A tree over ``size`` distinct synthetic leaves (shared: never mutate it)."""
    return Tree([leaf_hash(b"leaf %d" % i) for i in range(size)])
