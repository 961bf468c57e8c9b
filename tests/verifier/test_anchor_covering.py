"""``ChainAnchors.covering`` remembers the last anchor it found for the walk's next index; the answers stay those
of a plain search over the anchors' sizes, in any order of asking, and each anchor's time is read from the chain
once."""

from __future__ import annotations

import bisect
import random
from typing import Any

import pytest

from verifier.anchor_check import ChainAnchors
from verifier.chain_view import AnchoredEvent, OnChainAnchor
from verifier.errors import SourceError
from verifier.trust import ChainPlace, Trust

SIZES = [5, 6, 20, 21, 50]
PLACE = ChainPlace(chain_id=31337, contract="0x" + "11" * 20, log_id=b"\x22" * 32)


class AnchoredChain:
    """The chain's answers about the anchors, with a count of the reads (only what ``covering`` asks)."""

    def __init__(self, missing: int | None = None) -> None:
        self.reads = 0
        self.missing = missing

    def anchored_at(self, contract: str, log_id: bytes, size: int) -> OnChainAnchor | None:
        assert (contract, log_id) == (PLACE.contract, PLACE.log_id)
        self.reads += 1
        return None if size == self.missing else OnChainAnchor(size, b"\x00" * 32, 100 + size, 1_700_000_000 + size)


def anchors(chain: AnchoredChain) -> ChainAnchors:
    events = [AnchoredEvent(s, b"\x00" * 32, 0, 100 + s, b"\x01" * 32, b"\x02" * 32) for s in reversed(SIZES)]
    trust = Trust(origin="example.org/log", verifier_keys=(), chain=PLACE, confirmations=1)
    return ChainAnchors(chain, trust, events)  # type: ignore[arg-type]


def expected(index: int) -> int | None:
    position = bisect.bisect_right(SIZES, index)
    return SIZES[position] if position < len(SIZES) else None


def size_of(found: Any) -> int | None:
    return None if found is None else found.size


def test_in_index_order_every_anchor_is_read_once() -> None:
    chain = AnchoredChain()
    view = anchors(chain)
    for index in range(60):
        assert size_of(view.covering(index)) == expected(index), index
    assert chain.reads == len(SIZES)


@pytest.mark.parametrize("seed", range(5))
def test_in_any_order_the_answers_are_the_plain_search(seed: int) -> None:
    view = anchors(AnchoredChain())
    indices = [random.Random(seed).randrange(60) for _ in range(300)]
    for index in indices:
        assert size_of(view.covering(index)) == expected(index), index


def test_an_anchor_the_chain_does_not_hold_is_an_error_every_time() -> None:
    view = anchors(AnchoredChain(missing=20))
    assert size_of(view.covering(5)) == 6
    for index in (6, 7, 19):
        with pytest.raises(SourceError, match="size 20"):
            view.covering(index)
    assert size_of(view.covering(20)) == 21
