"""Forging real evidence as a dishonest operator could: a fork of the log re-signed with the operator's own key."""

from __future__ import annotations

import json
from typing import Any

from tests.evidence.malicious_api import flip_time_digit
from tests.merkle_reference import ReferenceTree
from verifier.checkpoint import Checkpoint, sign_checkpoint
from verifier.merkle import leaf_hash
from verifier.note import NoteSigner


def forked_bundle(document: dict[str, Any], entries: list[bytes], signer: NoteSigner) -> dict[str, Any]:
    """The bundle ``document`` moved onto a fork of the log: the last entry that is not in the bundle rewritten,
    the tree of that size re-signed by ``signer`` and every proof (and the anchor claim) made for the forked tree.

    ``entries`` are the log's entries up to the bundle's checkpoint size. The result is flawless but for
    one thing: the chain holds the original root at that size.
    """
    size = len(entries)
    proven = {item["index"] for kind in ("entries", "policies", "keys") for item in document[kind]}
    victim = next(i for i in range(size - 1, -1, -1) if i not in proven and b'"ticket":"' in entries[i])
    forked_entries = [*entries[:victim], flip_time_digit(entries[victim]), *entries[victim + 1 :]]
    tree = ReferenceTree.from_data(forked_entries)
    forked = json.loads(json.dumps(document))
    forked["checkpoint"] = sign_checkpoint(Checkpoint(signer.name, size, tree.root()), signer)
    forked["anchor"]["root"] = tree.root().hex()
    for kind in ("entries", "policies", "keys"):
        for item in forked[kind]:
            assert leaf_hash(entries[item["index"]]).hex() == item["hash"], "the entries are not the bundle's log"
            item["proof"] = [h.hex() for h in tree.path(item["index"], size)]
    return forked
