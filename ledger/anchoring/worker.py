"""The anchor worker: publish a checkpoint every interval (or when enough entries wait) and anchor it.

One transaction anchors the latest checkpoint with the consistency proof from the last anchored size, so
a backlog after an outage costs one transaction, not one per checkpoint. The chain is the source of
truth about what is anchored: on start, after any error and whenever the last recorded anchor's block is
no longer canonical, the worker reconciles its records with ``latest(logId)``:

* an anchor on chain that was never recorded (a crash between sending and recording) is looked up by its
  ``Anchored`` event and recorded, after checking that its root is this log's root at that size;
* recorded anchors the chain no longer has (a reorg dropped them) are stamped as dropped, and the next
  step anchors the checkpoint again;
* an anchored root that is not this log's root at that size is a fork: the worker stops, loudly.

Sending twice is harmless — the contract refuses an equal or smaller size — so no crash can double-anchor.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ledger.anchoring.chain import AnchorChain, AnchorRejected, Confirmed, ReorgDetected
from ledger.errors import LedgerError
from ledger.records import StoredAnchor, StoredCheckpoint
from ledger.service import Ledger

log = logging.getLogger("hotline.anchor")


class AnchorForkError(LedgerError):
    """The chain holds a root for this log that is not the log's root at that size."""

    code = "anchor_fork"


@dataclass(frozen=True)
class WorkerConfig:
    """When to publish and how long to wait.

    ``interval``: seconds between checkpoints; ``max_pending``: publish early when this many entries wait;
    ``confirmations``: blocks (including the anchor's) before an anchor is recorded; ``retry`` and
    ``max_retry``: the backoff after a failure, in seconds; ``tick``: how often the loop looks at the
    pending count between checkpoints.
    """

    interval: float = 2.0
    max_pending: int = 10_000
    confirmations: int = 1
    receipt_timeout: float = 60.0
    retry: float = 1.0
    max_retry: float = 30.0
    tick: float = 0.2


def _now_ms() -> int:
    return int(time.time() * 1000)


