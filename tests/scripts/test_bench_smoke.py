"""Smoke test of ``scripts/bench/bench_log.py``: it runs end to end and its roots agree.

No timing assertions: performance targets live in the benchmark's report, never in timed tests.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench" / "bench_log.py"
IMPLEMENTATIONS = ("ledger", "pymerkle_inmemory", "pymerkle_sqlite")


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_log", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs, as an import would: dataclasses look their module up by name.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("bench")
    out = tmp / "results.json"
    argv = ["--quick", "--entries", "3000", "--single", "50", "--out", str(out), "--workdir", str(tmp)]
    assert _load_script().main(argv) == 0
    loaded: dict[str, Any] = json.loads(out.read_text())
    return loaded


def test_roots_agree_across_implementations(results: dict[str, Any]) -> None:
    roots = results["roots"]
    assert results["roots_agree"] is True
    assert set(roots) == {"ledger", "verifier.merkle.tree_root", "pymerkle_inmemory", "pymerkle_sqlite"}
    assert len(set(roots.values())) == 1
    assert results["leaves"]["count"] == results["config"]["entries"] == 3000


def test_every_metric_is_reported(results: dict[str, Any]) -> None:
    assert {"cpu_model", "cores", "ram_gib", "python", "sqlite", "packages"} <= set(results["machine"])
    append = results["append"]
    assert set(IMPLEMENTATIONS) <= set(append)
    for section in (
        append["ledger"]["one_per_transaction"],
        append["ledger"]["batched"],
        append["ledger"]["batched_worst_case_new_ticket_with_payload"],
        append["pymerkle_inmemory"]["one_per_call"],
        append["pymerkle_inmemory"]["batched"],
        append["pymerkle_sqlite"]["one_per_transaction"],
        append["pymerkle_sqlite"]["batched"],
    ):
        assert section["entries"] > 0 and section["entries_per_s"] > 0
        assert len(section["tenths_entries_per_s"]) >= 1
    settings = append["ledger"]["sqlite_settings"]
    assert (settings["journal_mode"], settings["synchronous"]) == ("wal", 2)  # WAL, synchronous=FULL

    proofs = results["inclusion_proof"]
    assert proofs["tree_size"] == 3000
    for stats in (
        proofs["ledger"]["current_size_just_opened"],
        proofs["ledger"]["current_size"],
        proofs["ledger"]["checkpoint_size"],
        proofs["pymerkle_inmemory"]["warm"],
        proofs["pymerkle_sqlite"]["cold_cache"],
        proofs["pymerkle_sqlite"]["warm_cache"],
    ):
        assert stats["count"] > 0 and 0 < stats["median_us"] <= stats["p90_us"] <= stats["p99_us"]
    assert all(proofs[name]["verified"] > 0 for name in IMPLEMENTATIONS)

    for name in ("ledger", "pymerkle_sqlite"):
        storage = results["storage"][name]
        assert storage["bytes"] > 0 and storage["bytes_per_entry"] == storage["bytes"] / 3000
    assert set(results["targets"]) == {
        "batched_durable_appends_per_s",
        "inclusion_proof_median_us",
        "inclusion_proof_median_us_just_opened",
        "inclusion_proof_speedup_vs_pymerkle_sqlite_warm",
        "inclusion_proof_speedup_vs_pymerkle_sqlite_cold",
        "bytes_per_entry",
    }
    assert all(isinstance(target["met"], bool) for target in results["targets"].values())


def test_the_work_directory_is_cleaned_up(results: dict[str, Any]) -> None:
    assert not list(Path(results["machine"]["workdir"]).parent.glob("bench-log-*"))


def test_disagreeing_roots_fail_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    script = _load_script()
    monkeypatch.setattr(script, "tree_root", lambda leaf_hashes: bytes(32))
    out = tmp_path / "results.json"
    argv = ["--quick", "--entries", "200", "--single", "5", "--out", str(out), "--workdir", str(tmp_path)]
    assert script.main(argv) == 1
    assert "FAIL: the roots disagree" in capsys.readouterr().err
    assert not out.exists()
