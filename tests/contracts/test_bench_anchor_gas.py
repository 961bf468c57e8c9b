"""Smoke test of ``scripts/bench/bench_anchor_gas.py``: it runs end to end on each chain with small trees.

No gas assertions beyond sanity: the measured numbers live in the benchmark's report (BENCHMARKS.md).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.contracts.chains import BACKENDS, require_anvil
from tests.merkle_reference import proof_length

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench" / "bench_anchor_gas.py"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_anchor_gas", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs, as an import would: dataclasses look their module up by name.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_gas_benchmark_runs(backend: str, tmp_path: Path) -> None:
    if backend == "anvil":
        require_anvil()
    out = tmp_path / "gas.json"
    argv = ["--sizes", "10", "100", "--new", "1", "37", "--naive", "3", "--backends", backend, "--out", str(out)]
    assert _load_script().main(argv) == 0
    report = json.loads(out.read_text())
    assert report["target"]["met"] is True
    rows = {(row["tree_size"], row["new_entries"]): row for row in report["anchors"]}
    assert rows.keys() == {(10, 1), (10, 37), (100, 1), (100, 37)}
    for (size, new), row in rows.items():
        assert row["backend"] == backend
        assert row["proof_hashes"] == proof_length(size, size + new)
        assert 21_000 < row["first_anchor_gas"] < row["anchor_gas"] < 120_000
    (naive,) = report["naive"]
    assert naive["entries"] == 3
    assert naive["batched_gas_per_entry"] < naive["one_per_entry_gas_per_entry"]
