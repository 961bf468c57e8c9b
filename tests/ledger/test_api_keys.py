"""API keys: ``hotline-ledger keys create|list|revoke`` and the checks the HTTP API makes with them."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.api_keys import ApiKeys, parse_scopes, token_hash
from ledger.errors import ApiKeyError
from ledger.storage import LedgerStore
from tests.ledger.test_ledger_cli import refusal, run


@pytest.fixture
def data(tmp_path: Path, capsys: pytest.CaptureFixture[str], db_url: str) -> Path:
    directory = tmp_path / "var"
    code, _, err = run(capsys, "init", "--data", directory, "--database", db_url)
    assert (code, err) == (0, "")
    return directory


def test_create_prints_the_key_once_list_and_revoke(
    data: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "keys", "create", "--data", data, "--scope", "read,submit", "--name", "ticketing")
    assert (code, err) == (0, "")
    token = out.splitlines()[-1]
    key_id = token.split("_")[1]
    store = LedgerStore.open(db_url)
    try:
        keys = ApiKeys.of(store)
        found = keys.authenticate(token)
        assert found is not None and found.id == key_id and found.scopes == ("submit", "read")
        assert found.token_hash == token_hash(token)
        code, out, err = run(capsys, "keys", "list", "--data", data)
        assert (code, err) == (0, "")
        assert key_id in out and "submit,read" in out and "ticketing" in out and "active" in out
        assert token not in out and token.split("_", 2)[2] not in out
        assert run(capsys, "keys", "revoke", "--data", data, key_id)[0] == 0
        assert keys.authenticate(token) is None
        code, out, _ = run(capsys, "keys", "list", "--data", data)
        assert f"{key_id}" in out and "revoked" in out
        code, _, err = run(capsys, "keys", "revoke", "--data", data, key_id)
        assert code == 1 and "revoked already" in refusal(err, "api_key")
    finally:
        store.close()


def test_refusals(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "keys", "create", "--data", data, "--scope", "read,root", "--name", "x")
    assert code == 1 and "root" in refusal(err, "api_key")
    code, _, err = run(capsys, "keys", "revoke", "--data", data, "deadbeef")
    assert code == 1 and "unknown" in refusal(err, "api_key")
    assert run(capsys, "keys", "create", "--data", data, "--name", "x")[0] == 2  # --scope is required


def test_tokens_that_are_not_keys(db_url: str) -> None:
    store = LedgerStore.open(db_url)
    try:
        keys = ApiKeys.of(store)
        _, token = keys.create("auditor", ["audit"])
        assert keys.authenticate(token) is not None
        for wrong in ("", "hlk", token[:-1], token[:-1] + ("A" if token[-1] != "A" else "B"), token + "x", "Bearer"):
            assert keys.authenticate(wrong) is None
        with pytest.raises(ApiKeyError):
            keys.create("", ["audit"])
        assert parse_scopes(" audit , read ") == ("read", "audit")
        with pytest.raises(ApiKeyError):
            parse_scopes("")
    finally:
        store.close()
