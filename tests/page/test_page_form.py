"""The citizen page without JavaScript: a plain form POST renders the timeline on the server.

The query code appears in no URL and in no page; wrong pairs look alike; deadlines follow the policy's
working-day calendar; personal content never appears.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from tests.api.conftest import TICKET, Api, register
from verifier.trust import parse_trust

HOTLINE, UNIT = "330100-12345", "330102-zjj"


def _step(number: int, event: str, to: str, role: str, at: str, **attrs: Any) -> dict[str, Any]:
    org = UNIT if role == "unit" else HOTLINE
    body = {"transition_id": f"s-{number}", "ticket": TICKET, "event": event, "to": to}
    return {**body, "actor": {"org": org, "role": role}, "at": at, "attrs": attrs}


def _ticket(api: Api) -> str:
    """A ticket dispatched on Thursday 2026-09-24 before the Mid-Autumn and National Day holidays."""
    code: str = api.post("/v1/transitions", register(at="2026-09-24T08:00:00.000+08:00")).json()["query_code"]
    steps = [
        ("submit_for_dispatch", "pending_dispatch", "agent", "2026-09-24T08:30:00.000+08:00", {}),
        ("dispatch", "dispatched", "dispatcher", "2026-09-24T09:00:00.000+08:00", {"unit": UNIT}),
        ("accept", "accepted", "unit", "2026-09-28T10:00:00.000+08:00", {}),  # 1wd: due Mon 09-28 (met)
        ("urge", "accepted", "agent", "2026-10-09T09:00:00.000+08:00", {"reason": "citizen_called_again"}),
        ("supervise", "accepted", "reviewer", "2026-10-09T10:00:00.000+08:00", {"level": "yellow"}),
        ("reply", "replied", "unit", "2026-10-12T09:00:00.000+08:00", {}),  # 15wd: due 10-22 (Sat 10-10 works)
    ]
    for number, (event, to, role, at, attrs) in enumerate(steps, start=2):
        answer = api.post("/v1/transitions", _step(number, event, to, role, at, **attrs))
        assert answer.status_code == 201, answer.text
    return code


def _error(html: str) -> str:
    found = re.search(r'<p id="lookup-error".*?</p>', html, re.S)
    assert found is not None, html
    return found[0]


def test_the_form_is_labelled_and_the_page_is_locked_down(api: Api) -> None:
    page = api.client.get("/")
    assert page.status_code == 200
    for control in ('<label for="ticket">', '<label for="code">', 'id="ticket"', 'id="code"', 'id="lookup"'):
        assert control in page.text
    assert 'method="post" action="/"' in page.text and 'id="trust-config"' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert api.client.get("/static/page.js").headers["content-type"].startswith("text/javascript")
    assert api.client.get("/?lang=en").text.count('data-lang="en"') == 1


def test_a_correct_pair_renders_the_timeline_without_javascript(api: Api) -> None:
    code = _ticket(api)
    page = api.client.post("/", data={"ticket": TICKET, "code": code.lower(), "lang": "zh"})
    assert page.status_code == 200, page.text
    html = page.text
    assert len(re.findall(r'<li class="step', html)) == 7
    assert '<div id="verification-status" data-state="incomplete"' in html
    assert "核验需要启用 JavaScript" in html and "hotline-verify" in html
    assert code not in html and code.lower() not in html  # the code is never echoed back
    assert "13800001234" not in html and "王先生" not in html and "夜间施工" not in html  # never personal content
    # The policy's labels, the department, the urge and the yellow card.
    for text in ("受理登记", "已派单待签收", "已签收办理中", "催办", "黄牌督办", UNIT, "投诉"):
        assert text in html, text
    deadlines = re.findall(r'<p class="deadline (met|missed)">(.*?)</p>', html, re.S)
    assert len(deadlines) == 2 and all(kind == "met" for kind, _ in deadlines)
    assert "2026-09-28 23:59" in deadlines[0][1] and "1个工作日" in deadlines[0][1]  # Mid-Autumn days off skipped
    assert "2026-10-22 23:59" in deadlines[1][1] and "15个工作日" in deadlines[1][1]
    # The QR code links to the ticket's page, without the code.
    assert "<svg" in html and f'href="http://testserver/t/{TICKET}"' in html


def test_a_missed_deadline_says_so(api: Api) -> None:
    code = api.post("/v1/transitions", register(at="2026-09-24T08:00:00.000+08:00")).json()["query_code"]
    api.post(
        "/v1/transitions", _step(2, "submit_for_dispatch", "pending_dispatch", "agent", "2026-09-24T08:30:00.000+08:00")
    )
    api.post("/v1/transitions", _step(3, "dispatch", "dispatched", "dispatcher", "2026-09-24T09:00:00.000+08:00"))
    api.post("/v1/transitions", _step(4, "accept", "accepted", "unit", "2026-09-29T00:00:00.001+08:00"))
    html = api.client.post("/", data={"ticket": TICKET, "code": code}).text
    assert re.search(r'<p class="deadline missed">', html)
    # The reply limit still runs after acceptance: shown as due (or overdue, by now).
    assert 'class="open-deadline' in html


def test_wrong_pairs_get_one_friendly_answer(api: Api) -> None:
    code = _ticket(api)
    wrong = "Z" * 8 if code != "Z" * 8 else "Y" * 8
    answers = [
        api.client.post("/", data={"ticket": TICKET, "code": wrong}),
        api.client.post("/", data={"ticket": "T-UNKNOWN", "code": code}),
    ]
    assert [a.status_code for a in answers] == [404, 404]
    assert _error(answers[0].text) == _error(answers[1].text)
    assert "工单编号与查询码不匹配" in answers[0].text and 'id="timeline"' not in answers[0].text
    missing = api.client.post("/", data={"ticket": TICKET})
    assert missing.status_code == 400 and 'data-error="missing"' in missing.text
    bad = api.client.post("/", data={"ticket": "<script>alert(1)</script>", "code": code})
    assert bad.status_code == 400 and 'data-error="format"' in bad.text and "<script>alert" not in bad.text


def test_wrong_codes_lock_the_page_out(make_api: Callable[..., AbstractContextManager[Api]]) -> None:
    with make_api(query_code_max_failures=2) as api:
        code = api.post("/v1/transitions", register()).json()["query_code"]
        for _ in range(2):
            assert api.client.post("/", data={"ticket": TICKET, "code": "WRONGXX1"}).status_code == 404
        locked = api.client.post("/", data={"ticket": TICKET, "code": code})
        assert locked.status_code == 429 and 'data-error="locked_out"' in locked.text
        assert int(locked.headers["Retry-After"]) > 0 and "分钟后再试" in locked.text


def test_ticket_links_prefill_the_number_only(api: Api) -> None:
    assert f'value="{TICKET}"' in api.client.get(f"/t/{TICKET}").text
    assert 'value=""' in api.client.get("/t/not%20a%20ticket").text


def test_the_trust_file_is_the_pages_configuration(make_api: Callable[..., AbstractContextManager[Api]]) -> None:
    with make_api() as api:
        assert api.client.get("/trust.json").status_code == 404  # no chain configured
    contract = "0x" + "Ab" * 20
    with make_api(chain_id=1337, contract_address=contract, rpc_urls=["http://127.0.0.1:1"]) as api:
        trust = parse_trust(api.client.get("/trust.json").content)
        assert trust.chain.chain_id == 1337 and trust.chain.contract == contract.lower()
        assert trust.verifier_keys[0].vkey == api.services.ledger.signer.vkey
        page = api.client.get("/")
        assert "connect-src 'self' http://127.0.0.1:1" in page.headers["content-security-policy"]
    with make_api(
        chain_id=1337, contract_address=contract, rpc_urls=["http://a:1"], public_rpc_url="https://rpc.x"
    ) as api:
        assert '"rpc_url": "https://rpc.x"' in api.client.get("/").text
