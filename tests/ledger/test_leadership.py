"""Leadership: one holder per role and database, released on release, on process death (SQLite flock)
and when the holder's PostgreSQL session ends."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from ledger.storage import LedgerStore
from ledger.storage.engine import normalise_url
from tests.databases import postgres_schema


@pytest.fixture
def stores(db_url: str) -> Iterator[tuple[LedgerStore, LedgerStore]]:
    first, second = LedgerStore.open(db_url), LedgerStore.open(db_url)
    yield first, second
    first.close()
    second.close()


def test_one_holder_at_a_time(stores: tuple[LedgerStore, LedgerStore]) -> None:
    first, second = stores
    role = "anchor-worker 12345.hangzhou.gov.cn/ledger/v1"  # origins hold slashes
    a, b = first.leadership(role), second.leadership(role)
    assert a.acquire() and a.held()
    assert not b.acquire() and not b.held()
    assert a.acquire()  # holding it already
    assert second.leadership("anchor-worker y").acquire()  # another role is independent
    a.release()
    assert not a.held()
    assert b.acquire() and b.held()
    assert not a.acquire()
    b.release()


@pytest.mark.postgres
def test_a_dead_postgresql_session_frees_the_role() -> None:
    with postgres_schema() as db_url:
        first, second = LedgerStore.open(db_url), LedgerStore.open(db_url)
        try:
            _terminate_holder(db_url, first, second)
        finally:
            first.close()
            second.close()


def _terminate_holder(db_url: str, first: LedgerStore, second: LedgerStore) -> None:
    a, b = first.leadership("anchor-worker"), second.leadership("anchor-worker")
    assert a.acquire()
    pid = a._connection.execute(text("SELECT pg_backend_pid()")).scalar()  # type: ignore[union-attr]
    admin = create_engine(normalise_url(db_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()
    assert not a.held()
    assert b.acquire()
    b.release()


def test_a_dead_process_frees_the_role(db_url: str, stores: tuple[LedgerStore, LedgerStore]) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                from ledger.storage import LedgerStore
                lead = LedgerStore.open({db_url!r}).leadership("anchor-worker")
                assert lead.acquire()
                print("held", flush=True)
                time.sleep(60)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        lead = stores[0].leadership("anchor-worker")
        assert not lead.acquire()
        holder.kill()
        holder.wait(timeout=10)
        for _ in range(100):  # the server notices a dead PostgreSQL client within moments
            if lead.acquire():
                break
            subprocess.run(["sleep", "0.05"], check=True)
        assert lead.held()
        lead.release()
    finally:
        holder.kill()
