"""What the devnet refuses: JSON-RPC errors for callers, and state errors that stop it from starting.

JSON-RPC codes follow JSON-RPC 2.0 (-32700 … -32603), EIP-1474 for server errors, geth for reverts (code 3,
"execution reverted", the revert bytes in ``data``) and Besu for permissioning (-32007), so that web3.py and
clients written for those nodes read them as they would there.
"""

from __future__ import annotations

from typing import Any

from ledger.errors import LedgerError

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
#: EIP-1474 "invalid input": a transaction that cannot be mined (nonce, funds, signature, chain id).
INVALID_INPUT = -32000
#: EIP-1474 "resource not found": a block the chain does not have yet.
RESOURCE_NOT_FOUND = -32001
#: EIP-1474 "method not supported": a state-changing method called by a browser.
METHOD_NOT_SUPPORTED = -32004
#: EIP-1474 "limit exceeded": an oversized body or batch.
LIMIT_EXCEEDED = -32005
#: Besu's account permissioning refusal (TX_SENDER_NOT_AUTHORIZED).
SENDER_NOT_AUTHORIZED = -32007
#: geth's and anvil's code for a revert in eth_call and eth_estimateGas.
EXECUTION_REVERTED = 3


class RpcError(Exception):
    """A JSON-RPC error object: what the caller gets instead of a result."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


def invalid_params(message: str) -> RpcError:
    """-32602, with a message that names the parameter."""
    return RpcError(INVALID_PARAMS, f"invalid params: {message}")


def rejected(message: str) -> RpcError:
    """-32000: a transaction that is refused and neither mined nor journaled."""
    return RpcError(INVALID_INPUT, message)


class DevnetStateError(LedgerError):
    """The devnet's data directory cannot be used: a damaged journal or settings file, a replay that does not
    reproduce the journaled blocks, or another devnet holding the directory. Raised at start; never ignored."""

    code = "devnet_state"
