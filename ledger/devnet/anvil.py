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
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

REPO = Path(__file__).resolve().parents[2]
ANVIL = REPO / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
CHAIN_ID = 12345
HOST = "127.0.0.1"
INSTALL_HINT = "run `npm ci --no-audit --no-fund` in the repository"


class AnvilError(RuntimeError):
    """anvil is missing, exited, or did not answer in time."""


def anvil_binary() -> Path | None:
    """The anvil executable from node_modules, or None when it is not installed."""
    if ANVIL.is_file() and os.access(ANVIL, os.X_OK):
        return ANVIL
    return None


def free_port(host: str = HOST) -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def rpc_call(url: str, method: str, params: Sequence[Any] = (), *, timeout: float = 5.0) -> Any:
    """One JSON-RPC call over HTTP; its ``result`` (raises AnvilError on a JSON-RPC error)."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        reply = json.loads(response.read())
    if "error" in reply:
        raise AnvilError(f"{method}: {reply['error']}")
    return reply["result"]


class AnvilNode:
    """One anvil process on 127.0.0.1; a context manager that always stops it.

    ``port=None`` picks a free port. ``log`` receives anvil's output; without it the output is discarded
    unless ``show_output`` passes it through to this process's stdout.
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        chain_id: int = CHAIN_ID,
        state: Path | None = None,
        log: Path | None = None,
        binary: Path | None = None,
        extra_args: Sequence[str] = (),
        startup_timeout: float = 30.0,
        show_output: bool = False,
    ) -> None:
        self.port = port if port is not None else free_port()
        self.chain_id = chain_id
        self.state = state
        self.log = log
        self.binary = binary
        self.extra_args = tuple(extra_args)
        self.startup_timeout = startup_timeout
        self.show_output = show_output
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def command(self, binary: Path) -> list[str]:
        command = [
            str(binary),
            "--host", HOST, "--port", str(self.port),
            "--hardfork", "paris", "--base-fee", "0", "--gas-price", "0", "--chain-id", str(self.chain_id),
        ]  # fmt: skip
        if self.state is not None:
            command += ["--state", str(self.state), "--state-interval", "1"]
        return command + list(self.extra_args)

    def start(self) -> Self:
        """Start anvil and wait until it answers ``eth_chainId`` with the configured chain id."""
        if self.process is not None:
            raise AnvilError("anvil is already running")
        binary = self.binary or anvil_binary()
        if binary is None:
            raise AnvilError(f"anvil not installed at {ANVIL.relative_to(REPO)} ({INSTALL_HINT})")
        if self.log is not None:
            with self.log.open("ab") as out:
                self.process = subprocess.Popen(
                    self.command(binary), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
                )
        else:
            out_stream = None if self.show_output else subprocess.DEVNULL
            self.process = subprocess.Popen(
                self.command(binary), stdout=out_stream, stderr=out_stream, stdin=subprocess.DEVNULL
            )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _tail(self) -> str:
        if self.log is None or not self.log.exists():
            return ""
        return ": " + self.log.read_text(errors="replace")[-2000:]

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self.process.poll() is not None:
                raise AnvilError(f"anvil exited with {self.process.returncode}{self._tail()}")
            try:
                answered = int(rpc_call(self.url, "eth_chainId", timeout=2.0), 16)
            except (OSError, ValueError):  # Not listening yet.
                answered = None
            if answered is not None:
                if answered != self.chain_id:
                    raise AnvilError(f"anvil answered chain id {answered}, expected {self.chain_id}")
                return
            if time.monotonic() > deadline:
                raise AnvilError(f"anvil did not answer within {self.startup_timeout} s{self._tail()}")
            time.sleep(0.05)

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate anvil (it saves ``state`` on SIGTERM), kill it if it lingers; idempotent."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


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
