"""The API as it runs: a uvicorn server in its own process, concurrent clients, everything read back."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from ledger.api_keys import ApiKeys
from ledger.cli import main as ledger_main
from ledger.storage import LedgerStore
from tests.api.conftest import register, submit_for_dispatch
from tests.api.servers import api_server

CLIENTS = 16
TICKETS = 48


@pytest.fixture
def server(tmp_path: Path, db_url: str) -> Iterator[tuple[str, str, subprocess.Popen[bytes], Path]]:
    data = tmp_path / "var"
    assert ledger_main(["init", "--data", str(data), "--database", db_url]) == 0
    store = LedgerStore.open(db_url)
    try:
        _, token = ApiKeys.of(store).create("core system", ["submit", "read"])
    finally:
        store.close()
    with api_server(data, tmp_path / "server.log", HOTLINE_GROUP_MAX_WAIT_MS="5") as running:
        yield running.url, token, running.process, running.log_file


def test_concurrent_clients_against_a_real_server(
    server: tuple[str, str, subprocess.Popen[bytes], Path], db_url: str
) -> None:
    url, token, process, log_file = server
    headers = {"Authorization": f"Bearer {token}"}

    def ticket_life(number: int) -> list[dict[str, object]]:
        ticket = f"S-{number:04d}"
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
            opened = client.post("/v1/transitions", json=register(f"s-{number}-1", ticket))
            moved = client.post("/v1/transitions", json=submit_for_dispatch(f"s-{number}-2", ticket, expected_seq=2))
            replayed = client.post("/v1/transitions", json=register(f"s-{number}-1", ticket))
        assert (opened.status_code, moved.status_code, replayed.status_code) == (201, 201, 200)
        assert replayed.json()["index"] == opened.json()["index"]
        return [opened.json(), moved.json()]

    with ThreadPoolExecutor(CLIENTS) as pool:
        receipts = [r for pair in pool.map(ticket_life, range(TICKETS)) for r in pair]
    indices = sorted(int(str(r["index"])) for r in receipts)
    assert indices == list(range(1, 1 + 2 * TICKETS))  # index 0 is the published policy

    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        for receipt in receipts:
            status = client.get(f"/v1/transitions/{receipt['transition_id']}").json()
            assert (status["index"], status["entry_hash"]) == (receipt["index"], receipt["entry_hash"])
        history = client.get("/v1/tickets/S-0007").json()
        assert [e["entry"]["event"] for e in history["entries"]] == ["register", "submit_for_dispatch"]
        metrics = client.get("/metrics").text
    transactions = next(
        float(line.split()[1]) for line in metrics.splitlines() if line.startswith("hotline_commit_transactions_total")
    )
    print(f"{2 * TICKETS} new transitions from {CLIENTS} clients in {transactions:.0f} writer transactions")
    assert transactions < 2 * TICKETS  # 144 requests (48 of them replays): far fewer transactions

    # A graceful stop: the lifespan closes the writer (uvicorn re-raises SIGTERM once it has shut down).
    process.terminate()
    assert process.wait(timeout=30) in (0, -15)
    server_log = log_file.read_text()
    assert "Application shutdown complete" in server_log and "Traceback" not in server_log
    # What the server answered 201 for is in the database after it stopped.
    store = LedgerStore.open(db_url)
    try:
        assert ApiKeys.of(store).list()[0].name == "core system"
        with store.reading() as view:
            assert view.head() is not None and view.head().tree_size == 1 + 2 * TICKETS  # type: ignore[union-attr]
    finally:
        store.close()
