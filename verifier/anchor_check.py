"""Steps V5 and V6 against the chain the trust file names, and the anchor times step V10 needs.

V5: the endpoints are on the trusted chain, the trusted contract is deployed there, and the contract's
root for the checkpoint's size is the checkpoint's root. V6: that anchor has the confirmations the trust
file demands and its block is canonical — the block, transaction and time a bundle claims for it must
be the chain's. Too few confirmations is not a failure but not yet a verification (step not run).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from verifier.bundle import AnchorClaim
from verifier.chain_view import AnchoredEvent, ChainView
from verifier.checkpoint import Checkpoint
from verifier.errors import SourceError, VerificationError
from verifier.report import Report
from verifier.timeliness import AnchorTime
from verifier.trust import Trust

CHAIN_STEPS = ("V5", "V6", "V10")


@dataclass
class ChainAnchors:
    """The log's anchors as the chain has them (``Anchored`` events), with block times fetched on demand."""

    chain: ChainView
    trust: Trust
    events: list[AnchoredEvent]
    _times: dict[int, AnchorTime] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.events.sort(key=lambda e: e.size)
        self._sizes = [e.size for e in self.events]
        #: The indices the last anchor found covers, ``[low, high)``: a walk in index order asks for it again.
        self._window: tuple[int, int, AnchorTime] | None = None

    def covering(self, index: int) -> AnchorTime | None:
        """The first anchor whose size exceeds ``index``, with its block time (raises ``SourceError``)."""
        window = self._window
        if window is not None and window[0] <= index < window[1]:
            return window[2]
        position = bisect.bisect_right(self._sizes, index)
        if position == len(self.events):
            return None
        event = self.events[position]
        known = self._times.get(event.size)
        if known is None:
            stored = self.chain.anchored_at(self.trust.chain.contract, self.trust.chain.log_id, event.size)
            if stored is None:
                raise SourceError(f"the chain lists an anchor at size {event.size} but holds none there")
            known = self._times[event.size] = AnchorTime(event.size, stored.block_number, stored.timestamp)
        self._window = (self._sizes[position - 1] if position else 0, event.size, known)
        return known


def wrong_place(chain: ChainView, trust: Trust) -> VerificationError | None:
    """V5's first question, for every chain check: is the endpoint on the trusted chain, with the trusted
    contract deployed there? Returns the failure, or ``None``.

    Raises:
        SourceError, VerificationError: as the chain's reads do.
    """
    chain_id = chain.chain_id()
    if chain_id != trust.chain.chain_id:
        return VerificationError(
            f"the RPC endpoint is on chain {chain_id}, not the trusted chain {trust.chain.chain_id}",
            chain_id=chain_id,
            trusted_chain_id=trust.chain.chain_id,
        )
    if not chain.code_present(trust.chain.contract):
        contract = trust.chain.contract
        return VerificationError(f"no contract at {contract} on chain {chain_id}", contract=contract)
    return None


def check_anchor(
    report: Report, trust: Trust, checkpoint: Checkpoint, claim: AnchorClaim | None, chain: ChainView
) -> ChainAnchors | None:
    """Run V5 and V6 for ``checkpoint`` (and the bundle's ``claim`` about its anchor, if any).

    Returns the chain's anchors for V10 when the chain could be read and the anchor checks out.
    """
    contract, log_id = trust.chain.contract, trust.chain.log_id
    size, root = checkpoint.tree_size, checkpoint.root_hash
    try:
        failure = wrong_place(chain, trust)
        if failure is not None:
            report.failed("V5", failure)
            return None
        head = chain.head()
        stored = chain.anchored_at(contract, log_id, size)
        events = chain.anchored_events(contract, log_id, to_block=head)
        canonical = chain.block_hash(claim.block_number) if claim else None
        anchored_hash = chain.block_hash(stored.block_number) if stored else None
    except VerificationError as exc:
        report.failed("V5", exc)
        return None
    except SourceError as exc:
        for step in CHAIN_STEPS:
            report.not_run(step, f"the chain could not be read: {exc}")
        return None
    if stored is None:
        if claim is not None and canonical != claim.block_hash:
            report.failed(
                "V6",
                f"the anchor's block {claim.block_number} is no longer on the canonical chain (a reorg removed it) "
                f"and the contract holds no root for size {size}",
                block_number=claim.block_number,
                claimed_block_hash=claim.block_hash,
                canonical_block_hash=canonical,
            )
            report.not_run("V5", "the anchor was removed from the chain (V6)")
        else:
            report.failed("V5", f"the contract holds no anchor of size {size} for this log", size=size)
        return None
    if stored.root != root:
        report.failed(
            "V5",
            f"the checkpoint's root is not the root the contract holds for size {size}: the checkpoint is of a "
            "forked log",
            size=size,
            checkpoint_root=root,
            anchored_root=stored.root,
            block_number=stored.block_number,
        )
        return None
    report.passed(
        "V5", f"size {size} anchored with this root in block {stored.block_number} of chain {trust.chain.chain_id}"
    )
    event = next((e for e in events if e.size == size), None)
    if event is None or event.block_hash != anchored_hash or event.block_number != stored.block_number:
        report.failed(
            "V6",
            f"the chain's Anchored event for size {size} is missing or not in the canonical block",
            block_number=stored.block_number,
            canonical_block_hash=anchored_hash,
        )
        return None
    if claim is not None:
        stated = (claim.block_number, claim.block_hash, claim.tx, claim.timestamp)
        actual = (stored.block_number, anchored_hash, event.tx_hash, stored.timestamp)
        if stated != actual:
            report.failed(
                "V6",
                "the anchor the evidence names (block, transaction, time) is not the one on the canonical chain",
                claimed_block=claim.block_number,
                claimed_block_hash=claim.block_hash,
                claimed_tx=claim.tx,
                canonical_block=stored.block_number,
                canonical_block_hash=anchored_hash,
                canonical_tx=event.tx_hash,
            )
            return None
    confirmations = head - stored.block_number + 1
    if confirmations < trust.confirmations:
        report.not_run(
            "V6", f"the anchor has {confirmations} of the {trust.confirmations} confirmations required; try again later"
        )
    else:
        report.passed("V6", f"{confirmations} confirmations (at least {trust.confirmations}), block is canonical")
    return ChainAnchors(chain, trust, events)
