"""The auditor's commands against the whole stack as the README's run command starts it (Python devnet,
API, anchor worker, live demo tickets): the operator exports the trust file and a bundle; `hotline-verify`
verifies the bundle, a ticket through the API, and the whole log, all against the chain."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.api.test_run_command import Stack, api_key, stack  # noqa: F401 - the stack fixture

pytestmark = pytest.mark.slow


def run(*command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command], capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})}
    )


def wait_bundle(url: str, token: str, ticket: str) -> None:
    """Until the ticket's whole history is anchored."""
    deadline = time.monotonic() + 60
    while True:
        answer = httpx.get(f"{url}/v1/tickets/{ticket}/bundle", headers={"Authorization": f"Bearer {token}"})
        if answer.status_code == 200 and answer.headers["x-pending-entries"] == "0":
            return
        assert time.monotonic() < deadline, (answer.status_code, answer.text[:300])
        time.sleep(0.3)


def test_bundle_ticket_and_log_verify_against_the_running_stack(stack: Stack, tmp_path: Path) -> None:  # noqa: F811
    stack.start("--demo", "12")
    data, rpc = stack.data, f"http://127.0.0.1:{stack.chain_port}"
    demo = json.loads((data / "demo.json").read_text())[0]
    ticket = demo["ticket"]
    token = api_key(data)
    wait_bundle(stack.url, token, ticket)

    trust, bundle = tmp_path / "trust.json", tmp_path / "ticket.json"
    exported = run("api.cli", "trust", "export", "--data", str(data), "--out", str(trust))
    assert exported.returncode == 0, exported.stderr
    assert json.loads(trust.read_text())["verifier_keys"] == [(data / "keys" / "operator.vkey").read_text().strip()]
    made = run("api.cli", "bundle", ticket, "--data", str(data), "--out", str(bundle))
    assert made.returncode == 0 and "not anchored" not in made.stderr, made.stderr

    env = {"HOTLINE_VERIFY_TRUST": str(trust), "HOTLINE_VERIFY_RPC": rpc, "HOTLINE_VERIFY_STATE_DIR": str(tmp_path)}
    checked = run("verifier.cli", "bundle", str(bundle), env=env)
    assert checked.returncode == 0 and checked.stdout.startswith("OK: bundle"), checked.stdout + checked.stderr

    # The bundle a citizen downloads from the query page verifies the same way.
    public = httpx.post(f"{stack.url}/v1/public/tickets/{ticket}/bundle", json={"query_code": demo["code"]})
    assert public.status_code == 200, public.text
    (tmp_path / "citizen.json").write_bytes(public.content)
    checked = run("verifier.cli", "bundle", str(tmp_path / "citizen.json"), env=env)
    assert checked.returncode == 0 and checked.stdout.startswith("OK: bundle"), checked.stdout + checked.stderr

    export = tmp_path / "export.json"
    exported = run("api.cli", "export", "--data", str(data), "--from", "2020-01-01", "--out", str(export), "--rpc", rpc)
    assert exported.returncode == 0 and "recorded in the log" in exported.stdout, exported.stdout + exported.stderr
    assert "report (VERIFIED)" in exported.stdout, exported.stdout
    page = (tmp_path / "export.report.html").read_text()
    assert "验证通过 VERIFIED" in page and "V13" in page
    checked = run("verifier.cli", "bundle", str(export), env=env)
    assert checked.returncode == 0 and "V13 passed" in checked.stdout, checked.stdout + checked.stderr

    env |= {"HOTLINE_VERIFY_API": stack.url, "HOTLINE_VERIFY_TOKEN": token}
    checked = run("verifier.cli", "ticket", ticket, env=env)
    assert checked.returncode == 0 and checked.stdout.startswith(f"OK: ticket {ticket}"), checked.stdout

    audited = run("verifier.cli", "log", env=env)
    assert audited.returncode == 0, audited.stdout + audited.stderr
    first, summary = audited.stdout.splitlines()[:2]
    assert first.startswith("audited ") and " entries of 12 tickets" in first, audited.stdout  # and the export entry
    assert summary.startswith("OK: log 12345.hangzhou.gov.cn/ledger/v1"), audited.stdout
    again = run("verifier.cli", "log", "--json", env=env)
    assert again.returncode == 0 and json.loads(again.stdout)["outcome"] == "VERIFIED", again.stdout
