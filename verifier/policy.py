"""Workflow policies (``hotline.policy/v1``, DESIGN §4) and the transition check of step V8.

A policy is data: states, events (``from`` states → ``to`` state, allowed roles), overlay events,
time limits and a working-day calendar. ``parse_policy`` validates a document and refuses a
malformed one with a ``FormatError`` whose message starts with the JSON path of the fault
(``events[3].from[0]: unknown state 'dispached'``); ``check_transition`` raises a
``PolicyViolation`` for a transition the policy does not allow.

Semantics fixed here, for every policy:

* Exactly one event has ``"from": []``: it opens a ticket, and only it may.
* A terminal state has no outgoing event. Overlay events (``urge``, ``supervise``, ``erase``…)
  change no state and are allowed in every state, terminal ones included: a payload may be
  erased (PIPL Art. 47) long after the ticket was archived.
* Roles are free strings; a role may do an event iff the event lists it.
* A limit ``{from_state, until_state, category, urgency, within}`` says: once a ticket enters
  ``from_state``, it should enter ``until_state`` within ``within`` (see ``verifier.calendar`` for
  the deadline rule). ``"*"`` as category or urgency matches any value, and an absent one.
  ``Policy.limit_for`` returns the most specific match: an exact urgency outranks an exact
  category (urgency states a risk to life or property, which must win over the kind of
  request), and both exact outrank both ``"*"``. Duplicate keys are refused, so the match is
  unique.

The baseline policy and the edge-to-event choices it makes are described in
``ledger/policies/README.md``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from verifier.calendar import Duration, WorkingCalendar, parse_duration
from verifier.canonical import canonical_bytes
from verifier.errors import FormatError, PolicyViolation
from verifier.limits import MAX_POLICY_BYTES, MAX_STRING_CHARS
from verifier.names import CODE_RE, POLICY_NAME_RE

ANY = "*"

_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIMEZONE = re.compile(r"[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_TOP_FIELDS = ("name", "version", "calendar", "states", "events", "overlays", "limits", "max_anchor_lag")


@dataclass(frozen=True)
class State:
    """A ticket state: its code, Chinese and English names, and whether it is final."""

    code: str
    zh: str
    en: str
    terminal: bool


@dataclass(frozen=True)
class Event:
    """A state-changing event. ``from_states`` is empty for the event that opens a ticket."""

    name: str
    from_states: tuple[str, ...]
    to: str
    roles: tuple[str, ...]

    @property
    def opens(self) -> bool:
        """Whether this event opens a ticket."""
        return not self.from_states


@dataclass(frozen=True)
class Overlay:
    """An event that changes no state (``urge``, ``supervise``, ``erase``…)."""

    name: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class Limit:
    """Once in ``from_state``, reach ``until_state`` within ``within`` (for that category and urgency)."""

    from_state: str
    until_state: str
    category: str
    urgency: str
    within: Duration


@dataclass(frozen=True, eq=False)
class Policy:
    """A validated workflow policy. Build it with ``parse_policy``; do not mutate ``document``.

    Two policies are equal iff their canonical documents are (same ``sha256``).
    """

    document: Mapping[str, Any]
    name: str
    version: str
    sha256: str
    calendar: WorkingCalendar
    states: Mapping[str, State]
    events: Mapping[str, Event]
    overlays: Mapping[str, Overlay]
    limits: tuple[Limit, ...]
    max_anchor_lag: timedelta

    @property
    def id(self) -> str:
        """``name@`` and the first 12 hex digits of SHA-256 of the canonical document."""
        return f"{self.name}@{self.sha256[:12]}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Policy) and other.sha256 == self.sha256

    def __hash__(self) -> int:
        return hash(self.sha256)

    @property
    def opening_event(self) -> Event:
        """The one event that opens a ticket."""
        return next(event for event in self.events.values() if event.opens)

    def is_overlay(self, event: str) -> bool:
        """Whether ``event`` is one of this policy's overlay events."""
        return event in self.overlays

    def allowed_events(self, state: str | None) -> list[str]:
        """The state-changing events allowed in ``state`` (``None``: a ticket not yet opened)."""
        if state is None:
            return [self.opening_event.name]
        return [event.name for event in self.events.values() if state in event.from_states]

    def limit_for(self, from_state: str, until_state: str, category: str | None, urgency: str | None) -> Limit | None:
        """The most specific limit for this pair of states, category and urgency, if any.

        An exact urgency outranks an exact category; ``"*"`` matches anything, ``None`` included.
        """
        best: Limit | None = None
        best_rank = -1
        for limit in self.limits:
            if limit.from_state != from_state or limit.until_state != until_state:
                continue
            if limit.category not in (ANY, category) or limit.urgency not in (ANY, urgency):
                continue
            rank = (2 if limit.urgency != ANY else 0) + (1 if limit.category != ANY else 0)
            if rank > best_rank:
                best, best_rank = limit, rank
        return best


