"""Steps V7–V10 over parsed entries in index order, shared by bundle, ticket and full-log verification."""

from __future__ import annotations

from datetime import timedelta

from verifier.anchor_check import ChainAnchors
from verifier.entry import Entry, KeyEntry, PolicyEntry, Transition, parse_entry
from verifier.errors import SourceError, VerificationError
from verifier.history import History
from verifier.report import Report
from verifier.timeliness import MAX_CLOCK_SKEW, check_timeliness
from verifier.transition_fast import UsualFields, usual_fields

#: The margin, in seconds, by which the usual path's V10 check (in floating-point seconds) must pass: a lag
#: closer than that to a bound is left to ``check_timeliness`` (exact time arithmetic) to decide.
_V10_MARGIN = 0.001
_SKEW_SECONDS = MAX_CLOCK_SKEW.total_seconds() - _V10_MARGIN


class EntryWalk:
    """Feeds entries to a ``History`` and reports each step's first failure, with counts when they pass."""

    def __init__(self, report: Report, origin: str, anchors: ChainAnchors | None) -> None:
        self.report = report
        self.origin = origin
        self.anchors = anchors
        self.history = History()
        # V10's summary, kept as counts so memory does not grow with the log; the transitions no anchor covers
        # yet wait (index and bytes) for a later, resumed audit to check them against newer anchors.
        self.in_time = 0
        self.worst_lag: timedelta | None = None
        self.pending: list[tuple[int, bytes]] = []
        #: Each policy's ``max_anchor_lag`` in seconds, less the margin (for the usual path's V10).
        self._lag_bounds: dict[str, float] = {}
        if anchors is None and report.status("V10") is None:
            report.not_run("V10", "anchor times come from the chain, which was not consulted")

    def _fail(self, exc: VerificationError, default: str) -> None:
        self.report.failed(exc.step or default, exc)

    def feed(self, index: int, entry: Entry, leaf: bytes | None = None) -> None:
        """Check one entry (``leaf``: its leaf hash, when the caller has it already)."""
        if entry.log != self.origin:
            self.report.failed(
                "V1", f"entry {index} belongs to log {entry.log!r}, not {self.origin!r}", index=index, log=entry.log
            )
            return
        if type(entry) is Transition:
            self._transition(index, entry, leaf)
            return
        try:
            if isinstance(entry, PolicyEntry):
                self.history.add_policy(index, entry)
            elif isinstance(entry, KeyEntry):
                self.history.add_key(index, entry)
        except VerificationError as exc:
            self._fail(exc, "V8" if isinstance(entry, PolicyEntry) else "V9")

    def feed_bytes(self, index: int, data: bytes, leaf: bytes) -> None:
        """Check one entry given as its bytes, with its leaf hash.

        The usual unsigned transition whose every check passes plainly is checked from its fields, without
        building its ``Transition``; anything else (another kind of entry, a check that fails or is close to
        failing, a workflow step not seen before) goes through ``parse_entry`` and ``feed``, which decide.

        Raises:
            FormatError: the entry is malformed (from ``parse_entry``).
        """
        fields = usual_fields(data)
        if fields is None or not self._usual(index, fields, data, leaf):
            self.feed(index, parse_entry(data), leaf)

    def _usual(self, index: int, fields: UsualFields, data: bytes, leaf: bytes) -> bool:
        """``feed`` for the usual transition's fields, if every check passes plainly: True; else False, nothing
        changed."""
        groups, seq, _, moment = fields
        _, _, role, _, _, event, moved_from, log, _, policy, prev, _, ticket, to = groups
        if log != self.origin:
            return False
        anchors = self.anchors
        timed = anchors is not None and self.report.ok("V10")
        anchor = None
        if timed:
            assert anchors is not None
            try:
                anchor = anchors.covering(index)
            except SourceError:
                return False
            if anchor is not None:
                bound = self._lag_bound(policy)
                lag = anchor.timestamp - moment.timestamp()
                if bound is None or not -_SKEW_SECONDS < lag < bound:
                    return False
        if not self.history.advance(index, ticket, seq, prev, policy, (event, moved_from, to, role), leaf):
            return False
        if timed:
            if anchor is None:
                self.pending.append((index, data))
            else:
                self._in_time(anchor.moment - moment)
        return True

    def _lag_bound(self, policy_id: str) -> float | None:
        bound = self._lag_bounds.get(policy_id)
        if bound is None:
            policy = self.history.policy(policy_id)
            if policy is None:
                return None
            bound = self._lag_bounds[policy_id] = policy.max_anchor_lag.total_seconds() - _V10_MARGIN
        return bound

    def _in_time(self, lag: timedelta) -> None:
        self.in_time += 1
        if self.worst_lag is None or lag > self.worst_lag:
            self.worst_lag = lag

    def _transition(self, index: int, entry: Transition, leaf: bytes | None) -> None:
        self.history.transition(index, entry, leaf, self._fail)
        if self.anchors is not None:
            self._timeliness(index, entry)

    def _timeliness(self, index: int, entry: Transition) -> None:
        if self.anchors is None or not self.report.ok("V10"):
            return
        policy = self.history.policy(entry.policy)
        try:
            anchor = self.anchors.covering(index)
        except SourceError as exc:
            self.report.not_run("V10", f"the chain could not be read: {exc}")
            self.anchors = None
            return
        if anchor is None:
            self.pending.append((index, entry.data))
            return
        if policy is None:
            return
        try:
            lag = check_timeliness(index, entry, anchor, policy)
        except VerificationError as exc:
            self._fail(exc, "V10")
            return
        self._in_time(lag)

    @property
    def unanchored(self) -> int:
        return len(self.pending)

    def recheck_pending(self) -> None:
        """Step V10 for the transitions an earlier run passed before any anchor covered them (newer anchors now)."""
        if self.anchors is None:
            return
        waiting, self.pending = self.pending, []
        for index, data in waiting:
            entry = parse_entry(data)
            if isinstance(entry, Transition):
                self._timeliness(index, entry)

    def finish(self) -> None:
        """Record the passes (a step that failed or could not run keeps that result)."""
        history = self.history
        tickets = len(history.tickets)
        self.report.passed("V7", f"{tickets} ticket chain(s) of {history.transitions} transition(s) intact")
        self.report.passed(
            "V8", f"{history.transitions} transition(s) allowed by {len(history.policies)} published policy(ies)"
        )
        self.report.passed("V9", f"{history.signed} signed transition(s) verified against {len(history.keys)} key(s)")
        if self.anchors is not None:
            worst = self.worst_lag if self.worst_lag is not None else timedelta(0)
            pending = f"; {self.unanchored} not anchored yet" if self.unanchored else ""
            self.report.passed("V10", f"{self.in_time} transition(s) anchored in time (longest lag {worst}){pending}")
        self.report.facts.update(
            tickets=tickets, transitions=history.transitions, signed=history.signed, policies=len(history.policies)
        )
