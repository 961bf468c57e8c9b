"""A test oracle: RFC 9162 §2.1 Merkle tree hashes and proofs, written straight from the RFC text.

Nothing here is used by the packages. It is deliberately naive and recursive, so that it shares
no code and no bit tricks with ``verifier.merkle`` (which verifies with the iterative algorithm
of §2.1.3.2 / §2.1.4.2) or with ``ledger.proofs`` (which plans proofs from node ids). The
definitions follow the RFC's notation over *leaf hashes*: ``D[k1:k2]`` is the half-open range
``[k1, k2)`` of a ``ReferenceTree``'s leaves, so trees of synthetic leaf hashes work as well as
trees of real data.

* ``MTH`` — §2.1.1; ``PATH`` — §2.1.3.1; ``PROOF``/``SUBPROOF`` — §2.1.4.1.
* ``subtree_proof`` — ``SUBTREE_PROOF`` from draft-ietf-plants-merkle-tree-certs ("Subtree
  Consistency Proofs"), the RFC 9162 ``SUBPROOF`` recursion generalised to a subtree
  ``[start, end)`` instead of a prefix ``[0, m)``; it equals ``PROOF(m, D[n])`` for ``start == 0``.
* ``root_from_path`` and ``roots_from_proof`` invert ``PATH`` and ``PROOF`` by the same
  recursion. They take only the sizes and the proof, never the leaves, so they also work for
  synthetic proofs over trees of up to 2^64 leaves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


EMPTY_ROOT = sha256(b"")


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 §2.1.1: MTH({d(0)}) = SHA-256(0x00 || d(0))."""
    return sha256(b"\x00" + data)


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 §2.1.1: SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))."""
    return sha256(b"\x01" + left + right)


def split_point(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n > 1``), the RFC's ``k``."""
    if n < 2:
        raise ValueError(f"no split point for a tree of {n} leaves")
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def is_valid_subtree(start: int, end: int) -> bool:
    """draft-ietf-plants-merkle-tree-certs: ``[start, end)`` is a subtree of some larger tree.

    ``start <= end`` and (``start == 0``, or ``start == end``, or ``start`` is a multiple of
    ``bit_ceil(end - start)``).
    """
    if start > end:
        return False
    if start == 0 or start == end:
        return True
    width = end - start
    ceil = 1
    while ceil < width:
        ceil *= 2
    return start % ceil == 0


