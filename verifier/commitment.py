"""Salted payload commitments (DESIGN §3): ``sha256:`` hex of SHA-256(salt ‖ JCS(payload)).

A commitment binds an entry to off-log content (complaint text, contact data) without
revealing it: the 32-byte random salt stays off the log, so even a guessable payload such as
a phone number cannot be confirmed from the commitment alone (PIPL). Step V11 checks a
disclosed payload and salt against the commitment in the entry.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from verifier.canonical import canonical_bytes
from verifier.errors import FormatError, VerificationError

SALT_SIZE = 32


class DisclosureMismatch(VerificationError):
    """A disclosed payload and salt that do not open the entry's commitment (step V11)."""

    step = "V11"


def payload_commitment(salt: bytes, payload: Any) -> str:
    """Return the commitment to ``payload`` under ``salt``.

    Raises:
        FormatError: the salt is not 32 bytes, or the payload is not canonical-JSON encodable.
    """
    return commitment_to_bytes(salt, canonical_bytes(payload))


def commitment_to_bytes(salt: bytes, payload_bytes: bytes) -> str:
    """Return the commitment to a payload already in canonical form.

    Raises:
        FormatError: the salt is not 32 bytes.
    """
    if not isinstance(salt, bytes) or len(salt) != SALT_SIZE:
        raise FormatError(f"salt must be {SALT_SIZE} bytes", field="salt")
    return "sha256:" + hashlib.sha256(salt + payload_bytes).hexdigest()


def verify_disclosure(commitment: str, salt: bytes, payload: Any) -> None:
    """Check that ``payload`` with ``salt`` opens ``commitment``.

    Raises:
        FormatError: malformed salt or payload.
        DisclosureMismatch: they do not open the commitment.
    """
    check_opening(commitment, payload_commitment(salt, payload))


def check_opening(commitment: str, calculated: str) -> None:
    """Check that a commitment calculated from a disclosure is the entry's.

    Raises:
        DisclosureMismatch: it is not.
    """
    if not hmac.compare_digest(calculated, commitment):
        raise DisclosureMismatch(
            "disclosed payload does not match the entry's commitment", expected=commitment, calculated=calculated
        )
