"""The bundled policies: strict loading, and the baseline's fidelity to DOMAIN.md and the 2026 notice."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from ledger.policies import MAX_POLICY_FILE_BYTES, bundled_policies, load_policy
from verifier.errors import FormatError
from verifier.policy import Policy, policy_id

POLICY_DIR = Path(__file__).resolve().parents[2] / "ledger" / "policies"
BASELINE_FILE = POLICY_DIR / "cn-baseline.json"

#: Pinned: a change to cn-baseline.json must be a new version (file), never an edit, because
#: entries already in logs name this id.
BASELINE_ID = "cn-baseline@52156614df45"


@pytest.fixture(scope="module")
def baseline() -> Policy:
    return load_policy("cn-baseline")


# --- loading --------------------------------------------------------------------------------


def test_bundled_policies() -> None:
    assert "cn-baseline" in bundled_policies()
    assert bundled_policies() == sorted(bundled_policies())


def test_baseline_id_is_stable(baseline: Policy) -> None:
    assert baseline.id == BASELINE_ID
    assert policy_id(baseline.document) == BASELINE_ID
    assert load_policy("cn-baseline").id == BASELINE_ID


@pytest.mark.parametrize("how", [str, Path])
def test_load_by_path(how: type, baseline: Policy) -> None:
    assert load_policy(how(BASELINE_FILE)) == baseline


def test_every_bundled_policy_loads() -> None:
    for name in bundled_policies():
        assert load_policy(name).name == name


def test_unknown_bundled_name() -> None:
    with pytest.raises(FileNotFoundError, match=r"no bundled policy 'cn-nowhere'.*cn-baseline"):
        load_policy("cn-nowhere")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_policy(tmp_path / "absent.json")
    with pytest.raises(FileNotFoundError):
        load_policy(str(tmp_path / "absent"))


def test_a_json_suffix_means_a_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError):
        load_policy("cn-baseline.json")
    (tmp_path / "cn-baseline.json").write_bytes(BASELINE_FILE.read_bytes())
    assert load_policy("cn-baseline.json").id == BASELINE_ID


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "city.json"
    path.write_bytes(data)
    return path


STRICT_JSON_CASES = {
    "duplicate key": (b'{"name": "a", "name": "b"}', "duplicate object key 'name'"),
    "nested duplicate key": (b'{"states": {"x": {"zh": "a", "zh": "b"}}}', "duplicate object key 'zh'"),
    "float": (b'{"max_anchor_lag": 1.5}', "number 1.5 is not an integer"),
    "exponent": (b'{"workdays": [1e0]}', "1e0 is not an integer"),
    "NaN": (b'{"x": NaN}', "NaN is not a JSON value"),
    "Infinity": (b'{"x": -Infinity}', "-Infinity is not a JSON value"),
    "not UTF-8": (b'{"name": "\xff"}', "not valid UTF-8 at byte 10"),
    "truncated": (b'{"name": ', "not valid JSON"),
    "trailing comma": (b'{"name": "a",}', "not valid JSON"),
    "huge integer": (b'{"x": ' + b"9" * 5000 + b"}", "not valid JSON"),
    "array": (b"[]", "a policy is a JSON object"),
    "string": (b'"cn-baseline"', "a policy is a JSON object"),
}


@pytest.mark.parametrize("case", list(STRICT_JSON_CASES))
def test_strict_json(case: str, tmp_path: Path) -> None:
    data, reason = STRICT_JSON_CASES[case]
    path = _write(tmp_path, data)
    with pytest.raises(FormatError) as caught:
        load_policy(path)
    assert caught.value.message.startswith(f"{path}: "), caught.value.message
    assert reason in caught.value.message
    assert caught.value.evidence["file"] == str(path)


def test_invalid_policy_names_file_and_path(tmp_path: Path) -> None:
    text = BASELINE_FILE.read_text(encoding="utf-8").replace('"pending_dispatch", "rework"', '"dispached", "rework"')
    path = _write(tmp_path, text.encode("utf-8"))
    with pytest.raises(FormatError) as caught:
        load_policy(path)
    assert caught.value.message == f"{path}: events[3].from[0]: unknown state 'dispached'"
    assert caught.value.evidence == {"file": str(path), "path": "events[3].from[0]"}


def test_oversized_file(tmp_path: Path) -> None:
    path = _write(tmp_path, b" " * (MAX_POLICY_FILE_BYTES + 1))
    with pytest.raises(FormatError, match="larger than"):
        load_policy(path)


def test_does_not_import_sqlalchemy() -> None:
    code = "import sys, ledger.policies; sys.exit('sqlalchemy' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# --- the baseline against DOMAIN.md ----------------------------------------------------------

#: The baseline state machine of ../shared/DOMAIN.md, edge for edge.
DOMAIN_EDGES = {
    "registered": {"resolved_direct", "pending_dispatch", "merged", "rejected_invalid", "withdrawn"},
    "resolved_direct": {"pending_visit", "closed"},
    "pending_dispatch": {"dispatched", "resolved_direct", "merged", "rejected_invalid"},
    "dispatched": {"accepted", "return_requested", "pending_dispatch"},
    "return_requested": {"pending_dispatch", "accepted"},
    "accepted": {"sub_dispatched", "extension_requested", "replied", "return_requested"},
    "sub_dispatched": {"accepted"},
    "extension_requested": {"accepted"},
    "replied": {"pending_visit", "rework", "closed"},
    "pending_visit": {"closed", "rework", "visit_failed"},
    "visit_failed": {"pending_visit", "closed"},
    "rework": {"dispatched"},
    "closed": {"archived", "reopened"},
    "reopened": {"dispatched"},
    "merged": {"archived"},
    "rejected_invalid": {"archived"},
    "withdrawn": {"archived"},
    "archived": set(),
}
DOMAIN_EVENTS = [
    "register", "resolve_direct", "submit_for_dispatch", "dispatch", "recall", "request_return",
    "approve_return", "refuse_return", "accept", "sub_dispatch", "sub_reply", "request_extension",
    "approve_extension", "refuse_extension", "reply", "approve_reply", "reject_reply", "close", "visit_ok",
    "visit_dissatisfied", "visit_failed", "retry_visit", "merge", "reject_invalid", "withdraw", "archive",
    "reopen",
]  # fmt: skip
DOMAIN_OVERLAYS = {"urge", "supervise", "overdue", "evaluate", "appeal", "erase", "note"}


def test_baseline_states_are_domain_states(baseline: Policy) -> None:
    assert set(baseline.states) == set(DOMAIN_EDGES)
    assert [code for code, state in baseline.states.items() if state.terminal] == ["archived"]


def test_baseline_edges_are_exactly_domain_edges(baseline: Policy) -> None:
    edges: dict[str, set[str]] = {state: set() for state in baseline.states}
    for event in baseline.events.values():
        for state in event.from_states:
            edges[state].add(event.to)
    assert edges == DOMAIN_EDGES


def test_baseline_event_names_are_exactly_domain_names(baseline: Policy) -> None:
    assert sorted(baseline.events) == sorted(DOMAIN_EVENTS)
    assert set(baseline.overlays) == DOMAIN_OVERLAYS
    assert baseline.opening_event.name == "register" and baseline.opening_event.to == "registered"


@pytest.mark.parametrize(
    ("event", "frm", "to"),
    [
        ("approve_reply", "resolved_direct", "pending_visit"),
        ("dispatch", "rework", "dispatched"),
        ("dispatch", "reopened", "dispatched"),
        ("close", "replied", "closed"),
        ("close", "resolved_direct", "closed"),
        ("close", "visit_failed", "closed"),
        ("visit_ok", "pending_visit", "closed"),
        ("visit_dissatisfied", "pending_visit", "rework"),
        ("reject_reply", "replied", "rework"),
        ("recall", "dispatched", "pending_dispatch"),
        ("refuse_return", "return_requested", "accepted"),
    ],
)
def test_baseline_edge_choices(event: str, frm: str, to: str, baseline: Policy) -> None:
    assert frm in baseline.events[event].from_states and baseline.events[event].to == to


def test_baseline_roles(baseline: Policy) -> None:
    roles = {role for e in baseline.events.values() for role in e.roles}
    roles |= {role for o in baseline.overlays.values() for role in o.roles}
    assert roles == {"agent", "dispatcher", "reviewer", "unit", "callback", "system"}
    assert baseline.events["accept"].roles == ("unit",)
    assert baseline.events["archive"].roles == ("system",)
    assert baseline.overlays["erase"].roles == ("system",)


def _span(first: str, last: str) -> list[str]:
    day, end = date.fromisoformat(first), date.fromisoformat(last)
    days = []
    while day <= end:
        days.append(day.isoformat())
        day += timedelta(days=1)
    return days


def test_baseline_calendar_is_the_2026_notice(baseline: Policy) -> None:
    # 国办发明电〔2025〕7号.
    holidays = (
        _span("2026-01-01", "2026-01-03")
        + _span("2026-02-15", "2026-02-23")
        + _span("2026-04-04", "2026-04-06")
        + _span("2026-05-01", "2026-05-05")
        + _span("2026-06-19", "2026-06-21")
        + _span("2026-09-25", "2026-09-27")
        + _span("2026-10-01", "2026-10-07")
    )
    calendar = baseline.document["calendar"]
    assert calendar["timezone"] == "Asia/Shanghai"
    assert calendar["workdays"] == [1, 2, 3, 4, 5]
    assert calendar["holidays"] == holidays
    assert calendar["extra_workdays"] == [
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    ]
    assert baseline.calendar.is_workday(date(2026, 2, 14))
    assert not any(baseline.calendar.is_workday(date(2026, 5, d)) for d in range(1, 6))


def test_baseline_limits_follow_the_rules(baseline: Policy) -> None:
    def within(frm: str, until: str, category: str | None, urgency: str | None) -> str:
        limit = baseline.limit_for(frm, until, category, urgency)
        assert limit is not None
        return str(limit.within)

    # Tianjin: sign for in 15 min at risk, 30 min utilities, else 1 working day.
    assert within("dispatched", "accepted", "help", "critical") == "15m"
    assert within("dispatched", "accepted", "utilities", "normal") == "30m"
    assert within("dispatched", "accepted", "consult", "normal") == "1wd"
    # Shandong 5 wd; Guangdong 2/10/15 wd by request type; Beijing utilities 24 h, emergencies 2 h.
    assert within("dispatched", "replied", "praise", "normal") == "5wd"
    assert [within("dispatched", "replied", c, "normal") for c in ("consult", "help", "suggestion")] == [
        "2wd",
        "10wd",
        "10wd",
    ]
    assert [within("dispatched", "replied", c, "urgent") for c in ("complaint", "report")] == ["15wd", "15wd"]
    assert within("dispatched", "replied", "utilities", "normal") == "24h"
    assert within("dispatched", "replied", "complaint", "critical") == "2h"
    # Shandong: return a wrong dispatch within 2 wd; extension at most 10 wd.
    assert within("dispatched", "return_requested", None, None) == "2wd"
    assert within("extension_requested", "replied", None, None) == "10wd"
    assert baseline.max_anchor_lag == timedelta(minutes=5)
