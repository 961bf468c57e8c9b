"""Reading and proving over HTTP, each answer checked with the verifier's own core."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from contextlib import AbstractContextManager

from tests.api.conftest import TICKET, Api, assert_problem, register, submit_for_dispatch
from verifier.checkpoint import open_checkpoint
from verifier.entry import Transition, parse_entry
from verifier.merkle import leaf_hash, tree_root, verify_consistency, verify_inclusion


def _fill(api: Api, tickets: int) -> None:
    for i in range(tickets):
        ticket = f"T-{i:04d}"
        batch = [register(f"r-{i}", ticket), submit_for_dispatch(f"s-{i}", ticket)]
        assert api.post("/v1/transitions:batch", {"transitions": batch}).status_code == 201


def test_ticket_history_proves_every_step_against_the_checkpoint(api: Api) -> None:
    assert_problem(api.get(f"/v1/tickets/{TICKET}"), 404, "ticket_not_found")
    api.post("/v1/transitions", register())
    _fill(api, 3)
    api.post("/v1/transitions", submit_for_dispatch())
    history = api.get(f"/v1/tickets/{TICKET}").json()
    assert history["tree_size"] is None and all(e["proof"] is None for e in history["entries"])

    api.services.ledger.publish_checkpoint()
    dispatch = submit_for_dispatch("t-late", "T-0000", event="dispatch", to="dispatched")
    dispatch["actor"] = {"org": "330100-12345", "role": "dispatcher"}
    assert api.post("/v1/transitions", dispatch).status_code == 201
    history = api.get(f"/v1/tickets/{TICKET}").json()
    verifier = api.services.ledger.signer.verifier()
    checkpoint = open_checkpoint(history["checkpoint"], [verifier], origin=api.services.ledger.origin)
    assert checkpoint.tree_size == history["tree_size"]
    assert [e["entry"]["seq"] for e in history["entries"]] == [1, 2]
    for item in history["entries"]:
        data = base64.b64decode(item["data"])
        entry = parse_entry(data)
        assert isinstance(entry, Transition) and entry.ticket == TICKET
        assert item["entry"]["event"] == entry.event and "payload" in item["entry"]
        proof = [bytes.fromhex(h) for h in item["proof"]]
        verify_inclusion(leaf_hash(data), item["index"], checkpoint.tree_size, proof, checkpoint.root_hash)
    late = api.get("/v1/tickets/T-0000").json()["entries"][-1]
    assert late["entry"]["event"] == "dispatch" and late["proof"] is None


def test_checkpoints_and_proofs(api: Api) -> None:
    assert_problem(api.client.get("/v1/checkpoint"), 404, "no_checkpoint")
    _fill(api, 3)
    first = api.services.ledger.publish_checkpoint()
    _fill_more = [register(f"x-{i}", f"X-{i:04d}") for i in range(5)]
    api.post("/v1/transitions:batch", {"transitions": _fill_more})
    second = api.services.ledger.publish_checkpoint()
    verifier = api.services.ledger.signer.verifier()

    latest = api.client.get("/v1/checkpoint")
    assert latest.status_code == 200 and latest.headers["content-type"] == "text/plain; charset=utf-8"
    assert latest.text == second.note
    older = api.get(f"/v1/checkpoints/{first.tree_size}", "audit")
    assert older.text == first.note and older.headers["content-type"] == "text/plain; charset=utf-8"
    assert_problem(api.get("/v1/checkpoints/3", "audit"), 404, "checkpoint_not_found")
    opened1 = open_checkpoint(older.text, [verifier])
    opened2 = open_checkpoint(latest.text, [verifier])

    entries = api.services.ledger.entries(0, second.tree_size)
    for index in (0, 3, second.tree_size - 1):
        proof = api.get("/v1/proofs/inclusion", "audit", index=index, size=second.tree_size).json()
        assert (proof["index"], proof["tree_size"]) == (index, second.tree_size)
        hashes = [bytes.fromhex(h) for h in proof["proof"]]
        verify_inclusion(leaf_hash(entries[index].data), index, second.tree_size, hashes, opened2.root_hash)
    consistency = api.get("/v1/proofs/consistency", "audit", **{"from": first.tree_size, "to": second.tree_size})
    body = consistency.json()
    assert (body["from"], body["to"]) == (first.tree_size, second.tree_size)
    hashes = [bytes.fromhex(h) for h in body["proof"]]
    verify_consistency(first.tree_size, second.tree_size, hashes, opened1.root_hash, opened2.root_hash)

    beyond = second.tree_size + 100
    assert_problem(api.get("/v1/proofs/inclusion", "audit", index=beyond, size=beyond), 400, "proof_request")
    assert_problem(api.get("/v1/proofs/inclusion", "audit", index=5, size=5), 400, "proof_request")
    assert_problem(api.get("/v1/proofs/consistency", "audit", **{"from": 9, "to": 4}), 400, "proof_request")
    assert_problem(api.get("/v1/proofs/inclusion", "audit", index=-1, size=4), 422, "validation_error")
    assert_problem(api.get("/v1/proofs/inclusion", "audit", index=0, size=2**70), 422, "validation_error")
    assert_problem(api.get("/v1/proofs/inclusion", "audit", index=0, size=2**62), 400, "proof_request")
    assert_problem(api.get("/v1/checkpoints/99999999999999999999999", "audit"), 422, "validation_error")


def test_entries_pages_recompute_the_checkpoint_root(api: Api) -> None:
    _fill(api, 30)
    checkpoint = api.services.ledger.publish_checkpoint()
    leaves: list[bytes] = []
    start: int | None = 0
    pages = 0
    while start is not None:
        page = api.get("/v1/entries", "audit", start=start, end=checkpoint.tree_size).json()
        assert [e["index"] for e in page["entries"]] == list(range(start, page["end"]))
        leaves += [leaf_hash(base64.b64decode(e["data"])) for e in page["entries"]]
        start = page["next"]
        pages += 1
    assert pages == 1 and len(leaves) == checkpoint.tree_size
    assert tree_root(leaves) == checkpoint.root
    tail = api.get("/v1/entries", "audit", start=checkpoint.tree_size - 2).json()
    assert (len(tail["entries"]), tail["next"], tail["tree_size"]) == (2, None, checkpoint.tree_size)
    empty = api.get("/v1/entries", "audit", start=10**12).json()
    assert empty["entries"] == [] and empty["next"] is None
    assert api.get("/v1/entries", "audit", start=5, end=3).json()["entries"] == []


def test_entries_are_paged(make_api: Callable[..., AbstractContextManager[Api]]) -> None:
    with make_api() as api:
        batch = [register(f"p-{i}", f"P-{i:05d}") for i in range(1000)]
        api.post("/v1/transitions:batch", {"transitions": batch})
        api.post("/v1/transitions:batch", {"transitions": [register("p-x", "P-XXXXX")]})
        first = api.get("/v1/entries", "audit", start=0).json()
        assert len(first["entries"]) == 1000 and first["next"] == 1000
        second = api.get("/v1/entries", "audit", start=first["next"]).json()
        assert [e["index"] for e in second["entries"]] == [1000, 1001] and second["next"] is None


def test_anchors_policies_and_trust(make_api: Callable[..., AbstractContextManager[Api]]) -> None:
    contract = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    with make_api(chain_id=31337, contract_address=contract) as api:
        from tests.api.test_transitions import anchor

        assert api.client.get("/v1/anchors").json() == []
        api.post("/v1/transitions", register())
        checkpoint = api.services.ledger.publish_checkpoint()
        anchor(api, checkpoint.tree_size)
        (listed,) = api.client.get("/v1/anchors").json()
        assert listed["tree_size"] == checkpoint.tree_size and listed["root"] == checkpoint.root.hex()
        assert listed["tx"] == "0x" + "ab" * 32 and listed["block_hash"] == "0x" + "cd" * 32
        assert (listed["chain_id"], listed["contract"], listed["timestamp"]) == (31337, contract, 1_790_000_000)

        (policy,) = api.client.get("/v1/policies").json()
        assert policy["id"] in api.services.ledger.policies and policy["name"] == "cn-baseline"
        assert policy["document"]["states"]["registered"]
        assert api.client.get(f"/v1/policies/{policy['id']}").json() == policy
        assert_problem(api.client.get("/v1/policies/cn-baseline@000000000000"), 404, "policy_not_found")

        trust = api.client.get("/v1/trust").json()
        origin = api.services.ledger.origin
        assert trust == {
            "origin": origin,
            "verifier_key": api.services.ledger.signer.vkey,
            "exporter_key": api.services.exporter.vkey,
            "log_id": hashlib.sha256(origin.encode()).hexdigest(),
            "chain_id": 31337,
            "contract": contract,
        }
