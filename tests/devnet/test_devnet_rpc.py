"""The devnet's JSON-RPC protocol over HTTP: errors, batches, limits, CORS, and transactions it must refuse."""

from __future__ import annotations

from typing import Any

import pytest
from web3 import Web3

from ledger.devnet.process import DevnetProcess, rpc_call
from tests.devnet.devnet_client import ACCOUNTS, ADMIN, CHAIN_ID, post, request, rpc_error, signed

BROWSER = {"Origin": "http://127.0.0.1:8000"}


def journal_records(devnet: DevnetProcess) -> int:
    return (devnet.data / "journal").read_bytes().count(b"\n")


# -- the protocol ---------------------------------------------------------------------------------


def test_malformed_json_is_a_parse_error(devnet: DevnetProcess) -> None:
    reply = post(devnet.url, b'{"jsonrpc": "2.0", "method": ')
    assert reply.status == 200
    body = reply.json()
    assert body["id"] is None and body["error"]["code"] == -32700


def test_a_deeply_nested_body_is_a_parse_error_and_the_node_lives_on(devnet: DevnetProcess) -> None:
    """200,000 nested brackets once would have overflowed the C stack (py_ecc's raised recursion limit)."""
    reply = post(devnet.url, b"[" * 200_000 + b"]" * 200_000)
    assert reply.status == 200 and reply.json()["error"]["code"] == -32700
    assert "nested deeper than" in reply.json()["error"]["message"]
    assert rpc_call(devnet.url, "eth_chainId") == hex(CHAIN_ID)


@pytest.mark.parametrize(
    "bad",
    [
        5,
        {"jsonrpc": "1.0", "id": 1, "method": "eth_chainId"},
        {"jsonrpc": "2.0", "id": 1},
        {"jsonrpc": "2.0", "id": [1], "method": "eth_chainId"},
    ],
)
def test_invalid_requests(devnet: DevnetProcess, bad: Any) -> None:
    assert post(devnet.url, bad).json()["error"]["code"] == -32600


def test_an_unknown_method_is_named(devnet: DevnetProcess) -> None:
    error = rpc_error(devnet.url, "eth_mine")
    assert error["code"] == -32601 and "eth_mine" in error["message"]
    # Methods anvil has and this devnet does not: nothing can rewrite its history.
    assert rpc_error(devnet.url, "evm_revert", ["0x1"])["code"] == -32601


@pytest.mark.parametrize(
    ("method", "params", "named"),
    [
        ("eth_getBalance", ["0x1234"], "params[0]"),
        ("eth_getBalance", [ADMIN.address, "yesterday"], "params[1]"),
        ("eth_getBlockByNumber", ["0x1", "yes"], "params[1]"),
        ("eth_getBlockByNumber", [], "takes 1 to 2 parameters"),
        ("eth_chainId", [1], "takes 0 parameters"),
        ("eth_getBalance", {"address": ADMIN.address}, "as an array"),
        ("eth_call", [{"to": 123}], "params[0].to"),
        ("eth_call", [{"to": ADMIN.address, "data": "0x1"}], "params[0].data"),
        ("eth_call", [{"data": "0x00", "input": "0x01"}], "both input and data"),
        ("eth_getStorageAt", [ADMIN.address, "slot"], "params[1]"),
        ("eth_getLogs", [{"fromBlock": "0x2", "toBlock": "0x1"}], "is after toBlock"),
        ("eth_getLogs", [{"blockHash": "0x" + "00" * 32, "fromBlock": "0x0"}], "blockHash together with"),
        ("eth_getLogs", [{"topics": [["0x12"]]}], "params[0].topics[0][0]"),
        ("eth_getLogs", [{"address": ["0x12"]}], "params[0].address[0]"),
        ("eth_feeHistory", ["0x0", "latest"], "block count"),
        ("eth_feeHistory", ["0x1", "latest", [50, 10]], "increasing percentiles"),
        ("eth_getTransactionReceipt", ["0x12"], "32-byte hash"),
        ("eth_sendRawTransaction", ["0x"], "empty"),
        ("eth_sendRawTransaction", ["zz"], "params[0]"),
    ],
)
def test_bad_params_say_which(devnet: DevnetProcess, method: str, params: Any, named: str) -> None:
    reply = post(devnet.url, {"jsonrpc": "2.0", "id": 7, "method": method, "params": params})
    assert reply.status == 200
    body = reply.json()
    assert body["id"] == 7
    assert body["error"]["code"] == -32602
    assert named in body["error"]["message"]


def test_a_batch_answers_each_request_and_skips_notifications(devnet: DevnetProcess) -> None:
    batch = [
        request("eth_chainId", request_id=1),
        {"jsonrpc": "2.0", "method": "eth_blockNumber"},  # A notification: no response.
        request("no_such_method", request_id="two"),  # type: ignore[arg-type]
        request("eth_getBalance", [ADMIN.address, "earliest"], request_id=3),
    ]
    replies = post(devnet.url, batch).json()
    assert [reply["id"] for reply in replies] == [1, "two", 3]
    assert replies[0]["result"] == hex(CHAIN_ID)
    assert replies[1]["error"]["code"] == -32601
    assert int(replies[2]["result"], 16) == Web3.to_wei(10_000, "ether")
    assert post(devnet.url, []).json()["error"]["code"] == -32600
    only_notifications = post(devnet.url, [{"jsonrpc": "2.0", "method": "eth_chainId"}])
    assert (only_notifications.status, only_notifications.body) == (204, b"")


