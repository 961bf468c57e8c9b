"""``GET /v1/tickets/{ticket}/bundle``: a ticket's anchored history as a bundle the verifier accepts."""

from __future__ import annotations

import dataclasses
import hashlib
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
from verifier.entry import ExportEntry, Transition, format_at, parse_entry
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


@pytest.mark.parametrize("dev_chain", ["eth-tester"], indirect=True)
def test_an_export_over_http_is_signed_logged_and_discloses_only_with_admin(
    make_api: Callable[..., AbstractContextManager[Api]], dev_chain: DevChain, deployment: Deployment
) -> None:
    with make_api() as api:
        assert api.post("/v1/transitions", register(at=_now(2))).status_code == 201
        assert_problem(api.post("/v1/exports", {"tickets": [TICKET]}, scope="export"), 409, "not_anchored_yet")
        assert _worker(api, dev_chain, deployment).step() is not None

        assert_problem(api.post("/v1/exports", {"tickets": ["NO-SUCH-TICKET"]}, scope="export"), 422, "export_refused")
        assert_problem(api.post("/v1/exports", {"org": "no-such-org"}, scope="export"), 422, "export_refused")
        assert_problem(
            api.post("/v1/exports", {"from": "2026-04-01", "to": "2026-03-01"}, scope="export"), 422, "export_refused"
        )
        assert_problem(
            api.post("/v1/exports", {"tickets": [TICKET], "disclose": True}, scope="export"), 403, "insufficient_scope"
        )
        assert_problem(api.post("/v1/exports", {"ticket": TICKET}, scope="export"), 422, "validation_error")

        created = api.post("/v1/exports", {"org": "330100-12345", "from": "2020-01-01"}, scope="export")
        assert created.status_code == 201, created.text
        receipt = created.json()
        assert (receipt["tickets"], receipt["entries"]) == (1, 1)
        fetched = api.get(receipt["bundle"], scope="export")
        assert fetched.status_code == 200 and fetched.headers["content-type"] == "application/json"
        assert hashlib.sha256(fetched.content).hexdigest() == receipt["sha256"]
        assert "王先生".encode() not in fetched.content
        assert_problem(api.get("/v1/exports/export-20260101000000-00000000", scope="export"), 404, "export_not_found")
        assert_problem(api.get("/v1/exports/..%2Fledger.db", scope="export"), 404, "not_found")
        assert_problem(api.get("/v1/exports/.staging-0", scope="export"), 404, "export_not_found")

        trust = dataclasses.replace(
            build_trust(api.services.ledger, deployment, confirmations=1),
            exporter_keys=(api.services.exporter.verifier(),),
        )
        report = verify_bundle(fetched.content, trust, chain=None, seen=None)
        assert report.results["V13"].status is Status.PASSED and report.first_failure is None, report.lines()
        logged = parse_entry(api.services.ledger.entry(receipt["index"]).data)  # type: ignore[union-attr]
        assert isinstance(logged, ExportEntry) and logged.by.startswith("api-key:")

        disclosed = api.post("/v1/exports", {"tickets": [TICKET], "disclose": True}, scope="all")
        assert disclosed.status_code == 201, disclosed.text
        bundle = parse_bundle(api.get(disclosed.json()["bundle"], scope="all").content)
        assert [d.payload["caller"] for d in bundle.disclosures] == ["王先生"]
