"""The payload store's cryptography: AES-256-GCM sealing of personal content behind commitments.

Each payload gets a fresh 32-byte random salt (for its commitment, DESIGN §3) and a fresh
96-bit nonce; the commitment is the AEAD's associated data, so a ciphertext cannot be moved
to another entry. Erasure (PIPL Art. 47) deletes ciphertext and salt; the commitment on the
log then opens to nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.errors import LogStateError
from ledger.keyfiles import load_or_create_key_file
from ledger.records import SealedPayload
from verifier.canonical import parse_canonical
from verifier.commitment import SALT_SIZE, commitment_to_bytes

KEY_SIZE = 32
NONCE_SIZE = 12


class PayloadKey:
    """The symmetric key that seals payloads (and keys the idempotency digests)."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_SIZE:
            raise ValueError(f"payload key must be {KEY_SIZE} bytes")
        self._aead = AESGCM(key)
        mac_key = hmac.new(key, b"hotline-ledger request digest v1", hashlib.sha256).digest()
        # HMAC-SHA256 under mac_key (RFC 2104), with its inner and outer hash states keyed once here
        # rather than on every digest: the key is 32 bytes, so it is padded, never hashed, to the block.
        block = mac_key.ljust(hashlib.sha256().block_size, b"\0")
        self._mac_inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._mac_outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    @classmethod
    def generate(cls) -> PayloadKey:
        return cls(AESGCM.generate_key(bit_length=256))

    @classmethod
    def load_or_create(cls, path: Path) -> PayloadKey:
        """Read the key file (standard base64 of 32 bytes), creating it with mode 0600 if missing.

        Raises:
            LogStateError: the file exists but does not hold a key.
        """
        return cls(load_or_create_key_file(path, KEY_SIZE, what="payload key"))

    def seal(self, payload_bytes: bytes, entry_index: int) -> SealedPayload:
        """Encrypt a canonical payload under a fresh salt and nonce, for the entry at ``entry_index``."""
        salt = os.urandom(SALT_SIZE)
        commitment = commitment_to_bytes(salt, payload_bytes)
        nonce = os.urandom(NONCE_SIZE)
        ciphertext = self._aead.encrypt(nonce, payload_bytes, commitment.encode())
        return SealedPayload(commitment, entry_index, salt, nonce, ciphertext)

    def open(self, sealed: SealedPayload) -> Any:
        """Decrypt a sealed payload.

        Raises:
            LogStateError: the ciphertext was altered or sealed under another key.
        """
        try:
            plaintext = self._aead.decrypt(sealed.nonce, sealed.ciphertext, sealed.commitment.encode())
        except InvalidTag as exc:
            raise LogStateError(f"payload {sealed.commitment} does not decrypt: altered or another key") from exc
        return parse_canonical(plaintext)

    def digest(self, data: bytes) -> bytes:
        """A keyed digest of request bytes, for idempotency checks without a plain hash of personal data.

        HMAC-SHA256 (RFC 2104) under a key derived from the payload key.
        """
        inner = self._mac_inner.copy()
        inner.update(data)
        outer = self._mac_outer.copy()
        outer.update(inner.digest())
        return outer.digest()
