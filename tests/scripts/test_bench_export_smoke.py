"""Smoke test of ``scripts/bench/bench_export.py --quick``: a log is built and anchored, growing periods are
exported in child processes, the largest bundle verifies (streamed from its file, as a large export is) with
``hotline-verify bundle --offline``, and the results hold sane values.

No timing assertions: the numbers belong in BENCHMARKS.md, never in timed tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "bench" / "bench_export.py"


def test_the_export_benchmark_runs_and_reports_growing_exports(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    command = [sys.executable, str(SCRIPT), "--quick", "--out", str(out), "--workdir", str(tmp_path),
               "--stream-above", "0"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "streamed) offline" in done.stderr and "every step but V5, V6, V10 passed" in done.stderr
    results = json.loads(out.read_text())
    assert results["schema"] == "hotline-ledger/bench-export/v1" and results["tickets"] == 2000
    exports = results["exports"]
    assert [e["days"] for e in exports] == sorted(e["days"] for e in exports) and len(exports) >= 2
    assert exports[-1]["tickets"] == 2000 and exports[-1]["entries"] == results["log_size"] - 1
    for export in exports:
        assert export["entries"] > export["tickets"] > 0 and export["bytes"] > 0 and export["max_rss_mb"] > 0
    verification = results["verification"]
    assert verification["streamed"] and verification["exit"] == 3 and verification["max_rss_mb"] > 0
    assert verification["steps"]["V13"] == "passed" and verification["steps"]["V5"] == "not_run"
