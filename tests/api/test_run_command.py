"""``hotline-ledger run`` end to end, as the README's run command starts it: devnet subprocess, contract
deployed, demo seeded, API served and anchor worker running — a submitted transition ends ``anchored``,
its proof verifies with the verifier core against the root read from the chain, and a restart (even
after SIGKILL) keeps the chain, the deployment and every acknowledged transition."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from web3 import Web3

from api.run import default_workers
from ledger.anchoring.contract import load_artifact, log_id
from ledger.api_keys import ApiKeys
from ledger.config import DEFAULT_ORIGIN
from ledger.devnet.process import free_port
from ledger.storage import LedgerStore
from tests.api.conftest import register
from tests.api.servers import wait_until_ready
from tests.api.test_run_workers import workers_of
from verifier.checkpoint import open_checkpoint
from verifier.merkle import leaf_hash, verify_inclusion
from verifier.note import parse_vkey


class Stack:
    """One ``hotline-ledger run`` process and its ports."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.port, self.chain_port = free_port(), free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data.parent / "run.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def launch(self, *extra: str) -> subprocess.Popen[bytes]:
        """Start ``run`` without waiting for it to serve."""
        command = [sys.executable, "-m", "api.cli", "run", "--data", str(self.data), "--port", str(self.port)]
        command += ["--chain-port", str(self.chain_port), "--interval", "0.5", *extra]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ))
        return self.process

    def start(self, *extra: str) -> None:
        wait_until_ready(self.url, self.launch(*extra), self.log, timeout=120)

    def stop(self, signum: int = signal.SIGTERM) -> int:
        assert self.process is not None
        self.process.send_signal(signum)
        code = self.process.wait(timeout=60)
        self.process = None
        return code


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    running = Stack(tmp_path / "var")
    try:
        yield running
    finally:
        if running.process is not None:
            running.process.kill()
            running.process.wait()


def api_key(data: Path) -> str:
    store = LedgerStore.open(f"sqlite:///{data / 'ledger.db'}")
    try:
        return ApiKeys.of(store).create("core system", ["submit", "read", "audit"])[1]
    finally:
        store.close()


def wait_anchored(url: str, token: str, transition_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        answer = httpx.get(f"{url}/v1/transitions/{transition_id}", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        if answer.json()["status"] == "anchored":
            return dict(answer.json())
        assert time.monotonic() < deadline, answer.json()
        time.sleep(0.2)


def test_run_serves_anchors_and_survives_restarts(stack: Stack) -> None:
    stack.start("--demo", "12")
    assert stack.process is not None
    # As shipped, one API process per CPU and one more.
    assert len(workers_of(stack.process.pid)) == default_workers() > 1
    data = stack.data
    deployment = json.loads((data / "deployment.json").read_text())
    demo = json.loads((data / "demo.json").read_text())
    assert len(demo) == 12 and all(len(item["code"]) >= 8 for item in demo)
    public = httpx.get(f"{stack.url}/v1/public/tickets/{demo[0]['ticket']}", headers={"X-Query-Code": demo[0]["code"]})
    assert public.status_code == 200, public.text

    token = api_key(data)
    auth = {"Authorization": f"Bearer {token}"}
    created = httpx.post(f"{stack.url}/v1/transitions", json=register("run-1", ticket="RUN-0001"), headers=auth)
    assert created.status_code == 201, created.text
    receipt = wait_anchored(stack.url, token, "run-1")

    # The proof, the operator's signature and the root on chain agree, checked without the server's word.
    index = created.json()["index"]
    size = receipt["anchor"]["tree_size"]
    proof = httpx.get(f"{stack.url}/v1/proofs/inclusion", params={"index": index, "size": size}, headers=auth).json()
    entry = httpx.get(f"{stack.url}/v1/entries", params={"start": index, "end": index + 1}, headers=auth).json()
    note = httpx.get(f"{stack.url}/v1/checkpoints/{size}", headers=auth).text
    vkey = (data / "keys" / "operator.vkey").read_text().strip()
    checkpoint = open_checkpoint(note, [parse_vkey(vkey)], origin=DEFAULT_ORIGIN)
    w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{stack.chain_port}"))
    contract = w3.eth.contract(address=deployment["contract"], abi=list(load_artifact().abi))
    root, _, _ = contract.functions.anchoredAt(log_id(DEFAULT_ORIGIN), size).call()
    assert bytes(root) == checkpoint.root_hash
    data_bytes = base64.b64decode(entry["entries"][0]["data"])
    hashes = [bytes.fromhex(h.removeprefix("0x")) for h in proof["proof"]]
    verify_inclusion(leaf_hash(data_bytes), index, size, hashes, checkpoint.root_hash)

    assert stack.stop(signal.SIGTERM) == 0
    stack.start()  # the devnet replays its journal: the contract and the anchors are still there
    assert json.loads((data / "deployment.json").read_text()) == deployment
    again = httpx.post(f"{stack.url}/v1/transitions", json=register("run-2", ticket="RUN-0002"), headers=auth)
    assert again.status_code == 201, again.text
    wait_anchored(stack.url, token, "run-2")

    assert stack.process is not None
    workers = workers_of(stack.process.pid)
    # The devnet and the API processes notice their parent is gone and stop, freeing ports, journal and log.
    stack.stop(signal.SIGKILL)
    deadline = time.monotonic() + 30
    while any(Path(f"/proc/{pid}").exists() for pid in workers):
        assert time.monotonic() < deadline, "API processes outlived the run process they belong to"
        time.sleep(0.1)
    stack.start()
    for transition_id in ("run-1", "run-2"):
        assert wait_anchored(stack.url, token, transition_id)["status"] == "anchored"
    assert stack.stop() == 0


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_while_starting_stops_what_was_started(stack: Stack, signum: int) -> None:
    process = stack.launch("--demo", "3000")  # seeding takes seconds: the signal comes while it runs
    deadline = time.monotonic() + 120
    while b"hotline-ledger running" not in (stack.log.read_bytes() if stack.log.exists() else b""):
        assert process.poll() is None and time.monotonic() < deadline, stack.log.read_text()
        time.sleep(0.05)
    assert _listening(stack.chain_port), "the devnet should be up by now"
    process.send_signal(signum)
    code = process.wait(timeout=60)
    stack.process = None
    output = stack.log.read_text()
    assert code == 0, output
    assert f"stopped by {signal.Signals(signum).name} while starting" in output and "Traceback" not in output, output
    assert not _listening(stack.port), "the API should not have started"
    deadline = time.monotonic() + 10  # stopped by run on its way out, not left to notice its parent is gone
    while _listening(stack.chain_port):
        assert time.monotonic() < deadline, "the devnet outlived the start-up"
        time.sleep(0.05)
    stack.start()  # and the next start carries on
    assert httpx.get(f"{stack.url}/readyz").status_code == 200
    assert stack.stop() == 0
