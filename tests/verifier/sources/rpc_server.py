"""A tiny, real JSON-RPC-over-HTTP server for tests: it answers whatever the test scripts, including garbage.

``ScriptedNode`` runs ``http.server`` in a thread on a free loopback port. Its ``script`` gets each parsed
request and returns the HTTP status, the body bytes and an optional delay in seconds (``None`` status: close
the connection without answering).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.background_server import BackgroundServer

Reply = tuple[int | None, bytes, float]
Script = Callable[[dict[str, Any]], Reply]


def results(**by_method: Any) -> Script:
    """A well-formed node answering each method with the given result (any JSON value)."""

    def script(request: dict[str, Any]) -> Reply:
        body = {"jsonrpc": "2.0", "id": request["id"], "result": by_method[request["method"]]}
        return 200, json.dumps(body).encode(), 0.0

    return script


def envelope(**fields: Any) -> Script:
    """Answer every request with this JSON object plus the request's id, unless ``fields`` sets "id"."""

    def script(request: dict[str, Any]) -> Reply:
        return 200, json.dumps({"id": request["id"], **fields}).encode(), 0.0

    return script


def raw(status: int | None, body: bytes, delay: float = 0.0) -> Script:
    """Answer every request with exactly this status and body."""
    return lambda request: (status, body, delay)


class ScriptedNode(BackgroundServer):
    """A loopback HTTP server whose answers the test decides; a context manager that always stops it."""

    def __init__(self, script: Script) -> None:
        self.script = script
        node = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                status, body, delay = node.script(json.loads(self.rfile.read(length)))
                time.sleep(delay)
                if status is None:
                    self.close_connection = True
                    return
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        super().__init__(Handler)
