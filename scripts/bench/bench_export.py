#!/usr/bin/env python
"""Benchmark regulators' exports: time and peak memory of ``write_export`` as the export grows.

Builds one SQLite log of ``--tickets`` demo tickets (about nine entries each), anchors it on an in-process
eth-tester chain (one anchor transaction, as the worker sends it), then exports ever larger periods of
it, each in a fresh child process so its peak resident memory (``VmHWM`` of the child's own address space;
``ru_maxrss`` would not do: Linux carries the parent's peak over ``exec``) is the export's own, and
verifies the largest bundle's exporter signature and completeness (V13) offline. The claim under test:
memory follows the number of tickets, not their entries, and stays bounded. Then ``hotline-verify bundle
--offline`` verifies the largest bundle, in its own child process (a bundle over ``IN_MEMORY_BYTES`` is
streamed from its file): its time and peak memory, and every step but the chain's (V5, V6, V10) must pass.

    python scripts/bench/bench_export.py --out bench_export.json          # 100,000 tickets (minutes)
    python scripts/bench/bench_export.py --quick                          # 2,000 tickets, seconds
"""

from __future__ import annotations

import argparse
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
from verifier.bundle_file import IN_MEMORY_BYTES
from verifier.note import NoteSigner
from verifier.trust import ChainPlace, Trust, log_id_of

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_log import machine_info, open_ledger
from peak import PEAK_RSS, VERIFY_CHILD

SCHEMA = "hotline-ledger/bench-export/v1"
FIRST_DAY = date(2026, 3, 2)

CHILD = (
    PEAK_RSS
    + """
import json, sys, time
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
rss = PEAK()
print(json.dumps({"tickets": result.tickets, "entries": result.entries, "seconds": seconds,
                  "bytes": Path(out).stat().st_size, "max_rss_mb": rss}))
"""
)

#: The steps an offline verification cannot run: the rest must pass.
CHAIN_STEPS = {"V5", "V6", "V10"}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build(path: Path, tickets: int, exporter: NoteSigner) -> int:
    """The log of ``tickets`` demo tickets, checkpointed and anchored; returns its size.

    Writes the log's trust file beside it (``PATH.trust.json``), naming ``exporter``'s key.
    """
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
    place = ChainPlace(record.chain_id, record.contract.lower(), log_id_of(ledger.origin))
    trust = Trust(ledger.origin, (ledger.signer.verifier(),), place, 1, (exporter.verifier(),))
    Path(f"{path}.trust.json").write_bytes(trust.encode())
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


def verify_largest(workdir: Path, result: dict[str, Any], path: Path, stream_above: int) -> dict[str, Any]:
    """``hotline-verify bundle --offline`` on the largest bundle, in a child process: time, peak memory, outcome."""
    bundle = workdir / f"export-{result['days']}.json"
    arguments = ["bundle", str(bundle), "--trust", f"{path}.trust.json", "--offline", "--json",
                 "--state-dir", str(workdir / "verifier-state")]  # fmt: skip
    child = [sys.executable, "-c", VERIFY_CHILD, str(stream_above), *arguments]
    answer = subprocess.run(child, capture_output=True, text=True)
    measured: dict[str, Any] = json.loads(answer.stderr.strip().splitlines()[-1])
    report = json.loads(answer.stdout)
    steps = {step["step"]: step["status"] for step in report["steps"]}
    unexpected = {s: v for s, v in steps.items() if v != ("not_run" if s in CHAIN_STEPS else "passed")}
    if unexpected or measured["exit"] != 3:
        raise RuntimeError(
            f"the {result['days']}-day bundle did not verify: {unexpected}, first failure {report['first_failure']}"
        )
    measured.update(bundle_bytes=result["bytes"], streamed=result["bytes"] > stream_above, steps=steps)
    measured["entries_per_s"] = result["entries"] / measured["seconds"]
    log(
        f"verified the {result['days']}-day bundle ({result['entries']:,} entries, "
        f"{'streamed' if measured['streamed'] else 'in memory'}) offline in {measured['seconds']:.1f} s, "
        f"peak RSS {measured['max_rss_mb']:.0f} MB: every step but V5, V6, V10 passed"
    )
    return measured


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="2,000 tickets")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--stream-above", type=int, default=IN_MEMORY_BYTES, metavar="BYTES",
        help=f"the verifier streams bundles larger than this (default {IN_MEMORY_BYTES:,}, as shipped)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    tickets = 2_000 if args.quick else args.tickets
    with tempfile.TemporaryDirectory(dir=args.workdir) as temporary:
        workdir = Path(temporary)
        path = workdir / "ledger.db"
        exporter = NoteSigner.generate(f"{DEFAULT_ORIGIN}/export")
        Path(f"{path}.exporter").write_text(exporter.skey + "\n")
        size = build(path, tickets, exporter)
        # Demo tickets open every 20-200 s (about 790 a day): periods of growing length select more of them.
        span = max(2, tickets // 790 + 2)
        periods = sorted({max(1, span // 16), max(1, span // 4), span})
        results = [export(path, workdir, days) for days in periods]
        verification = verify_largest(workdir, results[-1], path, args.stream_above)
        document = {"schema": SCHEMA, "tickets": tickets, "log_size": size, "exports": results,
                    "verification": verification, "machine": machine_info(workdir)}  # fmt: skip
    if args.out:
        args.out.write_text(json.dumps(document, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
