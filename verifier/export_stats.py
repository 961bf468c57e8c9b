"""What a regulator reads off an export: on-time rates per department, notable events, anchoring lag.

Deadlines run from the claimed time a ticket entered a state (``at``; backdating it only hurts the
department), and completion is taken at the **anchored** time of the entry that reached the target
state: the first on-chain anchor covering it, a time the operator cannot move. So a late reply cannot be
made to look punctual by backdating its ``at``.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from verifier.entry import Transition, parse_at
from verifier.policy import Policy, can_still_reach

#: Notable events a regulator counts, by what identifies them.
NOTABLE = ("returns", "extensions", "urges", "yellow_cards", "red_cards", "dissatisfied", "rework")
#: Upper bounds (seconds) of the anchoring-lag histogram's buckets; the last bucket is open.
LAG_BUCKETS = (5, 30, 60, 300, 3600)

AnchoredTime = Callable[[int], datetime | None]


def notable(entry: Transition) -> list[str]:
    """The notable kinds an entry counts as (a dissatisfied callback also sends the ticket to rework)."""
    kinds = []
    simple = {
        "request_return": "returns",
        "request_extension": "extensions",
        "urge": "urges",
        "visit_dissatisfied": "dissatisfied",
    }
    if entry.event in simple:
        kinds.append(simple[entry.event])
    level = entry.attrs.get("level")
    if entry.event == "supervise" and level in ("yellow", "red"):
        kinds.append(f"{level}_cards")
    if entry.to_state == "rework" and entry.from_state != "rework":
        kinds.append("rework")
    return kinds


@dataclass
class LimitRecord:
    """How a department kept one limit (from a state until another): met, missed, and still open
    (``overdue``: open past its deadline at the export's checkpoint)."""

    met: int = 0
    missed: int = 0
    open: int = 0
    overdue: int = 0

    @property
    def rate(self) -> float | None:
        decided = self.met + self.missed
        return self.met / decided if decided else None


@dataclass
class Department:
    """One department's record in the export: each limit it was held to, and its notable events."""

    org: str
    limits: dict[tuple[str, str], LimitRecord] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)

    def limit(self, pair: tuple[str, str]) -> LimitRecord:
        if pair not in self.limits:
            self.limits[pair] = LimitRecord()
        return self.limits[pair]

    @property
    def met(self) -> int:
        return sum(r.met for r in self.limits.values())

    @property
    def missed(self) -> int:
        return sum(r.missed for r in self.limits.values())

    @property
    def rate(self) -> float | None:
        decided = self.met + self.missed
        return self.met / decided if decided else None


@dataclass
class ExportStats:
    tickets: int = 0
    transitions: int = 0
    as_of: datetime | None = None
    departments: dict[str, Department] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    lags: list[float] = field(default_factory=list)

    def department(self, org: str) -> Department:
        if org not in self.departments:
            self.departments[org] = Department(org)
        return self.departments[org]

    def lag_histogram(self) -> list[tuple[str, int]]:
        bounds = list(LAG_BUCKETS)
        counts = [0] * (len(bounds) + 1)
        for lag in self.lags:
            counts[bisect.bisect_left(bounds, lag)] += 1
        labels = [f"≤ {_short(b)}" for b in bounds] + [f"> {_short(bounds[-1])}"]
        return list(zip(labels, counts, strict=True))

    def lag_quantile(self, q: float) -> float | None:
        if not self.lags:
            return None
        ordered = sorted(self.lags)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _short(seconds: int) -> str:
    return f"{seconds // 3600} h" if seconds >= 3600 else f"{seconds // 60} min" if seconds >= 60 else f"{seconds} s"


@dataclass
class _Episode:
    start: datetime
    deadline: datetime
    org: str


@dataclass
class _Ticket:
    category: str | None = None
    urgency: str | None = None
    unit: str | None = None
    episodes: dict[tuple[str, str], _Episode] = field(default_factory=dict)


def _pairs(policy: Policy) -> set[tuple[str, str]]:
    return {(limit.from_state, limit.until_state) for limit in policy.limits}


def compute_stats(
    transitions: Iterable[tuple[int, Transition]],
    policies: Mapping[str, Policy],
    anchored_time: AnchoredTime,
    as_of: datetime,
) -> ExportStats:
    """Walk transitions in index order; ``anchored_time(index)`` is the chain time of the first anchor covering it."""
    stats = ExportStats(as_of=as_of)
    tickets: dict[str, _Ticket] = defaultdict(_Ticket)
    for index, entry in transitions:
        stats.transitions += 1
        ticket = tickets[entry.ticket]
        if entry.seq == 1:
            stats.tickets += 1
            category, urgency = entry.attrs.get("category"), entry.attrs.get("urgency")
            ticket.category = category if isinstance(category, str) else None
            ticket.urgency = urgency if isinstance(urgency, str) else None
        unit = entry.attrs.get("unit")
        if isinstance(unit, str):
            ticket.unit = unit
        elif entry.actor.role == "unit":
            ticket.unit = entry.actor.org
        org = ticket.unit or entry.actor.org
        anchored = anchored_time(index)
        if anchored is not None:
            stats.lags.append(max(0.0, (anchored - parse_at(entry.at)).total_seconds()))
        for kind in notable(entry):
            stats.counts[kind] += 1
            stats.department(org).counts[kind] += 1
        policy = policies.get(entry.policy)
        if policy is None or entry.from_state == entry.to_state:
            continue
        _limits(stats, ticket, entry, policy, anchored, org)
    for ticket in tickets.values():
        for pair, episode in ticket.episodes.items():
            record = stats.department(episode.org).limit(pair)
            record.open += 1
            record.overdue += episode.deadline < as_of
    return stats


def _limits(
    stats: ExportStats, ticket: _Ticket, entry: Transition, policy: Policy, anchored: datetime | None, org: str
) -> None:
    for pair in _pairs(policy):
        from_state, until_state = pair
        episode = ticket.episodes.get(pair)
        if episode is not None and entry.to_state == until_state:
            record = stats.department(episode.org).limit(pair)
            done = anchored or parse_at(entry.at)
            if done <= episode.deadline:
                record.met += 1
            else:
                record.missed += 1
            del ticket.episodes[pair]
        elif episode is not None and not can_still_reach(policy, entry.to_state, until_state, from_state):
            del ticket.episodes[pair]  # took another way: the limit no longer applies
        if entry.to_state == from_state:
            limit = policy.limit_for(from_state, until_state, ticket.category, ticket.urgency)
            if limit is not None:
                start = parse_at(entry.at)
                deadline = policy.calendar.deadline(start, limit.within)
                ticket.episodes[pair] = _Episode(start, deadline, org)
