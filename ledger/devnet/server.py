"""The devnet's HTTP server: JSON-RPC on POST, CORS for browser pages, and ``main`` for the command line.

    python -m ledger.devnet.server --host 127.0.0.1 --port 8545 --data DIR     (or: hotline-ledger devnet)

Standard library only (``ThreadingHTTPServer``): one thread a connection, and the node's lock around the
chain. HTTP/1.1 keep-alive, because web3.py reuses its connections. Bodies above ``MAX_BODY_BYTES`` are
answered with 413 and a JSON-RPC error, never read into memory; no input gives a 500 or a traceback.

CORS: every response allows any origin, and ``OPTIONS`` answers preflights, so a citizen's browser page can
``eth_call`` the contract. What a browser may not do is decided per method in ``ledger.devnet.rpc``.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ledger.devnet.errors import INVALID_REQUEST, LIMIT_EXCEEDED, DevnetStateError, RpcError
from ledger.devnet.node import DevnetNode
from ledger.devnet.rpc import Dispatcher, error_response
from ledger.parent_watch import watch_parent

log = logging.getLogger(__name__)

#: The largest request body accepted (a batch of many signed anchors fits easily).
MAX_BODY_BYTES = 1024 * 1024
#: An oversized body is read and discarded up to this size, so the client gets the 413 instead of a reset.
MAX_DRAIN_BYTES = 16 * MAX_BODY_BYTES
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "600",
}


class DevnetRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: DevnetHTTPServer

    def do_OPTIONS(self) -> None:
        """A CORS preflight: say that any origin may POST JSON."""
        self.send_response(HTTPStatus.NO_CONTENT)
        for name, value in CORS_HEADERS.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        length_header = self.headers.get("Content-Length")
        if length_header is None or not length_header.isdigit():
            self.close_connection = True
            self._reply(
                HTTPStatus.LENGTH_REQUIRED, error_response(RpcError(INVALID_REQUEST, "Content-Length required"))
            )
            return
        length = int(length_header)
        if length > MAX_BODY_BYTES:
            self._drain(length)
            error = RpcError(LIMIT_EXCEEDED, f"request body of {length} bytes exceeds the limit of {MAX_BODY_BYTES}")
            self._reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, error_response(error))
            return
        body = self.rfile.read(length)
        response = self.server.dispatcher.handle(body, from_browser="Origin" in self.headers)
        if response is None:  # Only notifications: nothing to say.
            self._reply(HTTPStatus.NO_CONTENT, None)
        else:
            self._reply(HTTPStatus.OK, response)

    def do_GET(self) -> None:
        error = RpcError(INVALID_REQUEST, "this is a JSON-RPC endpoint: POST a request")
        self._reply(HTTPStatus.METHOD_NOT_ALLOWED, error_response(error))

    def _drain(self, length: int) -> None:
        if length > MAX_DRAIN_BYTES:
            self.close_connection = True
            return
        remaining = length
        while remaining:
            chunk = self.rfile.read(min(remaining, 65536))
            if not chunk:
                break
            remaining -= len(chunk)

    def _reply(self, status: HTTPStatus, payload: Any) -> None:
        body = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", "application/json")
        for name, value in CORS_HEADERS.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: one line per request would drown the devnet's own messages."""


class DevnetHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], node: DevnetNode) -> None:
        self.dispatcher = Dispatcher(node)
        super().__init__(address, DevnetRequestHandler)


def serve(node: DevnetNode, host: str, port: int, *, stop: threading.Event) -> None:
    """Serve ``node`` until ``stop`` is set (the caller closes the node, which waits for a write in progress)."""
    server = DevnetHTTPServer((host, port), node)
    # A short poll interval: SIGTERM stops the devnet within a tenth of a second.
    thread = threading.Thread(target=server.serve_forever, args=(0.1,), name="devnet-http", daemon=True)
    thread.start()
    first = node.genesis.accounts[0]
    print(
        f"hotline-ledger devnet at http://{host}:{server.server_address[1]}, chain id {node.genesis.chain_id}, "
        f"first development account {first} (data {node.directory})",
        flush=True,
    )
    try:
        stop.wait()
    finally:
        server.shutdown()
        server.server_close()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the devnet in the foreground until SIGINT or SIGTERM; 0 on a clean stop, 1 if it cannot start."""
    parser = argparse.ArgumentParser(
        prog="python -m ledger.devnet.server",
        description="Run the development chain: chain id 12345, zero gas, allowlisted senders, durable journal.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8545, help="port to listen on (default 8545)")
    parser.add_argument("--data", type=Path, required=True, help="directory of the chain (created if missing)")
    parser.add_argument("--parent", type=int, help="stop when the process with this id is no longer the parent")
    args = parser.parse_args(argv)
    try:
        run(args.host, args.port, args.data, parent=args.parent)
    except DevnetStateError as exc:
        print(f"devnet: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"devnet: io_error: {exc}", file=sys.stderr)
        return 1
    return 0


def run(host: str, port: int, data: Path, *, parent: int | None = None) -> int:
    """Open ``data``, serve it on ``host:port`` until SIGINT or SIGTERM, close it; returns 0.

    With ``parent``, it also stops when that process dies (it is then no longer the parent): a launcher
    killed with SIGKILL leaves no devnet behind holding the port and the journal.

    Raises:
        DevnetStateError: the data directory cannot be used (see ``DevnetNode``).
        OSError: the directory cannot be written, or the address cannot be listened on.
    """
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda _signum, _frame: stop.set())
    if parent is not None:

        def parent_gone() -> None:
            log.warning("the launching process %d is gone; stopping", parent)
            stop.set()

        watch_parent(parent, parent_gone, stop=stop)
    if not _is_loopback(host):
        log.warning("listening on %s: anyone who reaches it can change the allowlist (perm_*)", host)
    node = DevnetNode(data)
    try:
        serve(node, host, port, stop=stop)
    finally:
        node.close()
    return 0


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


if __name__ == "__main__":
    sys.exit(main())
