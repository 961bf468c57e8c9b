#!/usr/bin/env python
"""Gas per CheckpointAnchor.anchor on eth-tester and anvil (results: BENCHMARKS.md, "Anchoring gas").

For each tree size N (default 10, 10³, 10⁶ and 2²⁰ − 1) and each batch k of new entries (default 1 and
10,000), a
fresh log is anchored at N (the first anchor, no proof), then one anchor covers the k new entries:
N → N + k with the consistency proof the producer plans (``ledger.proofs.consistency_plan``). The
leaves are synthetic hashes; every perfect-subtree node is held in memory (about 2·(N + k) hashes), so
proofs and roots cost nothing to produce, and each proof is checked with ``verifier.merkle`` before it
is sent. The target (issue 3) is ≤ 120,000 gas per anchor at 10⁶ entries, whatever k. Gas grows with the
proof's length (calldata and hashing), so 2²⁰ − 1 is measured too: of all trees of 10⁶ to 10⁶ + 2¹⁷ entries
it needs the longest proofs for these batches (21 hashes for k = 1, 22 for k = 10,000).

It also compares, on each chain, anchoring ``--naive`` entries one transaction per entry with anchoring
them in one transaction: gas per entry and entries anchored per second (sequential send and wait).

    python scripts/bench/bench_anchor_gas.py                         # both chains, all sizes (~1 min)
    python scripts/bench/bench_anchor_gas.py --sizes 10 1000 --backends eth-tester --out results.json

Exits 1 if a measured anchor at 10⁶ or more entries exceeds the target, 2 if a chain cannot be used.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from eth_tester import EthereumTester, PyEVMBackend
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract
from web3.providers.eth_tester import EthereumTesterProvider
from web3.types import TxParams, TxReceipt, Wei

from ledger.anchoring.contract import load_artifact
from ledger.anchoring.receipts import wait_receipt
from ledger.devnet.anvil import ANVIL, AnvilError, AnvilNode, anvil_binary
from ledger.proofs import NodeId, ProofPlan, consistency_plan, right_border
from verifier.merkle import fold_right_border, leaf_hash, node_hash, verify_consistency

SCHEMA = "hotline-ledger/bench-anchor-gas/v1"
REPO = Path(__file__).resolve().parents[2]
CHAIN_ID = 12345
TARGET_GAS = 120_000
TARGET_SIZE = 1_000_000
TX_GAS = 3_000_000
PACKAGES = ("web3", "eth-tester", "py-evm")


class Levels:
    """Every perfect-subtree node of a synthetic tree: ``levels[l][i]`` is node (l, i)."""

    def __init__(self, size: int) -> None:
        row = [leaf_hash(i.to_bytes(8, "big")) for i in range(size)]
        self.levels = [row]
        while len(row) > 1:
            row = [node_hash(row[i], row[i + 1]) for i in range(0, len(row) - 1, 2)]
            self.levels.append(row)

    def hashes(self, ids: Sequence[NodeId]) -> list[bytes]:
        return [self.levels[level][index] for level, index in ids]

    def root(self, size: int) -> bytes:
        return fold_right_border(self.hashes(right_border(size)))

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        plan: ProofPlan = consistency_plan(size1, size2)
        return plan.rehash(self.hashes(plan.ids))


@dataclass
class Measurement:
    backend: str
    tree_size: int
    new_entries: int
    proof_hashes: int
    first_anchor_gas: int
    anchor_gas: int


@dataclass
class NaiveComparison:
    backend: str
    entries: int
    one_per_entry_gas_per_entry: float
    one_per_entry_entries_per_s: float
    batched_gas_per_entry: float
    batched_entries_per_s: float


class Chain:
    """A deployed contract on one backend, driven by its first two development accounts."""

    def __init__(self, name: str, w3: Web3) -> None:
        self.name, self.w3 = name, w3
        accounts = list(w3.eth.accounts)
        self.admin, self.anchorer = accounts[0], accounts[1]
        artifact = load_artifact()
        factory = w3.eth.contract(abi=list(artifact.abi), bytecode=artifact.bytecode)
        receipt = self.send(factory.constructor(self.admin).transact(self._tx(self.admin)))
        address = receipt["contractAddress"]
        assert address is not None
        self.contract: Contract = w3.eth.contract(address=address, abi=list(artifact.abi))
        self.logs = 0

    def _tx(self, sender: ChecksumAddress) -> TxParams:
        return {"from": sender, "gasPrice": Wei(0), "gas": TX_GAS}

    def send(self, tx_hash: bytes) -> TxReceipt:
        receipt = wait_receipt(self.w3, tx_hash, timeout=60)
        if receipt["status"] != 1:
            raise RuntimeError(f"{self.name}: transaction {tx_hash.hex()} reverted")
        return receipt

    def new_log(self) -> bytes:
        self.logs += 1
        functions: Any = self.contract.functions
        receipt = self.send(functions.registerLog(f"bench.example/log/{self.logs}").transact(self._tx(self.admin)))
        (event,) = self.contract.events.LogRegistered().process_receipt(receipt)
        log_id: bytes = event["args"]["logId"]
        self.send(functions.addAnchorer(log_id, self.anchorer).transact(self._tx(self.admin)))
        return log_id

    def anchor(self, log_id: bytes, size: int, root: bytes, proof: list[bytes]) -> int:
        functions: Any = self.contract.functions
        receipt = self.send(functions.anchor(log_id, size, root, proof).transact(self._tx(self.anchorer)))
        return int(receipt["gasUsed"])


def eth_tester_web3() -> Web3:
    params = PyEVMBackend.generate_genesis_params()
    params["base_fee_per_gas"] = 0
    return Web3(EthereumTesterProvider(EthereumTester(PyEVMBackend(genesis_parameters=params))))


@contextmanager
def anvil_web3(workdir: Path) -> Iterator[Web3]:
    """anvil on a free loopback port, as the tests start it; always stopped."""
    if anvil_binary() is None:
        raise FileNotFoundError(f"anvil not installed at {ANVIL} (run `npm ci --no-audit --no-fund`)")
    node = AnvilNode(chain_id=CHAIN_ID, log=workdir / "anvil.log")
    try:
        node.start()
    except AnvilError as exc:
        raise RuntimeError(f"anvil did not start: {exc}") from exc
    try:
        yield Web3(Web3.HTTPProvider(node.url))
    finally:
        node.stop()


def measure(chain: Chain, tree: Levels, sizes: Sequence[int], batches: Sequence[int]) -> list[Measurement]:
    results = []
    for size in sizes:
        for new in batches:
            log_id = chain.new_log()
            first = chain.anchor(log_id, size, tree.root(size), [])
            proof = tree.consistency_proof(size, size + new)
            root = tree.root(size + new)
            verify_consistency(size, size + new, proof, tree.root(size), root)
            gas = chain.anchor(log_id, size + new, root, proof)
            results.append(Measurement(chain.name, size, new, len(proof), first, gas))
            print(
                f"{chain.name:>10}  N={size:>9,}  +{new:>6,}  proof {len(proof):>2} hashes  {gas:>7,} gas", flush=True
            )
    return results


def compare_naive(chain: Chain, tree: Levels, start: int, entries: int) -> NaiveComparison:
    """``entries`` single-entry anchors after ``start``, against one anchor of the same entries."""
    log_id = chain.new_log()
    chain.anchor(log_id, start, tree.root(start), [])
    began, gas = time.perf_counter(), 0
    for size in range(start + 1, start + entries + 1):
        gas += chain.anchor(log_id, size, tree.root(size), tree.consistency_proof(size - 1, size))
    naive_seconds = time.perf_counter() - began
    log_id = chain.new_log()
    chain.anchor(log_id, start, tree.root(start), [])
    began = time.perf_counter()
    batched = chain.anchor(
        log_id, start + entries, tree.root(start + entries), tree.consistency_proof(start, start + entries)
    )
    batched_seconds = time.perf_counter() - began
    return NaiveComparison(
        chain.name, entries, gas / entries, entries / naive_seconds, batched / entries, entries / batched_seconds
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1_000, 1_000_000, 2**20 - 1], help="tree sizes N")
    parser.add_argument("--new", type=int, nargs="+", default=[1, 10_000], help="new entries per anchor")
    parser.add_argument("--backends", nargs="+", choices=["eth-tester", "anvil"], default=["eth-tester", "anvil"])
    parser.add_argument("--naive", type=int, default=200, help="entries anchored one per transaction (0: skip)")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args(argv)

    began = time.perf_counter()
    tree = Levels(max(args.sizes) + max(args.new, default=0) + args.naive)
    print(f"synthetic tree of {len(tree.levels[0]):,} leaves in {time.perf_counter() - began:.1f} s", flush=True)
    measurements: list[Measurement] = []
    naive: list[NaiveComparison] = []
    with tempfile.TemporaryDirectory(prefix="bench-anchor-") as tmp:
        for backend in args.backends:
            try:
                with anvil_web3(Path(tmp)) if backend == "anvil" else _nullcontext(eth_tester_web3()) as w3:
                    chain = Chain(backend, w3)
                    measurements += measure(chain, tree, args.sizes, args.new)
                    if args.naive:
                        naive.append(compare_naive(chain, tree, min(args.sizes), args.naive))
                        print(f"{backend:>10}  naive: {asdict(naive[-1])}", flush=True)
            except (FileNotFoundError, RuntimeError) as exc:
                print(f"{backend}: {exc}", file=sys.stderr)
                return 2

    over = [m for m in measurements if m.tree_size >= TARGET_SIZE and m.anchor_gas > TARGET_GAS]
    report = {
        "schema": SCHEMA,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "packages": {name: metadata.version(name) for name in PACKAGES},
        "compiler": load_artifact().compiler_version,
        "command": "python scripts/bench/bench_anchor_gas.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "target": {"gas": TARGET_GAS, "tree_size": TARGET_SIZE, "met": not over},
        "anchors": [asdict(m) for m in measurements],
        "naive": [asdict(n) for n in naive],
    }
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report["target"]))
    return 1 if over else 0


@contextmanager
def _nullcontext(value: Web3) -> Iterator[Web3]:
    yield value


if __name__ == "__main__":
    sys.exit(main())
