"""``hotline-ledger run --workers 2``: two API processes share the port and the log (each with its own group
commit, SQLite serialising their writes), one anchor worker anchors for both; concurrent clients get a
contiguous log of exactly what was acknowledged, a killed worker is replaced, and SIGTERM stops them all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from api.run import worker_environment
from api.settings import Settings
from ledger.api_keys import ApiKeys
from ledger.devnet.process import free_port
from ledger.storage import LedgerStore
from tests.api.conftest import register, submit_for_dispatch
from tests.api.servers import wait_until_ready

CLIENTS, TICKETS = 8, 40


def workers_of(pid: int) -> list[int]:
    """The API worker processes ``run`` started (children running multiprocessing's spawn)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if parent == pid and b"multiprocessing.spawn" in command:
            found.append(int(entry.name))
    return sorted(found)


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    data, port = tmp_path / "var", free_port()
    command = [sys.executable, "-m", "api.cli", "run", "--data", str(data), "--port", str(port)]
    command += ["--chain-port", str(free_port()), "--interval", "0.5", "--workers", "2"]
    log = tmp_path / "run.log"
    with log.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until_ready(f"http://127.0.0.1:{port}", process, log, timeout=120)
        yield process, f"http://127.0.0.1:{port}", data
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_two_workers_serve_one_log_and_stop_together(running: tuple[subprocess.Popen[bytes], str, Path]) -> None:
    process, url, data = running
    assert len(workers_of(process.pid)) == 2
    store = LedgerStore.open(f"sqlite:///{data / 'ledger.db'}")
    try:
        token = ApiKeys.of(store).create("core system", ["submit", "read"])[1]
    finally:
        store.close()
    headers = {"Authorization": f"Bearer {token}"}

    def life(number: int) -> list[int]:
        ticket = f"W-{number:04d}"
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            opened = client.post("/v1/transitions", json=register(f"w-{number}-1", ticket))
            moved = client.post("/v1/transitions", json=submit_for_dispatch(f"w-{number}-2", ticket, expected_seq=2))
        assert (opened.status_code, moved.status_code) == (201, 201), opened.text + moved.text
        assert opened.json()["query_code"] and moved.json()["seq"] == 2
        return [opened.json()["index"], moved.json()["index"]]

    with ThreadPoolExecutor(CLIENTS) as pool:
        indices = sorted(i for pair in pool.map(life, range(TICKETS)) for i in pair)
    assert indices == list(range(1, 1 + 2 * TICKETS)), "one contiguous log, written by both workers"

    # A batch's connection is closed, so that the next batch goes to whichever worker is free.
    batch = [register(f"wb-{n}", f"WB-{n:04d}") for n in range(3)]
    answer = httpx.post(f"{url}/v1/transitions:batch", json={"transitions": batch}, headers=headers, timeout=60)
    assert answer.status_code == 201 and answer.headers["connection"] == "close", answer.headers
    indices += [r["index"] for r in answer.json()["receipts"]]
    assert sorted(indices) == list(range(1, 4 + 2 * TICKETS))

    # One anchor worker anchors what both wrote.
    deadline = time.monotonic() + 60
    waiting = {f"w-{number}-{step}" for number in range(TICKETS) for step in (1, 2)}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        while waiting:
            assert time.monotonic() < deadline, f"{len(waiting)} transitions not anchored within 60 s"
            waiting = {t for t in waiting if client.get(f"/v1/transitions/{t}").json()["status"] != "anchored"}
            time.sleep(0.2)

    # A worker that dies is replaced, and the API goes on answering meanwhile.
    victim = workers_of(process.pid)[0]
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while victim in workers_of(process.pid) or len(workers_of(process.pid)) < 2:
        assert time.monotonic() < deadline, "the killed worker was not replaced"
        time.sleep(0.2)
    answer = httpx.post(f"{url}/v1/transitions", json=register("w-after", "W-9999"), headers=headers, timeout=60)
    assert answer.status_code == 201 and answer.json()["index"] == 2 * TICKETS + 4, answer.text

    workers = workers_of(process.pid)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or b"zombie" in Path(f"/proc/{pid}/status").read_bytes().lower()


def test_each_worker_gets_its_share_of_the_public_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Limits counted per process: the shares of N workers add up to no more than one process's limits."""
    settings = Settings(
        public_rate_per_second=20, public_burst=60, query_code_rate_per_minute=10, query_code_burst=10,
        query_code_max_failures=5,
    )  # fmt: skip
    shares = worker_environment(settings, 3)
    assert float(shares["HOTLINE_PUBLIC_RATE_PER_SECOND"]) * 3 == pytest.approx(20)
    assert float(shares["HOTLINE_QUERY_CODE_RATE_PER_MINUTE"]) * 3 == pytest.approx(10)
    assert (shares["HOTLINE_PUBLIC_BURST"], shares["HOTLINE_QUERY_CODE_BURST"]) == ("20", "4")
    assert shares["HOTLINE_QUERY_CODE_MAX_FAILURES"] == "2" and shares["HOTLINE_CLOSE_AFTER_BATCH"] == "true"
    for name, value in shares.items():
        monkeypatch.setenv(name, value)
    again = Settings()  # as a worker reads them
    assert again.public_burst == 20 and again.query_code_max_failures == 2
    assert again.public_rate_per_second * 3 == pytest.approx(20)
