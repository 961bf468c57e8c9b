"""JSON-RPC 2.0 over the devnet node: requests and batches in, responses out, every failure an error object.

The methods are the ones web3.py 8, the anchor worker and the verifier call, plus Besu's ``perm_*`` allowlist
methods. A caller never sees a traceback: an unexpected exception is logged here and answered with -32603.

Browsers read, they do not write: a request that carries an ``Origin`` header (``from_browser``) may call every
method except the state-changing ones, which it is refused (-32004) — a page the user happens to open must not
be able to send transactions or change the allowlist.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from importlib import metadata
from typing import Any

from eth.abc import BlockAPI, StateAPI
from eth_typing import Address

from ledger.devnet import params as p
from ledger.devnet.chain import DevChain
from ledger.devnet.errors import (
    INTERNAL_ERROR,
    INVALID_REQUEST,
    LIMIT_EXCEEDED,
    METHOD_NOT_FOUND,
    METHOD_NOT_SUPPORTED,
    PARSE_ERROR,
    RpcError,
    invalid_params,
)
from ledger.devnet.formatting import JsonObject, data, format_block, format_receipt, format_transaction, quantity, word
from ledger.devnet.logs import find_logs
from ledger.devnet.node import DevnetNode
from ledger.devnet.permissions import parse_accounts
from verifier.canonical import check_depth
from verifier.errors import FormatError

log = logging.getLogger(__name__)

#: The most requests one batch may hold.
MAX_BATCH = 1000
#: The most blocks one eth_feeHistory may cover (geth's limit).
MAX_FEE_HISTORY_BLOCKS = 1024
#: Methods that change the chain or the allowlist: never for browsers.
WRITE_METHODS = frozenset({"eth_sendRawTransaction", "perm_addAccountsToAllowlist", "perm_removeAccountsFromAllowlist"})

Handler = Callable[[DevnetNode, Any], Any]


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


CLIENT_VERSION = (
    f"hotline-ledger-devnet/v{_version('hotline-ledger')}/py-evm-{_version('py-evm')}"
    f"/python-{sys.version_info.major}.{sys.version_info.minor}"
)


# -- chain and network ----------------------------------------------------------------------------


def without_params(method: str, answer: Callable[[DevnetNode], Any]) -> Handler:
    """A method that takes no parameters and answers from the node's settings alone."""

    def handler(node: DevnetNode, params: Any) -> Any:
        p.positional(method, params, 0)
        return answer(node)

    return handler


#: Methods answered from settings. No accounts: the devnet holds no keys (clients sign locally, as with Besu).
#: Gas is free: the gas price and the priority fee are 0.
CONSTANT_ANSWERS: dict[str, Callable[[DevnetNode], Any]] = {
    "web3_clientVersion": lambda node: CLIENT_VERSION,
    "net_version": lambda node: str(node.genesis.chain_id),
    "net_listening": lambda node: True,
    "eth_chainId": lambda node: quantity(node.genesis.chain_id),
    "eth_syncing": lambda node: False,
    "eth_accounts": lambda node: [],
    "eth_gasPrice": lambda node: quantity(0),
    "eth_maxPriorityFeePerGas": lambda node: quantity(0),
}


# -- blocks and transactions ----------------------------------------------------------------------


def block_number(node: DevnetNode, params: Any) -> Any:
    p.positional("eth_blockNumber", params, 0)
    with node.reading() as chain:
        return quantity(chain.head.block_number)


def block_by_number(node: DevnetNode, params: Any) -> Any:
    tag, full = p.positional("eth_getBlockByNumber", params, 1, 1)
    full_transactions = full is not None and p.boolean(full, "params[1]")
    with node.reading() as chain:
        number = p.block_reference(tag, "params[0]", chain.head.block_number)
        if number > chain.head.block_number:
            return None
        return format_block(chain.block_at(number), full_transactions=full_transactions)


def block_by_hash(node: DevnetNode, params: Any) -> Any:
    block_hash, full = p.positional("eth_getBlockByHash", params, 1, 1)
    full_transactions = full is not None and p.boolean(full, "params[1]")
    with node.reading() as chain:
        block = chain.block_by_hash(p.hash32(block_hash, "params[0]"))
        if block is None:
            return None
        return format_block(block, full_transactions=full_transactions)


def transaction_lookup(method: str, answer: Callable[[DevChain, BlockAPI, int], JsonObject]) -> Handler:
    """A method ``(transaction hash)`` answering about a mined transaction, or null for an unknown hash."""

    def handler(node: DevnetNode, params: Any) -> Any:
        (tx_hash,) = p.positional(method, params, 1)
        with node.reading() as chain:
            found = chain.find_transaction(p.hash32(tx_hash, "params[0]"))
            return None if found is None else answer(chain, *found)

    return handler


