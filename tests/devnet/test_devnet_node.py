"""The devnet node in process: what a running server cannot easily be made to show.

A chain whose block used more than half its gas limit still has a zero base fee next; a journal that can no
longer be written stops the node instead of letting it serve blocks that a restart would not bring back; and
``hotline-ledger devnet`` starts, prints its one line and stops cleanly on SIGTERM.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.devnet.errors import RpcError
from ledger.devnet.node import DevnetNode
from ledger.devnet.process import free_port
from tests.devnet.devnet_client import ACCOUNTS, ADMIN, CHAIN_ID


def raw_transfer(nonce: int, **fields: object) -> bytes:
    tx = {"to": ACCOUNTS[1].address, "value": 1, "gas": 21_000, "gasPrice": 0, "nonce": nonce, "chainId": CHAIN_ID}
    return bytes(ADMIN.sign_transaction({**tx, **fields}).raw_transaction)


def test_the_base_fee_stays_zero_after_a_full_block(tmp_path: Path) -> None:
    with DevnetNode(tmp_path) as node:
        head = node.chain.head
        # EIP-1559 would raise the next base fee to 1 wei after a block above the gas target.
        full = head.copy(gas_used=head.gas_limit)
        assert node.chain._chain.create_header_from_parent(full).base_fee_per_gas == 0
        assert node.chain._chain.create_header_from_parent(full).gas_limit == head.gas_limit


def test_a_journal_that_cannot_be_written_stops_the_node(tmp_path: Path) -> None:
    node = DevnetNode(tmp_path)
    try:
        node.send_raw_transaction(raw_transfer(0))
        node.journal.close()  # As if the disk went away: the next append fails.
        with pytest.raises(RpcError) as failed:
            node.send_raw_transaction(raw_transfer(1))
        assert failed.value.code == -32603 and "could not be written" in failed.value.message
        # The block mined in memory but not journaled is never served.
        with pytest.raises(RpcError, match="stopped serving"), node.reading():
            pass
        with pytest.raises(RpcError, match="stopped serving"):
            node.allowlisted()
    finally:
        node.close()
    # A restart serves what the journal holds: the first transfer only.
    with DevnetNode(tmp_path) as reopened:
        assert reopened.chain.head.block_number == 1


def test_the_cli_runs_the_devnet_until_sigterm(tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "ledger.cli", "devnet", "--data", str(tmp_path), "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert f"http://127.0.0.1:{port}" in line and "chain id 12345" in line and ADMIN.address in line
        assert (tmp_path / "devnet" / "journal").is_file() and (tmp_path / "devnet" / "devnet.json").is_file()
        os.kill(process.pid, signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_the_cli_reports_a_damaged_directory(tmp_path: Path) -> None:
    (tmp_path / "devnet").mkdir()
    (tmp_path / "devnet" / "devnet.json").write_text("{not json")
    command = [sys.executable, "-m", "ledger.cli", "devnet", "--data", str(tmp_path), "--port", str(free_port())]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert finished.returncode == 1
    assert "hotline-ledger: devnet_state:" in finished.stderr and "devnet.json is unreadable" in finished.stderr
