"""Fixtures of the evidence tests: a ledger with live demo traffic, anchored on a real chain, and its trust file.

The chain fixtures are the anchor worker's (eth-tester in process and anvil); the ledger runs on SQLite
and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ledger.anchoring.deployment import Deployment
from ledger.anchoring.worker import AnchorWorker
from ledger.demo import seed_demo
from ledger.evidence_cli import build_trust
from ledger.service import Ledger
from tests.anchoring import conftest as anchoring
from tests.conftest import ORIGIN
from tests.evidence.scene import Scene, build_scene
from verifier.seen import SeenCheckpoints
from verifier.trust import Trust

TICKETS = 12

# The anchor worker's chain fixtures, shared.
clock, deployment, dev_chain, make_worker = (
    anchoring.clock,
    anchoring.deployment,
    anchoring.dev_chain,
    anchoring.make_worker,
)


@dataclass
class AnchoredLog:
    """A ledger whose demo tickets are all anchored, the worker that anchored them, and the log's trust."""

    ledger: Ledger
    worker: AnchorWorker
    trust: Trust
    tickets: list[str]


@pytest.fixture
def anchored(ledger: Ledger, make_worker: Callable[..., AnchorWorker], deployment: Deployment) -> AnchoredLog:
    receipts = seed_demo(ledger, TICKETS, seed=5, live_until=datetime.now(UTC))
    worker = make_worker()
    assert worker.step() is not None
    tickets = sorted({r.ticket for r in receipts})
    return AnchoredLog(ledger, worker, build_trust(ledger, deployment, confirmations=1), tickets)


@pytest.fixture
def scene(tmp_path: Path) -> Scene:
    """The simulated log of the tamper suite, with an empty state directory (see ``tests.evidence.scene``)."""
    return build_scene(SeenCheckpoints.load(tmp_path / "state", ORIGIN))
