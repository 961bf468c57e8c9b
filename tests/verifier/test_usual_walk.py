"""The full audit's usual path (``EntryWalk.feed_bytes``) reaches the verdicts of the full path (``feed``).

``feed_bytes`` checks the usual unsigned transition from its fields, without building its ``Transition``, and
hands everything else — other entries, failing or nearly failing checks, steps not seen before — to
``parse_entry`` and ``feed``. Differential tests: over a simulated log, tampered at the level of the log (entries
dropped, swapped, repeated, fields rewritten, times moved onto and across V10's bounds), both walks must end
with the same report (status, message and evidence of every step), the same ticket heads and the same V10
tallies.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.evidence.simulator import LogSimulator
from verifier.anchor_check import ChainAnchors
from verifier.canonical import canonical_bytes
from verifier.entry import format_at, parse_entry
from verifier.entry_walk import EntryWalk
from verifier.errors import VerificationError
from verifier.merkle import leaf_hash
from verifier.report import Report
from verifier.timeliness import MAX_CLOCK_SKEW

FLOW = [
    ("submit_for_dispatch", "pending_dispatch", "agent"),
    ("dispatch", "dispatched", "dispatcher"),
]


def _log() -> LogSimulator:
    sim = LogSimulator()
    tickets = [f"T-{n:04d}" for n in range(6)]
    for number, ticket in enumerate(tickets):
        sim.transition(ticket, "register", "registered")
        if number % 2:
            sim.anchor()
    for event, to, role in FLOW:
        for ticket in tickets:
            sim.transition(ticket, event, to, role=role)
        sim.anchor()
    sim.transition("T-0000", "accept", "accepted", role="unit", org="330102-zjj")  # after the last anchor
    return sim


SIM = _log()


def walk(entries: list[bytes], *, usual: bool, anchored: bool = True) -> tuple[Any, ...]:
    """Walk ``entries`` as a full audit does, one way or the other; everything the walk ends with."""
    trust = SIM.trust()
    events = SIM.chain.anchored_events(trust.chain.contract, trust.chain.log_id) if anchored else []
    anchors = ChainAnchors(SIM.chain, trust, list(events)) if anchored else None
    report = Report("test")
    walker = EntryWalk(report, SIM.origin, anchors)
    for index, data in enumerate(entries):
        try:
            if usual:
                walker.feed_bytes(index, data, leaf_hash(data))
            else:
                walker.feed(index, parse_entry(data), leaf_hash(data))
        except VerificationError as exc:
            report.failed(exc.step or "V1", f"entry {index}: {exc.message}", **exc.evidence)
    walker.finish()
    results = {step: (r.status, r.detail, r.evidence) for step, r in report.results.items()}
    history = walker.history
    heads = {ticket: (h.seq, h.head, h.state, h.index) for ticket, h in history.tickets.items()}
    return results, heads, history.transitions, walker.in_time, walker.worst_lag, walker.pending, report.facts


def agree(entries: list[bytes], *, anchored: bool = True) -> tuple[Any, ...]:
    full = walk(entries, usual=False, anchored=anchored)
    assert walk(entries, usual=True, anchored=anchored) == full
    return full


def rewrite(data: bytes, **fields: Any) -> bytes:
    record = json.loads(data)
    record.update(fields)
    return canonical_bytes(record)


def test_an_intact_log_passes_both_ways_with_the_same_tallies() -> None:
    results, heads, transitions, in_time, worst, pending, _ = agree(SIM.entries)
    assert all(status.value == "passed" for status, _, _ in results.values()), results
    assert len(heads) == 6 and transitions == len(SIM.entries) - 1
    assert in_time == transitions - 1 and len(pending) == 1 and worst is not None
    agree(SIM.entries, anchored=False)


def _anchor_time(index: int) -> datetime:
    trust = SIM.trust()
    events = SIM.chain.anchored_events(trust.chain.contract, trust.chain.log_id)
    anchor = ChainAnchors(SIM.chain, trust, list(events)).covering(index)
    assert anchor is not None
    return anchor.moment


LAG = timedelta(minutes=5)  # cn-baseline's max_anchor_lag
MS = timedelta(milliseconds=1)


@pytest.mark.parametrize(
    ("offset", "passes"),
    [
        (-LAG, True),  # anchored exactly at the bound: in time
        (-LAG + MS, True),
        (-LAG - MS, False),  # a millisecond too late
        (MAX_CLOCK_SKEW, True),  # claimed exactly the skew after its anchor
        (MAX_CLOCK_SKEW + MS, False),
        (MAX_CLOCK_SKEW - MS, True),
        (timedelta(0), True),
    ],
)
def test_times_on_and_across_the_bounds_of_v10(offset: timedelta, passes: bool) -> None:
    # The last anchored entry of a ticket, so that its new bytes break no chain.
    index = max(i for i in range(len(SIM.entries) - 1) if b'"ticket":"T-0005"' in SIM.entries[i])
    entries = list(SIM.entries)
    entries[index] = rewrite(entries[index], at=format_at(_anchor_time(index) + offset))
    results = agree(entries)[0]
    assert (results["V10"][0].value == "passed") is passes, results["V10"]


def _mutations() -> st.SearchStrategy[Any]:
    size = len(SIM.entries)
    index = st.integers(0, size - 1)
    field = st.sampled_from(["event", "to", "from", "prev", "seq", "ticket", "log", "policy", "at", "actor"])
    values = st.sampled_from(
        [
            None,
            1,
            2,
            "registered",
            "dispatched",
            "dispatch",
            "T-0001",
            "cn-baseline@000000000000",
            "other.example/log",
            {"org": "330100-12345", "role": "dispatcher"},
            "0" * 64,
            "2026-01-01T00:00:00.000Z",
        ]
    )
    return st.one_of(
        st.tuples(st.just("drop"), index),
        st.tuples(st.just("swap"), index, index),
        st.tuples(st.just("repeat"), index),
        st.tuples(st.just("field"), index, field, values),
        st.tuples(st.just("shift"), index, st.integers(-400_000, 120_000)),
    )


def _apply(entries: list[bytes], how: Any) -> None:
    kind, at = how[0], how[1] % len(entries)
    if kind == "drop":
        del entries[at]
    elif kind == "swap":
        other = how[2] % len(entries)
        entries[at], entries[other] = entries[other], entries[at]
    elif kind == "repeat":
        entries.insert(at, entries[at])
    elif kind == "field" and at > 0:
        entries[at] = rewrite(entries[at], **{how[2]: how[3]})
    elif kind == "shift" and at > 0:
        moment = datetime.fromisoformat(json.loads(entries[at])["at"])
        entries[at] = rewrite(entries[at], at=format_at(moment + timedelta(milliseconds=how[2])))


@settings(max_examples=300, deadline=None)
@given(st.lists(_mutations(), min_size=1, max_size=3), st.booleans())
def test_a_tampered_log_gets_the_same_verdicts_both_ways(tampering: list[Any], anchored: bool) -> None:
    entries = list(SIM.entries)
    for how in tampering:
        _apply(entries, how)
    agree(entries, anchored=anchored)


def _second_of(ticket: str) -> int:
    return [i for i, data in enumerate(SIM.entries) if f'"ticket":"{ticket}"'.encode() in data][1]


@pytest.mark.parametrize(
    ("fields", "step", "says"),
    [
        ({"prev": "0" * 64}, "V7", "does not link to seq 1"),
        ({"seq": 3}, "V7", "a gap before seq 3"),
        ({"seq": 1, "prev": None, "from": None}, "V7", "a second entry for seq 1"),
        ({"event": "archive", "to": "archived"}, "V8", "T-0002 seq 2"),
        ({"policy": "cn-baseline@000000000000"}, "V8", "which is not published before it"),
        ({"log": "other.example/log"}, "V1", "belongs to log 'other.example/log'"),
    ],
)
def test_each_broken_check_fails_its_step_both_ways(fields: dict[str, Any], step: str, says: str) -> None:
    entries = list(SIM.entries)
    index = _second_of("T-0002")
    entries[index] = rewrite(entries[index], **fields)
    results = agree(entries)[0]
    status, detail, _ = results[step]
    assert status.value == "failed" and says in detail, results[step]
