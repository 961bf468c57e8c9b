"""Storage on both databases: migrations, the schema they build, and what a database may hold."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from ledger.errors import LogStateError
from ledger.keys import DEVELOPMENT_MARKER, load_or_create_operator_key
from ledger.payloads import PayloadKey
from ledger.service import Ledger
from ledger.storage import LedgerStore
from ledger.storage.migrate import is_current, upgrade
from ledger.storage.schema import metadata
from verifier.note import NoteSigner
from verifier.policy import Policy


def test_migrations_build_exactly_the_declared_schema(db_url: str) -> None:
    store = LedgerStore.open(db_url)
    try:
        assert is_current(store.engine)
        with store.engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), metadata)
        assert differences == []
        upgrade(store.engine)  # idempotent
        assert set(inspect(store.engine).get_table_names()) >= set(metadata.tables)
    finally:
        store.close()


def test_a_database_holds_one_log(
    open_ledger: Callable[..., Ledger], db_url: str, operator_signer: NoteSigner, baseline_policy: Policy
) -> None:
    open_ledger()
    store = LedgerStore.open(db_url)
    try:
        with pytest.raises(LogStateError, match="holds the log"):
            Ledger.open(
                store,
                origin="another.example/log",
                signer=operator_signer,
                payload_key=PayloadKey.generate(),
                policies=[baseline_policy],
            )
        with pytest.raises(LogStateError, match="at least one"):
            Ledger.open(
                store,
                origin="another.example/log",
                signer=operator_signer,
                payload_key=PayloadKey.generate(),
                policies=[],
            )
    finally:
        store.close()


def test_sqlite_runs_in_wal_mode_with_full_sync(tmp_path: Path) -> None:
    store = LedgerStore.open(f"sqlite:///{tmp_path / 'l.db'}")
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    finally:
        store.close()


def test_operator_key_file(tmp_path: Path) -> None:
    path = tmp_path / "operator.key"
    signer = load_or_create_operator_key(path, "test.example/log", development=False)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_or_create_operator_key(path, "test.example/log", development=False).vkey == signer.vkey
    path.write_text("PRIVATE+KEY+nonsense\n")
    with pytest.raises(LogStateError, match="not an operator signer key"):
        load_or_create_operator_key(path, "test.example/log", development=False)


def test_development_keys_are_refused_outside_development_mode(tmp_path: Path) -> None:
    path = tmp_path / "operator.key"
    path.write_text(NoteSigner.generate(f"{DEVELOPMENT_MARKER}-sample-operator").skey + "\n")
    with pytest.raises(LogStateError, match="development key"):
        load_or_create_operator_key(path, "test.example/log", development=False)
    assert load_or_create_operator_key(path, "test.example/log", development=True).name.startswith(DEVELOPMENT_MARKER)