class AnchorWorker:
    """Publishes and anchors the checkpoints of ``ledger`` on ``chain``."""

    def __init__(
        self,
        ledger: Ledger,
        chain: AnchorChain,
        config: WorkerConfig | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ledger = ledger
        self.chain = chain
        self.config = config or WorkerConfig()
        self.clock = clock
        self._last_publish: float | None = None
        self._reconciled = False
        self.failures = 0

    # -- reconciling with the chain ---------------------------------------------------------------

    def reconcile(self) -> None:
        """Bring the recorded anchors in line with the chain (see the module's docstring).

        Raises:
            ChainMismatch: wrong chain or contract.
            AnchorForkError: the chain holds another root for this log.
        """
        self.chain.check()
        on_chain = self.chain.latest()
        recorded = self.ledger.anchors()
        gone = [a for a in recorded if a.tree_size > on_chain.size or not self._still_there(a)]
        if gone:
            for anchor in gone:
                log.warning(
                    "anchor of size %d (tx 0x%s, block %d) is no longer on the chain; it will be anchored again",
                    anchor.tree_size,
                    anchor.tx_hash.hex(),
                    anchor.block_number,
                )
            self.ledger.drop_anchors([a.id for a in gone if a.id is not None])
            self.chain.resync_nonce()
        if on_chain.size == 0:
            self._reconciled = True
            return
        self._check_root(on_chain.size, on_chain.root)
        latest = self.ledger.latest_anchor()
        if latest is None or latest.tree_size != on_chain.size:
            found = self.chain.find_anchor(on_chain.size)
            if found is None:
                raise AnchorForkError(
                    f"the chain says size {on_chain.size} is anchored but holds no Anchored event for it",
                    size=on_chain.size,
                )
            self._record(on_chain.size, on_chain.root, found)
            log.info("recorded anchor of size %d found on chain (tx 0x%s)", on_chain.size, found.tx_hash.hex())
        self._reconciled = True

    def _still_there(self, anchor: StoredAnchor) -> bool:
        """Whether a recorded anchor's block is canonical and the contract still holds its root."""
        if not self.chain.is_canonical(anchor.block_number, anchor.block_hash):
            return False
        held = self.chain.anchored_at(anchor.tree_size)
        return held is not None and held.root == anchor.root

    def _check_root(self, size: int, root: bytes) -> None:
        head = self.ledger.head()
        if size > head.tree_size:
            raise AnchorForkError(
                f"the chain holds an anchor of size {size} but this log has only {head.tree_size} entries",
                size=size,
                tree_size=head.tree_size,
            )
        ours = self.ledger.root_at(size)
        if ours != root:
            raise AnchorForkError(
                f"the chain anchors root {root.hex()} at size {size}, this log's root there is {ours.hex()}",
                size=size,
                anchored=root.hex(),
                ours=ours.hex(),
            )

    # -- one step -----------------------------------------------------------------------------------

    def step(self) -> StoredAnchor | None:
        """Publish a checkpoint if one is due, and anchor the latest checkpoint if it is not yet anchored.

        Returns the anchor recorded by this step, if any.
        """
        anchored = self.ledger.latest_anchor()
        if not self._reconciled or not self._canonical(anchored):
            self.reconcile()
            anchored = self.ledger.latest_anchor()
        checkpoint = self._publish_if_due()
        anchored_size = anchored.tree_size if anchored else 0
        if checkpoint is None or checkpoint.tree_size <= anchored_size:
            return None
        proof = self.ledger.consistency_proof(anchored_size, checkpoint.tree_size) if anchored_size else []
        try:
            tx_hash = self.chain.send_anchor(checkpoint.tree_size, checkpoint.root, proof)
            log.info("anchoring size %d (from %d): tx 0x%s", checkpoint.tree_size, anchored_size, tx_hash.hex())
            confirmed = self.chain.wait_confirmed(
                tx_hash, confirmations=self.config.confirmations, timeout=self.config.receipt_timeout
            )
        except (AnchorRejected, ReorgDetected):
            # Someone (a previous run, a reorg) changed what the chain holds: look again next step.
            self._reconciled = False
            raise
        return self._record(checkpoint.tree_size, checkpoint.root, confirmed)

    def _publish_if_due(self) -> StoredCheckpoint | None:
        """Publish a checkpoint when one is due; return the latest checkpoint either way."""
        now = self.clock()
        head = self.ledger.head()
        checkpoint = self.ledger.latest_checkpoint()
        pending = head.tree_size - (checkpoint.tree_size if checkpoint else 0)
        due = self._last_publish is None or now - self._last_publish >= self.config.interval
        if pending > 0 and (due or pending >= self.config.max_pending):
            checkpoint = self.ledger.publish_checkpoint()
            self._last_publish = now
        return checkpoint

    def _canonical(self, anchor: StoredAnchor | None) -> bool:
        return anchor is None or self.chain.is_canonical(anchor.block_number, anchor.block_hash)

    def _record(self, size: int, root: bytes, confirmed: Confirmed) -> StoredAnchor:
        anchor = StoredAnchor(
            tree_size=size,
            root=root,
            chain_id=self.chain.chain_id,
            contract=self.chain.address,
            tx_hash=confirmed.tx_hash,
            block_number=confirmed.block_number,
            block_hash=confirmed.block_hash,
            block_timestamp=confirmed.timestamp,
            recorded_at=_now_ms(),
        )
        return self.ledger.record_anchor(anchor)

    # -- the loop -------------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Step until ``stop`` is set; back off after failures; stop on a fork or a wrong chain.

        Only the leader anchors: while another process holds this log's ``anchor-worker`` role (a
        PostgreSQL advisory lock, or a lock file beside a SQLite database), this one stands by.
        """
        leadership = self.ledger.leadership("anchor-worker")
        standing_by = False
        try:
            while not stop.is_set():
                if not leadership.acquire():
                    if not standing_by:
                        log.info("another anchor worker is active for %s; standing by", self.ledger.origin)
                    standing_by = True
                    self._reconciled = False
                    stop.wait(self.config.interval)
                    continue
                if standing_by:
                    log.info("this anchor worker is now the active one")
                    standing_by = False
                stop.wait(self._guarded_step())
        finally:
            leadership.release()

    def _guarded_step(self) -> float:
        """One step; returns how long to wait before the next one."""
        try:
            self.step()
        except AnchorForkError:
            raise
        except LedgerError as exc:
            if exc.code == "chain_mismatch":
                raise
            return self._failed(f"{exc.code}: {exc.message}")
        except Exception as exc:  # the chain's transport errors are many; log them all and retry
            return self._failed(f"{type(exc).__name__}: {exc}")
        self.failures = 0
        return min(self.config.tick, self.config.interval)

    def _failed(self, reason: str) -> float:
        self.failures += 1
        self._reconciled = False
        delay = min(self.config.retry * 2.0 ** (self.failures - 1), self.config.max_retry)
        log.warning("anchoring failed (%d in a row): %s; retrying in %.1f s", self.failures, reason, delay)
        return delay
