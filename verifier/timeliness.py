"""Step V10: an event is not claimed after the anchor that first covered it, nor anchored too late.

The anchor times come from the chain (block timestamps of the ``Anchored`` events), never from the
evidence: the first anchor whose size exceeds an entry's index is when the entry became undeniable.
An entry whose ``at`` is later than that (beyond a small clock skew) claims a time it could not have
had; one anchored more than the policy's ``max_anchor_lag`` after its ``at`` was held back.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property

from verifier.entry import Transition, parse_at
from verifier.errors import VerificationError
from verifier.policy import Policy

#: How far a submitter's clock may run ahead of the chain's block time.
MAX_CLOCK_SKEW = timedelta(seconds=60)


class TimelinessError(VerificationError):
    """An event claimed after it was anchored, or anchored later than its policy allows (step V10)."""

    step = "V10"


@dataclass(frozen=True)
class AnchorTime:
    """An anchor as the chain has it: the size it covers, its block and the block's time (seconds)."""

    size: int
    block_number: int
    timestamp: int

    @cached_property
    def moment(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp, UTC)


class AnchorTimes:
    """A log's anchors in increasing size, to find the first one covering an index."""

    def __init__(self, anchors: list[AnchorTime]) -> None:
        self.anchors = sorted(anchors, key=lambda a: a.size)
        self._sizes = [a.size for a in self.anchors]

    def covering(self, index: int) -> AnchorTime | None:
        position = bisect.bisect_right(self._sizes, index)
        return self.anchors[position] if position < len(self.anchors) else None


def check_timeliness(index: int, entry: Transition, anchor: AnchorTime, policy: Policy) -> timedelta:
    """Check one transition against the anchor that first covered it; return its anchoring lag.

    Raises:
        TimelinessError: ``at`` is after the anchor's block time (beyond ``MAX_CLOCK_SKEW``), or the lag
            exceeds the policy's ``max_anchor_lag``.
    """
    at = entry.moment or parse_at(entry.at)
    lag = anchor.moment - at
    if -lag <= MAX_CLOCK_SKEW and lag <= policy.max_anchor_lag:
        return lag
    where = {
        "ticket": entry.ticket,
        "seq": entry.seq,
        "index": index,
        "at": entry.at,
        "anchored_at": anchor.moment.isoformat(),
        "anchor_block": anchor.block_number,
    }
    if -lag > MAX_CLOCK_SKEW:
        raise TimelinessError(
            f"ticket {entry.ticket} seq {entry.seq} claims {entry.at}, after it was anchored "
            f"({anchor.moment.isoformat()}, block {anchor.block_number})",
            **where,
        )
    if lag > policy.max_anchor_lag:
        raise TimelinessError(
            f"ticket {entry.ticket} seq {entry.seq} was anchored {lag} after {entry.at}, later than the "
            f"policy's bound of {policy.max_anchor_lag}",
            lag_seconds=int(lag.total_seconds()),
            bound_seconds=int(policy.max_anchor_lag.total_seconds()),
            **where,
        )
    return lag
