"""Smoke test of ``scripts/bench/bench_audit.py --quick``: the log is built and anchored on anvil, served by
uvicorn, audited by ``hotline-verify log`` at each size (every audit VERIFIED), and the results hold every field.

No timing assertions: performance targets live in the benchmark's report, never in timed tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.contracts.chains import require_anvil

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "bench" / "bench_audit.py"
SIZES = (1000, 2000)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    require_anvil()
    tmp = tmp_path_factory.mktemp("bench-audit")
    out = tmp / "results.json"
    command = [sys.executable, str(SCRIPT), "--quick", "--sizes", *map(str, SIZES), "--anchor-every", "500"]
    command += ["--out", str(out), "--cache", str(tmp / "log")]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "target entries_per_s_full_audit_http" in done.stdout
    loaded: dict[str, Any] = json.loads(out.read_text())
    return loaded


def test_every_size_is_audited_over_http_and_verified(results: dict[str, Any]) -> None:
    assert results["schema"] == "hotline-ledger/bench-audit/v1"
    assert list(results["audit"]) == [str(size) for size in SIZES]
    for size, audited in results["audit"].items():
        assert audited["entries"] == int(size) and audited["anchors"] >= int(size) // 500
        # The server serves these small logs in a few clock ticks (10 ms each) of CPU: it may read as none.
        assert audited["peak_rss_mb"] > 0 and audited["verifier_cpu_s"] > 0 and audited["server_cpu_s"] >= 0


def test_where_the_time_goes_and_inclusion_are_measured(results: dict[str, Any]) -> None:
    assert results["entries_api"]["entries"] == max(SIZES) and results["entries_api"]["pages"] == 2
    assert results["core_in_memory"]["entries"] == max(SIZES)
    inclusion = results["inclusion"]
    assert inclusion["tree_size"] == max(SIZES) and inclusion["verifier"]["verifications"] > 0
    assert inclusion["pymerkle"]["verifications"] == inclusion["verifier"]["verifications"]
    assert set(results["targets"]) >= {"entries_per_s_full_audit_http", "peak_rss_mb", "inclusion_verifications_per_s"}
    assert {"cpu_model", "cores", "python", "packages", "git_commit"} <= set(results["machine"])
