"""RFC 6962 / RFC 9162 Merkle vectors: every case of ../shared/vectors/rfc6962.json against
``verifier.merkle`` (and, for proof generation, ``ledger.proofs`` and the test oracle
``tests.merkle_reference``).

Invalid vectors must raise a ``VerificationError``; where the cause is plain from the values,
the specific class is asserted: ``HashLengthError`` when any hash is not 32 bytes, a plain
``InclusionProofError``/``ConsistencyProofError`` when the sizes or the proof length are wrong
for the parameters, and a ``*RootMismatchError`` (whose ``expected_root``/``calculated_root``
are checked against the reference recomputation) when only the hashes are wrong.

Consistency from the empty tree (``size1 == 0``) is undefined in RFC 9162 §2.1.4.2, and the
sources disagree (``consistency_policy_dependent[]``). This verifier implements **policy C**
(C2SP tlog-witness: "the empty tree is consistent with any tree"; rgdd/CCTV; sigsum-go):
``size1 == 0`` is accepted only with an empty proof and ``root1 == SHA-256("")``, and, when
``size2 == 0`` too, ``root2 == SHA-256("")``. Each policy-dependent case is checked twice:

* as given: a case holding a value that is not 32 bytes is refused with ``HashLengthError``
  whatever the policy says — the vectors' README requires the length check, and names the one
  case (``1 -> 1`` with the placeholder roots "don't care 2") where that overrides policy C's
  "accept";
* with every non-32-byte placeholder replaced by a distinct 32-byte stand-in (equal
  placeholders get equal stand-ins, none equals the empty root), so that the result is decided
  by the size-0 rule alone; there it must equal ``expected_under_policy["C"]``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import pytest

from ledger.proofs import consistency_plan
from tests import merkle_reference as ref
from tests.node_store import NodeStore
from tests.vectors import load_vector
from verifier.errors import (
    ConsistencyProofError,
    ConsistencyRootMismatchError,
    HashLengthError,
    InclusionProofError,
    InclusionRootMismatchError,
    RootMismatchError,
    VerificationError,
)
from verifier.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    fold_right_border,
    leaf_hash,
    node_hash,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

VECTORS: dict[str, Any] = load_vector("rfc6962.json")
LEAF_HASHES = [bytes.fromhex(h) for h in VECTORS["leaf_hashes"]]
INCLUSION: list[dict[str, Any]] = VECTORS["inclusion"]
CONSISTENCY: list[dict[str, Any]] = VECTORS["consistency"]
POLICY_DEPENDENT: list[dict[str, Any]] = VECTORS["consistency_policy_dependent"]
AGGREGATES: dict[str, dict[str, Any]] = {a["name"]: a for a in VECTORS["aggregate_digests"]}
ROOTS: dict[str, str] = VECTORS["roots"]
COMPACT_RANGES: dict[str, list[str]] = VECTORS["compact_ranges"]

#: The leaf data of each named tree the proof vectors refer to.
TREE_DATA: dict[str, list[bytes]] = {
    "rfc6962_reference": [bytes.fromhex(h) for h in VECTORS["leaves_hex"]],
    "cctv_letters": [bytes.fromhex(h) for h in VECTORS["additional_trees"]["cctv_letters"]["leaves_hex"]],
    "pymerkle_letters": [bytes.fromhex(h) for h in VECTORS["additional_trees"]["pymerkle_letters"]["leaves_hex"]],
    "single_leaf_data": [b"data"],
}


def _slug(text: str, limit: int = 90) -> str:
    return re.sub(r"[^A-Za-z0-9@>._-]+", "-", text).strip("-")[:limit]


def _origin(case: dict[str, Any]) -> str:
    source = case.get("source") or next(iter(case.get("expected_by_source", {})), "")
    return source.split("@", 1)[0]


def inclusion_id(case: dict[str, Any]) -> str:
    return _slug(f"{_origin(case)}-{case['tree']}-{case['index']}of{case['size']}-{case['desc']}")


def consistency_id(case: dict[str, Any]) -> str:
    return _slug(f"{_origin(case)}-{case['tree']}-{case['size1']}->{case['size2']}-{case['desc']}")


def _hex(value: str) -> bytes:
    return bytes.fromhex(value)


def _inclusion_leaf(case: dict[str, Any]) -> bytes:
    if case["leaf_hash"] is not None:
        return _hex(case["leaf_hash"])
    return leaf_hash(_hex(case["leaf_hex"]))


# --- Hasher known answers, leaves, roots, nodes, compact ranges ------------------------------


def test_empty_root() -> None:
    assert EMPTY_ROOT.hex() == VECTORS["empty_root"] == VECTORS["roots"]["0"]
    assert tree_root([]) == EMPTY_ROOT
    assert fold_right_border([]) == EMPTY_ROOT
    # The empty tree is not the tree of one empty leaf (README: SHA-256(0x00) = 6e340b9c…).
    assert leaf_hash(b"") != EMPTY_ROOT


@pytest.mark.parametrize(
    "kat", VECTORS["hasher"], ids=lambda k: _slug(f"{k['kind']}-{k.get('input_ascii') or k.get('left_ascii') or ''}")
)
def test_hasher_known_answers(kat: dict[str, Any]) -> None:
    want = _hex(kat["hash"])
    if kat["kind"] == "empty_root":
        assert want == EMPTY_ROOT
    elif kat["kind"] == "leaf":
        assert leaf_hash(_hex(kat["input_hex"])) == want
    elif kat["kind"] == "node":
        # Including the "N123"/"N456" case: the node hash is plain SHA-256(0x01 || left || right)
        # over whatever bytes it is given; the 32-byte rule belongs to proof verification.
        assert node_hash(_hex(kat["left_hex"]), _hex(kat["right_hex"])) == want
    else:  # pragma: no cover - a new kind of vector must be handled here
        pytest.fail(f"unknown hasher vector kind {kat['kind']!r}")


def test_hasher_vectors_cover_the_short_node_case() -> None:
    assert any(k["kind"] == "node" and len(k["left_hex"]) != 2 * HASH_SIZE for k in VECTORS["hasher"])


@pytest.mark.parametrize("i", range(len(VECTORS["leaves_hex"])))
def test_leaf_hashes(i: int) -> None:
    assert leaf_hash(_hex(VECTORS["leaves_hex"][i])) == LEAF_HASHES[i]


@pytest.mark.parametrize("n", sorted(int(size) for size in ROOTS))
def test_roots(n: int) -> None:
    assert tree_root(LEAF_HASHES[:n]) == _hex(ROOTS[str(n)])
    assert ref.ReferenceTree(LEAF_HASHES).root(n) == _hex(ROOTS[str(n)])


@pytest.mark.parametrize("node", VECTORS["node_hashes"], ids=lambda n: f"level{n['level']}-index{n['index']}")
def test_node_hashes(node: dict[str, Any]) -> None:
    start, end = node["leaf_range"]
    assert (start, end) == (node["index"] << node["level"], (node["index"] + 1) << node["level"])
    assert tree_root(LEAF_HASHES[start:end]) == _hex(node["hash"])
    assert NodeStore(LEAF_HASHES).nodes[(node["level"], node["index"])] == _hex(node["hash"])


@pytest.mark.parametrize("n", sorted(int(size) for size in COMPACT_RANGES))
def test_compact_ranges_fold_to_roots(n: int) -> None:
    subtree_roots = [_hex(h) for h in COMPACT_RANGES[str(n)]]
    assert fold_right_border(subtree_roots) == _hex(ROOTS[str(n)])


@pytest.mark.parametrize("name", sorted(VECTORS["additional_trees"]))
def test_additional_trees(name: str) -> None:
    tree = VECTORS["additional_trees"][name]
    hashes = [leaf_hash(_hex(h)) for h in tree["leaves_hex"]]
    assert [h.hex() for h in hashes[: len(tree.get("leaf_hashes", []))]] == tree.get("leaf_hashes", [])
    assert [d.decode() for d in map(_hex, tree["leaves_hex"])] == tree["leaves_ascii"]
    assert tree["roots"], "a tree without roots checks nothing"
    for size, root in tree["roots"].items():
        assert tree_root(hashes[: int(size)]) == _hex(root), f"{name} size {size}"


def test_letter_trees_agree() -> None:
    """README: the pymerkle roots are byte-identical to the CCTV ones, found independently."""
    cctv = VECTORS["additional_trees"]["cctv_letters"]["roots"]
    for size, root in VECTORS["additional_trees"]["pymerkle_letters"]["roots"].items():
        assert cctv[size] == root


# --- Inclusion ------------------------------------------------------------------------------


def _expected_inclusion_error(case: dict[str, Any]) -> type[VerificationError]:
    leaf, root, path = _inclusion_leaf(case), _hex(case["root"]), [_hex(p) for p in case["path"]]
    if any(len(h) != HASH_SIZE for h in (leaf, root, *path)):
        return HashLengthError
    if case["index"] >= case["size"] or len(path) != ref.path_length(case["index"], case["size"]):
        return InclusionProofError
    return InclusionRootMismatchError


def test_inclusion_vector_counts() -> None:
    # README "Counts": 124 inclusion vectors, 28 valid.
    assert len(INCLUSION) == 124
    assert sum(c["valid"] for c in INCLUSION) == 28


@pytest.mark.parametrize("case", INCLUSION, ids=inclusion_id)
def test_inclusion(case: dict[str, Any]) -> None:
    leaf, root, path = _inclusion_leaf(case), _hex(case["root"]), [_hex(p) for p in case["path"]]
    if case["valid"]:
        verify_inclusion(leaf, case["index"], case["size"], path, root)
        return
    expected = _expected_inclusion_error(case)
    with pytest.raises(VerificationError) as caught:
        verify_inclusion(leaf, case["index"], case["size"], path, root)
    error = caught.value
    assert isinstance(error, expected), f"expected {expected.__name__}, got {type(error).__name__}: {error}"
    if expected is HashLengthError:
        bad = {n for n, h in (("leaf_hash", leaf), ("root", root)) if len(h) != HASH_SIZE}
        bad |= {f"proof[{i}]" for i, h in enumerate(path) if len(h) != HASH_SIZE}
        assert error.evidence["field"] in bad
    elif expected is InclusionProofError:
        assert not isinstance(error, RootMismatchError)
    else:
        assert isinstance(error, InclusionRootMismatchError)
        assert error.expected_root == root
        assert error.calculated_root == ref.root_from_path(leaf, case["index"], case["size"], path)
        assert error.calculated_root != root


@pytest.mark.parametrize(
    "case",
    [c for c in INCLUSION if c["valid"] and (c["tree"] in TREE_DATA or c["tree"] == "ct_test_cert")],
    ids=inclusion_id,
)
def test_valid_inclusion_paths_regenerate(case: dict[str, Any]) -> None:
    """Every valid vector on a known tree is exactly what the oracle and the producer generate."""
    data = [_hex(case["leaf_hex"])] if case["tree"] == "ct_test_cert" else TREE_DATA[case["tree"]][: case["size"]]
    hashes = [leaf_hash(d) for d in data]
    want = [_hex(p) for p in case["path"]]
    assert ref.ReferenceTree(hashes).path(case["index"]) == want
    assert NodeStore(hashes).inclusion_proof(case["index"], case["size"]) == want
    assert tree_root(hashes) == _hex(case["root"])


# --- Consistency ----------------------------------------------------------------------------


def _expected_consistency_error(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> type[VerificationError]:
    if any(len(h) != HASH_SIZE for h in (root1, root2, *proof)):
        return HashLengthError
    if size1 > size2:
        return ConsistencyProofError
    if size1 == size2 or size1 == 0:
        return ConsistencyProofError if proof else ConsistencyRootMismatchError
    if len(proof) != ref.proof_length(size1, size2):
        return ConsistencyProofError
    return ConsistencyRootMismatchError


def _check_consistency_refusal(size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> None:
    expected = _expected_consistency_error(size1, size2, proof, root1, root2)
    with pytest.raises(VerificationError) as caught:
        verify_consistency(size1, size2, proof, root1, root2)
    error = caught.value
    assert isinstance(error, expected), f"expected {expected.__name__}, got {type(error).__name__}: {error}"
    if expected is HashLengthError:
        bad = {n for n, h in (("root1", root1), ("root2", root2)) if len(h) != HASH_SIZE}
        bad |= {f"proof[{i}]" for i, h in enumerate(proof) if len(h) != HASH_SIZE}
        assert error.evidence["field"] in bad
    elif expected is ConsistencyProofError:
        assert not isinstance(error, RootMismatchError)
    else:
        assert isinstance(error, ConsistencyRootMismatchError)
        if size1 == size2 == 0:
            # Either root may be the one named; both must be the empty root.
            assert {error.expected_root, error.calculated_root} <= {root1, root2, EMPTY_ROOT}
            assert error.expected_root != error.calculated_root
        elif size1 == size2:
            assert (error.expected_root, error.calculated_root) == (root2, root1)
        elif size1 == 0:
            assert (error.expected_root, error.calculated_root) == (EMPTY_ROOT, root1)
        else:
            old, new = ref.roots_from_proof(size1, size2, proof, root1)
            want = (root1, old) if old != root1 else (root2, new)
            assert (error.expected_root, error.calculated_root) == want
            assert error.expected_root != error.calculated_root


def test_consistency_vector_counts() -> None:
    # README "Counts": 111 consistency vectors, 7 valid; 7 policy-dependent ones.
    assert len(CONSISTENCY) == 111
    assert sum(c["valid"] for c in CONSISTENCY) == 7
    assert len(POLICY_DEPENDENT) == 7


@pytest.mark.parametrize("case", CONSISTENCY, ids=consistency_id)
def test_consistency(case: dict[str, Any]) -> None:
    size1, size2 = case["size1"], case["size2"]
    root1, root2, proof = _hex(case["root1"]), _hex(case["root2"]), [_hex(p) for p in case["proof"]]
    if case["valid"]:
        verify_consistency(size1, size2, proof, root1, root2)
    else:
        _check_consistency_refusal(size1, size2, proof, root1, root2)


@pytest.mark.parametrize("case", [c for c in CONSISTENCY if c["valid"]], ids=consistency_id)
def test_valid_consistency_proofs_regenerate(case: dict[str, Any]) -> None:
    hashes = [leaf_hash(d) for d in TREE_DATA[case["tree"]][: case["size2"]]]
    want = [_hex(p) for p in case["proof"]]
    assert ref.ReferenceTree(hashes).proof(case["size1"]) == want
    assert NodeStore(hashes).consistency_proof(case["size1"], case["size2"]) == want


def _stand_in(value: bytes) -> bytes:
    """A 32-byte stand-in for a placeholder that is not a hash (equal in, equal out)."""
    return value if len(value) == HASH_SIZE else hashlib.sha256(b"stand-in:" + value).digest()


@pytest.mark.parametrize("case", POLICY_DEPENDENT, ids=consistency_id)
def test_policy_dependent_as_given(case: dict[str, Any]) -> None:
    size1, size2 = case["size1"], case["size2"]
    root1, root2, proof = _hex(case["root1"]), _hex(case["root2"]), [_hex(p) for p in case["proof"]]
    if any(len(h) != HASH_SIZE for h in (root1, root2, *proof)):
        with pytest.raises(HashLengthError):
            verify_consistency(size1, size2, proof, root1, root2)
    elif case["expected_under_policy"]["C"]:
        verify_consistency(size1, size2, proof, root1, root2)
    else:
        _check_consistency_refusal(size1, size2, proof, root1, root2)


@pytest.mark.parametrize("case", POLICY_DEPENDENT, ids=consistency_id)
def test_policy_dependent_follow_policy_c(case: dict[str, Any]) -> None:
    size1, size2 = case["size1"], case["size2"]
    root1, root2 = _stand_in(_hex(case["root1"])), _stand_in(_hex(case["root2"]))
    proof = [_stand_in(_hex(p)) for p in case["proof"]]
    assert EMPTY_ROOT not in {_stand_in(_hex(case[k])) for k in ("root1", "root2") if len(_hex(case[k])) != HASH_SIZE}
    if case["expected_under_policy"]["C"]:
        verify_consistency(size1, size2, proof, root1, root2)
    else:
        with pytest.raises(ConsistencyProofError):
            verify_consistency(size1, size2, proof, root1, root2)


@pytest.mark.parametrize(
    ("size2", "root1", "root2", "accepted"),
    [
        (0, EMPTY_ROOT, EMPTY_ROOT, True),
        (0, EMPTY_ROOT, LEAF_HASHES[0], False),
        (0, LEAF_HASHES[0], EMPTY_ROOT, False),
        (0, LEAF_HASHES[0], LEAF_HASHES[0], False),
        (1, EMPTY_ROOT, LEAF_HASHES[0], True),
        (8, EMPTY_ROOT, _hex(VECTORS["roots"]["8"]), True),
        (8, _hex(VECTORS["roots"]["8"]), _hex(VECTORS["roots"]["8"]), False),
    ],
    ids=["0-0-empty", "0-0-root2-wrong", "0-0-root1-wrong", "0-0-both-same-non-empty", "0-1", "0-8", "0-8-root1-wrong"],
)
def test_policy_c_from_the_empty_tree(size2: int, root1: bytes, root2: bytes, accepted: bool) -> None:
    """Policy C with real 32-byte roots: a tree of size 0 has exactly one root, SHA-256("")."""
    if accepted:
        verify_consistency(0, size2, [], root1, root2)
    else:
        with pytest.raises(ConsistencyRootMismatchError) as caught:
            verify_consistency(0, size2, [], root1, root2)
        assert caught.value.expected_root != caught.value.calculated_root


# --- Aggregate digests (draft-ietf-plants-merkle-tree-certs "Subtree Test Vectors") ----------

AGGREGATE_SIZE = 130
AGGREGATE_HASHES = [leaf_hash(bytes([i])) for i in range(AGGREGATE_SIZE)]


def _digest(lines: Iterable[str]) -> str:
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode())
    return h.hexdigest()


def _proof_line(prefix: str, proof: Sequence[bytes]) -> str:
    return prefix + "".join(f" {p.hex()}" for p in proof) + "\n"


def _subtrees(limit: int) -> Iterator[tuple[int, int]]:
    """Every valid ``[start, end)`` with ``end <= limit``, in the vectors' order."""
    for end in range(limit + 1):
        for start in range(end + 1):
            if ref.is_valid_subtree(start, end):
                yield start, end


