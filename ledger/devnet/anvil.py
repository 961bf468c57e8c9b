"""anvil (Foundry's development node, from npm) as an alternative engine for the development chain.

``AnvilNode`` starts anvil on 127.0.0.1 with the project's settings — ``--hardfork paris`` (the compile
target), zero base fee and gas price, chain id 12345 — waits until ``eth_chainId`` answers, and always
stops it (terminate, then kill). With ``state`` it persists the chain to a file, written every second so
that even a SIGKILL loses at most one second (../shared/CHAIN_NOTES.md).

This module talks JSON-RPC with the standard library only: inside ``ledger`` only ``ledger.anchoring``
may import web3. Run ``python -m ledger.devnet.anvil`` (or ``hardhat-free-devnet/anvil.sh``) to keep one
in the foreground.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ledger.devnet.process import CHAIN_ID, HOST, NodeProcess, NodeProcessError, free_port, rpc_call

# free_port and rpc_call moved to ledger.devnet.process; they stay importable from here.
__all__ = [
    "ANVIL", "CHAIN_ID", "HOST", "INSTALL_HINT", "AnvilError", "AnvilNode", "anvil_binary", "free_port", "rpc_call",
]  # fmt: skip

REPO = Path(__file__).resolve().parents[2]
ANVIL = REPO / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
INSTALL_HINT = "run `npm ci --no-audit --no-fund` in the repository"


class AnvilError(NodeProcessError):
    """anvil is missing, exited, or did not answer in time."""


def anvil_binary() -> Path | None:
    """The anvil executable from node_modules, or None when it is not installed."""
    if ANVIL.is_file() and os.access(ANVIL, os.X_OK):
        return ANVIL
    return None


class AnvilNode(NodeProcess):
    """One anvil process on 127.0.0.1; a context manager that always stops it (see ``NodeProcess``)."""

    name = "anvil"
    error = AnvilError

    def __init__(
        self, *, state: Path | None = None, binary: Path | None = None, extra_args: Sequence[str] = (), **kwargs: Any
    ) -> None:
        """``state``: persist the chain in this file; ``binary``: another anvil; the rest as ``NodeProcess``."""
        super().__init__(**kwargs)
        self.state = state
        self.binary = binary
        self.extra_args = tuple(extra_args)

    def command(self) -> list[str]:
        binary = self.binary or anvil_binary()
        if binary is None:
            raise AnvilError(f"anvil not installed at {ANVIL.relative_to(REPO)} ({INSTALL_HINT})")
        command = [
            str(binary),
            "--host", HOST, "--port", str(self.port),
            "--hardfork", "paris", "--base-fee", "0", "--gas-price", "0", "--chain-id", str(self.chain_id),
        ]  # fmt: skip
        if self.state is not None:
            command += ["--state", str(self.state), "--state-interval", "1"]
        return command + list(self.extra_args)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="anvil-devnet", description="Run anvil in the foreground as the project's development chain."
    )
    parser.add_argument("--port", type=int, default=8545)
    parser.add_argument("--chain-id", type=int, default=CHAIN_ID)
    parser.add_argument("--state", type=Path, help="persist the chain in this file (saved every second)")
    args = parser.parse_args(argv)
    node = AnvilNode(port=args.port, chain_id=args.chain_id, state=args.state, show_output=True)
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        node.start()
    except AnvilError as exc:
        print(f"anvil-devnet: {exc}", file=sys.stderr)
        return 2
    try:
        print(f"anvil (development chain, chain id {args.chain_id}, zero gas) at {node.url}", flush=True)
        if args.state is not None:
            print(f"state persisted in {args.state}", flush=True)
        print("development accounts are anvil's published test keys: never use them elsewhere", flush=True)
        while not stopping and node.process is not None and node.process.poll() is None:
            time.sleep(0.2)
        exited = node.process is not None and node.process.poll() is not None
    finally:
        node.stop()
    return 1 if exited and not stopping else 0


if __name__ == "__main__":
    sys.exit(main())
