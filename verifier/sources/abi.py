"""The little of the Solidity ABI the verifier needs from CheckpointAnchor, by hand (no web3 in the verifier).

Three reads of contracts/CheckpointAnchor.sol (DESIGN §6):

* ``anchoredAt(bytes32 logId, uint64 size) returns (bytes32 root, uint64 blockNumber, uint64 timestamp)``
* ``latest(bytes32 logId) returns (uint64 size, bytes32 root, uint64 blockNumber, uint64 timestamp)``
* ``event Anchored(bytes32 indexed logId, uint64 indexed size, bytes32 root, uint64 previousSize)``

All these types are static, so calls and results are plain sequences of 32-byte words. Selectors are the first
four bytes of the keccak-256 of the signature, and an event's topic 0 all of it; they are constants here, and
tests/verifier/sources/test_abi.py checks them against keccak and against the committed ABI. Decoding is strict:
exact lengths, and a ``uint64`` word whose upper 24 bytes are not zero is refused, as Solidity's decoder does.
"""

from __future__ import annotations

from verifier.limits import MAX_UINT64
from verifier.sources.chain_errors import MalformedChainAnswer

WORD = 32

#: keccak256("anchoredAt(bytes32,uint64)")[:4]
ANCHORED_AT_SELECTOR = bytes.fromhex("74a28049")
#: keccak256("latest(bytes32)")[:4]
LATEST_SELECTOR = bytes.fromhex("79feb107")
#: keccak256("Anchored(bytes32,uint64,bytes32,uint64)"): topic 0 of every ``Anchored`` log.
ANCHORED_TOPIC = bytes.fromhex("10d64b358a2a34d1aefd3923dfecde63ee095436d398bd873df1fd341db42724")
#: keccak256("UnknownLog(bytes32)")[:4]: the custom error both views revert with for an unregistered log.
UNKNOWN_LOG_SELECTOR = bytes.fromhex("3d199f11")


def bytes32_word(value: bytes) -> bytes:
    """A ``bytes32`` argument.

    Raises:
        ValueError: not exactly 32 bytes.
    """
    if not isinstance(value, bytes) or len(value) != WORD:
        raise ValueError(f"a bytes32 value must be 32 bytes, got {value!r}")
    return value


def uint64_word(value: int) -> bytes:
    """A ``uint64`` argument, big-endian in a 32-byte word.

    Raises:
        ValueError: not an integer from 0 to 2^64 - 1.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_UINT64:
        raise ValueError(f"a uint64 value must be an integer from 0 to {MAX_UINT64}, got {value!r}")
    return value.to_bytes(WORD, "big")


def encode_anchored_at(log_id: bytes, size: int) -> bytes:
    """Call data of ``anchoredAt(logId, size)``.

    Raises:
        ValueError: ``log_id`` not 32 bytes, or ``size`` not a uint64.
    """
    return ANCHORED_AT_SELECTOR + bytes32_word(log_id) + uint64_word(size)


def encode_latest(log_id: bytes) -> bytes:
    """Call data of ``latest(logId)``.

    Raises:
        ValueError: ``log_id`` not 32 bytes.
    """
    return LATEST_SELECTOR + bytes32_word(log_id)


def words(raw: bytes, count: int, what: str) -> list[bytes]:
    """Exactly ``count`` 32-byte words.

    Raises:
        MalformedChainAnswer: ``raw`` is not ``count`` words long.
    """
    if len(raw) != count * WORD:
        raise MalformedChainAnswer(
            f"{what} must be {count} ABI words ({count * WORD} bytes), got {len(raw)} bytes", answer="0x" + raw.hex()
        )
    return [raw[i : i + WORD] for i in range(0, len(raw), WORD)]


def decode_uint64(word: bytes, what: str) -> int:
    """A ``uint64`` word.

    Raises:
        MalformedChainAnswer: the value does not fit in 64 bits.
    """
    number = int.from_bytes(word, "big")
    if number > MAX_UINT64:
        raise MalformedChainAnswer(f"{what} does not fit in a uint64", answer="0x" + word.hex())
    return number


def decode_anchored_at(raw: bytes) -> tuple[bytes, int, int]:
    """``anchoredAt``'s result: (root, blockNumber, timestamp).

    Raises:
        MalformedChainAnswer: not three words, or a uint64 out of range.
    """
    root, block_number, timestamp = words(raw, 3, "anchoredAt's result")
    return (
        root,
        decode_uint64(block_number, "anchoredAt's blockNumber"),
        decode_uint64(timestamp, "anchoredAt's timestamp"),
    )


def decode_latest(raw: bytes) -> tuple[int, bytes, int, int]:
    """``latest``'s result: (size, root, blockNumber, timestamp).

    Raises:
        MalformedChainAnswer: not four words, or a uint64 out of range.
    """
    size, root, block_number, timestamp = words(raw, 4, "latest's result")
    return (
        decode_uint64(size, "latest's size"),
        root,
        decode_uint64(block_number, "latest's blockNumber"),
        decode_uint64(timestamp, "latest's timestamp"),
    )


def decode_anchored_data(raw: bytes) -> tuple[bytes, int]:
    """The data of an ``Anchored`` log (its non-indexed fields): (root, previousSize).

    Raises:
        MalformedChainAnswer: not two words, or ``previousSize`` out of range.
    """
    root, previous_size = words(raw, 2, "an Anchored log's data")
    return root, decode_uint64(previous_size, "an Anchored log's previousSize")
