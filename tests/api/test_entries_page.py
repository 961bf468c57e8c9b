"""``GET /v1/entries`` in both representations (SQLite and PostgreSQL): the binary page is the JSON page, the
``Accept`` header chooses between them, and refusals stay problem+json whatever was asked for."""

from __future__ import annotations

import base64
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest

from api.negotiation import choose
from tests.api.conftest import Api, assert_problem, register
from verifier.entries_page import MEDIA_TYPE, decode

JSON = "application/json"


def _get(api: Api, accept: str | None, **params: int) -> Any:
    headers = api.auth("audit") | ({} if accept is None else {"Accept": accept})
    return api.client.get("/v1/entries", params=params, headers=headers)


def _same_page(api: Api, **params: int) -> dict[str, Any]:
    """The page as JSON and as the binary page, which must say the same; returns the JSON."""
    as_json = _get(api, None, **params)
    binary = _get(api, MEDIA_TYPE, **params)
    assert as_json.status_code == binary.status_code == 200, (as_json.text, binary.text)
    assert as_json.headers["content-type"] == JSON and binary.headers["content-type"] == MEDIA_TYPE
    assert as_json.headers["vary"] == binary.headers["vary"] == "Accept"
    document: dict[str, Any] = as_json.json()
    page = decode(binary.content, params["start"])
    assert [e["index"] for e in document["entries"]] == list(range(document["start"], document["end"]))
    assert [base64.b64decode(e["data"]) for e in document["entries"]] == page.entries
    assert (document["start"], document["next"], document["tree_size"]) == (page.start, page.next, page.tree_size)
    assert document["end"] == page.start + len(page.entries)
    return document


def test_the_binary_page_is_the_json_page(make_api: Callable[..., AbstractContextManager[Api]]) -> None:
    with make_api() as api:
        api.post("/v1/transitions:batch", {"transitions": [register(f"p-{i}", f"P-{i:05d}") for i in range(1000)]})
        api.post("/v1/transitions:batch", {"transitions": [register(f"q-{i}", f"Q-{i:05d}") for i in range(4)]})
        size = api.tree_size()
        assert size == 1005  # the policy, then the tickets
        first = _same_page(api, start=0)
        assert (len(first["entries"]), first["next"]) == (1000, 1000)
        assert _same_page(api, start=first["next"])["next"] is None
        assert _same_page(api, start=3, end=10)["next"] is None
        assert _same_page(api, start=3, end=2000)["next"] == 1003
        tail = _same_page(api, start=size - 2)
        assert (len(tail["entries"]), tail["next"], tail["tree_size"]) == (2, None, size)
        for params in ({"start": 5, "end": 3}, {"start": 5, "end": 5}, {"start": size}, {"start": 10**12}):
            empty = _same_page(api, **params)
            assert (empty["entries"], empty["end"], empty["next"]) == ([], params["start"], None)
        assert _same_page(api, start=2**63 - 1)["entries"] == []


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/json", JSON),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", JSON),
        (MEDIA_TYPE, MEDIA_TYPE),
        (f"{MEDIA_TYPE}, {JSON};q=0.5", MEDIA_TYPE),
        (f"{JSON};q=0.5, {MEDIA_TYPE}", MEDIA_TYPE),
        (f"{MEDIA_TYPE};q=0.4, {JSON}", JSON),
        (f"{MEDIA_TYPE};q=0, */*", JSON),
        (f"{MEDIA_TYPE}, {JSON}", JSON),
        (f"{MEDIA_TYPE}, */*", MEDIA_TYPE),
        (f"{MEDIA_TYPE}, application/*;q=0.9", MEDIA_TYPE),
        (f"{JSON};q=0, {MEDIA_TYPE};q=0.1", MEDIA_TYPE),
        ("Application/VND.Hotline.Entries ; Q=0.7", MEDIA_TYPE),
        (f"{MEDIA_TYPE};q=high", JSON),
        (f"{MEDIA_TYPE};q=2", JSON),
        ("text/html", JSON),
    ],
)
def test_accept_chooses_the_representation(accept: str | None, expected: str) -> None:
    assert choose(accept, (JSON, MEDIA_TYPE)) == expected


def test_the_server_answers_what_accept_asks_for(api: Api) -> None:
    api.post("/v1/transitions", register())
    for accept, expected in ((None, JSON), ("text/html", JSON), (f"{JSON};q=0.5, {MEDIA_TYPE}", MEDIA_TYPE)):
        assert _get(api, accept, start=0).headers["content-type"] == expected
    both = [("Authorization", f"Bearer {api.tokens['audit']}"), ("Accept", "text/html"), ("Accept", MEDIA_TYPE)]
    assert api.client.get("/v1/entries", params={"start": 0}, headers=both).headers["content-type"] == MEDIA_TYPE


def test_refusals_are_problems_whatever_was_asked_for(api: Api) -> None:
    asked = {"Accept": MEDIA_TYPE}
    assert_problem(api.client.get("/v1/entries", params={"start": 0}, headers=asked), 401, "unauthenticated")
    assert_problem(
        api.client.get("/v1/entries", params={"start": 0}, headers=asked | api.auth("read")), 403, "insufficient_scope"
    )
    for params in ({"start": -1}, {"start": 0, "end": 2**63}, {}):
        refused = api.client.get("/v1/entries", params=params, headers=asked | api.auth("audit"))
        assert_problem(refused, 422, "validation_error")


def test_the_openapi_document_declares_both_representations(api: Api) -> None:
    answer = api.app.openapi()["paths"]["/v1/entries"]["get"]["responses"]["200"]
    assert set(answer["content"]) == {JSON, MEDIA_TYPE}
    assert answer["content"][MEDIA_TYPE]["schema"] == {"type": "string", "format": "binary"}