class ReferenceTree:
    """A list of leaf hashes, with MTH/PATH/PROOF over ranges of it (memoised MTH)."""

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        self.leaves: tuple[bytes, ...] = tuple(leaf_hashes)
        self._mth = lru_cache(maxsize=None)(self._mth_uncached)

    @classmethod
    def from_data(cls, entries: Sequence[bytes]) -> ReferenceTree:
        return cls([leaf_hash(d) for d in entries])

    def __len__(self) -> int:
        return len(self.leaves)

    # --- MTH, RFC 9162 §2.1.1 -------------------------------------------------------------
    def mth(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]); the empty range hashes to SHA-256("")."""
        if not 0 <= start <= end <= len(self.leaves):
            raise ValueError(f"range [{start}, {end}) is not inside {len(self.leaves)} leaves")
        return self._mth(start, end)

    def _mth_uncached(self, start: int, end: int) -> bytes:
        n = end - start
        if n == 0:
            return EMPTY_ROOT
        if n == 1:
            return self.leaves[start]
        k = split_point(n)
        return node_hash(self._mth(start, start + k), self._mth(start + k, end))

    def root(self, size: int | None = None) -> bytes:
        return self.mth(0, len(self.leaves) if size is None else size)

    # --- PATH, RFC 9162 §2.1.3.1 ----------------------------------------------------------
    def path(self, m: int, size: int | None = None, start: int = 0) -> list[bytes]:
        """PATH(m, D[start:start+size]): the audit path of leaf ``m`` of that range."""
        n = len(self.leaves) - start if size is None else size
        if not 0 <= m < n or start + n > len(self.leaves):
            raise ValueError(f"no path for leaf {m} of {n} leaves")
        return self._path(m, start, start + n)

    def _path(self, m: int, lo: int, hi: int) -> list[bytes]:
        n = hi - lo
        if n == 1:
            return []
        k = split_point(n)
        if m < k:
            # PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])
            return [*self._path(m, lo, lo + k), self.mth(lo + k, hi)]
        # PATH(m, D[n]) = PATH(m - k, D[k:n]) : MTH(D[0:k])
        return [*self._path(m - k, lo + k, hi), self.mth(lo, lo + k)]

    # --- PROOF, RFC 9162 §2.1.4.1 ---------------------------------------------------------
    def proof(self, m: int, n: int | None = None) -> list[bytes]:
        """PROOF(m, D[n]) = SUBPROOF(m, D[n], true), for ``0 < m <= n``."""
        n = len(self.leaves) if n is None else n
        if not 0 < m <= n <= len(self.leaves):
            raise ValueError(f"no consistency proof from {m} to {n}")
        return self._subproof(m, 0, n, True)

    def _subproof(self, m: int, lo: int, hi: int, b: bool) -> list[bytes]:
        n = hi - lo
        if m == n:
            # SUBPROOF(m, D[m], true) = {}; SUBPROOF(m, D[m], false) = {MTH(D[m])}
            return [] if b else [self.mth(lo, hi)]
        k = split_point(n)
        if m <= k:
            # SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
            return [*self._subproof(m, lo, lo + k, b), self.mth(lo + k, hi)]
        # SUBPROOF(m, D[n], b) = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
        return [*self._subproof(m - k, lo + k, hi, False), self.mth(lo, lo + k)]

    # --- SUBTREE_PROOF, draft-ietf-plants-merkle-tree-certs -------------------------------
    def subtree_proof(self, start: int, end: int, n: int) -> list[bytes]:
        """SUBTREE_PROOF(start, end, D[0:n]) = SUBTREE_SUBPROOF(start, end, D[0:n], true).

        Empty when ``start == end`` (an empty subtree needs no proof).
        """
        if not (is_valid_subtree(start, end) and end <= n <= len(self.leaves)):
            raise ValueError(f"[{start}, {end}) is not a valid subtree of {n} leaves")
        if start == end:
            return []
        return self._subtree_subproof(start, end, 0, n, True)

    def _subtree_subproof(self, start: int, end: int, lo: int, hi: int, b: bool) -> list[bytes]:
        # ``start`` and ``end`` are relative to ``lo``, like ``m`` in SUBPROOF.
        n = hi - lo
        if start == 0 and end == n:
            return [] if b else [self.mth(lo, hi)]
        k = split_point(n)
        if end <= k:
            # The subtree lies in the left half: the right half is new.
            return [*self._subtree_subproof(start, end, lo, lo + k, b), self.mth(lo + k, hi)]
        if start >= k:
            # The subtree lies in the right half: the left half is shared.
            return [*self._subtree_subproof(start - k, end - k, lo + k, hi, b), self.mth(lo, lo + k)]
        # start < k < end: only possible for start == 0 (a valid subtree never straddles k
        # otherwise); this is SUBPROOF's m > k case.
        return [*self._subtree_subproof(0, end - k, lo + k, hi, False), self.mth(lo, lo + k)]


# --- Inverting PATH and PROOF from sizes alone ----------------------------------------------


def path_length(m: int, n: int) -> int:
    """len(PATH(m, D[n])), by the PATH recursion."""
    if not 0 <= m < n:
        raise ValueError(f"no path for leaf {m} of {n} leaves")
    length = 0
    while n > 1:
        k = split_point(n)
        m, n = (m, k) if m < k else (m - k, n - k)
        length += 1
    return length


def proof_length(m: int, n: int) -> int:
    """len(PROOF(m, D[n])), by the SUBPROOF recursion."""
    if not 0 < m <= n:
        raise ValueError(f"no consistency proof from {m} to {n}")
    length, b = 0, True
    while m != n:
        k = split_point(n)
        if m <= k:
            n = k
        else:
            m, n, b = m - k, n - k, False
        length += 1
    return length + (0 if b else 1)


def root_from_path(leaf: bytes, m: int, n: int, path: Sequence[bytes]) -> bytes:
    """The root that ``path`` = PATH(m, D[n]) leads to from ``leaf``.

    Raises:
        ValueError: ``m >= n`` or a path of the wrong length.
    """
    if not 0 <= m < n or len(path) != path_length(m, n):
        raise ValueError(f"a path for leaf {m} of {n} leaves has {path_length(m, n) if m < n else '?'} hashes")

    def walk(m: int, n: int, path: Sequence[bytes]) -> bytes:
        if n == 1:
            return leaf
        k = split_point(n)
        if m < k:
            return node_hash(walk(m, k, path[:-1]), path[-1])
        return node_hash(path[-1], walk(m - k, n - k, path[:-1]))

    return walk(m, n, path)


def roots_from_proof(m: int, n: int, proof: Sequence[bytes], root1: bytes) -> tuple[bytes, bytes]:
    """The (old, new) roots that ``proof`` = PROOF(m, D[n]) leads to.

    ``root1`` stands in for MTH(D[0:m]) where SUBPROOF leaves it out (``b`` still true when
    the recursion reaches ``m == n``, i.e. ``m`` is a power of two at a left edge).

    Raises:
        ValueError: sizes out of order or a proof of the wrong length.
    """
    if not 0 < m < n or len(proof) != proof_length(m, n):
        raise ValueError(f"proof of {len(proof)} hashes does not fit sizes {m} -> {n}")

    def walk(m: int, n: int, proof: Sequence[bytes], b: bool) -> tuple[bytes, bytes]:
        if m == n:
            known = root1 if b else proof[0]
            return known, known
        k = split_point(n)
        sibling, rest = proof[-1], proof[:-1]
        if m <= k:
            old, new = walk(m, k, rest, b)
            return old, node_hash(new, sibling)
        old, new = walk(m - k, n - k, rest, False)
        return node_hash(sibling, old), node_hash(sibling, new)

    return walk(m, n, proof, True)
