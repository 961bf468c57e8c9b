"""``hotline-verify log`` interrupted and resumed, against a real API server (uvicorn) and a real chain (anvil).

An audit stopped by Ctrl-C saves its progress and exits 3; run again, it resumes and reports exactly what an
uninterrupted audit reports. Between the two runs the server may lie: a log rewritten under the same key, or
rolled back below the audited prefix, fails V12 as soon as the audit resumes. ``--restart`` discards
progress; a damaged progress file is a usage error.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ledger.anchoring.deployment import Deployment
from ledger.anchoring.worker import AnchorWorker, WorkerConfig
from ledger.api_keys import ApiKeys
from ledger.config import DataDir
from ledger.demo import LIVE_SPAN, compress_into, demo_requests
from ledger.evidence_cli import build_trust
from ledger.sequencer import TransitionRequest
from tests.anchoring.conftest import Clock, DevChain, anchor_chain
from tests.api.servers import Server, api_server
from tests.conftest import ORIGIN
from verifier import audit_cli
from verifier.audit_state import progress_path
from verifier.cli import main

pytestmark = pytest.mark.parametrize("dev_chain", ["anvil"], indirect=True)

#: Demo tickets: about 2,700 entries, so three pages of the API's 1,000.
TICKETS = 300


@dataclass
class Served:
    data: Path
    server: Server
    token: str
    trust: Path
    rpc: str
    size: int


def requests_until(end: datetime) -> list[TransitionRequest]:
    return compress_into(list(demo_requests(TICKETS, seed=5)), end, LIVE_SPAN)


def build_log(
    data: Path, requests: list[TransitionRequest], worker_chain: Any = None, *, keys: Path | None = None
) -> int:
    """A data directory holding ``requests`` with a checkpoint; anchored halfway and at the end with a worker."""
    if keys is not None:
        shutil.copytree(keys, data / "keys")
    DataDir(data).init(origin=ORIGIN)
    ledger = DataDir(data).open_ledger(development=True)
    try:
        clock = Clock()
        worker = AnchorWorker(ledger, worker_chain, WorkerConfig(retry=0.01), clock=clock) if worker_chain else None
        half = len(requests) // 2
        for part in (requests[:half], requests[half:]):
            for start in range(0, len(part), 1000):
                ledger.append(part[start : start + 1000])
            if worker is not None:
                clock.now += 100
                assert worker.step() is not None
        if worker is None:
            ledger.publish_checkpoint()
        return ledger.head().tree_size
    finally:
        ledger.store.close()


def audit_token(data: Path) -> str:
    ledger = DataDir(data).open_ledger(development=True)
    try:
        return ApiKeys.of(ledger.store).create("auditor", ["audit"])[1]
    finally:
        ledger.store.close()


@pytest.fixture
def served(dev_chain: DevChain, deployment: Deployment, tmp_path: Path) -> Iterator[Served]:
    assert dev_chain.node is not None
    data = tmp_path / "var"
    size = build_log(data, requests_until(datetime.now(UTC)), anchor_chain(dev_chain.w3, deployment))
    ledger = DataDir(data).open_ledger(development=True)
    try:
        trust = tmp_path / "trust.json"
        trust.write_bytes(build_trust(ledger, deployment, confirmations=1).encode())
    finally:
        ledger.store.close()
    token = audit_token(data)
    with api_server(data, tmp_path / "server.log") as server:
        yield Served(data, server, token, trust, dev_chain.node.url, size)


def audit(
    capsys: pytest.CaptureFixture[str], served: Served, state: Path, *extra: str, liar: tuple[str, str] | None = None
) -> Any:
    """``hotline-verify log --json`` in process; the exit code and the report (or the output, if not JSON).

    ``liar``: another server's URL and token, for the same trust file.
    """
    url, token = liar or (served.server.url, served.token)
    os.environ["HOTLINE_VERIFY_TOKEN"] = token
    try:
        options = ["--trust", str(served.trust), "--rpc", served.rpc, "--state-dir", str(state)]
        code = main(["log", "--api", url, *options, "--json", *extra])
    finally:
        del os.environ["HOTLINE_VERIFY_TOKEN"]
    out = capsys.readouterr()
    try:
        return code, json.loads(out.out)
    except ValueError:
        return code, out.out + out.err


def interrupt_after(monkeypatch: pytest.MonkeyPatch, entries: int) -> None:
    """Press Ctrl-C (a real SIGINT) once the progress bar shows ``entries`` done."""
    shown = audit_cli.ProgressBar.__call__

    def call(bar: audit_cli.ProgressBar, done: int, total: int) -> None:
        shown(bar, done, total)
        if entries <= done < total:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(audit_cli.ProgressBar, "__call__", call)


def interrupted(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, served: Served, state: Path
) -> dict[str, Any]:
    with monkeypatch.context() as patch:
        interrupt_after(patch, 1000)
        code, report = audit(capsys, served, state, "--save-every", "500")
    assert code == 3 and report["outcome"] == "INCOMPLETE", report
    v1 = next(step for step in report["steps"] if step["step"] == "V1")
    assert v1["detail"] == "interrupted at entry 1,000; run again to resume", v1
    assert progress_path(state, ORIGIN).exists()
    assert report["facts"]["entries"] == 1000
    return dict(report)


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    facts = {k: v for k, v in report["facts"].items() if k not in ("seconds", "resumed_from")}
    return {**report, "facts": facts}


def test_an_interrupted_audit_resumes_and_reports_what_an_uninterrupted_one_does(
    served: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, whole = audit(capsys, served, tmp_path / "once")
    assert code == 0 and whole["outcome"] == "VERIFIED", whole
    assert whole["facts"]["entries"] == served.size > 2000

    state = tmp_path / "twice"
    interrupted(capsys, monkeypatch, served, state)
    code, resumed = audit(capsys, served, state)
    assert code == 0 and resumed["facts"]["resumed_from"] == 1000, resumed
    assert comparable(resumed) == comparable(whole)

    # A finished audit is kept too: the next run only checks what the log appended since (nothing here).
    code, again = audit(capsys, served, state)
    assert code == 0 and again["facts"]["resumed_from"] == served.size and comparable(again) == comparable(whole)


def test_a_log_rewritten_between_runs_fails_v12_when_the_audit_resumes(
    served: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The operator re-signs a rewritten history (every entry backdated by a second) with the same key."""
    state = tmp_path / "state"
    interrupted(capsys, monkeypatch, served, state)
    forged = tmp_path / "forged"
    requests = requests_until(datetime.now(UTC) - timedelta(seconds=1))
    build_log(forged, requests, keys=served.data / "keys")
    token = audit_token(forged)
    with api_server(forged, tmp_path / "forged.log") as liar:
        code, report = audit(capsys, served, state, liar=(liar.url, token))
    # The chain refuses the forged checkpoint too (V5, the lower step); the resumed prefix catches it at V12.
    assert code == 1 and report["first_failure"] in ("V5", "V12"), report
    failure = next(step for step in report["steps"] if step["step"] == "V12")
    assert failure["status"] == "failed", failure
    assert "does not extend the tree of the entries audited before (size 1000)" in failure["detail"], failure
    # The evidence stays: running again fails again, until the auditor chooses to start over.
    with api_server(forged, tmp_path / "forged.log") as liar:
        code, report = audit(capsys, served, state, liar=(liar.url, token))
    assert code == 1 and next(s for s in report["steps"] if s["step"] == "V12")["status"] == "failed"
    code, report = audit(capsys, served, state, "--restart")
    assert code == 0 and "resumed_from" not in report["facts"], report


