"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ledger.payloads import PayloadKey
from ledger.policies import load_policy
from ledger.service import Ledger
from ledger.storage import LedgerStore
from tests.databases import BACKENDS, database_url
from verifier.note import NoteSigner
from verifier.policy import Policy

ORIGIN = "12345.hangzhou.gov.cn/ledger/v1"


@pytest.fixture(scope="session")
def baseline_policy() -> Policy:
    return load_policy("cn-baseline")


@pytest.fixture(scope="session")
def operator_signer() -> NoteSigner:
    return NoteSigner.generate(ORIGIN)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL, once for SQLite and once for PostgreSQL."""
    with database_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def open_ledger(db_url: str, operator_signer: NoteSigner, baseline_policy: Policy) -> Iterator[Callable[..., Ledger]]:
    """Open (or reopen) the ledger on the test's database; every store is closed afterwards."""
    stores: list[LedgerStore] = []
    payload_key = PayloadKey.generate()

    def _open(*, policies: list[Policy] | None = None, key: PayloadKey | None = None) -> Ledger:
        store = LedgerStore.open(db_url)
        stores.append(store)
        return Ledger.open(
            store,
            origin=ORIGIN,
            signer=operator_signer,
            payload_key=key or payload_key,
            policies=policies or [baseline_policy],
        )

    yield _open
    for store in stores:
        store.close()


@pytest.fixture
def ledger(open_ledger: Callable[..., Ledger]) -> Ledger:
    return open_ledger()
