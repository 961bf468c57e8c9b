"""Submitting transitions over HTTP: receipts, replays, refusals, size limits and all-or-nothing batches."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

from ledger.records import StoredAnchor
from ledger.service import Ledger
from tests.api.conftest import TICKET, Api, assert_problem, register, submit_for_dispatch
from verifier.merkle import leaf_hash


def test_submit_replay_and_conflict(api: Api) -> None:
    size = api.tree_size()
    created = api.post("/v1/transitions", register())
    assert created.status_code == 201, created.text
    receipt = created.json()
    assert receipt["index"] == size and receipt["seq"] == 1 and receipt["ticket"] == TICKET
    assert receipt["state"] == "registered" and receipt["status"] == "pending"
    assert receipt["checkpoint"] is None and receipt["anchor"] is None
    stored = api.services.ledger.entry(receipt["index"])
    assert stored is not None and receipt["entry_hash"] == leaf_hash(stored.data).hex()
    # The payload is sealed off the log: only its commitment is in the entry.
    entry = json.loads(stored.data)
    assert entry["payload"] == receipt["payload"] and receipt["payload"].startswith("sha256:")
    assert "13800001234" not in stored.data.decode()
    assert api.services.ledger.payload(receipt["payload"])["phone"] == "13800001234"

    replay = api.post("/v1/transitions", register())
    assert replay.status_code == 200
    assert replay.json() == {**receipt, "query_code": None}
    assert api.tree_size() == size + 1

    conflict = assert_problem(
        api.post("/v1/transitions", register(attrs={"category": "help"})), 409, "transition_id_conflict"
    )
    assert conflict["transition_id"] == "t-1" and conflict["ticket"] == TICKET
    assert api.tree_size() == size + 1


def test_illegal_transition_names_ticket_state_and_event(api: Api) -> None:
    assert api.post("/v1/transitions", register()).status_code == 201
    body = assert_problem(
        api.post("/v1/transitions", submit_for_dispatch(event="close", to="closed")), 409, "illegal_transition"
    )
    assert (body["ticket"], body["state"], body["event"]) == (TICKET, "registered", "close")
    assert TICKET in body["detail"]


def test_stale_expected_seq(api: Api) -> None:
    assert api.post("/v1/transitions", register(expected_seq=1)).status_code == 201
    body = assert_problem(api.post("/v1/transitions", submit_for_dispatch(expected_seq=3)), 409, "stale_expected_seq")
    assert (body["ticket"], body["state"], body["expected_seq"], body["next_seq"]) == (TICKET, "registered", 3, 2)
    assert api.post("/v1/transitions", submit_for_dispatch(expected_seq=2)).status_code == 201


MALFORMED: list[tuple[str, Any]] = [
    ("not an object", [1, 2]),
    ("missing field", {k: v for k, v in register().items() if k != "event"}),
    ("unknown field", register(colour="red")),
    ("string for an integer", register(expected_seq="1")),
    ("zero expected_seq", register(expected_seq=0)),
    ("bad ticket", register(ticket="no spaces allowed")),
    ("bad time", register(at="2026-03-02 09:15")),
    ("bad actor", register(actor={"org": "330100", "role": "Agent"})),
    ("float in attrs", register(attrs={"score": 1.5})),
    ("huge integer in attrs", register(attrs={"n": 2**60})),
    ("bad policy id", register(policy="cn-baseline")),
    ("unknown policy", register(policy="cn-baseline@000000000000")),
    ("bad signature", register(sig="!!!", actor={"org": "330100-12345", "role": "agent", "key": "k1"})),
    ("empty batch member", None),
]


def test_malformed_requests_are_422_problems_and_write_nothing(api: Api) -> None:
    size = api.tree_size()
    for name, body in MALFORMED:
        response = api.post("/v1/transitions", body)
        assert response.status_code == 422, (name, response.text)
        problem = response.json()
        assert response.headers["content-type"].startswith("application/problem+json"), name
        assert problem["code"] in ("validation_error", "invalid_request", "unknown_policy", "actor_key"), name
        # Rejected input is never echoed back: it may hold a citizen's personal data.
        assert "13800001234" not in response.text, name
    nan_attrs = json.dumps(register(attrs={"score": 0})).replace('"score": 0', '"score": NaN')
    for raw in (b"{", b"", b'{"transition_id": "x"' + b"[" * 100_000, "[" * 5000, nan_attrs):
        response = api.client.post(
            "/v1/transitions", content=raw, headers={**api.auth("submit"), "content-type": "application/json"}
        )
        assert response.status_code in (400, 422), response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert api.tree_size() == size


def test_nul_characters_are_refused_alike_on_every_database(api: Api) -> None:
    # PostgreSQL text cannot hold U+0000: these three were 500s there.
    assert_problem(api.post("/v1/transitions", register("t\x001")), 422, "validation_error")
    assert_problem(api.get("/v1/transitions/t%001"), 404, "transition_not_found")
    erase = {"actor": {"org": "330100-12345", "role": "system"}, "reason": "citizen_request"}
    assert_problem(api.post("/v1/payloads/sha256:%00/erase", erase, "admin"), 404, "payload_not_found")
    assert api.tree_size() == 1


def test_bodies_over_the_limit_are_413(make_api: Callable[..., AbstractContextManager[Api]]) -> None:
    with make_api(max_body_bytes=16 * 1024) as api:
        size = api.tree_size()
        big = register(payload={"content": "噪" * 20_000})
        response = api.post("/v1/transitions", big)
        body = assert_problem(response, 413, "payload_too_large")
        assert body["limit"] == 16 * 1024

        def chunks() -> Iterator[bytes]:
            # No Content-Length: the limit applies while the body streams in.
            data = json.dumps(big).encode()
            for start in range(0, len(data), 4096):
                yield data[start : start + 4096]

        streamed = api.client.post(
            "/v1/transitions", content=chunks(), headers={**api.auth("submit"), "content-type": "application/json"}
        )
        assert_problem(streamed, 413, "payload_too_large")
        assert api.post("/v1/transitions", register()).status_code == 201
        assert api.tree_size() == size + 1


def test_batches_are_all_or_nothing(api: Api) -> None:
    size = api.tree_size()
    bad = [register("b-1", "T-0001"), register("b-2", "T-0002"), submit_for_dispatch("b-3", "T-0001", event="close")]
    assert_problem(api.post("/v1/transitions:batch", {"transitions": bad}), 409, "illegal_transition")
    assert api.tree_size() == size
    for transition_id in ("b-1", "b-2", "b-3"):
        assert_problem(api.get(f"/v1/transitions/{transition_id}"), 404, "transition_not_found")

    good = [register("b-1", "T-0001"), register("b-2", "T-0002"), submit_for_dispatch("b-3", "T-0001")]
    response = api.post("/v1/transitions:batch", {"transitions": good})
    assert response.status_code == 201, response.text
    assert response.headers.get("connection") != "close", "one process: the connection is kept"
    receipts = response.json()["receipts"]
    assert [r["index"] for r in receipts] == [size, size + 1, size + 2]
    assert [(r["ticket"], r["seq"]) for r in receipts] == [("T-0001", 1), ("T-0002", 1), ("T-0001", 2)]
    assert [r["query_code"] is not None for r in receipts] == [True, True, False]
    again = api.post("/v1/transitions:batch", {"transitions": good})
    assert again.status_code == 200
    assert [r["index"] for r in again.json()["receipts"]] == [size, size + 1, size + 2]

    too_many = [register(f"m-{i}", f"M-{i:04d}") for i in range(1001)]
    assert_problem(api.post("/v1/transitions:batch", {"transitions": too_many}), 413, "batch_too_large")
    assert_problem(api.post("/v1/transitions:batch", {"transitions": []}), 422, "validation_error")
    assert api.tree_size() == size + 3


def anchor(api: Api, tree_size: int) -> StoredAnchor:
    """Record an anchor of the checkpoint at ``tree_size`` as the anchor worker does."""
    return anchor_checkpoint(api.services.ledger, tree_size)


def anchor_checkpoint(ledger: Ledger, tree_size: int) -> StoredAnchor:
    """Record an anchor of the ledger's checkpoint at ``tree_size`` as the anchor worker does."""
    checkpoint = ledger.checkpoint(tree_size)
    assert checkpoint is not None
    with ledger.store.writing() as view:
        return view.add_anchor(
            StoredAnchor(
                tree_size=tree_size,
                root=checkpoint.root,
                chain_id=31337,
                contract="0x5FbDB2315678afecb367f032d93F642f64180aa3",
                tx_hash=bytes.fromhex("ab" * 32),
                block_number=42,
                block_hash=bytes.fromhex("cd" * 32),
                block_timestamp=1_790_000_000,
                recorded_at=1_790_000_001_000,
            )
        )


