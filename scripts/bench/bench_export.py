#!/usr/bin/env python
"""Benchmark regulators' exports: time and peak memory of ``write_export`` as the export grows.

Builds one SQLite log of ``--tickets`` demo tickets (about nine entries each), anchors it on an in-process
eth-tester chain (one anchor transaction, as the worker sends it), then exports ever larger periods of
it, each in a fresh child process so its peak resident memory (``ru_maxrss``) is the export's own, and
verifies the largest bundle's exporter signature and completeness (V13) offline. The claim under test:
memory follows the number of tickets, not their entries, and stays bounded.

    python scripts/bench/bench_export.py --out bench_export.json          # 100,000 tickets (minutes)
    python scripts/bench/bench_export.py --quick                          # 2,000 tickets, seconds
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from eth_tester import EthereumTester, PyEVMBackend
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider

from ledger.anchoring.chain import AnchorChain
from ledger.anchoring.deployment import deploy
from ledger.anchoring.development import DEV_MNEMONIC, development_accounts
from ledger.anchoring.worker import AnchorWorker, WorkerConfig
from ledger.config import DEFAULT_ORIGIN
from ledger.demo import demo_requests
from verifier.bundle import issued_message, parse_bundle
from verifier.note import NoteSigner, parse_vkey

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_log import machine_info, open_ledger

SCHEMA = "hotline-ledger/bench-export/v1"
FIRST_DAY = date(2026, 3, 2)

CHILD = """
import json, resource, sys, time
from datetime import date
from pathlib import Path
from ledger.config import DEFAULT_POLICY
from ledger.exports import ExportFilter, write_export
from ledger.payloads import PayloadKey
from ledger.policies import load_policy
from ledger.service import Ledger
from ledger.storage import LedgerStore
from verifier.note import NoteSigner
db, out, start, end = sys.argv[1:5]
store = LedgerStore.open(f"sqlite:///{db}")
key = NoteSigner.from_skey(Path(db + ".skey").read_text().strip())
ledger = Ledger.open(store, origin=key.name, signer=key, payload_key=PayloadKey.generate(),
                     policies=[load_policy(DEFAULT_POLICY)])
signer = NoteSigner.from_skey(Path(db + ".exporter").read_text().strip())
began = time.perf_counter()
chosen = ExportFilter(start=date.fromisoformat(start), end=date.fromisoformat(end))
result = write_export(ledger, chosen, Path(out), signer=signer, by="bench")
seconds = time.perf_counter() - began
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"tickets": result.tickets, "entries": result.entries, "seconds": seconds,
                  "bytes": Path(out).stat().st_size, "max_rss_mb": rss}))
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build(path: Path, tickets: int) -> int:
    """The log of ``tickets`` demo tickets, checkpointed and anchored; returns its size."""
    ledger = open_ledger(path)
    Path(f"{path}.skey").write_text(ledger.signer.skey + "\n")
    requests = demo_requests(tickets, seed=2026)
    began = time.perf_counter()
    while batch := list(islice(requests, 1000)):
        ledger.append(batch)
    log(f"built {ledger.head().tree_size:,} entries of {tickets:,} tickets in {time.perf_counter() - began:.0f} s")
    params = PyEVMBackend.generate_genesis_params()
    params["base_fee_per_gas"] = 0
    backend = PyEVMBackend(genesis_parameters=params, mnemonic=DEV_MNEMONIC, hd_path="m/44'/60'/0'/0")
    w3 = Web3(EthereumTesterProvider(EthereumTester(backend)))
    admin, anchorer = development_accounts()[:2]
    record = deploy(w3, admin, origin=DEFAULT_ORIGIN, anchorer=anchorer.address, chain_id=w3.eth.chain_id)
    chain = AnchorChain(
        w3, contract=record.contract, origin=DEFAULT_ORIGIN, account=anchorer, chain_id=record.chain_id,
        from_block=record.block_number, poll=0.01,
    )  # fmt: skip
    if AnchorWorker(ledger, chain, WorkerConfig()).step() is None:
        raise RuntimeError("nothing was anchored")
    size = ledger.head().tree_size
    ledger.store.close()
    return size


def export(path: Path, workdir: Path, days: int) -> dict[str, Any]:
    out = workdir / f"export-{days}.json"
    end = FIRST_DAY + timedelta(days=days - 1)
    answer = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(out), FIRST_DAY.isoformat(), end.isoformat()],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(answer.stdout)
    result["days"] = days
    result["entries_per_s"] = result["entries"] / result["seconds"]
    log(
        f"{days:>4} days: {result['tickets']:>7,} tickets, {result['entries']:>8,} entries, "
        f"{result['bytes'] / 2**20:,.0f} MiB in {result['seconds']:.1f} s, peak RSS {result['max_rss_mb']:.0f} MB"
    )
    return result


def verify_largest(workdir: Path, days: int, path: Path) -> None:
    """The biggest bundle's exporter signature, so the numbers are of valid exports."""
    bundle = parse_bundle((workdir / f"export-{days}.json").read_bytes())
    assert bundle.issued is not None and bundle.export is not None
    exporter = NoteSigner.from_skey(Path(f"{path}.exporter").read_text().strip())
    if parse_vkey(bundle.issued.key).public_key != exporter.verifier().public_key:
        raise RuntimeError("the bundle is not signed by the bench's exporter key")
    digest = hashlib.sha256(bundle.unsigned_bytes()).digest()
    parse_vkey(bundle.issued.key).verify(issued_message(digest), bundle.issued.sig)
    log(f"verified the {days}-day bundle's exporter signature ({len(bundle.entries):,} entries)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="2,000 tickets")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    tickets = 2_000 if args.quick else args.tickets
    with tempfile.TemporaryDirectory(dir=args.workdir) as temporary:
        workdir = Path(temporary)
        path = workdir / "ledger.db"
        size = build(path, tickets)
        Path(f"{path}.exporter").write_text(NoteSigner.generate(f"{DEFAULT_ORIGIN}/export").skey + "\n")
        # Demo tickets open every 20-200 s (about 790 a day): periods of growing length select more of them.
        span = max(2, tickets // 790 + 2)
        periods = sorted({max(1, span // 16), max(1, span // 4), span})
        results = [export(path, workdir, days) for days in periods]
        verify_largest(workdir, periods[-1], path)
        document = {"schema": SCHEMA, "tickets": tickets, "log_size": size, "exports": results,
                    "machine": machine_info(workdir)}  # fmt: skip
    if args.out:
        args.out.write_text(json.dumps(document, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
