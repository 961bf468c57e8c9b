"""``POST /v1/public/tickets/{ticket}/bundle``: the citizen's evidence, opened only by the right query code,
and the lockout after wrong codes that every query-code lookup shares (API and page alike)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from ledger.records import StoredAnchor
from tests.api.conftest import TICKET, Api, assert_problem, register, submit_for_dispatch
from verifier.bundle import parse_bundle
from verifier.merkle import leaf_hash

BUNDLE = f"/v1/public/tickets/{TICKET}/bundle"


def _anchor_everything(api: Api) -> None:
    """Record the latest checkpoint as anchored (the chain is not under test here; tests/page/test_browser is)."""
    checkpoint = api.services.ledger.publish_checkpoint()
    api.services.ledger.record_anchor(
        StoredAnchor(
            tree_size=checkpoint.tree_size,
            root=checkpoint.root,
            chain_id=1337,
            contract="0x" + "ab" * 20,
            tx_hash=b"\x01" * 32,
            block_number=7,
            block_hash=b"\x02" * 32,
            block_timestamp=1_770_000_000,
            recorded_at=1_770_000_000_000,
        )
    )


def test_the_right_code_gets_the_anchored_bundle(api: Api) -> None:
    code = api.post("/v1/transitions", register()).json()["query_code"]
    assert_problem(api.client.post(BUNDLE, json={"query_code": code}), 409, "not_anchored_yet")
    _anchor_everything(api)
    api.post("/v1/transitions", submit_for_dispatch())  # after the anchor: pending, left out
    answer = api.client.post(BUNDLE, json={"query_code": code})
    assert answer.status_code == 200, answer.text
    assert answer.headers["X-Pending-Entries"] == "1" and answer.headers["Cache-Control"] == "no-store"
    bundle = parse_bundle(answer.content)
    assert [leaf_hash(e.data) for e in bundle.entries] == [e.leaf_hash for e in bundle.entries]
    assert len(bundle.entries) == 1 and b"13800001234" not in answer.content  # public fields only
    # The same bytes as the operator's own endpoint gives (scope read).
    assert api.get(f"/v1/tickets/{TICKET}/bundle").content == answer.content


def test_wrong_pairs_answer_alike(api: Api) -> None:
    code = api.post("/v1/transitions", register()).json()["query_code"]
    _anchor_everything(api)
    wrong = "Z" * 8 if code != "Z" * 8 else "Y" * 8
    answers = [
        api.client.post(BUNDLE, json={"query_code": wrong}),
        api.client.post("/v1/public/tickets/T-UNKNOWN/bundle", json={"query_code": code}),
        api.client.post("/v1/public/tickets/bad%20ticket/bundle", json={"query_code": code}),
        api.client.post(BUNDLE, json={"query_code": ""}),
    ]
    first = assert_problem(answers[0], 404, "ticket_not_found")
    assert all(assert_problem(a, 404, "ticket_not_found") == first for a in answers)
    assert_problem(api.client.post(BUNDLE, json={}), 422, "validation_error")


def test_wrong_codes_lock_the_ticket_out(make_api: Callable[..., AbstractContextManager[Api]]) -> None:
    with make_api(query_code_max_failures=3, query_code_lockout_seconds=600) as api:
        code = api.post("/v1/transitions", register()).json()["query_code"]
        unknown = "/v1/public/tickets/T-NOBODY/bundle"
        for _ in range(3):
            assert api.client.post(BUNDLE, json={"query_code": "WRONGXX1"}).status_code == 404
        # Locked: even the right code is refused now, with a Retry-After, on every query-code endpoint.
        locked = api.client.post(BUNDLE, json={"query_code": code})
        assert_problem(locked, 429, "locked_out")
        assert 500 <= int(locked.headers["Retry-After"]) <= 600
        assert_problem(
            api.client.get(f"/v1/public/tickets/{TICKET}", headers={"X-Query-Code": code}), 429, "locked_out"
        )
        # The client is locked too (3 failures from this address), and an unknown ticket looks the same.
        assert_problem(api.client.post(unknown, json={"query_code": code}), 429, "locked_out")


def test_an_unknown_ticket_is_locked_out_like_a_real_one(make_api: Callable[..., AbstractContextManager[Api]]) -> None:
    # Per-ticket counting would be an oracle if only existing tickets locked: lock both after the same failures.
    with make_api(query_code_max_failures=2) as api:
        api.post("/v1/transitions", register())
        results = {}
        for ticket in (TICKET, "T-NOBODY"):
            api.services.query_code_lockout._records.clear()  # a fresh client each round
            statuses = [
                api.client.post(f"/v1/public/tickets/{ticket}/bundle", json={"query_code": "WRONGXX1"}).status_code
                for _ in range(3)
            ]
            results[ticket] = statuses
        assert results[TICKET] == results["T-NOBODY"] == [404, 404, 429]