def test_status_goes_pending_integrated_anchored(api: Api) -> None:
    index = api.post("/v1/transitions", register()).json()["index"]
    assert api.get("/v1/transitions/t-1").json()["status"] == "pending"
    checkpoint = api.services.ledger.publish_checkpoint()
    status = api.get("/v1/transitions/t-1").json()
    assert (status["status"], status["checkpoint"], status["index"]) == ("integrated", checkpoint.tree_size, index)
    anchor(api, checkpoint.tree_size)
    status = api.get("/v1/transitions/t-1").json()
    assert status["status"] == "anchored"
    assert status["anchor"]["tx"] == "0x" + "ab" * 32 and status["anchor"]["block_number"] == 42
    assert status["anchor"]["tree_size"] == checkpoint.tree_size
    # A later transition is not covered by that anchor.
    api.post("/v1/transitions", submit_for_dispatch())
    assert api.get("/v1/transitions/t-2").json()["status"] == "pending"
    # A replayed submission reports the status too.
    assert api.post("/v1/transitions", register()).json()["status"] == "anchored"
    # Transition ids may hold any character, slashes included.
    api.post("/v1/transitions", register("sys/ticketing:0001", "T-0009"))
    assert api.get("/v1/transitions/sys/ticketing:0001").json()["ticket"] == "T-0009"
    data = base64.b64encode(api.services.ledger.entry(index).data).decode()  # type: ignore[union-attr]
    assert data in api.get(f"/v1/tickets/{TICKET}").text
