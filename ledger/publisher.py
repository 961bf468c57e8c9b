"""Publishing: signing a checkpoint of the current tree, after the producer verified it itself.

Before a checkpoint is stored, the producer checks it with the verifier exactly as an auditor
would (DESIGN §5): the signature opens with the operator's verifier key, and the new tree is
consistent with the last published checkpoint. On any mismatch nothing is published.
"""

from __future__ import annotations

import time

from ledger.errors import PublishRefused
from ledger.proofs import ProofPlan, consistency_plan
from ledger.records import LogHead, StoredCheckpoint
from ledger.storage import ReadView, WriteView
from verifier.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from verifier.errors import VerificationError
from verifier.merkle import verify_consistency
from verifier.note import NoteSigner


def build_proof(view: ReadView, plan: ProofPlan) -> list[bytes]:
    """Read the nodes of ``plan`` and fold them into a proof."""
    return plan.rehash(view.node_hashes(plan.ids))


def publish_checkpoint(view: WriteView, head: LogHead, signer: NoteSigner) -> StoredCheckpoint:
    """Sign, self-verify and store a checkpoint of ``head``; return the stored checkpoint.

    Returns the existing checkpoint if one at this size was already published.

    Raises:
        PublishRefused: the signed note does not verify, or the tree does not extend the last
            published checkpoint.
    """
    existing = view.checkpoint(head.tree_size)
    if existing is not None:
        if existing.root != head.root:
            raise PublishRefused(
                f"a checkpoint of size {head.tree_size} with another root was already published",
                tree_size=head.tree_size,
            )
        return existing
    note = sign_checkpoint(Checkpoint(head.origin, head.tree_size, head.root), signer)
    previous = view.latest_checkpoint()
    try:
        opened = open_checkpoint(note, [signer.verifier()], origin=head.origin)
        if (opened.tree_size, opened.root_hash) != (head.tree_size, head.root):
            raise PublishRefused("the signed checkpoint does not say what was signed", tree_size=head.tree_size)
        if previous is not None:
            if previous.tree_size > head.tree_size:
                raise PublishRefused(
                    f"the tree of size {head.tree_size} is smaller than the published {previous.tree_size}",
                    tree_size=head.tree_size,
                    published_size=previous.tree_size,
                )
            if previous.tree_size > 0:
                proof = build_proof(view, consistency_plan(previous.tree_size, head.tree_size))
                verify_consistency(previous.tree_size, head.tree_size, proof, previous.root, head.root)
    except VerificationError as exc:
        raise PublishRefused(f"new checkpoint failed self-verification: {exc.message}", **exc.evidence) from exc
    checkpoint = StoredCheckpoint(head.tree_size, head.root, note, int(time.time() * 1000))
    view.add_checkpoint(checkpoint)
    return checkpoint
