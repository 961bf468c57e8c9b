"""A malicious operator API for tests: a real HTTP server (``http.server`` in a thread) that alters, drops or
reorders what it serves, answers garbage, truncated JSON or HTTP 500, or answers too slowly.

It serves either the simulator's log (``simulated``: the routes ``hotline-verify`` reads, as the API shapes
them) or proxies a real API (``proxied``); ``tamper`` rewrites each answer on its way out. Entries pages come
as the client's ``Accept`` header asks (JSON or the binary page), or as ``accept`` forces; the tamperings of
entries act on either representation.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from api.negotiation import choose
from tests.background_server import BackgroundServer
from tests.evidence.sim_server import SimulatedApi
from verifier import entries_page
from verifier.canonical import canonical_bytes

#: status (``None``: close without answering), content type, body, delay in seconds.
Reply = tuple[int | None, str, bytes, float]
Upstream = Callable[[str, dict[str, str]], Reply]
Tamper = Callable[[str, Reply], Reply]

JSON = "application/json"
BINARY = entries_page.MEDIA_TYPE


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name), None)


def simulated(api: SimulatedApi) -> Upstream:
    """The simulator's log behind the API's routes."""

    def fetch(path: str, headers: dict[str, str]) -> Reply:
        parts = urlsplit(path)
        query = {k: int(v[0]) for k, v in parse_qs(parts.query).items()}
        if parts.path == "/v1/checkpoint":
            return 200, "text/plain; charset=utf-8", api.latest_checkpoint().encode(), 0.0
        if parts.path.startswith("/v1/tickets/") and parts.path.endswith("/bundle"):
            return 200, JSON, api.ticket_bundle(parts.path.split("/")[3]), 0.0
        if parts.path == "/v1/entries":
            start, end = query["start"], query.get("end")
            if choose(_header(headers, "accept"), (JSON, BINARY)) == BINARY:
                return 200, BINARY, api.entries_binary(start, end), 0.0
            return 200, JSON, canonical_bytes(api.entries_document(start, end)), 0.0
        if parts.path == "/v1/proofs/consistency":
            proof = api.consistency(query["from"], query["to"])
            return 200, JSON, json.dumps({"proof": [h.hex() for h in proof]}).encode(), 0.0
        return 404, JSON, b'{"detail": "not found"}', 0.0

    return fetch


def proxied(base_url: str) -> Upstream:
    """A real API, asked with the client's own credentials and ``Accept`` header."""

    def fetch(path: str, headers: dict[str, str]) -> Reply:
        forwarded = {k: v for k, v in headers.items() if k.lower() in ("authorization", "accept")}
        answer = httpx.get(base_url + path, headers=forwarded, timeout=30)
        return answer.status_code, answer.headers.get("content-type", JSON), answer.content, 0.0

    return fetch


class MaliciousApi(BackgroundServer):
    """Serves ``upstream`` through ``tamper`` on a free loopback port; a context manager that always stops.

    ``accept`` replaces the client's ``Accept`` header on the way to ``upstream`` (``JSON``: serve JSON pages to
    a client that prefers the binary ones, as an older server would); ``kinds`` are the content types that
    ``upstream`` answered.
    """

    def __init__(self, upstream: Upstream, tamper: Tamper | None = None, *, accept: str | None = None) -> None:
        self.upstream = upstream
        self.tamper: Tamper = tamper or (lambda path, reply: reply)
        self.requests: list[str] = []
        self.kinds: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests.append(self.path)
                headers = {k: v for k, v in self.headers.items() if accept is None or k.lower() != "accept"}
                headers |= {} if accept is None else {"Accept": accept}
                answered = owner.upstream(self.path, headers)
                owner.kinds.append(answered[1])
                status, kind, body, delay = owner.tamper(self.path, answered)
                time.sleep(delay)
                if status is None:
                    self.close_connection = True
                    return
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # a client that gave up waiting
                    self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        super().__init__(Handler)


# -- tamperings: each rewrites the answers to one route ------------------------------------------


def on(route: str, rewrite: Callable[[Reply], Reply]) -> Tamper:
    """Apply ``rewrite`` to the answers of paths starting with ``route`` (and containing it, for bundles)."""
    return lambda path, reply: rewrite(reply) if urlsplit(path).path.startswith(route) else reply


