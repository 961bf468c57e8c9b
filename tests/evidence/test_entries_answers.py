"""``LogApi.entries`` over real HTTP against a scripted server: it asks for the binary page, reads whichever
representation the server answered by its Content-Type, and turns every malformed answer into a one-line
``MalformedAnswer`` — never another exception."""

from __future__ import annotations

import base64
import json

import pytest

from tests.evidence import malicious_api as m
from tests.verifier.test_entries_page import ENTRIES, MALFORMED, raw
from verifier import entries_page
from verifier.entries_page import EntriesPage
from verifier.sources import api as api_source
from verifier.sources.api import ENTRIES_ACCEPT, LogApi, MalformedAnswer

BINARY = entries_page.MEDIA_TYPE


def _page(kind: str, body: bytes) -> tuple[EntriesPage, list[dict[str, str]]]:
    """What ``LogApi`` makes of ``body`` served as ``kind``, asked from 10, and the headers it sent."""
    seen: list[dict[str, str]] = []

    def upstream(path: str, headers: dict[str, str]) -> m.Reply:
        seen.append(headers)
        return 200, kind, body, 0.0

    with m.MaliciousApi(upstream) as server, LogApi(server.url, timeout=5) as api:
        return api.entries(10, 20), seen


def _json_body(**changes: object) -> bytes:
    entries = [{"index": 10 + n, "data": base64.b64encode(e).decode()} for n, e in enumerate(ENTRIES)]
    return json.dumps({"start": 10, "end": 13, "tree_size": 20, "entries": entries, "next": 13, **changes}).encode()


def test_it_asks_for_the_binary_page_and_reads_either_representation() -> None:
    expected = EntriesPage(10, ENTRIES, 13, 20)
    page, seen = _page(BINARY, raw())
    assert page == expected and seen[0]["Accept"] == ENTRIES_ACCEPT
    assert ENTRIES_ACCEPT == "application/vnd.hotline.entries, application/json;q=0.5"
    assert _page("application/json", _json_body())[0] == expected
    assert _page("application/json; charset=utf-8", _json_body())[0] == expected
    assert _page("Application/Vnd.Hotline.Entries", raw())[0] == expected


@pytest.mark.parametrize(
    ("kind", "body", "message"),
    [
        ("text/html", b"<html>proxy login</html>", "answered entries as 'text/html', not a page"),
        ("application/octet-stream", raw(), "as 'application/octet-stream'"),
        ("", raw(), "as 'no content type'"),
        ("application/json", raw(), "answer to /v1/entries is not JSON"),
        (BINARY, _json_body(), "does not start with b'HLE1'"),
        ("application/json", _json_body(next=14), "next page starts at 14, not at 13"),
        ("application/json", _json_body(entries=[], next=10), "empty page that claims a next one"),
    ],
)
def test_an_answer_of_another_kind_is_malformed(kind: str, body: bytes, message: str) -> None:
    with pytest.raises(MalformedAnswer, match=message):
        _page(kind, body)


@pytest.mark.parametrize("body, message", MALFORMED.values(), ids=MALFORMED.keys())
def test_each_malformed_binary_page_is_a_malformed_answer(body: bytes, message: str) -> None:
    with pytest.raises(MalformedAnswer) as refused:
        _page(BINARY, body)
    assert message in str(refused.value) and "\n" not in str(refused.value)


def test_a_binary_page_over_the_answer_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    body = raw()
    monkeypatch.setattr(api_source, "MAX_ANSWER_BYTES", len(body) - 1)
    with pytest.raises(MalformedAnswer, match=f"larger than {len(body) - 1} bytes"):
        _page(BINARY, body)
    monkeypatch.setattr(api_source, "MAX_ANSWER_BYTES", len(body))
    assert _page(BINARY, body)[0].entries == ENTRIES
