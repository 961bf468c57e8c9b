"""The devnet survives SIGKILL: after a restart on the same directory the chain is byte for byte what it was.

Each test kills a real devnet process with SIGKILL (no cleanup runs), restarts it on the same data directory
and compares block hashes, transactions, receipts, contract state and the allowlist, then damages the journal
the ways a crash can (a torn last record) and the ways it cannot (a damaged record before the last one).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from ledger.anchoring.contract import load_artifact, log_id
from ledger.devnet.process import DevnetError, DevnetProcess, rpc_call
from tests.contracts.trees import synthetic_tree
from tests.devnet.devnet_client import ACCOUNTS, ADMIN, OUTSIDER, deploy_anchor, signed, transact

TREE = synthetic_tree(8)
ORIGIN = "12345.hangzhou.gov.cn/durability/v1"
TRANSFERS = 12


def snapshot(w3: Web3, url: str) -> dict[str, Any]:
    """Everything a restart must preserve: every block (full), every receipt, and the allowlist."""
    head = w3.eth.block_number
    blocks = [w3.eth.get_block(n, full_transactions=True) for n in range(head + 1)]
    receipts = [w3.eth.get_transaction_receipt(tx["hash"]) for block in blocks for tx in block["transactions"]]
    allowlist = rpc_call(url, "perm_getAccountsAllowlist")
    return {"blocks": blocks, "receipts": receipts, "allowlist": allowlist}


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Any], str]]:
    """A directory whose devnet was SIGKILLed after a contract, anchors, transfers and allowlist changes.

    Yields the directory, the snapshot taken just before the kill, and the contract's address.
    """
    directory = tmp_path_factory.mktemp("durable")
    with DevnetProcess(directory / "chain", log=directory / "devnet.log") as node:
        w3 = Web3(Web3.HTTPProvider(node.url))
        contract = deploy_anchor(w3)
        lid = log_id(ORIGIN)
        transact(w3, ADMIN, contract.functions.registerLog(ORIGIN))
        transact(w3, ADMIN, contract.functions.addAnchorer(lid, ADMIN.address))
        transact(w3, ADMIN, contract.functions.anchor(lid, 5, TREE.root(5), []))
        rpc_call(node.url, "perm_addAccountsToAllowlist", [[OUTSIDER.address, ACCOUNTS[2].address]])
        rpc_call(node.url, "perm_removeAccountsFromAllowlist", [[ACCOUNTS[2].address]])
        # Many transactions within a second or two: their blocks still get distinct, increasing timestamps.
        for _ in range(TRANSFERS):
            w3.eth.send_raw_transaction(signed(OUTSIDER, w3, to=ADMIN.address, value=1))
        before = snapshot(w3, node.url)
        before["latest"] = contract.functions.latest(lid).call()
        node.kill()
    yield directory, before, contract.address


_restarts = itertools.count()


def restart(directory: Path) -> DevnetProcess:
    """A devnet (not started yet) on ``directory`` again, with a log of its own (``node.log``)."""
    return DevnetProcess(directory / "chain", log=directory / f"restart-{next(_restarts)}.log")


def log_text(node: DevnetProcess) -> str:
    assert node.log is not None
    return node.log.read_text()


def head_after_restart(directory: Path) -> int:
    with restart(directory) as node:
        return int(rpc_call(node.url, "eth_blockNumber"), 16)


def journaled_blocks(journal_bytes: bytes) -> int:
    """How many blocks a journal holds: one per transaction record."""
    return journal_bytes.count(b'"op":"transaction"')


def test_the_chain_after_sigkill_is_identical(history: tuple[Path, dict[str, Any], str]) -> None:
    directory, before, address = history
    timestamps = [block["timestamp"] for block in before["blocks"]]
    assert timestamps == sorted(set(timestamps)), "block timestamps must strictly increase"
    with restart(directory) as node:
        w3 = Web3(Web3.HTTPProvider(node.url))
        after = snapshot(w3, node.url)
        assert after["blocks"] == before["blocks"]
        assert after["receipts"] == before["receipts"]
        assert after["allowlist"] == [ADMIN.address, OUTSIDER.address]
        anchor = w3.eth.contract(address=address, abi=list(load_artifact().abi))  # type: ignore[call-overload]
        assert anchor.functions.latest(log_id(ORIGIN)).call() == before["latest"]
        # New transactions continue from there: next nonce, next block, the same chain.
        head = before["blocks"][-1]
        receipt = w3.eth.wait_for_transaction_receipt(
            w3.eth.send_raw_transaction(signed(OUTSIDER, w3, to=ADMIN.address, value=1))
        )
        assert receipt["blockNumber"] == head["number"] + 1
        assert w3.eth.get_block("latest")["parentHash"] == head["hash"]
        node.kill()


def journal(directory: Path) -> Path:
    return directory / "chain" / "journal"


def test_a_torn_last_record_is_discarded_with_a_warning(history: tuple[Path, dict[str, Any], str]) -> None:
    directory, _, _ = history
    path = journal(directory)
    good = path.read_bytes()
    head = journaled_blocks(good)
    # A SIGKILL during the write leaves a prefix of the record without its newline; a crash of the machine
    # may leave zeros where the data never reached the disk.
    torn_record = good.splitlines(keepends=True)[-1][:57]
    for tail in (torn_record, b"\x00" * 300):
        path.write_bytes(good + tail)
        with restart(directory) as node:
            assert int(rpc_call(node.url, "eth_blockNumber"), 16) == head
            node.stop()
            assert "discarding a damaged last record" in log_text(node)
        assert path.read_bytes() == good, "the torn tail must be cut so later records follow the good ones"


def test_a_damaged_last_line_is_discarded_but_a_damaged_middle_record_is_fatal(
    history: tuple[Path, dict[str, Any], str],
) -> None:
    directory, _, _ = history
    path = journal(directory)
    good = path.read_bytes()
    lines = good.splitlines(keepends=True)
    head = journaled_blocks(good)
    try:
        # The last complete line (a transaction) with a flipped byte was never acknowledged whole: discarded.
        damaged = bytearray(lines[-1])
        damaged[80] ^= 0x01
        path.write_bytes(b"".join(lines[:-1]) + bytes(damaged))
        assert head_after_restart(directory) == head - 1
        # The same damage to a record in the middle refuses to start, naming the record.
        middle = bytearray(lines[3])
        middle[80] ^= 0x01
        path.write_bytes(b"".join([*lines[:3], bytes(middle), *lines[4:]]))
        with pytest.raises(DevnetError, match=r"record 4 at byte \d+ is damaged and records follow it"):
            restart(directory).start()
        # So does a line moved out of order (each record's checksum is fine, its seq is not).
        path.write_bytes(b"".join([*lines[:3], lines[4], lines[3], *lines[5:]]))
        with pytest.raises(DevnetError, match="has seq 5, expected 4"):
            restart(directory).start()
        # A record nested deeper than the JSON decoder's recursion, planted with a valid checksum: damaged too,
        # not a crash of the devnet's replay.
        body = b"[" * 200_000 + b"]" * 200_000
        planted = hashlib.sha256(body).hexdigest().encode() + b" " + body + b"\n"
        path.write_bytes(b"".join([*lines[:3], planted, *lines[4:]]))
        with pytest.raises(DevnetError, match=r"record 4 at byte \d+ is damaged and records follow it"):
            restart(directory).start()
    finally:
        path.write_bytes(good)


def test_a_second_devnet_on_the_same_directory_is_refused(history: tuple[Path, dict[str, Any], str]) -> None:
    directory, _, _ = history
    with restart(directory) as node:
        second = DevnetProcess(directory / "chain", log=directory / "second-devnet.log")
        with pytest.raises(DevnetError, match="in use by another devnet"):
            second.start()
        assert int(rpc_call(node.url, "eth_chainId"), 16) == 12345