def test_a_log_rolled_back_below_the_audited_prefix_fails_v12(
    served: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state"
    interrupted(capsys, monkeypatch, served, state)
    shorter = tmp_path / "shorter"
    build_log(shorter, requests_until(datetime.now(UTC))[:500], keys=served.data / "keys")
    token = audit_token(shorter)
    with api_server(shorter, tmp_path / "shorter.log") as liar:
        code, report = audit(capsys, served, state, liar=(liar.url, token))
    # The chain refuses the forged checkpoint too (V5, the lower step); the resumed prefix catches it at V12.
    assert code == 1 and report["first_failure"] in ("V5", "V12"), report
    failure = next(step for step in report["steps"] if step["step"] == "V12")
    assert failure["status"] == "failed", failure
    assert "audited 1000 entries of it before: the log was rolled back" in failure["detail"], failure


DAMAGED_PROGRESS = {
    "members-missing": b'{"v": "hotline.audit-progress/v1"}',
    "not-json": b"\x00\xffnot a progress file",
    "nested-too-deep": b"[" * 200_000 + b"]" * 200_000,
}


@pytest.mark.parametrize("damaged", DAMAGED_PROGRESS.values(), ids=DAMAGED_PROGRESS.keys())
def test_damaged_progress_is_a_usage_error_until_restart(
    served: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str], damaged: bytes
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    progress_path(state, ORIGIN).write_bytes(damaged)
    code, out = audit(capsys, served, state)
    assert code == 2 and "--restart" in out and "Traceback" not in out, out
    code, report = audit(capsys, served, state, "--restart")
    assert code == 0 and report["outcome"] == "VERIFIED", report
