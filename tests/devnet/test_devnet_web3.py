"""web3.py 8 against a real devnet process: the calls the anchor worker and the verifier make, end to end."""

from __future__ import annotations

import itertools

import pytest
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, Web3RPCError

from ledger.anchoring.contract import load_artifact, log_id
from ledger.devnet.process import DevnetProcess, rpc_call
from tests.contracts.trees import synthetic_tree
from tests.devnet.devnet_client import ACCOUNTS, ADMIN, OUTSIDER, rpc_error, signed, transact

TREE = synthetic_tree(16)
ORIGIN = "12345.hangzhou.gov.cn/devnet-test/v1"


@pytest.fixture(scope="module")
def anchor(w3: Web3) -> Contract:
    """CheckpointAnchor with one log registered, the admin as its anchorer, anchored at sizes 3 and then 7."""
    artifact = load_artifact()
    factory = w3.eth.contract(abi=list(artifact.abi), bytecode=artifact.bytecode)
    receipt = transact(w3, ADMIN, factory.constructor(ADMIN.address))
    assert receipt["status"] == 1 and receipt["contractAddress"] is not None
    contract = w3.eth.contract(address=receipt["contractAddress"], abi=list(artifact.abi))
    lid = log_id(ORIGIN)
    assert transact(w3, ADMIN, contract.functions.registerLog(ORIGIN))["status"] == 1
    assert transact(w3, ADMIN, contract.functions.addAnchorer(lid, ADMIN.address))["status"] == 1
    assert transact(w3, ADMIN, contract.functions.anchor(lid, 3, TREE.root(3), []))["status"] == 1
    proof = TREE.consistency_proof(3, 7)
    assert transact(w3, ADMIN, contract.functions.anchor(lid, 7, TREE.root(7), proof))["status"] == 1
    return contract


def test_chain_id_zero_base_fee_and_funded_development_accounts(w3: Web3) -> None:
    assert w3.eth.chain_id == 12345
    assert w3.net.version == "12345"
    assert w3.is_connected()
    assert w3.eth.get_block("latest")["baseFeePerGas"] == 0
    assert w3.eth.gas_price == 0
    assert w3.eth.max_priority_fee == 0
    for account in ACCOUNTS:
        assert w3.eth.get_balance(account.address, "earliest") == Web3.to_wei(10_000, "ether")
    # The devnet holds no key: clients sign locally, as they must with Besu.
    assert w3.eth.accounts == []
    assert w3.eth.syncing is False
    assert w3.client_version.startswith("hotline-ledger-devnet/")


def test_anchors_are_read_back_through_the_contract(w3: Web3, anchor: Contract) -> None:
    lid = log_id(ORIGIN)
    size, root, block_number, timestamp = anchor.functions.latest(lid).call()
    assert (size, root) == (7, TREE.root(7))
    block = w3.eth.get_block(block_number)
    assert block["timestamp"] == timestamp
    assert anchor.functions.anchoredAt(lid, 3).call()[0] == TREE.root(3)
    assert w3.eth.get_code(anchor.address) == load_artifact().deployed_bytecode


def test_get_logs_finds_the_anchored_events(w3: Web3, anchor: Contract) -> None:
    lid = log_id(ORIGIN)
    event = anchor.events.Anchored()
    logs = w3.eth.get_logs({"fromBlock": 0, "toBlock": "latest", "address": anchor.address, "topics": [event.topic]})
    decoded = [event.process_log(entry)["args"] for entry in logs]
    assert [(e["logId"], e["size"], e["root"], e["previousSize"]) for e in decoded] == [
        (lid, 3, TREE.root(3), 0),
        (lid, 7, TREE.root(7), 3),
    ]
    # By block hash, and by the indexed size (topic 2): only the second anchor.
    last = logs[-1]
    assert w3.eth.get_logs({"blockHash": last["blockHash"], "address": anchor.address}) == [last]
    size_topic = "0x" + (7).to_bytes(32, "big").hex()
    assert w3.eth.get_logs({"fromBlock": 0, "topics": [event.topic, None, size_topic]}) == [last]
    # Another address, or a topic nobody emitted, finds nothing.
    assert w3.eth.get_logs({"fromBlock": 0, "address": OUTSIDER.address}) == []
    assert w3.eth.get_logs({"fromBlock": 0, "topics": ["0x" + "ab" * 32]}) == []
    receipt = w3.eth.get_transaction_receipt(last["transactionHash"])
    assert receipt["logs"] == [last]


def test_a_custom_error_reaches_web3_from_eth_call(w3: Web3, anchor: Contract) -> None:
    lid = log_id(ORIGIN)
    artifact = load_artifact()
    with pytest.raises(ContractCustomError) as raised:
        anchor.functions.anchor(lid, 8, TREE.root(8), []).call({"from": OUTSIDER.address})
    data = raised.value.data
    assert isinstance(data, str)
    decoded = artifact.decode_error(bytes.fromhex(data.removeprefix("0x")))
    assert decoded is not None and decoded.name == "NotAnchorer"
    assert decoded.args == (lid, OUTSIDER.address)
    # estimate_gas reverts the same way.
    with pytest.raises(ContractCustomError) as estimated:
        anchor.functions.anchor(lid, 3, TREE.root(3), []).estimate_gas({"from": ADMIN.address})
    error = artifact.decode_error(bytes.fromhex(str(estimated.value.data).removeprefix("0x")))
    assert error is not None and error.name == "SizeNotIncreasing"


