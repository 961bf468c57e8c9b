"""The anvil launcher: starts on a free loopback port, answers chain id 12345 with zero base fee, always stops."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ledger.devnet.anvil import ANVIL, INSTALL_HINT, AnvilError, AnvilNode, anvil_binary, rpc_call


@pytest.fixture()
def anvil() -> Path:
    binary = anvil_binary()
    if binary is not None:
        return binary
    reason = f"anvil not installed at {ANVIL} ({INSTALL_HINT})"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run the anvil tests")
    pytest.skip(reason)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); AnvilNode waits for its child, so there must be none.
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" not in status.read_text()


def test_starts_answers_and_stops(anvil: Path, tmp_path: Path) -> None:
    with AnvilNode(log=tmp_path / "anvil.log") as node:
        assert node.process is not None
        pid = node.process.pid
        assert int(rpc_call(node.url, "eth_chainId"), 16) == 12345
        block = rpc_call(node.url, "eth_getBlockByNumber", ["latest", False])
        assert int(block["baseFeePerGas"], 16) == 0
    assert node.process is None
    assert not _alive(pid)


def test_stops_when_the_body_raises(anvil: Path) -> None:
    node = AnvilNode()
    with pytest.raises(KeyError), node:
        assert node.process is not None
        pid = node.process.pid
        raise KeyError("boom")
    assert not _alive(pid)


def test_state_persists_across_restarts(anvil: Path, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with AnvilNode(state=state) as node:
        rpc_call(node.url, "evm_mine")
        rpc_call(node.url, "evm_mine")
        mined = int(rpc_call(node.url, "eth_blockNumber"), 16)
    assert state.is_file()
    with AnvilNode(state=state) as node:
        assert int(rpc_call(node.url, "eth_blockNumber"), 16) == mined
        assert int(rpc_call(node.url, "eth_chainId"), 16) == 12345


def test_missing_binary_and_bad_start_raise(tmp_path: Path) -> None:
    with pytest.raises(AnvilError, match="exited"):
        AnvilNode(binary=Path("/bin/false")).start()
    with pytest.raises(FileNotFoundError):
        AnvilNode(binary=tmp_path / "no-anvil").start()