TRANSACTION_LOOKUPS: dict[str, Callable[[DevChain, BlockAPI, int], JsonObject]] = {
    "eth_getTransactionByHash": lambda chain, block, index: format_transaction(block, index, block.transactions[index]),
    "eth_getTransactionReceipt": lambda chain, block, index: format_receipt(block, chain.receipts(block), index),
}


def send_raw_transaction(node: DevnetNode, params: Any) -> Any:
    (raw,) = p.positional("eth_sendRawTransaction", params, 1)
    signed = p.data(raw, "params[0]")
    if not signed:
        raise invalid_params("params[0] is empty: expected a signed transaction")
    return data(node.send_raw_transaction(signed))


# -- state ----------------------------------------------------------------------------------------


def account_read(method: str, read: Callable[[StateAPI, Address], str]) -> Handler:
    """A method ``(address, block = latest)`` that reads one thing of an account in the state after ``block``."""

    def handler(node: DevnetNode, params: Any) -> Any:
        account, block = p.positional(method, params, 1, 1)
        address = p.address(account, "params[0]")
        with node.reading() as chain:
            return read(chain.state_at(p.block_number(chain, block, "params[1]")), address)

    return handler


ACCOUNT_READS: dict[str, Callable[[StateAPI, Address], str]] = {
    "eth_getTransactionCount": lambda state, address: quantity(state.get_nonce(address)),
    "eth_getBalance": lambda state, address: quantity(state.get_balance(address)),
    "eth_getCode": lambda state, address: data(state.get_code(address)),
}


def storage_at(node: DevnetNode, params: Any) -> Any:
    account, slot, block = p.positional("eth_getStorageAt", params, 2, 1)
    with node.reading() as chain:
        state = chain.state_at(p.block_number(chain, block, "params[2]"))
        return word(state.get_storage(p.address(account, "params[0]"), p.quantity(slot, "params[1]")))


def call(node: DevnetNode, params: Any) -> Any:
    request, block = p.positional("eth_call", params, 1, 1)
    with node.reading() as chain:
        return data(chain.call(p.call_request(request, "params[0]"), p.block_number(chain, block, "params[1]")))


def estimate_gas(node: DevnetNode, params: Any) -> Any:
    request, block = p.positional("eth_estimateGas", params, 1, 1)
    with node.reading() as chain:
        number = p.block_number(chain, block, "params[1]")
        return quantity(chain.estimate_gas(p.call_request(request, "params[0]"), number))


def fee_history(node: DevnetNode, params: Any) -> Any:
    count, newest, percentiles = p.positional("eth_feeHistory", params, 2, 1)
    blocks = count if isinstance(count, int) and not isinstance(count, bool) else p.quantity(count, "params[0]")
    if not 1 <= blocks <= MAX_FEE_HISTORY_BLOCKS:
        raise invalid_params(f"params[0] (block count) must be 1 to {MAX_FEE_HISTORY_BLOCKS}, got {blocks}")
    if percentiles is not None and not (
        isinstance(percentiles, list)
        and all(isinstance(x, int | float) and not isinstance(x, bool) and 0 <= x <= 100 for x in percentiles)
        and percentiles == sorted(percentiles)
    ):
        raise invalid_params(f"params[2] must be increasing percentiles from 0 to 100, got {percentiles!r}")
    with node.reading() as chain:
        last = p.block_number(chain, newest, "params[1]")
        first = max(0, last - blocks + 1)
        headers = [chain.header_at(n) for n in range(first, last + 1)]
    history: dict[str, Any] = {
        "oldestBlock": quantity(first),
        # One more than the blocks: the base fee of the block after the newest, as EIP-1559 nodes report it.
        "baseFeePerGas": [quantity(h.base_fee_per_gas or 0) for h in headers] + [quantity(0)],
        "gasUsedRatio": [h.gas_used / h.gas_limit for h in headers],
    }
    if percentiles is not None:
        history["reward"] = [[quantity(0)] * len(percentiles) for _ in headers]
    return history


def get_logs(node: DevnetNode, params: Any) -> Any:
    (criteria,) = p.positional("eth_getLogs", params, 1)
    with node.reading() as chain:
        log_filter, blocks = p.log_filter(chain, criteria, "params[0]")
        return find_logs(chain, log_filter, blocks)


# -- permissioning (Besu's PERM API) --------------------------------------------------------------


def add_to_allowlist(node: DevnetNode, params: Any) -> Any:
    (listed,) = p.positional("perm_addAccountsToAllowlist", params, 1)
    node.allow(parse_accounts(listed))
    return "Success"


