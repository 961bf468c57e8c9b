"""The log ``bench_audit.py`` audits: demo traffic in a SQLite data directory, anchored on anvil, served by uvicorn.

The log is built once per (size, anchor interval) and cached (``--cache``): the data directories of the
snapshot sizes (e.g. 250,000, 500,000 and 1,000,000 entries; each a prefix of the next) with their signed
checkpoints every ``anchor_every`` entries. Entry times are synthetic and deterministic: chunk ``k`` (the
entries between two checkpoints) happened within ``CHUNK_SPAN`` from ``BASE + k * CHUNK_SPACING``. Every run
starts a fresh anvil whose genesis is before ``BASE``, deploys the contract, and anchors each checkpoint in a
block stamped ``ANCHOR_LAG`` after its chunk began (``evm_setNextBlockTimestamp``), so step V10 sees the
lags a live log would have, whatever the wall clock, and a cached log needs no rebuilding.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from bench_log import demo_mix
from web3 import Web3

from ledger.anchoring.chain import AnchorChain
from ledger.anchoring.deployment import Deployment, deploy
from ledger.anchoring.development import development_accounts
from ledger.api_keys import ApiKeys
from ledger.config import DataDir
from ledger.demo import compress_into
from ledger.devnet.anvil import AnvilNode
from ledger.devnet.process import free_port, rpc_call
from ledger.evidence_cli import build_trust
from ledger.service import Ledger
from verifier.trust import Trust

BASE = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
CHUNK_SPACING = timedelta(minutes=10)
CHUNK_SPAN = timedelta(minutes=2)
ANCHOR_LAG = timedelta(minutes=3)
CHAIN_ID = 12345
LAYOUT = "hotline-ledger/bench-audit-log/v1"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def chunk_start(k: int) -> datetime:
    return BASE + k * CHUNK_SPACING


def _snapshot(data: Path, into: Path) -> None:
    """Copy the data directory (its database checkpointed into one file) and point the copy at its own database."""
    shutil.copytree(data, into, ignore=shutil.ignore_patterns("ledger.db*"))
    shutil.copy2(data / "ledger.db", into / "ledger.db")
    settings = json.loads((data / "ledger.json").read_text())
    settings["database"] = f"sqlite:///{(into / 'ledger.db').resolve()}"
    (into / "ledger.json").write_text(json.dumps(settings, indent=2) + "\n")


def build(cache: Path, sizes: Sequence[int], anchor_every: int, seed: int = 12345) -> None:
    """Build the snapshots ``cache/<size>/`` (a data directory each), checkpoints every ``anchor_every`` entries."""
    largest = max(sizes)
    work = cache / "building"
    shutil.rmtree(work, ignore_errors=True)
    DataDir(work).init()
    ledger = DataDir(work).open_ledger(development=True)
    log(f"generating {largest - 1:,} demo requests")
    requests = demo_mix(largest - 1, seed)
    size = ledger.head().tree_size
    began = time.monotonic()
    k = 0
    while size < largest:
        end = min(largest, (k + 1) * anchor_every)
        chunk = requests[size - 1 : end - 1]
        chunk = compress_into(chunk, chunk_start(k) + CHUNK_SPAN, CHUNK_SPAN)
        for start in range(0, len(chunk), 1000):
            ledger.append(chunk[start : start + 1000])
        size = ledger.head().tree_size
        ledger.publish_checkpoint()
        k += 1
        if size in sizes:
            ledger.store.close()
            _snapshot(work, cache / str(size))
            log(f"snapshot of {size:,} entries ({size / (time.monotonic() - began):,.0f} entries/s)")
            if size < largest:
                ledger = DataDir(work).open_ledger(development=True)
    shutil.rmtree(work)
    (cache / "layout.json").write_text(json.dumps({"layout": LAYOUT, "sizes": sorted(sizes), "every": anchor_every}))


def cached(cache: Path, sizes: Sequence[int], anchor_every: int) -> bool:
    try:
        layout = json.loads((cache / "layout.json").read_text())
    except (OSError, ValueError):
        return False
    return layout == {"layout": LAYOUT, "sizes": sorted(sizes), "every": anchor_every}


@dataclass
class Chain:
    node: AnvilNode
    deployment: Deployment
    anchors: int


def _stamp_next_block(url: str, moment: datetime) -> None:
    rpc_call(url, "evm_setNextBlockTimestamp", [int(moment.timestamp())])


@contextmanager
def anchored_chain(cache: Path, sizes: Sequence[int], anchor_every: int, workdir: Path) -> Iterator[Chain]:
    """A fresh anvil holding every checkpoint of the largest snapshot, each in a block stamped as it would be live."""
    genesis = int((BASE - timedelta(hours=1)).timestamp())
    node = AnvilNode(chain_id=CHAIN_ID, log=workdir / "anvil.log", extra_args=["--timestamp", str(genesis)])
    with node:
        w3 = Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 30}))
        admin, anchorer = development_accounts()[:2]
        ledger = DataDir(cache / str(max(sizes))).open_ledger(development=True)
        try:
            deployment = deploy(w3, admin, origin=ledger.origin, anchorer=anchorer.address, chain_id=CHAIN_ID)
            chain = AnchorChain(
                w3,
                contract=deployment.contract,
                origin=ledger.origin,
                account=anchorer,
                chain_id=CHAIN_ID,
                from_block=deployment.block_number,
                poll=0.01,
            )
            previous, count = 0, 0
            for k, size in enumerate(_checkpoint_sizes(ledger, anchor_every)):
                checkpoint = ledger.checkpoint(size)
                assert checkpoint is not None, size
                proof = ledger.consistency_proof(previous, size) if previous else []
                _stamp_next_block(node.url, chunk_start(k) + ANCHOR_LAG)
                tx = chain.send_anchor(size, checkpoint.root, proof)
                chain.wait_confirmed(tx, confirmations=1, timeout=60)
                previous, count = size, count + 1
        finally:
            ledger.store.close()
        log(f"anvil at {node.url}: {count} anchors of {max(sizes):,} entries")
        yield Chain(node, deployment, count)


def _checkpoint_sizes(ledger: Ledger, anchor_every: int) -> list[int]:
    size = ledger.head().tree_size
    return [s for s in range(anchor_every, size, anchor_every)] + [size]


def trust_of(cache: Path, size: int, deployment: Deployment) -> Trust:
    ledger = DataDir(cache / str(size)).open_ledger(development=True)
    try:
        return build_trust(ledger, deployment, confirmations=1)
    finally:
        ledger.store.close()


def audit_token(data: Path) -> str:
    ledger = DataDir(data).open_ledger(development=True)
    try:
        return ApiKeys.of(ledger.store).create("bench auditor", ["audit"])[1]
    finally:
        ledger.store.close()


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]


@contextmanager
def api_server(data: Path, log_file: Path) -> Iterator[Server]:
    """``uvicorn --factory api.app:create_app_from_env`` over the data directory, as an operator runs it."""
    port = free_port()
    env = {**os.environ, "HOTLINE_DATA_DIR": str(data), "HOTLINE_ENVIRONMENT": "development"}
    command = [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app_from_env", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    with closing(log_file.open("ab")) as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the API server ended: {log_file.read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the API server did not become ready")
            time.sleep(0.1)
        yield Server(url, process)
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)
