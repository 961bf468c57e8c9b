"""py-evm's blocks, transactions, receipts and logs as Ethereum JSON-RPC objects (the fields geth returns).

Quantities are minimal 0x-hex, byte strings 0x-hex, addresses lower-case (clients checksum them). Every
block here is mined: the devnet has no pending transactions, so no field is ever null for that reason.
The block's ``extraData`` is its real (empty) extra data, not eth-tester's 32-byte padding, so that a verifier
can rebuild the header from these fields and get the block hash.
"""

from __future__ import annotations

from typing import Any

import rlp  # type: ignore[import-untyped]
from eth._utils.address import generate_contract_address
from eth.abc import BlockAPI, LogAPI, ReceiptAPI, SignedTransactionAPI

JsonObject = dict[str, Any]
ACCESS_LIST_TYPE, DYNAMIC_FEE_TYPE = 1, 2


def quantity(value: int) -> str:
    return hex(value)


def data(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def bloom(value: int) -> str:
    return data(value.to_bytes(256, "big"))


def word(value: int) -> str:
    """A 32-byte word (log topics and storage keys are ints in py-evm)."""
    return data(value.to_bytes(32, "big"))


def address_or_none(value: bytes) -> str | None:
    """A recipient; None for a contract creation (py-evm's empty ``to``)."""
    return data(value) if value else None


def base_fee(block: BlockAPI) -> int:
    """The block's base fee (every block here has one, 0; pre-London headers have none)."""
    return block.header.base_fee_per_gas or 0


def format_block(block: BlockAPI, *, full_transactions: bool) -> JsonObject:
    header = block.header
    transactions: list[Any] = [
        format_transaction(block, index, tx) if full_transactions else data(tx.hash)
        for index, tx in enumerate(block.transactions)
    ]
    return {
        "number": quantity(header.block_number),
        "hash": data(header.hash),
        "parentHash": data(header.parent_hash),
        "nonce": data(header.nonce),
        "mixHash": data(header.mix_hash),
        "sha3Uncles": data(header.uncles_hash),
        "logsBloom": bloom(header.bloom),
        "transactionsRoot": data(header.transaction_root),
        "stateRoot": data(header.state_root),
        "receiptsRoot": data(header.receipt_root),
        "miner": data(header.coinbase),
        "difficulty": quantity(header.difficulty),
        "totalDifficulty": quantity(0),
        "extraData": data(header.extra_data),
        "size": quantity(len(rlp.encode(block))),
        "gasLimit": quantity(header.gas_limit),
        "gasUsed": quantity(header.gas_used),
        "timestamp": quantity(header.timestamp),
        "baseFeePerGas": quantity(base_fee(block)),
        "transactions": transactions,
        "uncles": [],
    }


def format_transaction(block: BlockAPI, index: int, tx: SignedTransactionAPI) -> JsonObject:
    type_id = tx.type_id or 0
    formatted: JsonObject = {
        "blockHash": data(block.hash),
        "blockNumber": quantity(block.number),
        "transactionIndex": quantity(index),
        "hash": data(tx.hash),
        "type": quantity(type_id),
        "nonce": quantity(tx.nonce),
        "from": data(tx.sender),
        "to": address_or_none(tx.to),
        "value": quantity(tx.value),
        "gas": quantity(tx.gas),
        "gasPrice": quantity(effective_gas_price(tx, base_fee(block))),
        "input": data(tx.data),
    }
    if tx.chain_id is not None:
        formatted["chainId"] = quantity(tx.chain_id)
    if type_id >= ACCESS_LIST_TYPE:
        formatted["accessList"] = [
            {"address": data(address), "storageKeys": [word(slot) for slot in slots]}
            for address, slots in tx.access_list
        ]
    if type_id >= DYNAMIC_FEE_TYPE:
        formatted["maxFeePerGas"] = quantity(tx.max_fee_per_gas)
        formatted["maxPriorityFeePerGas"] = quantity(tx.max_priority_fee_per_gas)
    if type_id:
        formatted["yParity"] = quantity(tx.y_parity)
        formatted["v"] = quantity(tx.y_parity)
    else:
        # Only legacy transactions have v (27/28, or 35+ with EIP-155); SignedTransactionAPI does not declare it.
        formatted["v"] = quantity(getattr(tx, "v"))  # noqa: B009
    formatted["r"] = quantity(tx.r)
    formatted["s"] = quantity(tx.s)
    return formatted


def effective_gas_price(tx: SignedTransactionAPI, base_fee: int) -> int:
    """What the sender paid per gas: the gas price, or the EIP-1559 tip plus base fee, capped at the max fee."""
    if (tx.type_id or 0) >= DYNAMIC_FEE_TYPE:
        return min(tx.max_fee_per_gas, tx.max_priority_fee_per_gas + base_fee)
    return tx.gas_price


def format_receipt(block: BlockAPI, receipts: tuple[ReceiptAPI, ...], index: int) -> JsonObject:
    tx = block.transactions[index]
    receipt = receipts[index]
    previous_gas = receipts[index - 1].gas_used if index else 0
    first_log_index = sum(len(r.logs) for r in receipts[:index])
    created = generate_contract_address(tx.sender, tx.nonce) if not tx.to else None
    return {
        "transactionHash": data(tx.hash),
        "transactionIndex": quantity(index),
        "blockHash": data(block.hash),
        "blockNumber": quantity(block.number),
        "from": data(tx.sender),
        "to": address_or_none(tx.to),
        "cumulativeGasUsed": quantity(receipt.gas_used),
        "gasUsed": quantity(receipt.gas_used - previous_gas),
        "effectiveGasPrice": quantity(effective_gas_price(tx, base_fee(block))),
        "contractAddress": data(created) if created is not None else None,
        "logs": [format_log(block, index, first_log_index + offset, log) for offset, log in enumerate(receipt.logs)],
        "logsBloom": bloom(receipt.bloom),
        # Since Byzantium the receipt's first field is the status: b"\x01" success, b"" failure.
        "status": quantity(1 if receipt.state_root == b"\x01" else 0),
        "type": quantity(tx.type_id or 0),
    }


def format_log(block: BlockAPI, tx_index: int, log_index: int, log: LogAPI) -> JsonObject:
    """A log; ``log_index`` counts the logs of the whole block, as JSON-RPC specifies."""
    return {
        "address": data(log.address),
        "topics": [word(topic) for topic in log.topics],
        "data": data(log.data),
        "blockNumber": quantity(block.number),
        "blockHash": data(block.hash),
        "transactionHash": data(block.transactions[tx_index].hash),
        "transactionIndex": quantity(tx_index),
        "logIndex": quantity(log_index),
        "removed": False,
    }
