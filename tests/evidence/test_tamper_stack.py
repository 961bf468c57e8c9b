"""The tamper suite on real data: the running stack (Python devnet, API, anchor worker, live demo tickets).

A ticket's bundle from ``GET /v1/tickets/{t}/bundle`` is tampered with and given to ``hotline-verify bundle``
against the real chain; and a malicious proxy in front of the real API makes ``hotline-verify ticket`` and
``hotline-verify log`` fail (exit 1) or end incomplete (exit 3) with a one-line reason, never a traceback.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.test_run_command import Stack, api_key
from tests.evidence import malicious_api as m
from tests.evidence.forge import forked_bundle
from tests.evidence.test_verify_stack import run, wait_bundle
from verifier.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from verifier.cli import main
from verifier.note import NoteSigner
from verifier.trust import parse_trust

pytestmark = pytest.mark.slow


@dataclass
class Live:
    stack: Stack
    token: str
    trust: Path
    ticket: str
    bundle: dict[str, Any]

    @property
    def rpc(self) -> str:
        return f"http://127.0.0.1:{self.stack.chain_port}"

    def get(self, path: str, **params: int) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.get(f"{self.stack.url}{path}", params=params, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    base = tmp_path_factory.mktemp("stack")
    stack = Stack(base / "var")
    try:
        stack.start("--demo", "12")
        token = api_key(stack.data)
        tickets = [t["ticket"] for t in json.loads((stack.data / "demo.json").read_text())]
        wait_bundle(stack.url, token, tickets[0])
        trust = base / "trust.json"
        exported = run("api.cli", "trust", "export", "--data", str(stack.data), "--out", str(trust))
        assert exported.returncode == 0, exported.stderr
        headers = {"Authorization": f"Bearer {token}"}
        bundles = {t: httpx.get(f"{stack.url}/v1/tickets/{t}/bundle", headers=headers, timeout=30) for t in tickets}
        # A ticket with at least three anchored entries, so that one can be dropped from its middle.
        ticket = next(t for t, a in bundles.items() if a.status_code == 200 and len(a.json()["entries"]) >= 3)
        yield Live(stack, token, trust, ticket, bundles[ticket].json())
    finally:
        if stack.process is not None:
            stack.process.kill()
            stack.process.wait()


def _verify_bundle(live: Live, document: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(document))
    argv = ["bundle", str(path), "--trust", str(live.trust), "--rpc", live.rpc, "--state-dir", str(tmp_path), "--json"]
    code = main(argv)
    report = json.loads(capsys.readouterr().out)
    return code, report


def _flip(document: dict[str, Any]) -> None:
    item = document["entries"][0]
    item["data"] = base64.b64encode(m.flip_time_digit(base64.b64decode(item["data"]))).decode()


def _swap(document: dict[str, Any]) -> None:
    first, second = document["entries"][0], document["entries"][1]
    for name in ("data", "hash"):
        first[name], second[name] = second[name], first[name]


def _impostor(document: dict[str, Any]) -> None:
    opened = document["checkpoint"].split("\n\n")[0] + "\n"
    lines = opened.split("\n")
    checkpoint = Checkpoint(lines[0], int(lines[1]), base64.b64decode(lines[2]))
    document["checkpoint"] = sign_checkpoint(checkpoint, NoteSigner.generate(lines[0]))


def _block_hash(document: dict[str, Any]) -> None:
    document["anchor"]["block_hash"] = "0x" + "ab" * 32


TAMPERINGS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "flipped byte": (_flip, "V2"),
    "dropped entry": (lambda d: d["entries"].pop(1), "V7"),
    "swapped entries": (_swap, "V3"),
    "untrusted key": (_impostor, "V4"),
    "another chain": (lambda d: d["chain"].update(chain_id=d["chain"]["chain_id"] + 1), "V5"),
    "anchor in another block": (_block_hash, "V6"),
}


def test_the_real_bundle_verifies_and_each_tampering_is_refused(
    live: Live, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = _verify_bundle(live, live.bundle, tmp_path / "honest", capsys)
    assert (code, report["outcome"]) == (0, "VERIFIED"), report
    for name, (tamper, step) in TAMPERINGS.items():
        document = json.loads(json.dumps(live.bundle))
        tamper(document)
        code, report = _verify_bundle(live, document, tmp_path / name.replace(" ", "-"), capsys)
        assert (code, report["first_failure"]) == (1, step), (name, report)


def test_a_checkpoint_of_a_forked_log_signed_with_the_operator_key_is_refused_by_the_chain(
    live: Live, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The operator rewrites an entry of another ticket and re-signs the tree (its own trusted key): only the
    anchor contract, holding the original root at that size, can tell (V5)."""
    trust = parse_trust(live.trust.read_bytes())
    original = open_checkpoint(live.bundle["checkpoint"], trust.verifier_keys, origin=trust.origin)
    entries: list[bytes] = []
    while len(entries) < original.tree_size:
        page = live.get("/v1/entries", start=len(entries), end=original.tree_size).json()
        entries += [base64.b64decode(e["data"]) for e in page["entries"]]
    signer = NoteSigner.from_skey((live.stack.data / "keys" / "operator.key").read_text().strip())
    forked = forked_bundle(live.bundle, entries, signer)
    code, report = _verify_bundle(live, forked, tmp_path, capsys)
    assert (code, report["first_failure"]) == (1, "V5"), report
    failure = next(s for s in report["steps"] if s["step"] == "V5")
    assert failure["evidence"]["anchored_root"] == original.root_hash.hex(), failure


