"""A real HTTP proxy between the browser and the API that tampers with the ticket's bundle on its way.

Everything is forwarded unchanged except the body of ``POST /v1/public/tickets/{ticket}/bundle``, which the
proxy's ``tamper`` function rewrites: the attacker in the middle (or a dishonest server) the page must catch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

Tamper = Callable[[bytes], bytes]
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}


@contextmanager
def tamper_proxy(upstream: str, tamper: Tamper) -> Iterator[str]:
    """Serve a proxy to ``upstream`` on a free port; yields its URL."""
    client = httpx.Client(base_url=upstream, timeout=30)

    class Handler(BaseHTTPRequestHandler):
        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP | {"host"}}
            answer = client.request(self.command, self.path, content=body, headers=headers)
            content = answer.content
            if self.command == "POST" and self.path.endswith("/bundle") and answer.status_code == 200:
                content = tamper(content)
            self.send_response(answer.status_code)
            for name, value in answer.headers.items():
                if name.lower() not in _HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = _forward

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        client.close()
