"""Strict parsing of the values inside Ethereum JSON-RPC answers: quantities, data, hashes and addresses.

Every function takes any JSON value (whatever a node sent) and either returns a checked Python value or raises
``MalformedChainAnswer``; none raises anything else. Quantities are ``0x``-prefixed hex numbers (leading zeros are
tolerated, since answers are compared after decoding); data is ``0x``-prefixed hex of whole bytes. Hex digits may
be in either case.
"""

from __future__ import annotations

import re
from typing import Any

from verifier.limits import MAX_UINT64
from verifier.sources.chain_errors import MalformedChainAnswer

_QUANTITY = re.compile(r"0x[0-9a-fA-F]{1,64}")
_DATA = re.compile(r"0x(?:[0-9a-fA-F]{2})*")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def parse_quantity(value: Any, what: str, *, maximum: int = MAX_UINT64) -> int:
    """A JSON-RPC quantity from 0 to ``maximum``.

    Raises:
        MalformedChainAnswer: not a string of ``0x`` and 1 to 64 hex digits, or above ``maximum``.
    """
    if not isinstance(value, str) or _QUANTITY.fullmatch(value) is None:
        raise MalformedChainAnswer(f"{what} must be a 0x-prefixed hex quantity", answer=value)
    number = int(value[2:], 16)
    if number > maximum:
        raise MalformedChainAnswer(f"{what} is {number}, above the largest valid value {maximum}", answer=value)
    return number


def parse_data(value: Any, what: str, *, length: int | None = None) -> bytes:
    """JSON-RPC data (``0x`` and hex of whole bytes), of exactly ``length`` bytes when given.

    Raises:
        MalformedChainAnswer: not a string of ``0x`` and an even number of hex digits, or of another length.
    """
    if not isinstance(value, str) or _DATA.fullmatch(value) is None:
        raise MalformedChainAnswer(f"{what} must be 0x-prefixed hex data of whole bytes", answer=value)
    raw = bytes.fromhex(value[2:])
    if length is not None and len(raw) != length:
        raise MalformedChainAnswer(f"{what} must be {length} bytes, got {len(raw)}", answer=value)
    return raw


def parse_hash(value: Any, what: str) -> bytes:
    """A 32-byte hash (block, transaction, topic).

    Raises:
        MalformedChainAnswer: not 0x-prefixed hex of exactly 32 bytes.
    """
    return parse_data(value, what, length=32)


def parse_address(value: Any, what: str) -> bytes:
    """A 20-byte account address, in any letter case (the EIP-55 checksum is not required).

    Raises:
        MalformedChainAnswer: not ``0x`` and 40 hex digits.
    """
    if not isinstance(value, str) or _ADDRESS.fullmatch(value) is None:
        raise MalformedChainAnswer(f"{what} must be a 0x-prefixed 20-byte address", answer=value)
    return bytes.fromhex(value[2:])


def contract_address(contract: str) -> bytes:
    """The 20 bytes of a contract address given by the caller (``0x`` and 40 hex digits, any case).

    Raises:
        ValueError: not such an address (the caller's input, not a node's answer).
    """
    if not isinstance(contract, str) or _ADDRESS.fullmatch(contract) is None:
        raise ValueError(f"a contract address must be 0x and 40 hex digits, got {contract!r}")
    return bytes.fromhex(contract[2:])


def quantity(number: int) -> str:
    """A non-negative integer as a JSON-RPC quantity (``0x`` and hex without leading zeros)."""
    if number < 0:
        raise ValueError(f"a quantity cannot be negative, got {number}")
    return hex(number)


def data(raw: bytes) -> str:
    """Bytes as JSON-RPC data."""
    return "0x" + raw.hex()
