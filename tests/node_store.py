"""A dict node store for tests: every perfect-subtree node of a tree, keyed by ``(level, index)``.

This is how the producer stores a tree (only perfect subtrees, never ephemeral nodes), reduced
to a dict, so that ``ledger.proofs`` plans can be turned into proofs without a database.
Node ``(level, index)`` is the root of leaves ``[index·2^level, (index+1)·2^level)``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ledger.proofs import NodeId, ProofPlan, consistency_plan, inclusion_plan
from verifier.merkle import node_hash


class NodeStore:
    """All perfect-subtree nodes over ``leaf_hashes``, built level by level."""

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        self.size = len(leaf_hashes)
        self.nodes: dict[NodeId, bytes] = {(0, i): h for i, h in enumerate(leaf_hashes)}
        level, row = 0, list(leaf_hashes)
        while len(row) > 1:
            row = [node_hash(row[i], row[i + 1]) for i in range(0, len(row) - 1, 2)]
            level += 1
            self.nodes.update(((level, i), h) for i, h in enumerate(row))

    def hashes(self, ids: Sequence[NodeId]) -> list[bytes]:
        """The stored hashes of ``ids``; a missing node is a ``KeyError`` (a planning bug)."""
        return [self.nodes[node] for node in ids]

    def build(self, plan: ProofPlan) -> list[bytes]:
        """Turn a plan into a proof, as the producer does: fetch the nodes, fold the ephemeral span."""
        return plan.rehash(self.hashes(plan.ids))

    def inclusion_proof(self, index: int, tree_size: int) -> list[bytes]:
        return self.build(inclusion_plan(index, tree_size))

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        return self.build(consistency_plan(size1, size2))

    def subtree_inclusion_proof(self, index: int, start: int, end: int) -> list[bytes]:
        """PATH(index - start, D[start:end]) for a valid subtree ``[start, end)``.

        A valid subtree with ``start > 0`` starts at a multiple of ``bit_ceil(end - start)``, so
        each of its nodes ``(level, i)`` is the big tree's node ``(level, i + start >> level)``.
        """
        plan = inclusion_plan(index - start, end - start)
        shifted = ProofPlan(tuple((lv, i + (start >> lv)) for lv, i in plan.ids), plan.begin, plan.end)
        return self.build(shifted)