def test_a_revert_with_explicit_gas_is_mined_with_status_0(w3: Web3, anchor: Contract) -> None:
    lid = log_id(ORIGIN)
    before = anchor.functions.latest(lid).call()
    receipt = transact(w3, ADMIN, anchor.functions.anchor(lid, 2, TREE.root(2), []), gas=200_000)
    assert receipt["status"] == 0
    assert receipt["logs"] == []
    assert w3.eth.get_block("latest")["hash"] == receipt["blockHash"]
    assert anchor.functions.latest(lid).call() == before


def test_blocks_transactions_and_receipts_agree(w3: Web3, anchor: Contract) -> None:
    head = w3.eth.get_block("latest", full_transactions=True)
    assert w3.eth.block_number == head["number"]
    (tx,) = head["transactions"]
    assert w3.eth.get_transaction(tx["hash"]) == tx
    assert tx["from"] == ADMIN.address and tx["chainId"] == 12345 and tx["gasPrice"] == 0
    by_hash = w3.eth.get_block(head["hash"])
    assert by_hash["transactions"] == [tx["hash"]]
    receipt = w3.eth.get_transaction_receipt(tx["hash"])
    assert (receipt["blockHash"], receipt["blockNumber"]) == (head["hash"], head["number"])
    assert receipt["transactionIndex"] == 0
    assert receipt["gasUsed"] == head["gasUsed"]
    for tag in ("pending", "safe", "finalized"):
        assert w3.eth.get_block(tag)["hash"] == head["hash"]
    assert w3.eth.get_block("earliest")["number"] == 0
    # Each block's parent is the block before it, and timestamps strictly increase.
    blocks = [w3.eth.get_block(n) for n in range(head["number"] + 1)]
    for parent, child in itertools.pairwise(blocks):
        assert child["parentHash"] == parent["hash"]
        assert child["timestamp"] > parent["timestamp"]
    history = w3.eth.fee_history(3, "latest", [25, 75])
    assert history["oldestBlock"] == head["number"] - 2
    assert history["baseFeePerGas"] == [0, 0, 0, 0]
    assert history["reward"] == [[0, 0]] * 3


def test_the_gas_estimate_suffices_and_is_within_its_tolerance(w3: Web3, anchor: Contract) -> None:
    # An anchor with a consistency proof (several SHA-256 precompile calls, each keeping 1/64 of its gas back).
    call = anchor.functions.anchor(log_id(ORIGIN), 16, TREE.root(16), TREE.consistency_proof(7, 16))
    estimate = call.estimate_gas({"from": ADMIN.address})
    call.call({"from": ADMIN.address, "gas": estimate})  # raises if the estimate is too low
    # Less than 98.5 % of the estimate runs out of gas: the estimate is within 1.5 % of the least that works.
    with pytest.raises(Web3RPCError, match=r"[Oo]ut ?[Oo]f ?[Gg]as"):
        call.call({"from": ADMIN.address, "gas": estimate * 985 // 1000 - 1})


def test_state_reads_at_past_blocks(w3: Web3, anchor: Contract, devnet: DevnetProcess) -> None:
    deployed = w3.eth.get_transaction_receipt(w3.eth.get_block(1)["transactions"][0])["blockNumber"]
    assert w3.eth.get_code(anchor.address, deployed - 1) == b""
    assert w3.eth.get_transaction_count(ADMIN.address, 0) == 0
    assert w3.eth.get_transaction_count(ADMIN.address, "pending") == w3.eth.get_transaction_count(ADMIN.address)
    assert len(w3.eth.get_storage_at(anchor.address, 0)) == 32
    gas = w3.eth.estimate_gas({"from": ADMIN.address, "to": OUTSIDER.address, "value": 1})
    assert gas == 21_000
    error = rpc_error(devnet.url, "eth_getBalance", [ADMIN.address, hex(w3.eth.block_number + 5)])
    assert error["code"] == -32001 and "not found" in error["message"]


def test_unknown_hashes_answer_null(w3: Web3, devnet: DevnetProcess) -> None:
    unknown = "0x" + "11" * 32
    assert rpc_call(devnet.url, "eth_getTransactionByHash", [unknown]) is None
    assert rpc_call(devnet.url, "eth_getTransactionReceipt", [unknown]) is None
    assert rpc_call(devnet.url, "eth_getBlockByHash", [unknown, False]) is None
    assert rpc_call(devnet.url, "eth_getBlockByNumber", [hex(w3.eth.block_number + 1), False]) is None


def test_a_transfer_between_development_accounts(w3: Web3) -> None:
    recipient = ACCOUNTS[5].address
    before = w3.eth.get_balance(recipient)
    raw = signed(ADMIN, w3, to=recipient, value=12345)
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(raw))
    assert receipt["status"] == 1 and receipt["effectiveGasPrice"] == 0
    assert w3.eth.get_balance(recipient) == before + 12345
    # Sent again, it is refused and not mined twice.
    with pytest.raises(Web3RPCError, match="already known"):
        w3.eth.send_raw_transaction(raw)
    assert w3.eth.get_balance(recipient) == before + 12345
