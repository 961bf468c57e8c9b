"""The citizen's 查询码: a short code, given once when a ticket opens, that lets its holder read the ticket.

Codes are 8 characters from a 32-symbol alphabet without the look-alikes 0/O and 1/I (40 bits), easy to
read out on the phone and to type on one. The ledger keeps only an HMAC-SHA256 of each code, bound to its
ticket and keyed with ``keys/query-code.key`` (DESIGN §9), so a copy of the database alone cannot test
guesses; the public endpoint that checks codes is rate-limited on top.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from ledger.keyfiles import load_or_create_key_file
from ledger.sequencer import Receipt
from ledger.storage import WriteView

#: Digits and capitals without 0, 1, I and O: 32 symbols, 5 bits each.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 8
KEY_SIZE = 32
KEY_FILE = "query-code.key"
_DOMAIN = b"hotline.query-code/v1\n"
#: Characters people type between groups, or around the code, that are not part of it.
_SEPARATORS = str.maketrans("", "", " -\t")


def normalise_code(code: str) -> str:
    """The code as issued: capitals, without spaces or hyphens (``ab3d-x7kq`` → ``AB3DX7KQ``)."""
    return code.translate(_SEPARATORS).upper()


class QueryCodeKey:
    """The HMAC key that turns ``(ticket, code)`` into the hash the ledger stores."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_SIZE:
            raise ValueError(f"query code key must be {KEY_SIZE} bytes")
        self._key = key

    @classmethod
    def load_or_create(cls, path: Path) -> QueryCodeKey:
        """Read the key file (base64 of 32 bytes), creating it with mode 0600 if missing.

        Raises:
            LogStateError: the file exists but does not hold a key.
        """
        return cls(load_or_create_key_file(path, KEY_SIZE, what="query code key"))

    def code_hash(self, ticket: str, code: str) -> bytes:
        """The keyed hash stored for ``ticket``'s ``code`` (the code is normalised first)."""
        message = _DOMAIN + ticket.encode() + b"\n" + normalise_code(code).encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def matches(self, ticket: str, code: str, stored: bytes | None) -> bool:
        """Whether ``code`` is ``ticket``'s code, in constant time; ``stored`` is ``None`` for an unknown ticket.

        An unknown ticket costs the same HMAC and comparison as a known one, so the time taken does not
        tell whether the ticket exists.
        """
        expected = stored if stored is not None else bytes(KEY_SIZE)
        return hmac.compare_digest(self.code_hash(ticket, code), expected) and stored is not None

    def draw(self, tickets: Iterable[str]) -> dict[str, tuple[str, bytes]]:
        """A fresh code and its keyed hash for each of ``tickets``, for ``issue`` to give out.

        Drawn before the write lock for the tickets a batch will probably open, so that the lock is not held
        for the random reads and HMACs; a code that is not given out is forgotten.
        """
        return {ticket: self._fresh(ticket) for ticket in tickets}

    def issue(
        self, view: WriteView, receipts: Sequence[Receipt], drawn: Mapping[str, tuple[str, bytes]] | None = None
    ) -> dict[str, str]:
        """Give every ticket opened by ``receipts`` a new code, and store its hash in the writer transaction.

        A code of ``drawn`` (``draw``) is given out for its ticket, a fresh one for any other. Returns the codes
        by ticket, for ``with_codes`` to put on the receipts once the transaction is over. Replayed receipts and
        later steps get none: a code is shown once, when the ticket opens.
        """
        drawn = drawn or {}
        codes: dict[str, tuple[str, bytes]] = {}
        for receipt in receipts:
            if receipt.seq == 1 and not receipt.replayed and receipt.ticket not in codes:
                codes[receipt.ticket] = drawn.get(receipt.ticket) or self._fresh(receipt.ticket)
        view.add_query_codes([(ticket, code_hash) for ticket, (_, code_hash) in codes.items()])
        return {ticket: code for ticket, (code, _) in codes.items()}

    def _fresh(self, ticket: str) -> tuple[str, bytes]:
        code = new_code()
        return code, self.code_hash(ticket, code)


def with_codes(receipts: Sequence[Receipt], codes: Mapping[str, str]) -> list[Receipt]:
    """``receipts``, each that opened a ticket carrying the code ``issue`` gave it."""
    return [replace(r, query_code=codes[r.ticket]) if r.seq == 1 and not r.replayed else r for r in receipts]


def new_code() -> str:
    """A fresh random code of ``CODE_LENGTH`` symbols (40 bits from the OS's CSPRNG).

    One read of 5 random bytes, 5 bits to a symbol: the alphabet has exactly 32 symbols, so every code is
    equally likely (``secrets.choice`` per symbol read the OS eight times, for every ticket opened).
    """
    bits = int.from_bytes(secrets.token_bytes(CODE_LENGTH * 5 // 8), "big")
    return "".join(ALPHABET[(bits >> (5 * position)) & 31] for position in range(CODE_LENGTH))
