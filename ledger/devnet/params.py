"""Parsing JSON-RPC parameters: quantities, byte strings, addresses, block references, calls and log filters.

Every refusal is -32602 and names the parameter (``params[1]``, ``fromBlock``, ``topics[2][0]`` …), because a
caller cannot fix "invalid params" without knowing which one.
"""

from __future__ import annotations

import re
from typing import Any

from eth_typing import Address
from eth_utils.address import to_canonical_address

from ledger.devnet.chain import CREATE, ZERO_ADDRESS, CallRequest, DevChain
from ledger.devnet.errors import RESOURCE_NOT_FOUND, RpcError, invalid_params
from ledger.devnet.logs import LogFilter

_QUANTITY = re.compile(r"0x[0-9a-fA-F]{1,64}")
_DATA = re.compile(r"0x(?:[0-9a-fA-F]{2})*")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_HASH = re.compile(r"0x[0-9a-fA-F]{64}")
#: Every tag means the head: transactions are mined on arrival (nothing is pending) and final at once.
HEAD_TAGS = frozenset({"latest", "pending", "safe", "finalized"})


def positional(method: str, params: Any, required: int, optional: int = 0) -> list[Any]:
    """``params`` as a list of ``required`` to ``required + optional`` values, missing optional ones as None."""
    if params is None:
        params = []
    if not isinstance(params, list):
        raise invalid_params(f"{method} takes its parameters as an array")
    if not required <= len(params) <= required + optional:
        expected = f"{required}" if not optional else f"{required} to {required + optional}"
        raise invalid_params(f"{method} takes {expected} parameters, got {len(params)}")
    return params + [None] * (required + optional - len(params))


def _hex(value: Any, name: str, pattern: re.Pattern[str], what: str) -> str:
    if isinstance(value, str) and pattern.fullmatch(value):
        return value
    raise invalid_params(f"{name} must be {what}, got {value!r}")


def quantity(value: Any, name: str) -> int:
    """A 0x-hex unsigned integer of at most 256 bits."""
    return int(_hex(value, name, _QUANTITY, "a 0x-prefixed hex quantity"), 16)


def data(value: Any, name: str) -> bytes:
    """0x-prefixed hex bytes (an even number of digits)."""
    return bytes.fromhex(_hex(value, name, _DATA, "0x-prefixed hex bytes")[2:])


def address(value: Any, name: str) -> Address:
    return to_canonical_address(_hex(value, name, _ADDRESS, "a 0x-prefixed 20-byte address"))


def hash32(value: Any, name: str) -> bytes:
    return bytes.fromhex(_hex(value, name, _HASH, "a 0x-prefixed 32-byte hash")[2:])


def boolean(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    raise invalid_params(f"{name} must be true or false, got {value!r}")


def block_number(chain: DevChain, value: Any, name: str, *, default: str = "latest") -> int:
    """A block tag, number, or EIP-1898 ``{"blockNumber"}``/``{"blockHash"}`` as a mined block's number.

    Raises:
        RpcError: -32602 for a malformed reference; -32001 for a block the chain does not have.
    """
    if value is None:
        value = default
    if isinstance(value, dict):
        if set(value) <= {"blockHash", "requireCanonical"} and "blockHash" in value:
            block = chain.block_by_hash(hash32(value["blockHash"], f"{name}.blockHash"))
            if block is None:
                raise RpcError(RESOURCE_NOT_FOUND, f"block {value['blockHash']} not found")
            return block.number
        if set(value) == {"blockNumber"}:
            value = value["blockNumber"]
        else:
            raise invalid_params(f"{name} must hold blockNumber or blockHash, got {sorted(value)}")
    number = block_reference(value, name, chain.head.block_number)
    if number > chain.head.block_number:
        raise RpcError(
            RESOURCE_NOT_FOUND, f"block {number} not found: the chain's head is block {chain.head.block_number}"
        )
    return number


def block_reference(value: Any, name: str, head: int) -> int:
    """A block tag or number as a number (possibly beyond ``head``)."""
    if value in HEAD_TAGS:
        return head
    if value == "earliest":
        return 0
    if isinstance(value, str) and value.startswith("0x"):
        return quantity(value, name)
    raise invalid_params(
        f"{name} must be a block number or latest, pending, safe, finalized or earliest, got {value!r}"
    )


def call_request(value: Any, name: str) -> CallRequest:
    """An eth_call / eth_estimateGas transaction object. Fee fields are accepted and ignored: calls are free."""
    if not isinstance(value, dict):
        raise invalid_params(f"{name} must be a transaction object, got {value!r}")
    payload = [data(value[key], f"{name}.{key}") for key in ("input", "data") if value.get(key) is not None]
    if len(payload) == 2 and payload[0] != payload[1]:
        raise invalid_params(f"{name} has both input and data, and they differ")
    return CallRequest(
        sender=address(value["from"], f"{name}.from") if value.get("from") is not None else ZERO_ADDRESS,
        to=address(value["to"], f"{name}.to") if value.get("to") is not None else CREATE,
        gas=quantity(value["gas"], f"{name}.gas") if value.get("gas") is not None else None,
        value=quantity(value["value"], f"{name}.value") if value.get("value") is not None else 0,
        data=payload[0] if payload else b"",
    )


MAX_TOPICS = 4


def log_filter(chain: DevChain, value: Any, name: str) -> tuple[LogFilter, range]:
    """An eth_getLogs filter and the mined blocks it covers (blockHash, or fromBlock..toBlock, default latest)."""
    if not isinstance(value, dict):
        raise invalid_params(f"{name} must be a filter object, got {value!r}")
    head = chain.head.block_number
    if value.get("blockHash") is not None:
        if value.get("fromBlock") is not None or value.get("toBlock") is not None:
            raise invalid_params(f"{name} has blockHash together with fromBlock or toBlock")
        block = chain.block_by_hash(hash32(value["blockHash"], f"{name}.blockHash"))
        if block is None:
            raise RpcError(RESOURCE_NOT_FOUND, f"block {value['blockHash']} not found")
        blocks = range(block.number, block.number + 1)
    else:
        first = block_reference(value.get("fromBlock") or "latest", f"{name}.fromBlock", head)
        last = block_reference(value.get("toBlock") or "latest", f"{name}.toBlock", head)
        if first > last:
            raise invalid_params(f"{name}.fromBlock {first} is after toBlock {last}")
        blocks = range(first, min(last, head) + 1)
    return LogFilter(_addresses(value.get("address"), f"{name}.address"), _topics(value.get("topics"), name)), blocks


def _addresses(value: Any, name: str) -> frozenset[Address]:
    if value is None:
        return frozenset()
    if isinstance(value, list):
        return frozenset(address(item, f"{name}[{index}]") for index, item in enumerate(value))
    return frozenset({address(value, name)})


def _topics(value: Any, name: str) -> tuple[frozenset[int] | None, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_TOPICS:
        raise invalid_params(f"{name}.topics must be a list of at most {MAX_TOPICS} positions, got {value!r}")
    positions: list[frozenset[int] | None] = []
    for index, wanted in enumerate(value):
        where = f"{name}.topics[{index}]"
        if wanted is None or wanted == []:
            positions.append(None)
        elif isinstance(wanted, list):
            alternatives = [hash32(topic, f"{where}[{i}]") for i, topic in enumerate(wanted)]
            positions.append(frozenset(int.from_bytes(topic, "big") for topic in alternatives))
        else:
            positions.append(frozenset({int.from_bytes(hash32(wanted, where), "big")}))
    return tuple(positions)