def policy_id(document: Mapping[str, Any]) -> str:
    """``name@`` + the first 12 hex of SHA-256 of ``canonical_bytes(document)``.

    This does not validate the policy (``parse_policy`` does).

    Raises:
        FormatError: ``name`` is missing or not a string, or the document is not canonical JSON.
    """
    name = document.get("name") if isinstance(document, Mapping) else None
    if not isinstance(name, str):
        raise FormatError("name: a policy needs a string name", path="name")
    return f"{name}@{hashlib.sha256(canonical_bytes(document)).hexdigest()[:12]}"


@lru_cache(maxsize=4096)
def can_still_reach(policy: Policy, start: str, goal: str, avoiding: str) -> bool:
    """Whether a ticket in ``start`` can still get to ``goal`` without entering ``avoiding`` again.

    A time limit from ``avoiding`` until ``goal`` stops applying once the ticket took a way that cannot
    lead there (the unit accepted, so the limit for returning it no longer runs).
    """
    seen, frontier = {start}, [start]
    while frontier:
        state = frontier.pop()
        if state == goal:
            return True
        for event in policy.events.values():
            if state in event.from_states and event.to not in seen and event.to != avoiding:
                seen.add(event.to)
                frontier.append(event.to)
    return False


def check_transition(
    policy: Policy, *, current_state: str | None, event: str, from_state: str | None, to_state: str, role: str
) -> None:
    """Check one transition of a ticket against ``policy`` (step V8).

    ``current_state`` is the ticket's state before this transition (``None``: no entry yet);
    ``from_state``/``to_state``/``role`` are what the entry claims.

    Raises:
        PolicyViolation: unknown event; opening event on an existing ticket or other event on a
            missing one; ``from_state`` not the ticket's current state; ``from_state`` not allowed
            for the event; ``to_state`` not its target; ``role`` not allowed. Evidence names
            ``event``, ``state``, ``role`` and, as relevant, ``allowed_from``/``allowed_roles``.
    """
    where = {"event": event, "state": current_state, "role": role}
    overlay = policy.overlays.get(event)
    if overlay is not None:
        if current_state is None:
            raise PolicyViolation(f"overlay event {event!r} on a ticket that does not exist yet", **where)
        if from_state != current_state or to_state != current_state:
            raise PolicyViolation(
                f"overlay event {event!r} must keep the state {current_state!r}, "
                f"but goes from {from_state!r} to {to_state!r}",
                from_state=from_state,
                to_state=to_state,
                **where,
            )
        _check_role(event, current_state, role, overlay.roles)
        return
    spec = policy.events.get(event)
    if spec is None:
        raise PolicyViolation(f"unknown event {event!r} in policy {policy.id}", policy=policy.id, **where)
    if spec.opens:
        if current_state is not None:
            raise PolicyViolation(
                f"event {event!r} opens a ticket, but the ticket exists in state {current_state!r}", **where
            )
        if from_state is not None:
            raise PolicyViolation(
                f"event {event!r} opens a ticket and has no from state, got {from_state!r}",
                from_state=from_state,
                **where,
            )
    else:
        if current_state is None:
            raise PolicyViolation(
                f"event {event!r} needs an existing ticket; the ticket must first be opened by "
                f"{policy.opening_event.name!r}",
                allowed_from=list(spec.from_states),
                **where,
            )
        if from_state != current_state:
            raise PolicyViolation(
                f"event {event!r} claims from state {from_state!r}, but the ticket is in state {current_state!r}",
                from_state=from_state,
                **where,
            )
        if current_state not in spec.from_states:
            raise PolicyViolation(
                f"event {event!r} is not allowed from state {current_state!r} "
                f"(allowed from: {', '.join(spec.from_states)})",
                allowed_from=list(spec.from_states),
                **where,
            )
    if to_state != spec.to:
        raise PolicyViolation(
            f"event {event!r} leads to state {spec.to!r}, not {to_state!r}",
            expected_to=spec.to,
            to_state=to_state,
            **where,
        )
    _check_role(event, current_state, role, spec.roles)


