"""Workflow policies: parsing with precise refusals, ids, the V8 transition check, limits."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import rfc8785

from verifier.errors import FormatError, PolicyViolation
from verifier.limits import MAX_POLICY_BYTES
from verifier.policy import Policy, can_still_reach, check_transition, parse_policy, policy_id

BASELINE_FILE = Path(__file__).resolve().parents[2] / "ledger" / "policies" / "cn-baseline.json"
BASELINE_DOC: dict[str, Any] = json.loads(BASELINE_FILE.read_text(encoding="utf-8"))
BASELINE = parse_policy(BASELINE_DOC)

STATES = sorted(BASELINE.states)
ROLES = sorted({role for e in BASELINE.events.values() for role in e.roles} | {"citizen", "auditor"})
EVENTS = sorted(BASELINE.events)
OVERLAYS = sorted(BASELINE.overlays)


def doc() -> dict[str, Any]:
    return copy.deepcopy(BASELINE_DOC)


# --- parsing and ids ------------------------------------------------------------------------


def test_baseline_parses() -> None:
    assert BASELINE.name == "cn-baseline"
    assert BASELINE.opening_event.name == "register"
    assert BASELINE.states["archived"].terminal
    assert BASELINE.states["dispatched"].zh == "已派单待签收"
    assert BASELINE.max_anchor_lag.total_seconds() == 300
    assert BASELINE.is_overlay("urge") and not BASELINE.is_overlay("accept")


def test_id_is_name_and_sha256_prefix_of_jcs_bytes() -> None:
    # rfc8785 is an independent JCS implementation: an oracle for canonical_bytes.
    digest = hashlib.sha256(rfc8785.dumps(BASELINE_DOC)).hexdigest()
    assert BASELINE.sha256 == digest
    assert BASELINE.id == f"cn-baseline@{digest[:12]}"
    assert policy_id(BASELINE_DOC) == BASELINE.id
    assert parse_policy(doc()).id == BASELINE.id


def test_id_ignores_key_order_and_whitespace() -> None:
    reordered = dict(reversed(list(doc().items())))
    reordered["states"] = dict(reversed(list(reordered["states"].items())))
    assert parse_policy(reordered).id == BASELINE.id


def test_any_change_changes_the_id() -> None:
    changed = doc()
    changed["events"][5]["roles"].append("agent")
    assert parse_policy(changed).id != BASELINE.id
    assert parse_policy(changed) != BASELINE
    assert parse_policy(doc()) == BASELINE and hash(parse_policy(doc())) == hash(BASELINE)


def test_policy_keeps_its_own_copy_of_the_document() -> None:
    mine = doc()
    policy = parse_policy(mine)
    mine["events"][0]["roles"].append("citizen")
    assert "citizen" not in policy.document["events"][0]["roles"]
    assert policy_id(policy.document) == policy.id


def test_policy_id_refuses_what_it_cannot_hash() -> None:
    with pytest.raises(FormatError, match="name"):
        policy_id({"version": "1"})
    with pytest.raises(FormatError, match="float"):
        policy_id({"name": "x", "n": 1.5})


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A mutation that sets ``value`` at a dotted path (integers index arrays)."""

    def mutate(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = document
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[int(last) if isinstance(node, list) else last] = value

    return mutate


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def mutate(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = document
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        del node[last]

    return mutate


def _oversize(document: dict[str, Any]) -> None:
    document["limits"] += [
        {"from_state": "dispatched", "until_state": "accepted", "category": f"c{i}", "urgency": "*", "within": "1wd"}
        for i in range(3000)
    ]


# (mutation, expected message start). The message begins with the JSON path of the fault.
MALFORMED: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "missing name": (_delete("name"), "name: missing field"),
    "missing limits": (_delete("limits"), "limits: missing field"),
    "unknown field": (_set("notes", "x"), "notes: unknown field"),
    "odd unknown field": (_set("a b", "x"), "['a b']: unknown field"),
    "name not a string": (_set("name", 5), "name: expected a string, got an integer (5)"),
    "name with @": (_set("name", "cn@x"), "name: bad value 'cn@x'"),
    "empty version": (_set("version", ""), "version: must not be empty"),
    "calendar not object": (_set("calendar", []), "calendar: expected an object, got an array"),
    "calendar unknown field": (_set("calendar.weekends", [6, 7]), "calendar.weekends: unknown field"),
    "calendar missing holidays": (_delete("calendar.holidays"), "calendar.holidays: missing field"),
    "unknown time zone": (_set("calendar.timezone", "Mars/Olympus"), "calendar.timezone: unknown IANA time zone"),
    "time zone directory": (_set("calendar.timezone", "Asia"), "calendar.timezone: unknown IANA time zone"),
    "time zone path": (_set("calendar.timezone", "/etc/localtime"), "calendar.timezone: bad value"),
    "time zone dotdot": (_set("calendar.timezone", "Asia/../Asia/Shanghai"), "calendar.timezone: bad value"),
    "time zone number": (_set("calendar.timezone", 8), "calendar.timezone: expected a string"),
    "no workdays": (_set("calendar.workdays", []), "calendar.workdays: must not be empty"),
    "weekday 8": (_set("calendar.workdays", [1, 8]), "calendar.workdays[1]: expected an ISO weekday 1..7"),
    "weekday 0": (_set("calendar.workdays", [0]), "calendar.workdays[0]: expected an ISO weekday"),
    "weekday bool": (_set("calendar.workdays", [1, True]), "calendar.workdays[1]: expected an ISO weekday"),
    "weekday float": (
        _set("calendar.workdays", [1.0]),
        "calendar.workdays[0]: expected an ISO weekday 1..7 (Monday = 1), got a float",
    ),
    "weekday string": (_set("calendar.workdays", ["1"]), "calendar.workdays[0]: expected an ISO weekday"),
    "duplicate weekday": (_set("calendar.workdays", [1, 2, 1]), "calendar.workdays[2]: duplicate weekday 1"),
    "workdays not array": (_set("calendar.workdays", "12345"), "calendar.workdays: expected an array"),
    "month 13": (_set("calendar.holidays.0", "2026-13-01"), "calendar.holidays[0]: expected an ISO date"),
    "basic date": (_set("calendar.holidays.0", "20260101"), "calendar.holidays[0]: expected an ISO date"),
    "short date": (_set("calendar.holidays.1", "2026-1-2"), "calendar.holidays[1]: expected an ISO date"),
    "datetime": (_set("calendar.holidays.0", "2026-01-01T00:00"), "calendar.holidays[0]: expected an ISO date"),
    "date as number": (_set("calendar.holidays.2", 20260103), "calendar.holidays[2]: expected a string"),
    "duplicate holiday": (_set("calendar.holidays.1", "2026-01-01"), "calendar.holidays[1]: duplicate date 2026-01-01"),
    "holiday and workday": (
        _set("calendar.extra_workdays.0", "2026-01-02"),
        "calendar.extra_workdays[0]: 2026-01-02 is also listed at calendar.holidays[1]",
    ),
    "bad extra workday": (
        _set("calendar.extra_workdays.5", "2026-02-30"),
        "calendar.extra_workdays[5]: expected an ISO date",
    ),
    "no states": (_set("states", {}), "states: a policy needs at least one state"),
    "states array": (_set("states", []), "states: expected an object, got an array"),
    "state code caps": (
        _set("states.Closed", {"zh": "x", "en": "x", "terminal": False}),
        "states.Closed: bad state code",
    ),
    "state code space": (
        _set("states.a b", {"zh": "x", "en": "x", "terminal": False}),
        "states['a b']: bad state code",
    ),
    "terminal not bool": (_set("states.archived.terminal", "yes"), "states.archived.terminal: expected true or false"),
    "terminal as 1": (_set("states.archived.terminal", 1), "states.archived.terminal: expected true or false"),
    "state missing zh": (_delete("states.registered.zh"), "states.registered.zh: missing field"),
    "state unknown field": (_set("states.registered.color", "red"), "states.registered.color: unknown field"),
    "state zh null": (_set("states.registered.zh", None), "states.registered.zh: expected a string, got null"),
    "lone surrogate": (_set("states.registered.zh", "受\ud800"), "states.registered.zh: holds a lone surrogate"),
    "long string": (_set("states.registered.en", "x" * 4097), "states.registered.en: longer than 4096"),
    "no events": (_set("events", []), "events: must not be empty"),
    "events object": (_set("events", {}), "events: expected an array, got an object"),
    "event not object": (_set("events.2", "accept"), "events[2]: expected an object, got a string"),
    "misspelt from state": (_set("events.3.from.0", "dispached"), "events[3].from[0]: unknown state 'dispached'"),
    "unknown to state": (_set("events.5.to", "signed"), "events[5].to: unknown state 'signed'"),
    "duplicate event": (_set("events.6.name", "accept"), "events[6].name: duplicate event 'accept' (also events[5])"),
    "second opening event": (
        _set("events.1.from", []),
        "events[1].from: a second opening event 'resolve_direct' (the first is events[0] 'register')",
    ),
    "no opening event": (_set("events.0.from", ["closed"]), "events: no opening event"),
    "from terminal": (_set("events.5.from", ["archived"]), "events[5].from[0]: state 'archived' is terminal"),
    "duplicate from": (_set("events.3.from", ["rework", "rework"]), "events[3].from[1]: duplicate state 'rework'"),
    "from not array": (_set("events.5.from", "dispatched"), "events[5].from: expected an array, got a string"),
    "from null": (_set("events.0.from", None), "events[0].from: expected an array, got null"),
    "empty roles": (_set("events.0.roles", []), "events[0].roles: must not be empty"),
    "empty role": (_set("events.0.roles", [""]), "events[0].roles[0]: must not be empty"),
    "role not string": (_set("events.4.roles", ["dispatcher", 7]), "events[4].roles[1]: expected a string"),
    "duplicate role": (_set("events.0.roles", ["agent", "agent"]), "events[0].roles[1]: duplicate role 'agent'"),
    "roles string": (_set("events.0.roles", "agent"), "events[0].roles: expected an array, got a string"),
    "event missing to": (_delete("events.2.to"), "events[2].to: missing field"),
    "event unknown field": (_set("events.2.notes", "x"), "events[2].notes: unknown field"),
    "event bad name": (_set("events.5.name", "Accept"), "events[5].name: bad value 'Accept'"),
    "overlay clashes with event": (_set("overlays.0.name", "accept"), "overlays[0].name: overlay 'accept' clashes"),
    "duplicate overlay": (
        _set("overlays.1.name", "urge"),
        "overlays[1].name: duplicate overlay 'urge' (also overlays[0])",
    ),
    "overlay empty roles": (_set("overlays.0.roles", []), "overlays[0].roles: must not be empty"),
    "overlay missing roles": (_delete("overlays.3.roles"), "overlays[3].roles: missing field"),
    "overlay with states": (_set("overlays.0.to", "closed"), "overlays[0].to: unknown field"),
    "overlays object": (_set("overlays", {}), "overlays: expected an array, got an object"),
    "limit unknown from": (_set("limits.0.from_state", "signed"), "limits[0].from_state: unknown state 'signed'"),
    "limit unknown until": (_set("limits.2.until_state", "done"), "limits[2].until_state: unknown state 'done'"),
    "limit same states": (_set("limits.0.until_state", "dispatched"), "limits[0].until_state: same as from_state"),
    "limit days": (_set("limits.0.within", "5d"), "limits[0].within: bad duration '5d'"),
    "limit zero": (_set("limits.0.within", "0wd"), "limits[0].within: bad duration '0wd'"),
    "limit number": (_set("limits.0.within", 5), "limits[0].within: expected a string"),
    "limit fraction": (_set("limits.0.within", "1.5h"), "limits[0].within: bad duration"),
    "limit empty category": (_set("limits.3.category", ""), "limits[3].category: must not be empty"),
    "limit missing urgency": (_delete("limits.1.urgency"), "limits[1].urgency: missing field"),
    "duplicate limit": (_set("limits.1.category", "*"), "limits[1]: duplicate limit for dispatched → accepted, */*"),
    "lag in working days": (_set("max_anchor_lag", "1wd"), "max_anchor_lag: must be in minutes or hours"),
    "lag prose": (_set("max_anchor_lag", "soon"), "max_anchor_lag: bad duration 'soon'"),
    "too large": (_oversize, "$: policy is "),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_policy_is_refused_with_its_path(case: str) -> None:
    mutate, expected = MALFORMED[case]
    document = doc()
    mutate(document)
    with pytest.raises(FormatError) as caught:
        parse_policy(document)
    assert caught.value.message.startswith(expected), caught.value.message
    assert caught.value.evidence["path"] == expected.split(": ")[0]
    assert caught.value.step == "V1"


def test_oversize_names_the_limit() -> None:
    document = doc()
    _oversize(document)
    with pytest.raises(FormatError, match=f"over the limit of {MAX_POLICY_BYTES}"):
        parse_policy(document)


@pytest.mark.parametrize("value", [[], "policy", None, 5])
def test_document_must_be_an_object(value: Any) -> None:
    with pytest.raises(FormatError, match=r"^\$: expected an object"):
        parse_policy(value)


def test_non_string_key_is_refused() -> None:
    document: dict[Any, Any] = doc()
    document[1] = "x"
    with pytest.raises(FormatError, match=r"^\$: object key 1 is not a string"):
        parse_policy(document)


def test_minimal_policy_and_overlays_may_be_empty() -> None:
    minimal = {
        "name": "tiny",
        "version": "1",
        "calendar": {"timezone": "UTC", "workdays": [1], "holidays": [], "extra_workdays": []},
        "states": {"open": {"zh": "开", "en": "open", "terminal": True}},
        "events": [{"name": "open", "from": [], "to": "open", "roles": ["anyone"]}],
        "overlays": [],
        "limits": [],
        "max_anchor_lag": "1h",
    }
    policy = parse_policy(minimal)
    assert policy.id.startswith("tiny@")
    check_transition(policy, current_state=None, event="open", from_state=None, to_state="open", role="anyone")


# --- the V8 transition check: lifecycles that must pass --------------------------------------

Step = tuple[str, str, str | None]  # event, role, to-state (None: an overlay keeps the state)

LIFECYCLES: dict[str, list[Step]] = {
    "closed loop": [
        ("register", "agent", "registered"),
        ("submit_for_dispatch", "agent", "pending_dispatch"),
        ("dispatch", "dispatcher", "dispatched"),
        ("accept", "unit", "accepted"),
        ("reply", "unit", "replied"),
        ("approve_reply", "reviewer", "pending_visit"),
        ("visit_ok", "callback", "closed"),
        ("evaluate", "callback", None),
        ("archive", "system", "archived"),
    ],
    "overlays along the way": [
        ("register", "system", "registered"),
        ("note", "agent", None),
        ("submit_for_dispatch", "agent", "pending_dispatch"),
        ("dispatch", "dispatcher", "dispatched"),
        ("overdue", "system", None),
        ("urge", "dispatcher", None),
        ("accept", "unit", "accepted"),
        ("supervise", "reviewer", None),
        ("urge", "system", None),
        ("reply", "unit", "replied"),
        ("approve_reply", "reviewer", "pending_visit"),
        ("visit_ok", "callback", "closed"),
        ("evaluate", "system", None),
        ("appeal", "unit", None),
        ("archive", "system", "archived"),
        ("erase", "system", None),
        ("note", "reviewer", None),
    ],
    "returns and recall": [
        ("register", "agent", "registered"),
        ("submit_for_dispatch", "agent", "pending_dispatch"),
        ("dispatch", "dispatcher", "dispatched"),
        ("recall", "dispatcher", "pending_dispatch"),
        ("dispatch", "dispatcher", "dispatched"),
        ("request_return", "unit", "return_requested"),
        ("approve_return", "reviewer", "pending_dispatch"),
        ("dispatch", "dispatcher", "dispatched"),
        ("accept", "unit", "accepted"),
        ("request_return", "unit", "return_requested"),
        ("refuse_return", "reviewer", "accepted"),
        ("reply", "unit", "replied"),
        ("close", "reviewer", "closed"),
        ("archive", "system", "archived"),
    ],
    "extensions and sub-dispatch": [
        ("register", "agent", "registered"),
        ("submit_for_dispatch", "agent", "pending_dispatch"),
        ("dispatch", "dispatcher", "dispatched"),
        ("accept", "unit", "accepted"),
        ("sub_dispatch", "unit", "sub_dispatched"),
        ("urge", "reviewer", None),
        ("sub_reply", "unit", "accepted"),
        ("request_extension", "unit", "extension_requested"),
        ("refuse_extension", "reviewer", "accepted"),
        ("request_extension", "unit", "extension_requested"),
        ("approve_extension", "reviewer", "accepted"),
        ("reply", "unit", "replied"),
        ("approve_reply", "reviewer", "pending_visit"),
        ("visit_ok", "callback", "closed"),
        ("archive", "system", "archived"),
    ],
    "rework after dissatisfaction": [
        ("register", "agent", "registered"),
        ("submit_for_dispatch", "agent", "pending_dispatch"),
        ("dispatch", "dispatcher", "dispatched"),
        ("accept", "unit", "accepted"),
        ("reply", "unit", "replied"),
        ("reject_reply", "reviewer", "rework"),
        ("dispatch", "dispatcher", "dispatched"),
        ("accept", "unit", "accepted"),
        ("reply", "unit", "replied"),
        ("approve_reply", "reviewer", "pending_visit"),
        ("evaluate", "callback", None),
        ("visit_dissatisfied", "callback", "rework"),
        ("dispatch", "dispatcher", "dispatched"),
        ("accept", "unit", "accepted"),
        ("reply", "unit", "replied"),
        ("approve_reply", "reviewer", "pending_visit"),
        ("visit_ok", "callback", "closed"),
        ("archive", "system", "archived"),
    ],
    "reopen": [
        ("register", "agent", "registered"),
        ("submit_for_dispatch", "agent", "pending_dispatch"),
        ("dispatch", "dispatcher", "dispatched"),
        ("accept", "unit", "accepted"),
        ("reply", "unit", "replied"),
        ("approve_reply", "reviewer", "pending_visit"),
        ("visit_ok", "callback", "closed"),
        ("reopen", "reviewer", "reopened"),
        ("dispatch", "dispatcher", "dispatched"),
        ("accept", "unit", "accepted"),
        ("reply", "unit", "replied"),
        ("approve_reply", "reviewer", "pending_visit"),
        ("visit_ok", "callback", "closed"),
        ("archive", "system", "archived"),
    ],
    "direct resolution, failed callbacks": [
        ("register", "agent", "registered"),
        ("resolve_direct", "agent", "resolved_direct"),
        ("approve_reply", "agent", "pending_visit"),
        ("visit_failed", "callback", "visit_failed"),
        ("retry_visit", "callback", "pending_visit"),
        ("visit_failed", "callback", "visit_failed"),
        ("close", "callback", "closed"),
        ("archive", "system", "archived"),
    ],
    "direct resolution closed at once": [
        ("register", "agent", "registered"),
        ("submit_for_dispatch", "agent", "pending_dispatch"),
        ("resolve_direct", "dispatcher", "resolved_direct"),
        ("close", "agent", "closed"),
        ("archive", "system", "archived"),
    ],
    "merged at registration": [
        ("register", "agent", "registered"),
        ("merge", "agent", "merged"),
        ("archive", "system", "archived"),
    ],
    "merged at pre-review": [
        ("register", "agent", "registered"),
        ("submit_for_dispatch", "agent", "pending_dispatch"),
        ("merge", "dispatcher", "merged"),
        ("archive", "system", "archived"),
    ],
    "withdrawn": [
        ("register", "agent", "registered"),
        ("urge", "agent", None),
        ("withdraw", "agent", "withdrawn"),
        ("archive", "system", "archived"),
    ],
    "invalid at registration": [
        ("register", "agent", "registered"),
        ("reject_invalid", "agent", "rejected_invalid"),
        ("archive", "system", "archived"),
    ],
    "invalid at pre-review": [
        ("register", "agent", "registered"),
        ("submit_for_dispatch", "agent", "pending_dispatch"),
        ("reject_invalid", "reviewer", "rejected_invalid"),
        ("archive", "system", "archived"),
    ],
}


def walk(policy: Policy, steps: list[Step]) -> list[tuple[str | None, str, str]]:
    """Check every step in order; return the edges taken (from, event, to)."""
    state: str | None = None
    taken = []
    for event, role, to in steps:
        target = state if to is None else to
        assert target is not None
        check_transition(policy, current_state=state, event=event, from_state=state, to_state=target, role=role)
        taken.append((state, event, target))
        state = target
    return taken


@pytest.mark.parametrize("name", list(LIFECYCLES))
def test_lifecycle_passes(name: str) -> None:
    walk(BASELINE, LIFECYCLES[name])


def test_lifecycles_cover_every_edge_and_overlay() -> None:
    taken = {edge for steps in LIFECYCLES.values() for edge in walk(BASELINE, steps)}
    edges = {
        (None if not e.from_states else s, e.name, e.to)
        for e in BASELINE.events.values()
        for s in e.from_states or (None,)
    }
    assert edges <= taken
    assert {event for _, event, _ in taken} >= set(OVERLAYS)


def test_allowed_events() -> None:
    assert BASELINE.allowed_events(None) == ["register"]
    assert sorted(BASELINE.allowed_events("dispatched")) == ["accept", "recall", "request_return"]
    assert BASELINE.allowed_events("archived") == []


# --- the V8 transition check: everything else is refused -------------------------------------


def _refused(**transition: Any) -> PolicyViolation:
    with pytest.raises(PolicyViolation) as caught:
        check_transition(BASELINE, **transition)
    assert caught.value.step == "V8"
    return caught.value


WRONG_FROM = [(e, s) for e in EVENTS for s in STATES if s not in BASELINE.events[e].from_states]


@pytest.mark.parametrize(("event", "state"), WRONG_FROM)
def test_event_from_a_state_it_does_not_leave(event: str, state: str) -> None:
    spec = BASELINE.events[event]
    role = spec.roles[0]
    error = _refused(current_state=state, event=event, from_state=state, to_state=spec.to, role=role)
    assert error.evidence["event"] == event and error.evidence["state"] == state and error.evidence["role"] == role
    assert repr(event) in error.message and repr(state) in error.message
    if not spec.opens:
        assert error.evidence["allowed_from"] == list(spec.from_states)


WRONG_ROLE = [(e, r) for e in EVENTS for r in ROLES if r not in BASELINE.events[e].roles]


@pytest.mark.parametrize(("event", "role"), WRONG_ROLE)
def test_event_by_a_role_not_allowed(event: str, role: str) -> None:
    spec = BASELINE.events[event]
    state = spec.from_states[0] if spec.from_states else None
    error = _refused(current_state=state, event=event, from_state=state, to_state=spec.to, role=role)
    assert error.evidence["allowed_roles"] == list(spec.roles)
    assert error.evidence["role"] == role and error.evidence["event"] == event and error.evidence["state"] == state
    assert repr(role) in error.message and repr(event) in error.message


WRONG_TO = [(e, s) for e in EVENTS for s in STATES if s != BASELINE.events[e].to]


@pytest.mark.parametrize(("event", "to_state"), WRONG_TO)
def test_event_to_a_state_it_does_not_lead_to(event: str, to_state: str) -> None:
    spec = BASELINE.events[event]
    state = spec.from_states[0] if spec.from_states else None
    error = _refused(current_state=state, event=event, from_state=state, to_state=to_state, role=spec.roles[0])
    assert error.evidence["expected_to"] == spec.to


@pytest.mark.parametrize("event", [e for e in EVENTS if e != "register"])
def test_event_on_a_ticket_that_does_not_exist(event: str) -> None:
    spec = BASELINE.events[event]
    error = _refused(current_state=None, event=event, from_state=None, to_state=spec.to, role=spec.roles[0])
    assert error.evidence["state"] is None
    assert "register" in error.message


@pytest.mark.parametrize("state", STATES)
def test_register_on_an_existing_ticket(state: str) -> None:
    error = _refused(current_state=state, event="register", from_state=None, to_state="registered", role="agent")
    assert error.evidence["state"] == state


def test_register_with_a_from_state() -> None:
    _refused(current_state=None, event="register", from_state="registered", to_state="registered", role="agent")


@pytest.mark.parametrize("claimed", [s for s in STATES if s != "dispatched"])
def test_from_state_must_be_the_current_state(claimed: str) -> None:
    # The claimed from-state would allow 'accept' only if it were the ticket's state.
    error = _refused(
        current_state="registered", event="accept", from_state="dispatched", to_state="accepted", role="unit"
    )
    assert error.evidence["from_state"] == "dispatched" and error.evidence["state"] == "registered"
    error = _refused(current_state="dispatched", event="accept", from_state=claimed, to_state="accepted", role="unit")
    assert error.evidence["from_state"] == claimed


@pytest.mark.parametrize("event", ["sign", "Accept", "", "dispached", "v1", "overlay"])
def test_unknown_event(event: str) -> None:
    error = _refused(current_state="dispatched", event=event, from_state="dispatched", to_state="accepted", role="unit")
    assert error.evidence["policy"] == BASELINE.id
    assert f"unknown event {event!r}" in error.message


@pytest.mark.parametrize(("overlay", "state"), [(o, s) for o in OVERLAYS for s in STATES])
def test_overlay_allowed_in_every_state(overlay: str, state: str) -> None:
    role = BASELINE.overlays[overlay].roles[0]
    check_transition(BASELINE, current_state=state, event=overlay, from_state=state, to_state=state, role=role)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_refusals(overlay: str) -> None:
    role = BASELINE.overlays[overlay].roles[0]
    _refused(current_state=None, event=overlay, from_state=None, to_state="registered", role=role)
    moved = _refused(current_state="accepted", event=overlay, from_state="accepted", to_state="replied", role=role)
    assert moved.evidence["to_state"] == "replied"
    _refused(current_state="accepted", event=overlay, from_state="dispatched", to_state="dispatched", role=role)
    for wrong in ROLES:
        if wrong not in BASELINE.overlays[overlay].roles:
            error = _refused(
                current_state="accepted", event=overlay, from_state="accepted", to_state="accepted", role=wrong
            )
            assert error.evidence["allowed_roles"] == list(BASELINE.overlays[overlay].roles)


def test_violation_diagnostics_name_event_state_and_role() -> None:
    error = _refused(
        current_state="dispatched", event="accept", from_state="dispatched", to_state="accepted", role="agent"
    )
    text = error.diagnostics()
    assert "event: accept" in text and "state: dispatched" in text and "role: agent" in text
    assert "allowed_roles: ['unit']" in text


# --- limits ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("until", "category", "urgency", "within"),
    [
        ("accepted", "complaint", "normal", "1wd"),
        ("accepted", None, None, "1wd"),
        ("accepted", "utilities", "normal", "30m"),
        ("accepted", "complaint", "critical", "15m"),
        ("accepted", "utilities", "critical", "15m"),  # exact urgency outranks exact category
        ("replied", "praise", "normal", "5wd"),
        ("replied", None, "urgent", "5wd"),
        ("replied", "consult", "normal", "2wd"),
        ("replied", "help", "urgent", "10wd"),
        ("replied", "suggestion", "normal", "10wd"),
        ("replied", "complaint", "normal", "15wd"),
        ("replied", "report", "normal", "15wd"),
        ("replied", "utilities", "normal", "24h"),
        ("replied", "complaint", "critical", "2h"),
        ("return_requested", "complaint", "critical", "2wd"),
    ],
)
def test_limit_for_picks_the_most_specific(until: str, category: str | None, urgency: str | None, within: str) -> None:
    limit = BASELINE.limit_for("dispatched", until, category, urgency)
    assert limit is not None and str(limit.within) == within


def test_limit_for_extension_and_absent_limits() -> None:
    limit = BASELINE.limit_for("extension_requested", "replied", "complaint", "normal")
    assert limit is not None and str(limit.within) == "10wd"
    assert BASELINE.limit_for("registered", "pending_dispatch", "complaint", "normal") is None
    assert BASELINE.limit_for("accepted", "dispatched", None, None) is None


def test_limit_specificity_does_not_depend_on_order() -> None:
    document = doc()
    document["limits"].reverse()
    policy = parse_policy(document)
    for until, category, urgency in [("accepted", "utilities", "critical"), ("replied", "consult", "normal")]:
        assert policy.limit_for("dispatched", until, category, urgency) == BASELINE.limit_for(
            "dispatched", until, category, urgency
        )


def test_a_limit_stops_applying_once_its_target_cannot_be_reached() -> None:
    # The unit accepted: it may still ask to return the ticket, and still reply.
    assert can_still_reach(BASELINE, "accepted", "return_requested", avoiding="dispatched")
    assert can_still_reach(BASELINE, "accepted", "replied", avoiding="dispatched")
    # Replied: a return is only possible through a new dispatch, so the return window is over.
    assert not can_still_reach(BASELINE, "replied", "return_requested", avoiding="dispatched")
    assert not can_still_reach(BASELINE, "archived", "replied", avoiding="dispatched")