BUNDLE, CHECKPOINT, ENTRIES = "/v1/tickets/", "/v1/checkpoint", "/v1/entries"

PROXIED: list[tuple[str, str, Callable[[m.Reply], m.Reply], int, str]] = [
    ("ticket", BUNDLE, m.flip_entry, 1, "FAIL: V2"),
    ("ticket", BUNDLE, m.truncated, 1, "FAIL: V1"),
    ("ticket", BUNDLE, m.server_error, 3, "INCOMPLETE:"),
    ("ticket", BUNDLE, m.slow(3), 3, "INCOMPLETE:"),
    ("ticket", CHECKPOINT, m.forge_checkpoint, 1, "FAIL: V4"),
    ("log", ENTRIES, m.flip_entry, 1, "FAIL: V3"),
    ("log", ENTRIES, m.reorder_entries, 1, "FAIL: V3"),
    ("log", ENTRIES, m.drop_entry_renumbered, 1, "FAIL: V3"),
    ("log", ENTRIES, m.garbage, 3, "INCOMPLETE:"),
    ("log", ENTRIES, m.hang_up, 3, "INCOMPLETE:"),
    ("log", CHECKPOINT, m.server_error, 3, "INCOMPLETE:"),
]


#: ``log`` reads entries pages in both representations: binary (what it asks for) and JSON (forced by the proxy).
RUNS = [(*case, pages) for case in PROXIED for pages in ((None, m.JSON) if case[0] == "log" else (None,))]


def test_a_malicious_proxy_makes_ticket_and_log_fail_cleanly(live: Live, tmp_path: Path) -> None:
    for number, (command, route, rewrite, code, summary, pages) in enumerate(RUNS):
        with m.MaliciousApi(m.proxied(live.stack.url), m.on(route, rewrite), accept=pages) as proxy:
            argv = [command, *([live.ticket] if command == "ticket" else []), "--api", proxy.url]
            argv += ["--trust", str(live.trust), "--rpc", live.rpc, "--state-dir", str(tmp_path / str(number))]
            argv += ["--api-timeout", "1"]
            done = subprocess.run(
                [sys.executable, "-m", "verifier.cli", *argv],
                capture_output=True,
                text=True,
                timeout=300,
                env={"HOTLINE_VERIFY_TOKEN": live.token, "PATH": "/usr/bin:/bin"},
            )
            served = {k for p, k in zip(proxy.requests, proxy.kinds, strict=True) if p.startswith(ENTRIES)}
        case = (command, route, getattr(rewrite, "__name__", "slow"), pages, done.stdout[-2000:], done.stderr[-2000:])
        if command == "log" and route == ENTRIES:
            assert served == {pages or m.BINARY}, case
        assert done.returncode == code, case
        assert "Traceback" not in done.stdout + done.stderr, case
        reasons = [line for line in done.stdout.splitlines() if line.startswith(("OK:", "FAIL:", "INCOMPLETE:"))]
        assert len(reasons) == 1 and reasons[0].startswith(summary), case
