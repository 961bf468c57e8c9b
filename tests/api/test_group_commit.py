"""Group commit: concurrent submissions share writer transactions, and a refused one fails alone."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest

from api.group_commit import GroupCommitter
from api.schemas import TransitionIn
from ledger.errors import IllegalTransition
from ledger.query_codes import QueryCodeKey
from ledger.sequencer import TransitionRequest
from ledger.service import Ledger
from ledger.storage import WriteView
from tests.api.conftest import Api, register, submit_for_dispatch


def request(body: dict[str, Any]) -> TransitionRequest:
    return TransitionIn.model_validate(body).request()


class HeadUpdates:
    """Counts the writes that move the log head (``WriteView.append``): exactly one per committed append transaction.

    The writer runs its hot statements on the driver directly (``ledger.storage.driver_sql``), past
    SQLAlchemy's cursor events, so the count is taken where the head is written.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        self._lock = threading.Lock()
        append = WriteView.append

        def counted(view: WriteView, *args: Any, **kwargs: Any) -> None:
            with self._lock:
                self.count += 1
            append(view, *args, **kwargs)

        monkeypatch.setattr(WriteView, "append", counted)


def test_concurrent_submissions_share_transactions(
    make_api: Callable[..., AbstractContextManager[Api]], monkeypatch: pytest.MonkeyPatch
) -> None:
    with make_api(group_max_wait_ms=20) as api:
        size = api.tree_size()
        updates = HeadUpdates(monkeypatch)
        before = api.services.committer.transactions
        threads, per_thread = 16, 3
        results: list[Any] = []
        lock = threading.Lock()

        def client(number: int) -> None:
            for i in range(per_thread):
                body = register(f"c-{number}-{i}", f"C-{number:03d}-{i}")
                response = api.post("/v1/transitions", body)
                with lock:
                    results.append(response)

        workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        total = threads * per_thread
        assert [r.status_code for r in results] == [201] * total
        indices = sorted(r.json()["index"] for r in results)
        assert indices == list(range(size, size + total))
        assert api.tree_size() == size + total
        transactions = api.services.committer.transactions - before
        assert updates.count == transactions < total
        metrics = api.client.get("/metrics").text
        assert f"hotline_commit_transactions_total {float(api.services.committer.transactions)}" in metrics
        print(f"{total} concurrent submissions committed in {transactions} transactions")


@pytest.fixture
def committer(ledger: Ledger) -> GroupCommitter:
    # Jobs queued before start() are all waiting when the writer wakes: they form one group.
    return GroupCommitter(ledger, query_codes=QueryCodeKey(bytes(32)), max_wait=0)


def test_queued_jobs_commit_in_one_transaction(ledger: Ledger, committer: GroupCommitter) -> None:
    size = ledger.head().tree_size
    futures = [committer.submit([request(register(f"g-{i}", f"G-{i:04d}"))]) for i in range(5)]
    duplicate = committer.submit([request(register("g-0", "G-0000"))])
    committer.start()
    try:
        receipts = [f.result(timeout=30)[0] for f in futures]
        again = duplicate.result(timeout=30)[0]
    finally:
        committer.close()
    assert committer.transactions == 1
    assert [r.index for r in receipts] == list(range(size, size + 5))
    assert all(r.query_code for r in receipts)
    # The same transition id in a later job of the group is a replay: same receipt, no second code.
    assert again.replayed and again.index == receipts[0].index and again.query_code is None
    assert ledger.head().tree_size == size + 5


def test_a_refused_job_fails_alone(ledger: Ledger, committer: GroupCommitter) -> None:
    size = ledger.head().tree_size
    good = [committer.submit([request(register(f"g-{i}", f"G-{i:04d}"))]) for i in range(3)]
    bad = committer.submit(
        [request(register("b-1", "B-0001")), request(submit_for_dispatch("b-2", "B-0001", event="close"))]
    )
    later = committer.submit([request(register("g-9", "G-0009"))])
    committer.start()
    try:
        with pytest.raises(IllegalTransition):
            bad.result(timeout=30)
        receipts = [f.result(timeout=30)[0] for f in [*good, later]]
    finally:
        committer.close()
    assert committer.groups_split == 1
    assert committer.transactions == 1 + 5  # the refused group, then each job alone
    assert sorted(r.index for r in receipts) == list(range(size, size + 4))
    assert ledger.transition("b-1") is None and ledger.head().tree_size == size + 4


def test_a_cancelled_job_is_not_written(ledger: Ledger, committer: GroupCommitter) -> None:
    size = ledger.head().tree_size
    cancelled = committer.submit([request(register("x-1", "X-0001"))])
    assert cancelled.cancel()
    kept = committer.submit([request(register("x-2", "X-0002"))])
    committer.start()
    try:
        assert kept.result(timeout=30)[0].index == size
    finally:
        committer.close()
    assert ledger.transition("x-1") is None and ledger.head().tree_size == size + 1
    with pytest.raises(RuntimeError, match="closed"):
        committer.submit([request(register("x-3", "X-0003"))])
