"""API keys: ``hotline-ledger keys create|list|revoke`` and the checks the HTTP API makes with them."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.api_keys import ApiKeys, parse_scopes, token_hash
from ledger.errors import ApiKeyError
from ledger.storage import ApiKeyStore, LedgerStore
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


def test_a_cached_key_is_revoked_at_once_here_and_within_the_cache_time_elsewhere(db_url: str) -> None:
    # Two stores on one database stand for two processes: an API replica that caches the keys it
    # verified, and the CLI (or another replica) that revokes them.
    api_store, cli_store = LedgerStore.open(db_url), LedgerStore.open(db_url)
    now = [100.0]
    try:
        api = ApiKeys(ApiKeyStore(api_store.engine), cache_seconds=1.0, clock=lambda: now[0])
        cli = ApiKeys.of(cli_store)
        first, token = cli.create("core system", ["submit"])
        _, other = cli.create("department", ["submit"])
        assert api.recently_verified(token) is None  # never checked: not known from memory
        assert api.authenticate(token) == first
        assert api.recently_verified(token) == first
        cli.revoke(first.id)
        now[0] += 0.5
        assert api.recently_verified(token) == first  # within the cache time of another process's revocation
        now[0] += 0.5
        assert api.recently_verified(token) is None
        assert api.authenticate(token) is None
        assert api.recently_verified(token) is None  # refused keys are never remembered
        # A revocation through the caching instance itself takes effect at once.
        assert api.authenticate(other) is not None
        api.revoke(other.split("_")[1])
        assert api.recently_verified(other) is None
        assert api.authenticate(other) is None
    finally:
        api_store.close()
        cli_store.close()
