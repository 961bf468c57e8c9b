"""``hotline-ledger deploy``, ``anchor`` and ``chain-key`` against a real node (anvil), in development mode
with the development accounts and in production mode with encrypted keystores — and their refusals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from web3 import Web3

from ledger.anchoring.contract import load_artifact, log_id
from ledger.anchoring.deployment import Deployment
from ledger.anchoring.development import development_accounts
from ledger.config import DEFAULT_ORIGIN
from ledger.devnet.anvil import AnvilNode
from tests.contracts.chains import CHAIN_ID, require_anvil
from tests.ledger.test_ledger_cli import refusal, run

Capsys = pytest.CaptureFixture[str]


@pytest.fixture(scope="module")
def anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
    node = AnvilNode(binary=require_anvil(), chain_id=CHAIN_ID, log=tmp_path_factory.mktemp("anvil") / "anvil.log")
    with node:
        yield node


@pytest.fixture
def data(tmp_path: Path, capsys: Capsys) -> Path:
    """A development data directory holding the demo log."""
    directory = tmp_path / "var"
    code, _, err = run(capsys, "demo", "--data", directory, "--tickets", "5", "--development")
    assert code == 0, err
    return directory


def test_deploy_records_the_deployment_and_anchor_anchors_the_log(data: Path, anvil: AnvilNode, capsys: Capsys) -> None:
    code, out, err = run(capsys, "deploy", "--data", data, "--rpc", anvil.url, "--development")
    assert code == 0, err
    record = Deployment.load(data / "deployment.json")
    assert record.chain_id == CHAIN_ID and record.origin == DEFAULT_ORIGIN
    assert record.log_id == log_id(DEFAULT_ORIGIN).hex() and record.contract in out
    assert record.admin == record.anchorer == development_accounts()[0].address

    code, out, err = run(capsys, "deploy", "--data", data, "--rpc", anvil.url, "--development")
    expected = f"already deployed: {record.contract} on chain {CHAIN_ID} (see {data / 'deployment.json'})\n"
    assert (code, out) == (0, expected)

    code, out, err = run(capsys, "anchor", "--once", "--data", data, "--rpc", anvil.url, "--development")
    assert code == 0, err
    status = json.loads(run(capsys, "status", "--data", data, "--development")[1])
    assert out.startswith(f"anchored: size {status['tree_size']} root {status['root']} tx 0x")
    w3 = Web3(Web3.HTTPProvider(anvil.url))
    contract = w3.eth.contract(address=Web3.to_checksum_address(record.contract), abi=list(load_artifact().abi))
    size, root, _, _ = contract.functions.latest(log_id(DEFAULT_ORIGIN)).call()
    assert (size, root.hex()) == (status["tree_size"], status["root"])

    code, out, _ = run(capsys, "anchor", "--once", "--data", data, "--rpc", anvil.url, "--development")
    assert code == 0 and out.startswith(f"already anchored: size {size} ")


def test_production_mode_deploys_and_anchors_with_encrypted_keystores(
    tmp_path: Path, anvil: AnvilNode, capsys: Capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "prod"
    assert run(capsys, "init", "--data", data)[0] == 0
    password = tmp_path / "password"
    password.write_text("correct horse battery staple\n")
    code, out, err = run(capsys, "chain-key", "create", "--data", data, "--password-file", password)
    assert code == 0, err
    anchorer = out.splitlines()[-1]
    admin_file = tmp_path / "admin.json"
    code, out, _ = run(capsys, "chain-key", "create", "--data", data, "--out", admin_file, "--password-file", password)
    admin = out.splitlines()[-1]
    assert (data / "keys" / "anchor.json").stat().st_mode & 0o777 == 0o600

    # Development accounts are refused outside development mode.
    code, _, err = run(capsys, "deploy", "--data", data, "--rpc", anvil.url, "--admin-key", "dev:0")
    assert code == 1 and "published development account" in refusal(err, "development_key")
    code, _, err = run(capsys, "deploy", "--data", data, "--rpc", anvil.url)
    assert code == 1 and "--admin-key" in refusal(err, "deployment")

    monkeypatch.setenv("HOTLINE_ANCHOR_KEY_PASSWORD", "correct horse battery staple")
    code, _, err = run(
        capsys, "deploy", "--data", data, "--rpc", anvil.url, "--admin-key", admin_file,
        "--admin-password-file", password,
    )  # fmt: skip
    assert code == 0, err
    record = Deployment.load(data / "deployment.json")
    assert (record.admin, record.anchorer) == (admin, anchorer)

    code, out, err = run(capsys, "anchor", "--once", "--data", data, "--rpc", anvil.url)
    assert code == 0, err
    assert out.startswith("anchored: size 1 ")  # the policy entry

    monkeypatch.setenv("HOTLINE_ANCHOR_KEY_PASSWORD", "wrong")
    code, _, err = run(capsys, "anchor", "--once", "--data", data, "--rpc", anvil.url)
    assert code == 1 and "cannot open the anchor key file" in refusal(err, "chain_key")


def test_refusals_name_the_problem(data: Path, anvil: AnvilNode, capsys: Capsys, tmp_path: Path) -> None:
    code, _, err = run(capsys, "anchor", "--once", "--data", data, "--rpc", anvil.url, "--development")
    assert code == 1 and "deploy the contract first" in refusal(err, "deployment")

    code, _, err = run(capsys, "deploy", "--data", data, "--rpc", "http://127.0.0.1:9", "--development")
    assert code == 1 and refusal(err, "chain_unavailable").startswith("no chain answers at http://127.0.0.1:9")

    code, _, err = run(capsys, "deploy", "--data", data, "--rpc", anvil.url, "--development", "--admin-key", "dev:99")
    assert code == 1 and "dev:0 … dev:9" in refusal(err, "chain_key")

    # A deployment record that names a contract the chain does not have (a reset chain).
    assert run(capsys, "deploy", "--data", data, "--rpc", anvil.url, "--development")[0] == 0
    with AnvilNode(binary=require_anvil(), chain_id=CHAIN_ID) as fresh:
        code, _, err = run(capsys, "deploy", "--data", data, "--rpc", fresh.url, "--development")
        assert code == 1 and "was the chain reset?" in refusal(err, "deployment")
        code, _, err = run(capsys, "anchor", "--once", "--data", data, "--rpc", fresh.url, "--development")
        assert code == 1 and "no contract at" in refusal(err, "chain_mismatch")

    (data / "deployment.json").write_text('{"chain_id": "12345"}')
    code, _, err = run(capsys, "anchor", "--once", "--data", data, "--rpc", anvil.url, "--development")
    assert code == 1 and "wrong fields" in refusal(err, "deployment")

    code, _, err = run(capsys, "anchor", "--data", data, "--interval", "0", "--development")
    assert code == 2
