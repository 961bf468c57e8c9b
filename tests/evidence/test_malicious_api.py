"""A malicious API over real HTTP (serving the simulated log): ``verify_ticket`` and ``audit_log`` read it
through the real ``LogApi`` and end FAILED at the right step or INCOMPLETE — never with an exception.
``log`` runs with entries pages in both representations: binary (what ``LogApi`` asks for) and JSON."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.evidence import malicious_api as m
from tests.evidence.scene import Scene
from verifier.log_audit import audit_log
from verifier.report import Outcome, Report
from verifier.sources.api import LogApi
from verifier.ticket_check import verify_ticket

BUNDLE, CHECKPOINT, ENTRIES, CONSISTENCY = "/v1/tickets/", "/v1/checkpoint", "/v1/entries", "/v1/proofs/consistency"

Case = tuple[str, str, Callable[[m.Reply], m.Reply], Outcome, str | None]
#: How entries pages are served: as the client asks (binary), or JSON whatever it asks.
FORMATS = {"binary": None, "json": m.JSON}

CASES: list[Case] = [
    ("ticket", BUNDLE, m.flip_entry, Outcome.FAILED, "V2"),
    ("ticket", BUNDLE, m.garbage, Outcome.FAILED, "V1"),
    ("ticket", BUNDLE, m.truncated, Outcome.FAILED, "V1"),
    ("ticket", BUNDLE, m.server_error, Outcome.INCOMPLETE, None),
    ("ticket", BUNDLE, m.hang_up, Outcome.INCOMPLETE, None),
    ("ticket", BUNDLE, m.slow(2), Outcome.INCOMPLETE, None),
    ("ticket", CHECKPOINT, m.forge_checkpoint, Outcome.FAILED, "V4"),
    ("ticket", CHECKPOINT, m.garbage, Outcome.INCOMPLETE, None),
    ("ticket", CONSISTENCY, m.wrong_proof, Outcome.FAILED, "V12"),
    ("ticket", CONSISTENCY, m.truncated, Outcome.INCOMPLETE, None),
    ("ticket", CONSISTENCY, m.deeply_nested, Outcome.INCOMPLETE, None),
    ("ticket", BUNDLE, m.deeply_nested, Outcome.FAILED, "V1"),
    ("log", ENTRIES, m.flip_entry, Outcome.FAILED, "V3"),
    ("log", ENTRIES, m.drop_entry_renumbered, Outcome.FAILED, "V3"),
    ("log", ENTRIES, m.reorder_entries, Outcome.FAILED, "V3"),
    ("log", ENTRIES, m.drop_entry_unnumbered, Outcome.INCOMPLETE, None),
    ("log", ENTRIES, m.garbage, Outcome.INCOMPLETE, None),
    ("log", ENTRIES, m.truncated, Outcome.INCOMPLETE, None),
    ("log", ENTRIES, m.deeply_nested, Outcome.INCOMPLETE, None),
    ("log", ENTRIES, m.server_error, Outcome.INCOMPLETE, None),
    ("log", ENTRIES, m.slow(2), Outcome.INCOMPLETE, None),
    ("log", CHECKPOINT, m.forge_checkpoint, Outcome.FAILED, "V4"),
    ("log", CHECKPOINT, m.truncated, Outcome.FAILED, "V1"),
]


def _verify(scene: Scene, command: str, url: str) -> Report:
    with LogApi(url, timeout=0.5) as api:
        if command == "ticket":
            return verify_ticket(api, "T-1001", scene.trust, chain=scene.chain, seen=scene.seen)
        assert scene.chain is not None
        return audit_log(api, scene.trust, scene.chain, scene.seen)


@pytest.fixture
def served(scene: Scene) -> Scene:
    """The scene anchored, plus one later entry under a newer checkpoint (so V12 asks for a consistency proof)."""
    scene.seal()
    scene.sim.transition("T-1003", "submit_for_dispatch", "pending_dispatch")
    scene.sim.publish()
    return scene


def _served_as(server: m.MaliciousApi, route: str, pages: str) -> None:
    """The entries pages went out in the representation under test."""
    kinds = {k for p, k in zip(server.requests, server.kinds, strict=True) if p.startswith(ENTRIES)}
    if route == ENTRIES:
        assert kinds == {m.BINARY if pages == "binary" else m.JSON}, kinds


RUNS = [("ticket", "binary"), ("log", "binary"), ("log", "json")]
TAMPERED = [(*c, pages) for c in CASES for pages in (FORMATS if c[0] == "log" else ["binary"])]


@pytest.mark.parametrize(("command", "pages"), RUNS)
def test_the_honest_server_verifies(served: Scene, command: str, pages: str) -> None:
    with m.MaliciousApi(m.simulated(served.api), accept=FORMATS[pages]) as server:
        report = _verify(served, command, server.url)
        _served_as(server, ENTRIES if command == "log" else BUNDLE, pages)
    assert report.outcome is Outcome.VERIFIED, "\n".join(report.lines())


@pytest.mark.parametrize(
    ("command", "route", "rewrite", "outcome", "step", "pages"),
    TAMPERED,
    ids=[f"{c[0]}-{c[1].strip('/').split('/')[-1]}-{getattr(c[2], '__name__', 'slow')}-{c[5]}" for c in TAMPERED],
)
def test_a_malicious_server_makes_verification_fail_or_end_incomplete(
    served: Scene,
    command: str,
    route: str,
    rewrite: Callable[[m.Reply], m.Reply],
    outcome: Outcome,
    step: str | None,
    pages: str,
) -> None:
    with m.MaliciousApi(m.simulated(served.api), m.on(route, rewrite), accept=FORMATS[pages]) as server:
        report = _verify(served, command, server.url)
        assert any(path.startswith(route) for path in server.requests), "the tampered route was not read"
        _served_as(server, route, pages)
    summary = report.summary()
    assert report.outcome is outcome and "\n" not in summary, "\n".join(report.lines())
    if step is not None:
        assert report.first_failure is not None and report.first_failure.step == step, "\n".join(report.lines())
    else:
        assert summary.startswith("INCOMPLETE: "), summary
