"""The tamper suite's stage: a simulated log with a little history, its server, its trust and a state file.

The history (every index fixed, so attacks can name them)::

    0 policy cn-baseline          4 T-1001 dispatch              | anchor A1 at size 6
    1 key agent-7 registered      5 T-1002 register, signed by agent-7
    2 T-1001 register (payload)   6 T-1001 accept (unit)
    3 T-1001 submit_for_dispatch  7 T-1003 register              | anchor A2 at size 8 (by ``seal``)

An attack changes the producer (the simulator), the server (hooks) or the chain, then ``seal``
anchors whatever the log holds by then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.evidence.sim_server import SimulatedApi
from tests.evidence.simulator import UNIT, LogSimulator
from verifier.chain_view import ChainView
from verifier.report import Outcome, Report
from verifier.seen import SeenCheckpoints
from verifier.trust import Trust

FIRST_ANCHOR = 6


@dataclass
class Scene:
    sim: LogSimulator
    api: SimulatedApi
    trust: Trust
    seen: SeenCheckpoints
    #: The chain the verifier reads (the simulator's, unless an attack gives it another; ``None``: offline).
    chain: ChainView | None

    def seal(self) -> None:
        """Anchor everything appended since the last anchor (the operator's worker, doing its job)."""
        if self.sim.size > max(self.sim.claims):
            self.sim.anchor()


def build_scene(seen: SeenCheckpoints) -> Scene:
    sim = LogSimulator()
    sim.register_key("agent-7")
    sim.open_ticket("T-1001", payload={"caller": "王先生", "content": "夜间施工噪音"})
    sim.transition("T-1002", "register", "registered", key="agent-7")
    sim.anchor()
    assert sim.size == FIRST_ANCHOR
    sim.transition("T-1001", "accept", "accepted", role="unit", org=UNIT)
    sim.transition("T-1003", "register", "registered")
    return Scene(sim, SimulatedApi(sim), sim.trust(), seen, sim.chain)


@dataclass(frozen=True)
class Expected:
    """How an attack must be refused: the first failed step and evidence it must name.

    ``log_step`` is the step a full audit fails at (``None``: the attack does not apply to a log
    audit); ``bundle`` is false for attacks only a server can make (e.g. serving an old checkpoint).
    """

    ticket: str
    step: str
    evidence: dict[str, Any] = field(default_factory=dict)
    log_step: str | None = None
    log_evidence: dict[str, Any] = field(default_factory=dict)
    bundle: bool = True


def assert_refused(report: Report, step: str, evidence: dict[str, Any]) -> None:
    """The report FAILED, first at ``step``, and its evidence holds ``evidence`` (values in report form)."""
    shown = "\n".join(report.lines())
    failure = report.first_failure
    assert report.outcome is Outcome.FAILED, shown
    assert failure is not None and failure.step == step, shown
    document = failure.document()["evidence"]
    for name, value in evidence.items():
        assert name in document, f"evidence lacks {name!r}\n{shown}"
        wanted = value.hex() if isinstance(value, bytes) else value
        assert document[name] == wanted, f"{name}: {document[name]!r} != {wanted!r}\n{shown}"


def assert_verified(report: Report) -> None:
    assert report.outcome is Outcome.VERIFIED, "\n".join(report.lines())
