"""Development chain nodes as child processes: start on a free loopback port, wait until they answer, always stop.

``NodeProcess`` holds what every engine's launcher shares — the port, the output log, waiting until
``eth_chainId`` answers with the expected chain id, and stopping (terminate, then kill) — so that ``AnvilNode``
(``ledger.devnet.anvil``) and ``DevnetProcess`` (below: this project's own devnet, ``ledger.devnet.server``) only
say how to build their command.

JSON-RPC goes over the standard library here: inside ``ledger`` only ``ledger.anchoring`` may import web3.
"""

from __future__ import annotations

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
from typing import Any, ClassVar, Self

CHAIN_ID = 12345
HOST = "127.0.0.1"


class NodeProcessError(RuntimeError):
    """A node is missing, exited, or did not answer in time."""


class RpcReplyError(NodeProcessError):
    """A node answered a JSON-RPC call with an error object (kept whole in ``code``, ``message``, ``data``)."""

    def __init__(self, method: str, error: dict[str, Any]) -> None:
        super().__init__(f"{method}: {error}")
        self.method = method
        self.code: int | None = error.get("code")
        self.message: str = str(error.get("message", ""))
        self.data: Any = error.get("data")


def free_port(host: str = HOST) -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def rpc_call(url: str, method: str, params: Sequence[Any] = (), *, timeout: float = 5.0) -> Any:
    """One JSON-RPC call over HTTP; its ``result``.

    Raises:
        RpcReplyError: the node answered with a JSON-RPC error.
        OSError: the node could not be reached.
    """
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        reply = json.loads(response.read())
    if "error" in reply:
        raise RpcReplyError(method, reply["error"])
    return reply["result"]


class NodeProcess:
    """One node process on 127.0.0.1; a context manager that always stops it.

    Subclasses name the engine and build its command. ``port=None`` picks a free port. ``log`` receives the
    node's output; without it the output is discarded unless ``show_output`` passes it through to this
    process's stdout.
    """

    #: The engine's name in error messages.
    name: ClassVar[str] = "node"
    #: What ``start`` raises; engines keep their own subclass so callers can catch theirs.
    error: ClassVar[type[NodeProcessError]] = NodeProcessError

    def __init__(
        self,
        *,
        port: int | None = None,
        chain_id: int = CHAIN_ID,
        log: Path | None = None,
        startup_timeout: float = 30.0,
        show_output: bool = False,
    ) -> None:
        self.port = port if port is not None else free_port()
        self.chain_id = chain_id
        self.log = log
        self.startup_timeout = startup_timeout
        self.show_output = show_output
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def command(self) -> list[str]:
        """The node's command line (raises ``self.error`` when the engine is not installed)."""
        raise NotImplementedError

    def start(self) -> Self:
        """Start the node and wait until it answers ``eth_chainId`` with the configured chain id.

        Raises:
            NodeProcessError (the engine's subclass): already running, exited, answered another chain id,
                or did not answer within ``startup_timeout``.
        """
        if self.process is not None:
            raise self.error(f"{self.name} is already running")
        command = self.command()
        if self.log is not None:
            with self.log.open("ab") as out:
                self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        else:
            out_stream = None if self.show_output else subprocess.DEVNULL
            self.process = subprocess.Popen(command, stdout=out_stream, stderr=out_stream, stdin=subprocess.DEVNULL)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def tail(self) -> str:
        """The end of the node's log, for error messages ("" without a log)."""
        if self.log is None or not self.log.exists():
            return ""
        return ": " + self.log.read_text(errors="replace")[-2000:]

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self.process.poll() is not None:
                raise self.error(f"{self.name} exited with {self.process.returncode}{self.tail()}")
            try:
                answered = int(rpc_call(self.url, "eth_chainId", timeout=2.0), 16)
            except (OSError, ValueError):  # Not listening yet.
                answered = None
            if answered is not None:
                if answered != self.chain_id:
                    raise self.error(f"{self.name} answered chain id {answered}, expected {self.chain_id}")
                return
            if time.monotonic() > deadline:
                raise self.error(f"{self.name} did not answer within {self.startup_timeout} s{self.tail()}")
            time.sleep(0.05)

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the node (it saves its state on SIGTERM), kill it if it lingers; idempotent."""
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

    def kill(self) -> None:
        """SIGKILL the node and reap it, as a crash or a power cut would stop it (no cleanup runs); idempotent."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class DevnetError(NodeProcessError):
    """The devnet process exited or did not answer in time."""


class DevnetProcess(NodeProcess):
    """``python -m ledger.devnet.server`` on a free loopback port with its chain in ``data``.

    It replays its journal before it listens, so a long history needs a longer ``startup_timeout``.
    """

    name = "devnet"
    error = DevnetError

    def __init__(self, data: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data = data

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "ledger.devnet.server",
            "--host", HOST, "--port", str(self.port), "--data", str(self.data), "--parent", str(os.getpid()),
        ]  # fmt: skip