def remove_from_allowlist(node: DevnetNode, params: Any) -> Any:
    (listed,) = p.positional("perm_removeAccountsFromAllowlist", params, 1)
    node.disallow(parse_accounts(listed))
    return "Success"


def get_allowlist(node: DevnetNode, params: Any) -> Any:
    p.positional("perm_getAccountsAllowlist", params, 0)
    return node.allowlisted()


METHODS: dict[str, Handler] = {
    **{method: without_params(method, answer) for method, answer in CONSTANT_ANSWERS.items()},
    "eth_feeHistory": fee_history,
    "eth_blockNumber": block_number,
    "eth_getBlockByNumber": block_by_number,
    "eth_getBlockByHash": block_by_hash,
    **{method: transaction_lookup(method, answer) for method, answer in TRANSACTION_LOOKUPS.items()},
    **{method: account_read(method, read) for method, read in ACCOUNT_READS.items()},
    "eth_getStorageAt": storage_at,
    "eth_call": call,
    "eth_estimateGas": estimate_gas,
    "eth_getLogs": get_logs,
    "eth_sendRawTransaction": send_raw_transaction,
    "perm_addAccountsToAllowlist": add_to_allowlist,
    "perm_removeAccountsFromAllowlist": remove_from_allowlist,
    "perm_getAccountsAllowlist": get_allowlist,
}


# -- the protocol ---------------------------------------------------------------------------------


def error_response(error: RpcError, request_id: Any = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": error.to_json()}


class Dispatcher:
    """Answers JSON-RPC request bodies from one node."""

    def __init__(self, node: DevnetNode) -> None:
        self.node = node

    def handle(self, body: bytes, *, from_browser: bool = False) -> Any:
        """The response to a request body: an object, a list for a batch, or None when only notifications came."""
        try:
            text = body.decode("utf-8")
            # py-evm imports py_ecc, which raises the recursion limit to 100,000: the C decoder would overflow
            # the stack on a deeply nested body instead of raising RecursionError, so nesting is bounded first.
            check_depth(text)
            request = json.loads(text)
        except (ValueError, RecursionError, FormatError) as exc:
            return error_response(RpcError(PARSE_ERROR, f"parse error: the body is not JSON ({exc})"))
        if isinstance(request, list):
            if not request:
                return error_response(RpcError(INVALID_REQUEST, "invalid request: empty batch"))
            if len(request) > MAX_BATCH:
                return error_response(
                    RpcError(LIMIT_EXCEEDED, f"batch of {len(request)} requests exceeds the limit of {MAX_BATCH}")
                )
            responses = [self.handle_one(item, from_browser=from_browser) for item in request]
            return [response for response in responses if response is not None] or None
        return self.handle_one(request, from_browser=from_browser)

    def handle_one(self, request: Any, *, from_browser: bool) -> dict[str, Any] | None:
        """One request's response; None for a valid notification (a request without ``id``)."""
        if not isinstance(request, dict):
            return error_response(RpcError(INVALID_REQUEST, "invalid request: expected a JSON object"))
        request_id = request.get("id")
        if not isinstance(request_id, str | int | None) or isinstance(request_id, bool):
            return error_response(RpcError(INVALID_REQUEST, "invalid request: id must be a string, number or null"))
        method = request.get("method")
        if request.get("jsonrpc") != "2.0" or not isinstance(method, str):
            return error_response(
                RpcError(INVALID_REQUEST, 'invalid request: expected "jsonrpc": "2.0" and a string "method"'),
                request_id,
            )
        try:
            result = self.call(method, request.get("params"), from_browser=from_browser)
        except RpcError as error:
            response = error_response(error, request_id)
        else:
            response = {"jsonrpc": "2.0", "id": request_id, "result": result}
        return response if "id" in request else None

    def call(self, method: str, params: Any, *, from_browser: bool = False) -> Any:
        """Run one method (raises RpcError; any other exception becomes -32603 and is logged)."""
        handler = METHODS.get(method)
        if handler is None:
            raise RpcError(METHOD_NOT_FOUND, f"the method {method} does not exist/is not available")
        if from_browser and method in WRITE_METHODS:
            raise RpcError(
                METHOD_NOT_SUPPORTED,
                f"{method} changes state and is refused to browsers (the request has an Origin header): "
                "browser pages may only read",
            )
        try:
            return handler(self.node, params)
        except RpcError:
            raise
        except Exception as exc:
            log.exception("%s failed", method)
            raise RpcError(INTERNAL_ERROR, f"internal error in {method}: {type(exc).__name__}") from exc