def _document(reply: Reply, edit: Callable[[Any], Any]) -> Reply:
    """``edit`` applied to a JSON answer, or to a binary entries page as if it were the JSON page."""
    status, kind, body, delay = reply
    if kind != BINARY:
        return status, kind, json.dumps(edit(json.loads(body))).encode(), delay
    page = entries_page.decode(body, int.from_bytes(body[4:12]))
    edited = edit(
        {
            "start": page.start,
            "entries": [
                {"index": page.start + n, "data": base64.b64encode(e).decode()} for n, e in enumerate(page.entries)
            ],
            "next": page.next,
            "tree_size": page.tree_size,
        }
    )
    data = [base64.b64decode(e["data"]) for e in edited["entries"]]
    return status, kind, entries_page.encode(edited["start"], edited["tree_size"], edited["next"], data), delay


_MILLISECOND = re.compile(rb'"at":"[^"]*?\.[0-9]{2}([0-9])')


def flip_time_digit(data: bytes) -> bytes:
    """One bit of an entry flipped: the last digit of its time's milliseconds (so it stays well-formed)."""
    found = _MILLISECOND.search(data)
    assert found is not None, data
    position = found.start(1)
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]


def _flip_data(item: dict[str, Any]) -> None:
    item["data"] = base64.b64encode(flip_time_digit(base64.b64decode(item["data"]))).decode()


def flip_entry(reply: Reply) -> Reply:
    """One byte of the last entry of a page (or bundle) flipped."""

    def edit(document: dict[str, Any]) -> dict[str, Any]:
        if document["entries"]:
            _flip_data(document["entries"][-1])
        return document

    return _document(reply, edit)


def drop_entry_renumbered(reply: Reply) -> Reply:
    """An entry dropped from a page, the later ones renumbered so the page still looks whole."""

    def edit(document: dict[str, Any]) -> dict[str, Any]:
        entries = document["entries"]
        if len(entries) > 2:
            data = [e["data"] for e in entries]
            del data[1]
            document["entries"] = [{"index": document["start"] + n, "data": d} for n, d in enumerate(data)]
            if document["next"] is not None:
                document["next"] -= 1
        return document

    return _document(reply, edit)


def reorder_entries(reply: Reply) -> Reply:
    """The first two entries of a page served in each other's place."""

    def edit(document: dict[str, Any]) -> dict[str, Any]:
        entries = document["entries"]
        if len(entries) > 1:
            entries[0]["data"], entries[1]["data"] = entries[1]["data"], entries[0]["data"]
        return document

    return _document(reply, edit)


def drop_entry_unnumbered(reply: Reply) -> Reply:
    """An entry dropped and the indices left with a hole."""
    return _document(reply, lambda document: {**document, "entries": document["entries"][1:]})


def wrong_proof(reply: Reply) -> Reply:
    """A consistency proof with its first hash replaced."""
    return _document(reply, lambda document: {"proof": ["00" * 32, *document["proof"][1:]]})


def garbage(reply: Reply) -> Reply:
    return 200, reply[1], b"\x00\xffnot an answer\x9c", 0.0


def deeply_nested(reply: Reply) -> Reply:
    """A JSON answer of 200,000 nested arrays: more than the JSON decoder's recursion can take."""
    return 200, JSON, b"[" * 200_000 + b"]" * 200_000, 0.0


def truncated(reply: Reply) -> Reply:
    return reply[0], reply[1], reply[2][: len(reply[2]) // 2], reply[3]


def server_error(reply: Reply) -> Reply:
    return 500, "application/problem+json", b'{"detail": "internal error", "code": "internal"}', 0.0


def hang_up(reply: Reply) -> Reply:
    return None, reply[1], b"", 0.0


def slow(seconds: float) -> Callable[[Reply], Reply]:
    return lambda reply: (reply[0], reply[1], reply[2], seconds)


def forge_checkpoint(reply: Reply) -> Reply:
    """The checkpoint's root changed under its signature."""
    status, kind, body, delay = reply
    lines = body.decode().split("\n")
    lines[2] = base64.b64encode(b"\x01" * 32).decode()
    return status, kind, "\n".join(lines).encode(), delay
