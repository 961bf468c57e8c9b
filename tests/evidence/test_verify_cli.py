"""``hotline-verify bundle`` end to end: a real anvil, a bundle the ledger made, a trust file, the CLI's
outcomes and exit codes (0 verified, 1 failed, 2 usage, 3 incomplete), and the state file (V12)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger.bundles import ticket_bundle
from ledger.devnet.anvil import AnvilNode
from ledger.devnet.process import free_port
from tests.anchoring.conftest import DevChain
from tests.contracts.chains import CHAIN_ID, require_anvil
from tests.evidence.conftest import AnchoredLog
from verifier.cli import main
from verifier.trust import Trust

pytestmark = pytest.mark.parametrize("dev_chain", ["anvil"], indirect=True)


def files(log: AnchoredLog, directory: Path, trust: Trust | None = None) -> tuple[str, str]:
    bundle = directory / "ticket.bundle.json"
    bundle.write_bytes(ticket_bundle(log.ledger, log.tickets[0]).bundle.encode())
    trust_file = directory / "trust.json"
    trust_file.write_bytes((trust or log.trust).encode())
    return str(bundle), str(trust_file)


def verify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["bundle", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_a_bundle_verifies_against_the_chain_and_is_remembered(
    anchored: AnchoredLog, dev_chain: DevChain, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert dev_chain.node is not None
    bundle, trust = files(anchored, tmp_path)
    state = ["--state-dir", str(tmp_path / "state")]
    code, out = verify(capsys, bundle, "--trust", trust, "--rpc", dev_chain.node.url, *state)
    assert code == 0, out
    assert out.startswith("OK: bundle") and "V12 passed" in out and "first checkpoint" in out
    same_node = dev_chain.node.url.replace("127.0.0.1", "localhost")
    code, out = verify(capsys, bundle, "--trust", trust, "--rpc", dev_chain.node.url, "--rpc", same_node, *state)
    assert code == 0 and "agrees with 1 checkpoint(s) seen before" in out, out
    code, out = verify(capsys, bundle, "--trust", trust, "--rpc", dev_chain.node.url, "--json", *state)
    report = json.loads(out)
    assert code == 0 and report["outcome"] == "VERIFIED" and [s["status"] for s in report["steps"]] == ["passed"] * 12


def test_offline_is_incomplete_and_an_unreachable_chain_too(
    anchored: AnchoredLog, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle, trust = files(anchored, tmp_path)
    state = ["--state-dir", str(tmp_path / "state")]
    code, out = verify(capsys, bundle, "--trust", trust, "--offline", *state)
    assert code == 3 and out.startswith("INCOMPLETE:") and "V5, V6, V10 not run: offline" in out, out
    closed = f"http://127.0.0.1:{free_port()}"
    code, out = verify(capsys, bundle, "--trust", trust, "--rpc", closed, *state)
    assert code == 3 and out.startswith("INCOMPLETE:") and "the chain could not be read" in out, out


def test_a_second_endpoint_that_disagrees_fails_the_anchor_step(
    anchored: AnchoredLog, dev_chain: DevChain, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A second node on the same chain id that does not hold the anchor (a lying or stale endpoint)."""
    assert dev_chain.node is not None
    bundle, trust = files(anchored, tmp_path)
    with AnvilNode(binary=require_anvil(), chain_id=CHAIN_ID, log=tmp_path / "liar.log") as liar:
        code, out = verify(
            capsys, bundle, "--trust", trust, "--rpc", dev_chain.node.url, "--rpc", liar.url,
            "--state-dir", str(tmp_path / "state"),
        )  # fmt: skip
    assert code == 1 and out.startswith("FAIL: V5"), out


def test_a_trust_file_for_another_chain_fails_and_bad_input_is_a_usage_error(
    anchored: AnchoredLog, dev_chain: DevChain, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert dev_chain.node is not None
    other = Trust(anchored.trust.origin, anchored.trust.verifier_keys, anchored.trust.chain.__class__(
        1, anchored.trust.chain.contract, anchored.trust.chain.log_id), 1)  # fmt: skip
    bundle, trust = files(anchored, tmp_path, other)
    code, out = verify(capsys, bundle, "--trust", trust, "--rpc", dev_chain.node.url, "--state-dir", str(tmp_path))
    assert code == 1 and out.startswith("FAIL: V5") and "another chain" in out, out

    (tmp_path / "bad.json").write_text('{"v": "hotline.trust/v1"}')
    for args, message in [
        ([bundle, "--rpc", dev_chain.node.url], "no trust file"),
        ([bundle, "--trust", str(tmp_path / "missing.json"), "--offline"], "cannot read the trust file"),
        ([bundle, "--trust", str(tmp_path / "bad.json"), "--offline"], "not a usable trust file"),
        ([str(tmp_path / "missing.bundle"), "--trust", trust, "--offline"], "cannot read the bundle"),
        ([bundle, "--trust", trust], "no chain endpoint"),
        ([bundle, "--trust", trust, "--rpc", dev_chain.node.url, "--rpc", dev_chain.node.url], "named once"),
        ([bundle, "--trust", trust, "--rpc", "ftp://example"], "--rpc"),
    ]:
        code, out = verify(capsys, *args, "--state-dir", str(tmp_path))
        assert code == 2 and message in out and "Traceback" not in out, (args, out)
