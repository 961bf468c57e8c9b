"""A ticket's timeline for the citizen page: each step in the policy's words, with the deadlines that applied.

Only public fields of the entries are used (DESIGN §3): event, states, the acting organisation, time and a
short list of attributes (``labels.ATTRIBUTES``). Payloads are never fetched. Deadlines follow the policy
in force: once the ticket enters a limit's ``from_state`` it is due in its ``until_state`` by the deadline
of ``WorkingCalendar.deadline``; a step that reaches ``until_state`` shows whether it was on time, and
limits still running at the last step are shown as open (or overdue, against ``now``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from api.page.labels import ATTRIBUTES, Label, event_label, value_label
from ledger.records import StoredEntry
from verifier.calendar import Duration
from verifier.entry import Transition, parse_at, parse_entry
from verifier.policy import Policy, can_still_reach

_UNITS = {"m": Label("分钟", " minute"), "h": Label("小时", " hour"), "wd": Label("个工作日", " working day")}


@dataclass(frozen=True)
class Deadline:
    """A time limit that applied: from which state to which, how long, until when, and whether it was met."""

    since: Label
    until: Label
    within: Label
    due: datetime
    met: bool | None  # None: still running


@dataclass(frozen=True)
class Step:
    index: int
    seq: int
    event: str
    to_state: str
    at_text: str
    label: Label
    state: Label
    overlay: bool
    department: str
    at: datetime
    details: tuple[tuple[Label, Label], ...]
    deadlines: tuple[Deadline, ...]


@dataclass
class Timeline:
    ticket: str
    steps: list[Step]
    category: Label | None
    urgency: Label | None
    state: Label
    open_deadlines: list[Deadline] = field(default_factory=list)


def _within(duration: Duration) -> Label:
    unit = _UNITS[duration.unit]
    plural = "s" if duration.amount != 1 else ""
    return Label(f"{duration.amount}{unit.zh}", f"{duration.amount}{unit.en}{plural}")


def _state(policy: Policy, code: str) -> Label:
    state = policy.states.get(code)
    return Label(state.zh, state.en) if state else Label(code, code)


def _details(transition: Transition) -> tuple[tuple[Label, Label], ...]:
    return tuple(
        (ATTRIBUTES[name], value_label(name, value))
        for name, value in transition.attrs.items()
        if name in ATTRIBUTES and isinstance(value, str | int) and not isinstance(value, bool)
    )


def build_timeline(
    ticket: str, stored: Sequence[StoredEntry], policies: Mapping[str, Policy], now: datetime
) -> Timeline:
    """The timeline of ``ticket`` from its stored entries (in order), judged by the policies they name.

    Raises:
        VerificationError: an entry does not parse (the log is damaged), or names an unknown policy (KeyError).
    """
    transitions = [entry for entry in (parse_entry(s.data) for s in stored) if isinstance(entry, Transition)]
    first = transitions[0].attrs if transitions else {}
    category, urgency = first.get("category"), first.get("urgency")
    running: dict[tuple[str, str], tuple[datetime, Policy]] = {}
    steps = []
    policy = policies[transitions[0].policy] if transitions else None
    for item, transition in zip(stored, transitions, strict=True):
        policy = policies[transition.policy]
        at = parse_at(transition.at)
        overlay = transition.from_state == transition.to_state and transition.seq > 1
        met: list[Deadline | None] = []
        if not overlay:
            for (since, until), (start, applied) in list(running.items()):
                if until == transition.to_state:
                    met.append(_deadline(applied, since, until, start, category, urgency, at))
                    del running[(since, until)]
                elif not can_still_reach(applied, transition.to_state, until, since):
                    del running[(since, until)]  # that limit can no longer apply (e.g. the unit accepted)
            for limit in policy.limits:
                if limit.from_state == transition.to_state:
                    running[(limit.from_state, limit.until_state)] = (at, policy)
        zone = policy.calendar.timezone
        steps.append(
            Step(
                index=item.index,
                seq=transition.seq,
                event=transition.event,
                to_state=transition.to_state,
                at_text=transition.at,
                label=event_label(transition.event),
                state=_state(policy, transition.to_state),
                overlay=overlay,
                department=transition.actor.org,
                at=at.astimezone(zone),
                details=_details(transition),
                deadlines=tuple(d for d in met if d is not None),
            )
        )
    open_deadlines = [
        d
        for (since, until), (start, applied) in running.items()
        if (d := _deadline(applied, since, until, start, category, urgency, None, now)) is not None
    ]
    last = transitions[-1].to_state if transitions else ""
    return Timeline(
        ticket=ticket,
        steps=steps,
        category=value_label("category", category) if isinstance(category, str) else None,
        urgency=value_label("urgency", urgency) if isinstance(urgency, str) else None,
        state=_state(policy, last) if policy else Label(last, last),
        open_deadlines=open_deadlines,
    )


def _deadline(
    policy: Policy,
    since: str,
    until: str,
    start: datetime,
    category: object,
    urgency: object,
    reached: datetime | None,
    now: datetime | None = None,
) -> Deadline | None:
    limit = policy.limit_for(
        since, until, category if isinstance(category, str) else None, urgency if isinstance(urgency, str) else None
    )
    if limit is None:
        return None
    due = policy.calendar.deadline(start, limit.within)
    if reached is not None:
        met: bool | None = reached <= due
    else:
        met = None if now is None or now <= due else False
    return Deadline(_state(policy, since), _state(policy, until), _within(limit.within), due, met)
