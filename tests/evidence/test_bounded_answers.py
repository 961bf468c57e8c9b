"""A server that sends more than the verifier will read: ``LogApi`` and the chain's JSON-RPC client stop reading at
their bound (or refuse a declared length over it before reading), so a hostile answer costs the verifier at most
the bound, not whatever the server chooses to send."""

from __future__ import annotations

import contextlib
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.background_server import BackgroundServer
from tests.evidence import malicious_api as m
from verifier.sources import api as api_source
from verifier.sources.api import ApiUnavailable, LogApi, MalformedAnswer
from verifier.sources.chain_errors import MalformedChainAnswer
from verifier.sources.jsonrpc import JsonRpcEndpoints

LIMIT = 64 * 1024
#: What the server would send: far more than the bound, in chunks of this size.
OFFERED, CHUNK = 256 * 1024 * 1024, 64 * 1024
#: What the server may have written before the client hangs up: the bound plus what the sockets buffer.
AT_MOST_SENT = 32 * 1024 * 1024


class FloodingServer(BackgroundServer):
    """Answers every request 200 with ``OFFERED`` bytes of ``[`` in chunked encoding (no length declared), or with
    a declared length of ``OFFERED`` and nothing after the headers (``declared=True``); ``sent`` counts the body
    bytes written, ``done`` is set when the answer ended or the client hung up."""

    def __init__(self, *, declared: bool = False, status: int = 200) -> None:
        self.sent = 0
        self.done = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _flood(self) -> None:
                if self.command == "POST":
                    self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Connection", "close")
                if declared:
                    self.send_header("Content-Length", str(OFFERED))
                    self.end_headers()
                    self.wfile.flush()
                    owner.done.set()
                    return
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b"[" * CHUNK
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    while owner.sent < OFFERED:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        owner.sent += len(chunk)
                    self.wfile.write(b"0\r\n\r\n")
                owner.done.set()

            do_GET = do_POST = _flood

            def log_message(self, format: str, *args: Any) -> None:
                pass

        super().__init__(Handler)


@pytest.fixture
def small_api_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api_source, "MAX_ANSWER_BYTES", LIMIT)


def _hung_up_early(server: FloodingServer) -> None:
    assert server.done.wait(30), "the server is still sending: the client did not stop reading"
    assert server.sent <= AT_MOST_SENT, f"the client read on: {server.sent} bytes sent"


@pytest.mark.usefixtures("small_api_bound")
def test_the_api_client_stops_reading_an_answer_at_its_bound() -> None:
    with FloodingServer() as server, LogApi(server.url, timeout=10) as api:
        with pytest.raises(MalformedAnswer, match=f"answer to /v1/checkpoint is larger than {LIMIT} bytes"):
            api.latest_checkpoint()
        _hung_up_early(server)


@pytest.mark.usefixtures("small_api_bound")
def test_the_api_client_refuses_a_declared_length_over_its_bound_before_reading() -> None:
    with FloodingServer(declared=True) as server, LogApi(server.url, timeout=10) as api:
        with pytest.raises(MalformedAnswer, match=f"larger than {LIMIT} bytes"):
            api.entries(0)
        assert server.done.wait(5) and server.sent == 0


def test_an_error_answer_is_read_only_as_far_as_its_problem_detail_needs() -> None:
    with FloodingServer(status=500) as server, LogApi(server.url, timeout=10) as api:
        with pytest.raises(ApiUnavailable, match=r"^the API answered /v1/checkpoint with HTTP 500$"):
            api.latest_checkpoint()
        _hung_up_early(server)


def test_the_chain_client_stops_reading_an_answer_at_its_bound() -> None:
    with FloodingServer() as server, JsonRpcEndpoints([server.url], max_answer_bytes=LIMIT) as endpoints:
        with pytest.raises(MalformedChainAnswer, match=f"larger than {LIMIT} bytes"):
            endpoints.call(server.url, "eth_chainId", [])
        _hung_up_early(server)


def test_the_chain_client_refuses_a_declared_length_over_its_bound_before_reading() -> None:
    with FloodingServer(declared=True) as server, JsonRpcEndpoints([server.url], max_answer_bytes=LIMIT) as endpoints:
        with pytest.raises(MalformedChainAnswer, match=f"larger than {LIMIT} bytes"):
            endpoints.call(server.url, "eth_chainId", [])
        assert server.sent == 0


def test_an_error_answer_nested_too_deep_has_no_detail_and_no_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    # Read in full (the bound raised for the test), so that only the nesting bound stands between it and the
    # recursive decoder (this process has py_ecc's raised recursion limit: the C stack would overflow).
    body = b"[" * 200_000 + b"]" * 200_000
    monkeypatch.setattr(api_source, "MAX_PROBLEM_BYTES", len(body))

    def upstream(path: str, headers: dict[str, str]) -> m.Reply:
        return 500, "application/problem+json", body, 0.0

    with (
        m.MaliciousApi(upstream) as server,
        LogApi(server.url, timeout=10) as api,
        pytest.raises(ApiUnavailable, match=r"^the API answered /v1/checkpoint with HTTP 500$"),
    ):
        api.latest_checkpoint()
