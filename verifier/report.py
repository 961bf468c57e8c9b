"""A verification report: each step V1–V12 passed, failed (with evidence) or not run (with the reason).

The outcome is FAILED when any step failed (the first failure, by step number, is the one shown),
INCOMPLETE when none failed but a step could not run, and VERIFIED otherwise (DESIGN §7).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from verifier.errors import VerificationError

STEPS: dict[str, str] = {
    "V1": "parse: schema and size limits of the evidence and its entries",
    "V2": "leaf hashes recomputed from the entry bytes",
    "V3": "inclusion proof of every entry against the checkpoint root",
    "V4": "checkpoint signed by a trusted key",
    "V5": "checkpoint root anchored on the trusted chain and contract",
    "V6": "anchor final: enough confirmations, block still canonical",
    "V7": "ticket chains: seq contiguous from 1, prev links, no forks",
    "V8": "workflow: every transition allowed by its policy, policy hashes match",
    "V9": "actor signatures by keys registered in the log and valid at that index",
    "V10": "timeliness: no event after its anchor, anchoring lag within the policy's bound",
    "V11": "disclosed payloads match their commitments",
    "V12": "consistent with the checkpoints this verifier saw before: no rollback, no fork",
    "V13": "export: signed by an exporter key the trust file names; every ticket it names whole",
}

#: The steps every verification reports; V13 only appears for signed exports.
CORE_STEPS = tuple(f"V{n}" for n in range(1, 13))


class Status(Enum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_RUN = "not_run"


class Outcome(Enum):
    VERIFIED = "VERIFIED"
    FAILED = "FAILED"
    INCOMPLETE = "INCOMPLETE"


def plain(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if value is None or isinstance(value, str | int | bool | float):
        return value
    return str(value)


@dataclass
class StepResult:
    step: str
    status: Status
    detail: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "title": STEPS[self.step],
            "status": self.status.value,
            "detail": self.detail,
            "evidence": plain(self.evidence),
        }


def _order(step: str) -> int:
    return int(step[1:])


class Report:
    """The results of one verification, step by step, and facts about what was verified."""

    def __init__(self, subject: str) -> None:
        self.subject = subject
        self.results: dict[str, StepResult] = {}
        self.facts: dict[str, Any] = {}

    def passed(self, step: str, detail: str, **evidence: Any) -> None:
        if step not in self.results:  # a failure or a reason not to run stands
            self.results[step] = StepResult(step, Status.PASSED, detail, evidence)

    def failed(self, step: str, error: VerificationError | str, **evidence: Any) -> None:
        """Record a failure; the first failure of a step is the one kept."""
        current = self.results.get(step)
        if current is not None and current.status is Status.FAILED:
            return
        if isinstance(error, VerificationError):
            self.results[step] = StepResult(step, Status.FAILED, error.message, {**error.evidence, **evidence})
        else:
            self.results[step] = StepResult(step, Status.FAILED, error, evidence)

    def not_run(self, step: str, reason: str) -> None:
        current = self.results.get(step)
        if current is None or current.status is Status.PASSED:
            self.results[step] = StepResult(step, Status.NOT_RUN, reason)

    def status(self, step: str) -> Status | None:
        result = self.results.get(step)
        return result.status if result else None

    def ok(self, step: str) -> bool:
        """Whether ``step`` has not failed (so far)."""
        return self.status(step) is not Status.FAILED

    @property
    def ordered(self) -> list[StepResult]:
        return sorted(self.results.values(), key=lambda r: _order(r.step))

    @property
    def first_failure(self) -> StepResult | None:
        return next((r for r in self.ordered if r.status is Status.FAILED), None)

    @property
    def outcome(self) -> Outcome:
        if self.first_failure is not None:
            return Outcome.FAILED
        if any(r.status is Status.NOT_RUN for r in self.results.values()):
            return Outcome.INCOMPLETE
        return Outcome.VERIFIED

    def document(self) -> dict[str, Any]:
        failure = self.first_failure
        return {
            "subject": self.subject,
            "outcome": self.outcome.value,
            "first_failure": failure.step if failure else None,
            "facts": plain(self.facts),
            "steps": [r.document() for r in self.ordered],
        }

    def summary(self) -> str:
        """The one line the CLI prints first: ``OK: …``, ``FAIL: V<n> …`` or ``INCOMPLETE: …``."""
        failure = self.first_failure
        if failure is not None:
            return f"FAIL: {failure.step} {failure.detail}"
        missing = [r for r in self.ordered if r.status is Status.NOT_RUN]
        if missing:
            steps = ", ".join(r.step for r in missing)
            return f"INCOMPLETE: {self.subject}: {steps} not run: {missing[0].detail}"
        return f"OK: {self.subject}: verified, steps V1-{self.ordered[-1].step} passed"

    def lines(self) -> list[str]:
        """The summary, the failure's evidence, then one line per step."""
        out = [self.summary()]
        failure = self.first_failure
        if failure is not None:
            out += [f"  {name}: {value}" for name, value in plain(failure.evidence).items()]
        for result in self.ordered:
            out.append(f"  {result.step:>3} {result.status.value:<7} {STEPS[result.step]}: {result.detail}")
        return out