def _check_role(event: str, state: str | None, role: str, allowed: tuple[str, ...]) -> None:
    if role not in allowed:
        raise PolicyViolation(
            f"role {role!r} may not perform event {event!r} in state {state!r} (allowed roles: {', '.join(allowed)})",
            event=event,
            state=state,
            role=role,
            allowed_roles=list(allowed),
        )


# --- parsing -------------------------------------------------------------------------------


def parse_policy(document: Mapping[str, Any]) -> Policy:
    """Validate a ``hotline.policy/v1`` document and return its parsed view.

    Raises:
        FormatError: the document is malformed. The message starts with the JSON path of the
            fault (``events[3].from[0]: unknown state 'dispached'``), also given as evidence
            ``path``: unknown or missing fields, wrong types, bad names, durations, dates or time
            zone, duplicate events, overlays or limits, references to unknown states, no or
            several opening events, outgoing events from a terminal state, empty role lists, or
            more than ``MAX_POLICY_BYTES`` canonical bytes.
    """
    root = _object(document, "", _TOP_FIELDS)
    name = _string(root["name"], "name", POLICY_NAME_RE, "lowercase letters, digits, '.', '_' or '-'")
    version = _string(root["version"], "version", _VERSION, "letters, digits, '.', '+', '_' or '-'")
    calendar = _parse_calendar(root["calendar"], "calendar")
    states = _parse_states(root["states"], "states")
    events = _parse_events(root["events"], "events", states)
    overlays = _parse_overlays(root["overlays"], "overlays", events)
    limits = _parse_limits(root["limits"], "limits", states)
    lag = _duration(root["max_anchor_lag"], "max_anchor_lag").elapsed
    if lag is None:
        _fail("max_anchor_lag", "must be in minutes or hours, not working days")
    plain = _plain(root)
    data = canonical_bytes(plain)
    if len(data) > MAX_POLICY_BYTES:
        _fail("", f"policy is {len(data)} canonical bytes, over the limit of {MAX_POLICY_BYTES}")
    return Policy(
        document=plain,
        name=name,
        version=version,
        sha256=hashlib.sha256(data).hexdigest(),
        calendar=calendar,
        states=MappingProxyType(states),
        events=MappingProxyType(events),
        overlays=MappingProxyType(overlays),
        limits=limits,
        max_anchor_lag=lag,
    )


