"""``GET /v1/tickets/{ticket}/bundle``: a ticket's anchored history as a bundle the verifier accepts."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta

import pytest

from ledger.anchoring.deployment import Deployment
from ledger.anchoring.worker import AnchorWorker, WorkerConfig
from ledger.evidence_cli import build_trust
from tests.anchoring import conftest as anchoring
from tests.anchoring.conftest import DevChain, anchor_chain
from tests.api.conftest import TICKET, Api, assert_problem, register, submit_for_dispatch
from verifier.bundle import parse_bundle
from verifier.bundle_check import verify_bundle
from verifier.entry import Transition, format_at, parse_entry
from verifier.report import Outcome, Status

dev_chain, deployment = anchoring.dev_chain, anchoring.deployment


def _now(seconds_ago: float = 0) -> str:
    return format_at(datetime.now(UTC) - timedelta(seconds=seconds_ago))


def _worker(api: Api, chain: DevChain, record: Deployment) -> AnchorWorker:
    return AnchorWorker(api.services.ledger, anchor_chain(chain.w3, record), WorkerConfig(retry=0.01, max_retry=0.05))


@pytest.mark.parametrize("dev_chain", ["eth-tester"], indirect=True)
def test_a_ticket_bundle_holds_its_anchored_entries_and_verifies_offline(
    make_api: Callable[..., AbstractContextManager[Api]], dev_chain: DevChain, deployment: Deployment
) -> None:
    with make_api() as api:
        assert api.post("/v1/transitions", register(at=_now(2))).status_code == 201
        path = f"/v1/tickets/{TICKET}/bundle"
        assert_problem(api.get(path), 409, "not_anchored_yet")
        assert_problem(api.get("/v1/tickets/NO-SUCH-TICKET/bundle"), 404, "ticket_not_found")
        assert _worker(api, dev_chain, deployment).step() is not None
        assert api.post("/v1/transitions", submit_for_dispatch(at=_now(1))).status_code == 201

        response = api.get(path)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        assert response.headers["x-pending-entries"] == "1"
        bundle = parse_bundle(response.content)
        (entry,) = [parse_entry(e.data) for e in bundle.entries]
        assert isinstance(entry, Transition) and (entry.ticket, entry.seq) == (TICKET, 1)
        assert len(bundle.policies) == 1 and bundle.keys == ()
        assert "王先生".encode() not in response.content and b"13800001234" not in response.content

        trust = build_trust(api.services.ledger, deployment, confirmations=1)
        report = verify_bundle(response.content, trust, chain=None, seen=None)
        failed = [r for r in report.ordered if r.status is Status.FAILED]
        assert report.outcome is Outcome.INCOMPLETE and not failed, report.lines()
