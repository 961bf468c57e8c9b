"""The citizen's view: a ticket read with its 查询码, public endpoints, and their rate limits."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from api.schemas import TransitionIn
from tests.api.conftest import TICKET, Api, assert_problem, register, submit_for_dispatch

PUBLIC = f"/v1/public/tickets/{TICKET}"


def test_query_code_is_shown_once_and_opens_the_ticket(api: Api) -> None:
    code = api.post("/v1/transitions", register()).json()["query_code"]
    assert isinstance(code, str) and len(code) == 8
    assert api.post("/v1/transitions", register()).json()["query_code"] is None  # replay: not again
    assert api.post("/v1/transitions", submit_for_dispatch()).json()["query_code"] is None
    # Only a keyed hash is stored, never the code.
    stored = api.services.ledger.query_code_hash(TICKET)
    assert stored is not None and code.encode() not in stored

    by_header = api.client.get(PUBLIC, headers={"X-Query-Code": code})
    assert by_header.status_code == 200, by_header.text
    history = by_header.json()
    assert [e["entry"]["event"] for e in history["entries"]] == ["register", "submit_for_dispatch"]
    assert "13800001234" not in by_header.text and "王先生" not in by_header.text  # public fields only
    by_body = api.client.post(PUBLIC, json={"query_code": code.lower()[:4] + "-" + code.lower()[4:]})
    assert by_body.status_code == 200 and by_body.json() == history


def test_wrong_code_and_unknown_ticket_answer_alike(api: Api) -> None:
    code = api.post("/v1/transitions", register()).json()["query_code"]
    wrong_code = "Z" * 8 if code != "Z" * 8 else "Y" * 8
    other = api.post("/v1/transitions", register("t-9", "T-OTHER")).json()["query_code"]
    answers = [
        api.client.get(PUBLIC, headers={"X-Query-Code": wrong_code}),
        api.client.get("/v1/public/tickets/T-UNKNOWN", headers={"X-Query-Code": code}),
        api.client.get(PUBLIC, headers={"X-Query-Code": other}),  # another ticket's code
        api.client.get(PUBLIC),  # no code at all
        api.client.get(PUBLIC, params={"query_code": code}),  # never taken from the URL
        api.client.get("/v1/public/tickets/not a ticket", headers={"X-Query-Code": code}),
        api.client.post(PUBLIC, json={"query_code": wrong_code}),
    ]
    for response in answers:
        body = assert_problem(response, 404, "ticket_not_found")
        assert body == answers[0].json()
    # A ticket recorded without a code (e.g. by the ledger's own tools) cannot be opened with any.
    api.services.ledger.append([TransitionIn.model_validate(register("t-x", "T-NOCODE")).request()])
    assert api.services.ledger.ticket_entries("T-NOCODE") and api.services.ledger.query_code_hash("T-NOCODE") is None
    for guess in ("", code, "AAAAAAAA"):
        nocode = api.client.post("/v1/public/tickets/T-NOCODE", json={"query_code": guess})
        assert assert_problem(nocode, 404, "ticket_not_found") == answers[0].json()


def test_query_code_lookups_are_rate_limited(make_api: Callable[..., AbstractContextManager[Api]]) -> None:
    with make_api(query_code_burst=3, query_code_rate_per_minute=1) as api:
        code = api.post("/v1/transitions", register()).json()["query_code"]
        for _ in range(3):
            assert api.client.get(PUBLIC, headers={"X-Query-Code": "WRONGXXX"}).status_code == 404
        limited = api.client.get(PUBLIC, headers={"X-Query-Code": code})
        assert_problem(limited, 429, "rate_limited")
        assert int(limited.headers["Retry-After"]) >= 1
        # The limit is per endpoint family: the other public endpoints have their own bucket.
        assert api.client.get("/v1/trust").status_code == 200


def test_public_endpoints_are_rate_limited(make_api: Callable[..., AbstractContextManager[Api]]) -> None:
    with make_api(public_burst=2, public_rate_per_second=0.01) as api:
        assert api.client.get("/v1/trust").status_code == 200
        assert api.client.get("/v1/policies").status_code == 200
        limited = api.client.get("/v1/anchors")
        assert_problem(limited, 429, "rate_limited")
        assert int(limited.headers["Retry-After"]) >= 50
        assert api.client.get("/healthz").status_code == 200  # probes are not limited
