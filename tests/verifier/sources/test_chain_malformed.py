"""A node that answers garbage, errors or nothing: ChainReader raises the documented error (MalformedChainAnswer,
ChainRpcError or ChainUnavailable, all SourceErrors: verification INCOMPLETE), never anything else.

The node is a real HTTP server (tests/verifier/sources/rpc_server.py) whose answers each test scripts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.verifier.sources.rpc_server import Script, ScriptedNode, envelope, raw, results
from verifier.errors import SourceError
from verifier.sources.abi import ANCHORED_TOPIC, UNKNOWN_LOG_SELECTOR
from verifier.sources.chain import ChainReader, ChainRpcError, ChainUnavailable, MalformedChainAnswer, OnChainAnchor
from verifier.sources.jsonrpc import JsonRpcEndpoints

CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
LOG_ID = bytes(range(32))
ROOT = bytes([7]) * 32


def word(value: int) -> str:
    return value.to_bytes(32, "big").hex()


def hexed(raw_bytes: bytes) -> str:
    return "0x" + raw_bytes.hex()


def good_log(**changes: Any) -> dict[str, Any]:
    log = {
        "address": CONTRACT.lower(),
        "topics": [hexed(ANCHORED_TOPIC), hexed(LOG_ID), "0x" + word(5)],
        "data": "0x" + ROOT.hex() + word(0),
        "blockNumber": "0x3",
        "blockHash": "0x" + "ab" * 32,
        "transactionHash": "0x" + "cd" * 32,
        "logIndex": "0x0",
        "removed": False,
    }
    log.update(changes)
    return log


def read_with(script: Script, read: Callable[[ChainReader], Any]) -> Any:
    with ScriptedNode(script) as node, ChainReader([node.url], timeout=2) as reader:
        return read(reader)


# -- a well-formed scripted node is read correctly (so the failures below are about the answers) -----------------


def test_a_scripted_node_with_valid_answers_is_read() -> None:
    call_result = "0x" + ROOT.hex() + word(3) + word(1_780_000_000)
    script = results(
        eth_chainId="0x3039", eth_blockNumber="0x00a", eth_call=call_result, eth_getLogs=[good_log()],
        eth_getBlockByNumber={"number": "0x3", "hash": "0x" + "AB" * 32, "timestamp": "0x6a1b2c00"},
    )  # fmt: skip
    with ScriptedNode(script) as node, ChainReader([node.url]) as reader:
        assert reader.chain_id() == 12345
        assert reader.head() == 10
        assert reader.anchored_at(CONTRACT, LOG_ID, 5) == OnChainAnchor(5, ROOT, 3, 1_780_000_000)
        assert [e.size for e in reader.anchored_events(CONTRACT, LOG_ID)] == [5]
        assert reader.block_hash(3) == bytes([0xAB]) * 32


def test_a_revert_with_unknown_log_means_not_registered_but_other_reverts_are_errors() -> None:
    unknown = {"code": 3, "message": "execution reverted", "data": hexed(UNKNOWN_LOG_SELECTOR + LOG_ID)}
    other = {"code": 3, "message": "execution reverted", "data": hexed(UNKNOWN_LOG_SELECTOR + bytes(32))}

    def script(error: dict[str, Any]) -> Script:
        def answer(request: dict[str, Any]) -> tuple[int, bytes, float]:
            if request["method"] == "eth_blockNumber":
                return 200, json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": "0x1"}).encode(), 0.0
            return 200, json.dumps({"jsonrpc": "2.0", "id": request["id"], "error": error}).encode(), 0.0

        return answer

    assert read_with(script(unknown), lambda r: r.latest(CONTRACT, LOG_ID)) is None
    with pytest.raises(ChainRpcError) as caught:
        read_with(script(other), lambda r: r.latest(CONTRACT, LOG_ID))
    assert caught.value.code == 3 and caught.value.method == "eth_call"


# -- transport and envelope -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "error", "fragment"),
    [
        (raw(500, b"Internal Server Error"), ChainUnavailable, "HTTP status 500"),
        (raw(404, b""), ChainUnavailable, "HTTP status 404"),
        (raw(None, b""), ChainUnavailable, "unreachable"),
        (raw(200, b"<html>not json</html>"), MalformedChainAnswer, "not JSON"),
        (raw(200, b"\xff\xfe\x00garbage"), MalformedChainAnswer, "not JSON"),
        (raw(200, b"[" * 100_000), MalformedChainAnswer, "deeper than 32"),
        (raw(200, b'{"jsonrpc": "2.0", "id": 1, "result": 1e999999}'), MalformedChainAnswer, "id"),
        (raw(200, b"[]"), MalformedChainAnswer, "not a JSON-RPC response object"),
        (raw(200, b'"0x3039"'), MalformedChainAnswer, "not a JSON-RPC response object"),
        (envelope(result="0x3039"), MalformedChainAnswer, '"jsonrpc": "2.0"'),
        (envelope(jsonrpc="2.0", id=999_999, result="0x3039"), MalformedChainAnswer, "id"),
        (envelope(jsonrpc="2.0", id=True, result="0x3039"), MalformedChainAnswer, "id"),
        (envelope(jsonrpc="2.0"), MalformedChainAnswer, "exactly one of result and error"),
        (envelope(jsonrpc="2.0", result="0x1", error={"code": 1, "message": "x"}), MalformedChainAnswer, "exactly one"),
        (envelope(jsonrpc="2.0", error="boom"), MalformedChainAnswer, "not a JSON-RPC error object"),
        (envelope(jsonrpc="2.0", error={"code": "1", "message": "x"}), MalformedChainAnswer, "not a JSON-RPC error"),
        (envelope(jsonrpc="2.0", error={"code": -32000, "message": "boom"}), ChainRpcError, "JSON-RPC error -32000"),
        (
            raw(503, b'{"jsonrpc": "2.0", "id": null, "error": {"code": -32005, "message": "limit"}}'),
            ChainUnavailable,
            "HTTP status 503",
        ),
        (raw(200, b'{"jsonrpc":"2.0","id":1,"result":"0x1"}', delay=5), ChainUnavailable, "no answer within 2 s"),
    ],
)
def test_broken_transport_or_envelope(script: Script, error: type[Exception], fragment: str) -> None:
    with pytest.raises(error, match=fragment) as caught:
        read_with(script, lambda r: r.chain_id())
    assert isinstance(caught.value, ChainUnavailable) and isinstance(caught.value, SourceError)
    assert caught.value.url is not None and caught.value.method == "eth_chainId"


def test_an_http_error_carrying_a_json_rpc_error_keeps_the_nodes_error() -> None:
    def script(request: dict[str, Any]) -> tuple[int, bytes, float]:
        body = {"jsonrpc": "2.0", "id": request["id"], "error": {"code": -32005, "message": "rate limited"}}
        return 429, json.dumps(body).encode(), 0.0

    with pytest.raises(ChainRpcError, match=r"rate limited.*HTTP status 429") as caught:
        read_with(script, lambda r: r.chain_id())
    assert caught.value.code == -32005


def test_an_answer_larger_than_the_limit_is_refused() -> None:
    script = results(eth_chainId="0x" + "0" * 5000 + "1")
    with (
        ScriptedNode(script) as node,
        JsonRpcEndpoints([node.url], max_answer_bytes=1000) as endpoints,
        pytest.raises(MalformedChainAnswer, match="larger than 1000 bytes"),
    ):
        endpoints.call(node.url, "eth_chainId", [])


# -- results that are not valid answers ----------------------------------------------------------------------


def call_answer(result: Any) -> Script:
    return results(eth_blockNumber="0x5", eth_call=result)


@pytest.mark.parametrize(
    ("script", "fragment"),
    [
        (results(eth_chainId=12345), "hex quantity"),
        (results(eth_chainId="0x"), "hex quantity"),
        (results(eth_chainId="12345"), "hex quantity"),
        (results(eth_chainId="0xzz"), "hex quantity"),
        (results(eth_chainId="0x" + "f" * 65), "hex quantity"),
        (results(eth_chainId=None), "hex quantity"),
    ],
)
def test_a_malformed_chain_id(script: Script, fragment: str) -> None:
    with pytest.raises(MalformedChainAnswer, match=fragment):
        read_with(script, lambda r: r.chain_id())


@pytest.mark.parametrize(
    ("script", "fragment"),
    [
        (call_answer("0x1234"), "ABI words"),
        (call_answer("0x123"), "whole bytes"),
        (call_answer(["0x00"]), "whole bytes"),
        (call_answer("0x"), "returned nothing"),
        (call_answer("0x" + ROOT.hex() + word(2**64) + word(1)), "uint64"),
        (call_answer("0x" + bytes(32).hex() + word(3) + word(1)), "zero root with a block"),
        (results(eth_blockNumber="0x" + "f" * 17, eth_call="0x"), "above the largest valid value"),
    ],
)
def test_a_malformed_anchored_at_answer(script: Script, fragment: str) -> None:
    with pytest.raises(MalformedChainAnswer, match=fragment):
        read_with(script, lambda r: r.anchored_at(CONTRACT, LOG_ID, 5))


@pytest.mark.parametrize(
    ("result", "fragment"),
    [
        ("0x" + word(5) + ROOT.hex() + word(3), "ABI words"),
        ("0x" + word(0) + ROOT.hex() + word(0) + word(0), "size 0 with a root"),
        ("0x" + word(2**64 + 5) + ROOT.hex() + word(3) + word(1), "uint64"),
    ],
)
def test_a_malformed_latest_answer(result: str, fragment: str) -> None:
    with pytest.raises(MalformedChainAnswer, match=fragment):
        read_with(call_answer(result), lambda r: r.latest(CONTRACT, LOG_ID))


@pytest.mark.parametrize(
    ("block", "fragment"),
    [
        ("0x3", "JSON object or null"),
        ({"number": "0x4", "hash": "0x" + "ab" * 32, "timestamp": "0x1"}, "asked for block 3, got block 4"),
        ({"number": "0x3", "hash": "0x" + "ab" * 31, "timestamp": "0x1"}, "must be 32 bytes"),
        ({"number": "0x3", "timestamp": "0x1"}, "0x-prefixed hex data"),
        ({"number": "0x3", "hash": "0x" + "ab" * 32, "timestamp": -1}, "hex quantity"),
    ],
)
def test_a_malformed_block(block: Any, fragment: str) -> None:
    with pytest.raises(MalformedChainAnswer, match=fragment):
        read_with(results(eth_getBlockByNumber=block), lambda r: r.block_hash(3))


@pytest.mark.parametrize(
    ("logs", "fragment"),
    [
        ({"logs": []}, "list of logs"),
        (["0x1"], "JSON object"),
        ([good_log(address="0x" + "11" * 20)], "not emitted by the contract"),
        ([good_log(topics=[hexed(ANCHORED_TOPIC), hexed(LOG_ID)])], "3 topics"),
        ([good_log(topics=[hexed(bytes(32)), hexed(LOG_ID), "0x" + word(5)])], "not an Anchored log"),
        ([good_log(topics=[hexed(ANCHORED_TOPIC), hexed(LOG_ID), "0x" + word(2**64)])], "uint64"),
        ([good_log(data="0x" + ROOT.hex())], "ABI words"),
        ([good_log(blockNumber="0x64")], "outside the blocks asked for"),
        ([good_log(blockNumber=None)], "hex quantity"),
        ([good_log(), good_log()], "repeats the position"),
        ([good_log(removed="no")], "removed flag"),
        ([good_log(transactionHash="0x12")], "32 bytes"),
    ],
)
def test_malformed_logs(logs: Any, fragment: str) -> None:
    script = results(eth_blockNumber="0xa", eth_getLogs=logs)
    with pytest.raises(MalformedChainAnswer, match=fragment):
        read_with(script, lambda r: r.anchored_events(CONTRACT, LOG_ID))


def test_removed_logs_are_left_out_and_logs_come_in_chain_order() -> None:
    later = good_log(blockNumber="0x5", logIndex="0x0", topics=[hexed(ANCHORED_TOPIC), hexed(LOG_ID), "0x" + word(9)])
    logs = [later, good_log(removed=True, logIndex="0x1"), good_log()]
    script = results(eth_blockNumber="0xa", eth_getLogs=logs)
    assert [e.size for e in read_with(script, lambda r: r.anchored_events(CONTRACT, LOG_ID))] == [5, 9]


@pytest.mark.parametrize(
    "arguments",
    [
        ("0x1234", LOG_ID, 5),
        (CONTRACT[2:], LOG_ID, 5),
        (CONTRACT, LOG_ID[:31], 5),
        (CONTRACT, LOG_ID, -1),
        (CONTRACT, LOG_ID, 2**64),
    ],
)
def test_bad_arguments_are_the_callers_error_not_the_nodes(arguments: tuple[Any, ...]) -> None:
    with pytest.raises(ValueError):
        read_with(call_answer("0x"), lambda r: r.anchored_at(*arguments))


def test_a_client_passed_in_is_used_and_left_open() -> None:
    with ScriptedNode(results(eth_chainId="0x3039")) as node, httpx.Client() as client:
        with ChainReader([node.url], client=client) as reader:
            assert reader.chain_id() == 12345
        assert not client.is_closed
        assert client.post(node.url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}).status_code == 200


def test_the_chain_adapter_loads_neither_web3_nor_the_server_stack() -> None:
    code = (
        "import sys, verifier.sources.chain; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'web3', 'eth_utils', 'eth_abi', 'eth_account', 'sqlalchemy', 'fastapi', 'ledger', 'api'}))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


@pytest.mark.parametrize("urls", [[], "http://127.0.0.1:1", ["ftp://x"], ["http://a", "http://a"], ["not a url"]])
def test_bad_endpoint_lists_are_refused(urls: Any) -> None:
    with pytest.raises(ValueError):
        ChainReader(urls)
