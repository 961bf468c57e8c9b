"""The deployment record and chain keys refuse damaged or misplaced input with a precise reason."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from ledger.anchoring.contract import log_id
from ledger.anchoring.deployment import Deployment, DeploymentError
from ledger.anchoring.development import DevelopmentKeyRefused, development_accounts
from ledger.anchoring.keys import ChainKeyError, create_chain_key, load_chain_key

ORIGIN = "12345.example.gov.cn/ledger/v1"
GOOD = Deployment(
    chain_id=12345,
    contract="0x5FbDB2315678afecb367f032d93F642f64180aa3",
    origin=ORIGIN,
    log_id=log_id(ORIGIN).hex(),
    block_number=1,
    tx_hash="0x" + "ab" * 32,
    admin=development_accounts()[0].address,
    anchorer=development_accounts()[1].address,
)


def test_a_record_round_trips(tmp_path: Path) -> None:
    GOOD.save(tmp_path / "deployment.json")
    assert Deployment.load(tmp_path / "deployment.json") == GOOD
    assert not (tmp_path / "deployment.tmp").exists()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"chain_id": 0}, "malformed chain_id"),
        ({"chain_id": "12345"}, "malformed chain_id"),
        ({"contract": "0x1234"}, "malformed contract"),
        ({"log_id": "00" * 32}, "malformed log_id"),
        ({"block_number": -1}, "malformed block_number"),
        ({"tx_hash": "ab" * 32}, "malformed tx_hash"),
        ({"anchorer": None}, "malformed anchorer"),
    ],
)
def test_damaged_records_are_refused(tmp_path: Path, change: dict[str, object], reason: str) -> None:
    path = tmp_path / "deployment.json"
    path.write_text(json.dumps({**asdict(GOOD), **change}))
    with pytest.raises(DeploymentError, match=reason):
        Deployment.load(path)


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "unreadable"), ("[]", "JSON object"), ('{"chain_id": 1}', "wrong fields"), ("{", "unreadable")],
)
def test_unreadable_records_are_refused(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "deployment.json"
    path.write_text(text)
    with pytest.raises(DeploymentError, match=reason):
        Deployment.load(path)
    with pytest.raises(DeploymentError, match="deploy the contract first"):
        Deployment.load(tmp_path / "missing.json")


def test_development_keys_only_in_development_mode() -> None:
    assert load_chain_key("dev:3", password=None, development=True) == development_accounts()[3]
    with pytest.raises(DevelopmentKeyRefused, match="refused outside development mode"):
        load_chain_key("dev:3", password=None, development=False)
    for bad in ("dev:10", "dev:-1", "dev:x"):
        with pytest.raises(ChainKeyError, match="development accounts are dev:0"):
            load_chain_key(bad, password=None, development=True)


def test_keystores_open_with_their_password_only(tmp_path: Path) -> None:
    path = tmp_path / "anchor.json"
    account = create_chain_key(path, "s3cret")
    assert load_chain_key(str(path), password="s3cret", development=False).address == account.address
    with pytest.raises(ChainKeyError, match="never overwritten"):
        create_chain_key(path, "other")
    with pytest.raises(ChainKeyError, match="cannot open"):
        load_chain_key(str(path), password="wrong", development=False)
    with pytest.raises(ChainKeyError, match="is encrypted: give its password"):
        load_chain_key(str(path), password=None, development=False)
    with pytest.raises(ChainKeyError, match="does not exist"):
        load_chain_key(str(tmp_path / "none.json"), password="x", development=False)
    (tmp_path / "junk.json").write_text("{not json")
    with pytest.raises(ChainKeyError, match="not a readable keystore"):
        load_chain_key(str(tmp_path / "junk.json"), password="x", development=False)
    (tmp_path / "other.json").write_text('{"version": 3}')
    with pytest.raises(ChainKeyError, match="not a keystore"):
        load_chain_key(str(tmp_path / "other.json"), password="x", development=False)
    with pytest.raises(ChainKeyError, match="non-empty password"):
        create_chain_key(tmp_path / "empty.json", "")


def test_a_development_account_in_a_keystore_is_still_refused(tmp_path: Path) -> None:
    from eth_account import Account

    path = tmp_path / "dev.json"
    path.write_text(json.dumps(Account.encrypt(development_accounts()[0].key, "pw")))
    with pytest.raises(DevelopmentKeyRefused):
        load_chain_key(str(path), password="pw", development=False)