def test_aggregate_subtree_hashes() -> None:
    lines = (f"[{s}, {e}) {tree_root(AGGREGATE_HASHES[s:e]).hex()}\n" for s, e in _subtrees(AGGREGATE_SIZE))
    assert _digest(lines) == AGGREGATES["subtree_hashes"]["want_sha256"]


def test_aggregate_subtree_hashes_reference() -> None:
    tree = ref.ReferenceTree(AGGREGATE_HASHES)
    lines = (f"[{s}, {e}) {tree.mth(s, e).hex()}\n" for s, e in _subtrees(AGGREGATE_SIZE))
    assert _digest(lines) == AGGREGATES["subtree_hashes"]["want_sha256"]


def test_aggregate_subtree_inclusion_proofs_reference() -> None:
    tree = ref.ReferenceTree(AGGREGATE_HASHES)
    lines = (
        _proof_line(f"{i} [{s}, {e})", tree.path(i - s, e - s, s))
        for s, e in _subtrees(AGGREGATE_SIZE)
        for i in range(s, e)
    )
    assert _digest(lines) == AGGREGATES["subtree_inclusion_proofs"]["want_sha256"]


def test_aggregate_subtree_inclusion_proofs_ledger() -> None:
    """All of it from ``ledger.proofs`` plans: a valid subtree's nodes are the big tree's, shifted."""
    store = NodeStore(AGGREGATE_HASHES)
    lines = (
        _proof_line(f"{i} [{s}, {e})", store.subtree_inclusion_proof(i, s, e))
        for s, e in _subtrees(AGGREGATE_SIZE)
        for i in range(s, e)
    )
    assert _digest(lines) == AGGREGATES["subtree_inclusion_proofs"]["want_sha256"]


