"""Strict reading of the JSON documents an auditor is handed (bundles, trust files).

``Fields`` wraps one JSON object and its path in the document; every accessor checks the type,
shape and range of one member and raises ``FormatError`` naming that member's path, so a malformed
document is refused with a message that says exactly where (step V1).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from typing import Any

from verifier.errors import FormatError
from verifier.limits import MAX_UINT64

HEX32_RE = re.compile(r"[0-9a-f]{64}")
PREFIXED_HEX32_RE = re.compile(r"0x[0-9a-f]{64}")
ADDRESS_RE = re.compile(r"0x[0-9a-fA-F]{40}")


def shown(value: Any) -> str:
    """A short rendering of a bad value for an error message."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class Fields:
    """One JSON object of a document, read member by member."""

    def __init__(self, value: Any, path: str) -> None:
        if not isinstance(value, Mapping):
            raise FormatError(f"{path}: must be an object, not {shown(value)}", path=path)
        self.value: Mapping[str, Any] = value
        self.path = path

    def at(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def fail(self, name: str, reason: str) -> FormatError:
        return FormatError(f"{self.at(name)}: {reason}", path=self.at(name))

    def expect_members(self, required: AbstractSet[str], optional: AbstractSet[str] = frozenset()) -> None:
        """Refuse missing and unknown members (an unknown member could carry unverified claims)."""
        missing = sorted(required - self.value.keys())
        if missing:
            raise self.fail(missing[0], "is missing")
        unknown = sorted(self.value.keys() - required - optional)
        if unknown:
            raise self.fail(unknown[0], "is not a member of this document")

    def has(self, name: str) -> bool:
        return self.value.get(name) is not None

    def raw(self, name: str) -> Any:
        return self.value.get(name)

    def string(self, name: str, pattern: re.Pattern[str] | None = None, what: str = "", *, limit: int = 4096) -> str:
        value = self.value.get(name)
        if not isinstance(value, str) or len(value) > limit:
            raise self.fail(name, f"must be a string of at most {limit} characters, not {shown(value)}")
        if pattern is not None and not pattern.fullmatch(value):
            raise self.fail(name, f"must be {what or pattern.pattern}, not {shown(value)}")
        return value

    def integer(self, name: str, *, minimum: int = 0, maximum: int = MAX_UINT64) -> int:
        value = self.value.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise self.fail(name, f"must be an integer from {minimum} to {maximum}, not {shown(value)}")
        return value

    def object(self, name: str) -> Fields:
        return Fields(self.value.get(name), self.at(name))

    def array(self, name: str, *, limit: int) -> list[Any]:
        value = self.value.get(name)
        if not isinstance(value, list):
            raise self.fail(name, f"must be an array, not {shown(value)}")
        if len(value) > limit:
            raise self.fail(name, f"has {len(value)} items, more than {limit}")
        return value

    def hash32(self, name: str) -> bytes:
        """A 32-byte hash as 64 lowercase hex digits."""
        return bytes.fromhex(self.string(name, HEX32_RE, "64 lowercase hex digits"))

    def prefixed_hash32(self, name: str) -> bytes:
        """A 32-byte chain value (transaction or block hash, log id) as ``0x`` and 64 lowercase hex digits."""
        return bytes.fromhex(self.string(name, PREFIXED_HEX32_RE, "0x and 64 lowercase hex digits")[2:])

    def address(self, name: str) -> str:
        """A contract address, returned in lowercase."""
        return self.string(name, ADDRESS_RE, "an address (0x and 40 hex digits)").lower()

    def base64(self, name: str, *, limit: int) -> bytes:
        text = self.string(name, limit=4 * (limit // 3 + 1))
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise self.fail(name, "must be standard base64") from None
        if base64.b64encode(data).decode() != text:
            raise self.fail(name, "must be canonical standard base64 (with padding)")
        return data
