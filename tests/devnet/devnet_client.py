"""What the devnet tests share: raw HTTP requests, locally signed transactions, and CheckpointAnchor through web3.

Transactions are signed here with the development keys and sent raw, as the anchor worker does: the devnet
holds no key. Each goes out as a legacy transaction with ``gasPrice: 0``, an explicit gas limit and chain id
12345 unless a test says otherwise.
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.types import TxReceipt

from ledger.anchoring.contract import load_artifact
from ledger.anchoring.development import development_accounts

CHAIN_ID = 12345
TX_GAS = 3_000_000
ACCOUNTS = development_accounts()
ADMIN, OUTSIDER = ACCOUNTS[0], ACCOUNTS[1]


@dataclass
class HttpReply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def post(url: str, body: bytes | Any, *, headers: dict[str, str] | None = None, method: str = "POST") -> HttpReply:
    """One HTTP request to the devnet; ``body`` is sent as is when bytes, else as JSON."""
    parts = urlsplit(url)
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        connection.request(method, "/", body=payload, headers={"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        return HttpReply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def request(method: str, params: list[Any] | None = None, request_id: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params or []}


def rpc_error(url: str, method: str, params: list[Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    """The JSON-RPC error object of a call that must fail."""
    reply = post(url, request(method, params), **kwargs).json()
    assert "error" in reply, f"{method} did not fail: {reply}"
    error: dict[str, Any] = reply["error"]
    return error


def signed(account: LocalAccount, w3: Web3, **fields: Any) -> bytes:
    """A zero-price transaction from ``account`` (next pending nonce unless given), signed locally: legacy
    unless ``fields`` give EIP-1559 fees."""
    fees = {} if "maxFeePerGas" in fields else {"gasPrice": 0}
    tx: dict[str, Any] = {**fees, "gas": 21_000, "chainId": CHAIN_ID, "value": 0, **fields}
    if "nonce" not in tx:
        tx["nonce"] = w3.eth.get_transaction_count(account.address, "pending")
    return bytes(account.sign_transaction(tx).raw_transaction)


def transact(w3: Web3, account: LocalAccount, call: Any, *, gas: int = TX_GAS) -> TxReceipt:
    """Sign ``call`` (a contract function or constructor) locally, send it raw, return its receipt."""
    tx = call.build_transaction(
        {
            "from": account.address,
            "gasPrice": 0,
            "gas": gas,
            "chainId": CHAIN_ID,
            "nonce": w3.eth.get_transaction_count(account.address, "pending"),
        }
    )
    tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    return w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)


def deploy_anchor(w3: Web3, admin: LocalAccount = ADMIN) -> Contract:
    """CheckpointAnchor from the committed artifact, administered by ``admin``."""
    artifact = load_artifact()
    factory = w3.eth.contract(abi=list(artifact.abi), bytecode=artifact.bytecode)
    receipt = transact(w3, admin, factory.constructor(admin.address))
    assert receipt["status"] == 1 and receipt["contractAddress"] is not None
    return w3.eth.contract(address=receipt["contractAddress"], abi=list(artifact.abi))