def _consistency_lines(proof_for: Any) -> Iterator[str]:
    for n in range(AGGREGATE_SIZE + 1):
        for s, e in _subtrees(n):
            yield _proof_line(f"[{s}, {e}) {n}", proof_for(s, e, n))


def test_aggregate_subtree_consistency_proofs_reference() -> None:
    tree = ref.ReferenceTree(AGGREGATE_HASHES)
    digest = _digest(_consistency_lines(tree.subtree_proof))
    assert digest == AGGREGATES["subtree_consistency_proofs"]["want_sha256"]


def test_aggregate_subtree_consistency_proofs_ledger() -> None:
    """The ``start == 0`` lines (RFC 9162 ``PROOF(end, D[n])``) from ``ledger.proofs``, the rest
    (the draft's subtree proofs, which the producer does not make) from the oracle."""
    tree, store = ref.ReferenceTree(AGGREGATE_HASHES), NodeStore(AGGREGATE_HASHES)
    produced = 0

    def proof_for(start: int, end: int, n: int) -> list[bytes]:
        nonlocal produced
        if start != 0:
            return tree.subtree_proof(start, end, n)
        if end == 0:
            return []  # From the empty tree: no proof (the producer refuses size1 == 0).
        produced += 1
        return store.build(consistency_plan(end, n))

    digest = _digest(_consistency_lines(proof_for))
    assert digest == AGGREGATES["subtree_consistency_proofs"]["want_sha256"]
    assert produced == AGGREGATE_SIZE * (AGGREGATE_SIZE + 1) // 2
