"""A request body nested absurdly deep gets a problem answer, and the server lives on.

py_ecc (imported through web3 and eth-utils) raises Python's recursion limit to 100,000, and the JSON
decoder recurses in C: at that limit, a 400 KB body of nested brackets overflowed the C stack and killed the
server process with SIGSEGV (one unauthenticated request took the API down). Run against a real server
process, since in-process the crash would take the test run with it.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from ledger.cli import main as ledger_main
from tests.api.servers import api_server

DEPTH = 200_000


@pytest.mark.parametrize(
    "path",
    ["/v1/transitions", "/v1/transitions:batch", "/v1/public/tickets/T-1/bundle", "/v1/exports"],
)
def test_a_deeply_nested_body_is_refused_and_the_server_lives_on(tmp_path: Path, db_url: str, path: str) -> None:
    data = tmp_path / "var"
    assert ledger_main(["init", "--data", str(data), "--database", db_url]) == 0
    body = b"[" * DEPTH + b"]" * DEPTH
    with api_server(data, tmp_path / "server.log") as server:
        answer = httpx.post(
            f"{server.url}{path}", content=body, headers={"Content-Type": "application/json"}, timeout=30
        )
        assert 400 <= answer.status_code < 500, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
        assert server.process.poll() is None, server.log_file.read_text()