def _parse_calendar(value: Any, path: str) -> WorkingCalendar:
    raw = _object(value, path, ("timezone", "workdays", "holidays", "extra_workdays"))
    tz_path = _join(path, "timezone")
    tz_key = _string(raw["timezone"], tz_path, _TIMEZONE, "an IANA time zone such as 'Asia/Shanghai'")
    try:
        timezone = ZoneInfo(tz_key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        _fail(tz_path, f"unknown IANA time zone {tz_key!r}")
    days_path = _join(path, "workdays")
    workdays: set[int] = set()
    for i, item in enumerate(_array(raw["workdays"], days_path, nonempty=True)):
        here = f"{days_path}[{i}]"
        if type(item) is not int or not 1 <= item <= 7:
            _fail(here, f"expected an ISO weekday 1..7 (Monday = 1), got {_show(item)}")
        if item in workdays:
            _fail(here, f"duplicate weekday {item}")
        workdays.add(item)
    holidays = _dates(raw["holidays"], _join(path, "holidays"))
    extra = _dates(raw["extra_workdays"], _join(path, "extra_workdays"))
    for day, here in extra.items():
        if day in holidays:
            _fail(here, f"{day.isoformat()} is also listed at {holidays[day]}")
    return WorkingCalendar(timezone, frozenset(workdays), frozenset(holidays), frozenset(extra))


def _dates(value: Any, path: str) -> dict[date, str]:
    found: dict[date, str] = {}
    for i, item in enumerate(_array(value, path)):
        here = f"{path}[{i}]"
        text = _string(item, here)
        try:
            if not _ISO_DATE.fullmatch(text):
                raise ValueError
            day = date.fromisoformat(text)
        except ValueError:
            _fail(here, f"expected an ISO date YYYY-MM-DD, got {text!r}")
        if day in found:
            _fail(here, f"duplicate date {text} (also {found[day]})")
        found[day] = here
    return found


def _parse_states(value: Any, path: str) -> dict[str, State]:
    raw = _object(value, path, None)
    if not raw:
        _fail(path, "a policy needs at least one state")
    states: dict[str, State] = {}
    for code, spec in raw.items():
        here = _join(path, code)
        if not CODE_RE.fullmatch(code):
            _fail(here, f"bad state code {code!r}: expected lowercase letters, digits and '_'")
        fields = _object(spec, here, ("zh", "en", "terminal"))
        terminal = fields["terminal"]
        if not isinstance(terminal, bool):
            _fail(_join(here, "terminal"), f"expected true or false, got {_show(terminal)}")
        states[code] = State(
            code, _string(fields["zh"], _join(here, "zh")), _string(fields["en"], _join(here, "en")), terminal
        )
    return states


def _parse_events(value: Any, path: str, states: Mapping[str, State]) -> dict[str, Event]:
    events: dict[str, Event] = {}
    where: dict[str, str] = {}
    opening: str | None = None
    for i, item in enumerate(_array(value, path, nonempty=True)):
        here = f"{path}[{i}]"
        raw = _object(item, here, ("name", "from", "to", "roles"))
        name = _string(raw["name"], _join(here, "name"), CODE_RE, "lowercase letters, digits and '_'")
        if name in events:
            _fail(_join(here, "name"), f"duplicate event {name!r} (also {where[name]})")
        from_path = _join(here, "from")
        from_states: dict[str, None] = {}  # ordered, with constant-time membership
        for j, item in enumerate(_array(raw["from"], from_path)):
            state_path = f"{from_path}[{j}]"
            state = _known_state(item, state_path, states)
            if states[state].terminal:
                _fail(state_path, f"state {state!r} is terminal and can have no outgoing event")
            if state in from_states:
                _fail(state_path, f"duplicate state {state!r}")
            from_states[state] = None
        if not from_states:
            if opening is not None:
                _fail(from_path, f"a second opening event {name!r} (the first is {where[opening]} {opening!r})")
            opening = name
        to = _known_state(raw["to"], _join(here, "to"), states)
        roles = _roles(raw["roles"], _join(here, "roles"))
        events[name] = Event(name, tuple(from_states), to, roles)
        where[name] = here
    if opening is None:
        _fail(path, 'no opening event: exactly one event must have "from": []')
    return events


def _parse_overlays(value: Any, path: str, events: Mapping[str, Event]) -> dict[str, Overlay]:
    overlays: dict[str, Overlay] = {}
    where: dict[str, str] = {}
    for i, item in enumerate(_array(value, path)):
        here = f"{path}[{i}]"
        raw = _object(item, here, ("name", "roles"))
        name = _string(raw["name"], _join(here, "name"), CODE_RE, "lowercase letters, digits and '_'")
        if name in events:
            _fail(_join(here, "name"), f"overlay {name!r} clashes with the event of the same name")
        if name in overlays:
            _fail(_join(here, "name"), f"duplicate overlay {name!r} (also {where[name]})")
        overlays[name] = Overlay(name, _roles(raw["roles"], _join(here, "roles")))
        where[name] = here
    return overlays


def _parse_limits(value: Any, path: str, states: Mapping[str, State]) -> tuple[Limit, ...]:
    limits: list[Limit] = []
    where: dict[tuple[str, str, str, str], str] = {}
    for i, item in enumerate(_array(value, path)):
        here = f"{path}[{i}]"
        raw = _object(item, here, ("from_state", "until_state", "category", "urgency", "within"))
        from_state = _known_state(raw["from_state"], _join(here, "from_state"), states)
        until_state = _known_state(raw["until_state"], _join(here, "until_state"), states)
        if until_state == from_state:
            _fail(_join(here, "until_state"), f"same as from_state {from_state!r}")
        category = _string(raw["category"], _join(here, "category"))
        urgency = _string(raw["urgency"], _join(here, "urgency"))
        key = (from_state, until_state, category, urgency)
        if key in where:
            _fail(here, f"duplicate limit for {from_state} → {until_state}, {category}/{urgency} (also {where[key]})")
        where[key] = here
        limits.append(
            Limit(from_state, until_state, category, urgency, _duration(raw["within"], _join(here, "within")))
        )
    return tuple(limits)


# --- small validators; each raises FormatError naming the path -----------------------------


def _fail(path: str, reason: str) -> NoReturn:
    raise FormatError(f"{path or '$'}: {reason}", path=path or "$")


def _join(path: str, key: str) -> str:
    shown = key if _IDENTIFIER.fullmatch(key) else repr(key).join("[]")
    if not path:
        return shown
    return f"{path}{shown}" if shown.startswith("[") else f"{path}.{shown}"


def _show(value: Any) -> str:
    kinds = {bool: "a boolean", int: "an integer", float: "a float", str: "a string", type(None): "null"}
    if type(value) in kinds:
        return f"{kinds[type(value)]} ({value!r})" if value is not None else "null"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    return type(value).__name__


def _object(value: Any, path: str, fields: tuple[str, ...] | None) -> Mapping[str, Any]:
    """An object; with ``fields``, exactly those keys (unknown first, then missing, reported)."""
    if not isinstance(value, Mapping):
        _fail(path, f"expected an object, got {_show(value)}")
    for key in value:
        if not isinstance(key, str):
            _fail(path, f"object key {key!r} is not a string")
        if fields is not None and key not in fields:
            _fail(_join(path, key), f"unknown field (expected: {', '.join(fields)})")
    for key in fields or ():
        if key not in value:
            _fail(_join(path, key), "missing field")
    return value


def _array(value: Any, path: str, *, nonempty: bool = False) -> list[Any]:
    if not isinstance(value, list | tuple):
        _fail(path, f"expected an array, got {_show(value)}")
    if nonempty and not value:
        _fail(path, "must not be empty")
    return list(value)


def _string(value: Any, path: str, pattern: re.Pattern[str] | None = None, expected: str = "") -> str:
    if not isinstance(value, str):
        _fail(path, f"expected a string, got {_show(value)}")
    if not value:
        _fail(path, "must not be empty")
    if len(value) > MAX_STRING_CHARS:
        _fail(path, f"longer than {MAX_STRING_CHARS} characters")
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        _fail(path, "holds a lone surrogate, which is not valid Unicode")
    if pattern is not None and not pattern.fullmatch(value):
        _fail(path, f"bad value {value!r}: expected {expected}")
    return value


def _known_state(value: Any, path: str, states: Mapping[str, State]) -> str:
    code = _string(value, path)
    if code not in states:
        _fail(path, f"unknown state {code!r}")
    return code


def _roles(value: Any, path: str) -> tuple[str, ...]:
    roles: dict[str, None] = {}  # ordered, with constant-time membership
    for i, item in enumerate(_array(value, path, nonempty=True)):
        role = _string(item, f"{path}[{i}]", CODE_RE, "lowercase letters, digits and '_' (a role entries can name)")
        if role in roles:
            _fail(f"{path}[{i}]", f"duplicate role {role!r}")
        roles[role] = None
    return tuple(roles)


def _duration(value: Any, path: str) -> Duration:
    try:
        return parse_duration(_string(value, path))
    except ValueError as exc:
        _fail(path, str(exc))


def _plain(value: Any) -> Any:
    """A deep copy as plain dicts and lists, so the policy keeps its own document."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value