def test_an_oversized_body_is_refused_without_a_traceback(devnet: DevnetProcess) -> None:
    oversized = b'{"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "pad": "' + b"x" * (1024 * 1024) + b'"}'
    reply = post(devnet.url, oversized)
    assert reply.status == 413
    assert reply.json()["error"]["code"] == -32005
    # The devnet still answers.
    assert rpc_call(devnet.url, "eth_chainId") == hex(CHAIN_ID)


def test_get_is_not_json_rpc(devnet: DevnetProcess) -> None:
    reply = post(devnet.url, b"", method="GET")
    assert reply.status == 405 and reply.json()["error"]["code"] == -32600


# -- browsers read, they do not write -------------------------------------------------------------


def test_cors_preflight_and_headers(devnet: DevnetProcess) -> None:
    preflight = post(
        devnet.url,
        b"",
        method="OPTIONS",
        headers={**BROWSER, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
    )
    assert preflight.status == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "content-type" in preflight.headers["access-control-allow-headers"].lower()
    reply = post(devnet.url, request("eth_blockNumber"), headers=BROWSER)
    assert reply.status == 200 and "result" in reply.json()
    assert reply.headers["access-control-allow-origin"] == "*"


def test_a_browser_may_call_but_not_send_or_change_the_allowlist(w3: Web3, devnet: DevnetProcess) -> None:
    call = request("eth_call", [{"to": ADMIN.address, "data": "0x"}, "latest"])
    assert post(devnet.url, call, headers=BROWSER).json()["result"] == "0x"
    head, records = w3.eth.block_number, journal_records(devnet)
    raw = "0x" + signed(ADMIN, w3, to=ACCOUNTS[4].address, value=1).hex()
    for method, params in [
        ("eth_sendRawTransaction", [raw]),
        ("perm_addAccountsToAllowlist", [[ACCOUNTS[4].address]]),
        ("perm_removeAccountsFromAllowlist", [[ADMIN.address]]),
    ]:
        error = rpc_error(devnet.url, method, params, headers=BROWSER)
        assert error["code"] == -32004 and method in error["message"]
    assert (w3.eth.block_number, journal_records(devnet)) == (head, records)
    assert rpc_call(devnet.url, "perm_getAccountsAllowlist") == [ADMIN.address]
    # The same transaction without an Origin header is mined.
    assert rpc_call(devnet.url, "eth_sendRawTransaction", [raw])
    assert w3.eth.block_number == head + 1


# -- transactions that are refused and never journaled -------------------------------------------


def refused(w3: Web3, devnet: DevnetProcess, raw: bytes) -> str:
    """Send ``raw``; it must get -32000 and leave the chain and the journal as they were. Returns the message."""
    head, records = w3.eth.block_number, journal_records(devnet)
    error = rpc_error(devnet.url, "eth_sendRawTransaction", ["0x" + raw.hex()])
    assert error["code"] == -32000, error
    assert (w3.eth.block_number, journal_records(devnet)) == (head, records)
    return str(error["message"])


def test_another_chains_transaction_is_refused(w3: Web3, devnet: DevnetProcess) -> None:
    assert "invalid chain id 1" in refused(w3, devnet, signed(ADMIN, w3, to=ADMIN.address, chainId=1))
    typed = signed(ADMIN, w3, to=ADMIN.address, type=2, maxFeePerGas=0, maxPriorityFeePerGas=0, chainId=31337)
    assert "invalid chain id 31337" in refused(w3, devnet, typed)


def test_an_unprotected_transaction_is_refused(w3: Web3, devnet: DevnetProcess) -> None:
    tx = {
        "to": ADMIN.address,
        "value": 0,
        "gas": 21_000,
        "gasPrice": 0,
        "nonce": w3.eth.get_transaction_count(ADMIN.address),
    }
    raw = bytes(ADMIN.sign_transaction(tx).raw_transaction)
    assert "not replay-protected" in refused(w3, devnet, raw)


def test_invalid_transactions_are_refused(w3: Web3, devnet: DevnetProcess) -> None:
    nonce = w3.eth.get_transaction_count(ADMIN.address)
    assert "nonce" in refused(w3, devnet, signed(ADMIN, w3, to=ADMIN.address, nonce=nonce + 1)).lower()
    if nonce:
        assert "nonce" in refused(w3, devnet, signed(ADMIN, w3, to=ADMIN.address, nonce=nonce - 1)).lower()
    too_much = w3.eth.get_balance(ADMIN.address) + 1
    assert "balance" in refused(w3, devnet, signed(ADMIN, w3, to=ACCOUNTS[4].address, value=too_much))
    assert "gas" in refused(w3, devnet, signed(ADMIN, w3, to=ADMIN.address, gas=20_000)).lower()
    assert "gas limit" in refused(w3, devnet, signed(ADMIN, w3, to=ADMIN.address, gas=40_000_000))
    assert "invalid transaction" in refused(w3, devnet, b"\xf8\x01garbage")


def test_a_dynamic_fee_transaction_with_zero_fees_is_mined(w3: Web3) -> None:
    raw = signed(ADMIN, w3, to=ACCOUNTS[6].address, value=5, type=2, maxFeePerGas=0, maxPriorityFeePerGas=0)
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(raw))
    assert receipt["status"] == 1 and receipt["type"] == 2
    tx = w3.eth.get_transaction(receipt["transactionHash"])
    assert (tx["type"], tx["maxFeePerGas"], tx["chainId"]) == (2, 0, CHAIN_ID)
