"""A full audit's progress, saved so that an interrupted audit resumes where it stopped.

One file per log in the verifier's state directory (``<dir>/<log id>.audit.json``,
``hotline.audit-progress/v1``), replaced atomically (temporary file, fsync, rename). It holds the compact
range of the entries audited so far, the roots already held to anchors and checkpoints at sizes up to
there, what ``History`` keeps (per ticket its last seq, hash, state and index; the published policies
with their indices and documents; the actor keys with the indices that registered and revoked them), the
counters and V10's lag summary with the transitions no anchor covered yet (checked when a later run resumes
with newer anchors), and the failures found so far. It also names the trust file it was made
under: progress made under another trust is never resumed.

The file is the auditor's own record, like the checkpoints seen (V12), but it is still parsed strictly:
a damaged file is refused (``FormatError``), never half used.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from verifier.canonical import loads_within_depth
from verifier.document import Fields
from verifier.entry_walk import EntryWalk
from verifier.errors import FormatError
from verifier.history import ActorKeyState, History, TicketHead
from verifier.merkle import CompactRange
from verifier.policy import parse_policy, policy_id
from verifier.report import Report, Status, StepResult, plain
from verifier.trust import Trust, log_id_of

PROGRESS_V1 = "hotline.audit-progress/v1"
MAX_PROGRESS_BYTES = 4 * 1024**3
_FIELDS = {"v", "origin", "trust", "size", "subtrees", "checked", "history", "walk", "results"}


def progress_path(state_dir: Path, origin: str) -> Path:
    return state_dir / f"{log_id_of(origin).hex()}.audit.json"


def trust_digest(trust: Trust) -> str:
    return hashlib.sha256(trust.encode()).hexdigest()


@dataclass
class AuditProgress:
    """The audit of the first ``tree.size`` entries, and what the next entry's checks need."""

    tree: CompactRange
    checked: dict[int, bytes]
    history: History
    in_time: int
    worst_lag: timedelta | None
    pending: list[tuple[int, bytes]]
    results: list[StepResult]

    @classmethod
    def capture(cls, tree: CompactRange, checked: dict[int, bytes], walk: EntryWalk, results: list[StepResult]) -> Any:
        """The current state as a JSON-ready document (copies nothing but what it writes)."""
        history = walk.history
        return {
            "v": PROGRESS_V1,
            "size": tree.size,
            "subtrees": [[height, digest.hex()] for height, digest in tree.subtrees],
            "checked": [[size, root.hex()] for size, root in sorted(checked.items())],
            "history": {
                "tickets": [[t, h.seq, h.head.hex(), h.state, h.index] for t, h in history.tickets.items()],
                "policies": [
                    {"index": index, "document": policy.document} for index, policy in history.policies.values()
                ],
                "keys": [
                    [k, s.org, base64.b64encode(s.public_key).decode(), s.registered, s.revoked]
                    for k, s in history.keys.items()
                ],
                "transitions": history.transitions,
                "signed": history.signed,
            },
            "walk": {
                "in_time": walk.in_time,
                "worst_lag_us": None if walk.worst_lag is None else walk.worst_lag // timedelta(microseconds=1),
                "pending": [[index, base64.b64encode(data).decode()] for index, data in walk.pending],
            },
            "results": [
                {"step": r.step, "status": r.status.value, "detail": r.detail, "evidence": plain(r.evidence)}
                for r in results
            ],
        }

    def resume(self, walk: EntryWalk, report: Report) -> None:
        """Give ``walk`` this history and summary, and ``report`` the failures found before."""
        walk.history = self.history
        walk.in_time, walk.worst_lag, walk.pending = self.in_time, self.worst_lag, self.pending
        for result in self.results:
            if result.status is Status.FAILED:
                report.failed(result.step, result.detail, **result.evidence)
            elif result.status is Status.NOT_RUN:
                report.not_run(result.step, result.detail)


def save_progress(path: Path, origin: str, trust: Trust, document: dict[str, Any]) -> None:
    """Write a captured state atomically (temporary file, fsync, rename).

    Raises:
        OSError: it cannot be written (the previous file, if any, is left as it was).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".audit-")
    try:
        with os.fdopen(handle, "w") as out:
            json.dump({**document, "origin": origin, "trust": trust_digest(trust)}, out, separators=(",", ":"))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_progress(path: Path, trust: Trust) -> AuditProgress | None:
    """The saved progress of this log under this trust file; ``None`` when there is none (or under another trust).

    Raises:
        FormatError: the file is damaged or not a progress file of this log.
        OSError: it cannot be read.
    """
    if not path.exists():
        return None
    if path.stat().st_size > MAX_PROGRESS_BYTES:
        raise FormatError(f"{path} is larger than {MAX_PROGRESS_BYTES} bytes")
    try:
        fields = Fields(loads_within_depth(path.read_bytes().decode("utf-8")), str(path))
    except FormatError as exc:
        raise FormatError(f"{path} is not a progress file: {exc.message}") from exc
    except ValueError as exc:
        raise FormatError(f"{path} is not JSON: {exc}") from exc
    fields.expect_members(_FIELDS)
    if fields.raw("v") != PROGRESS_V1 or fields.raw("origin") != trust.origin:
        raise FormatError(f"{path} is not a {PROGRESS_V1} file of {trust.origin}")
    if fields.raw("trust") != trust_digest(trust):
        return None
    try:
        return _parse(fields)
    except (TypeError, ValueError, KeyError, IndexError) as exc:
        raise FormatError(f"{path} is damaged: {exc!r}"[:300]) from exc


def _parse(fields: Fields) -> AuditProgress:
    size = fields.integer("size")
    subtrees = [(int(height), _hash(digest)) for height, digest in fields.array("subtrees", limit=64)]
    if sum(1 << height for height, _ in subtrees) != size:
        raise FormatError(f"{fields.at('subtrees')}: does not cover {size} entries")
    checked = {int(s): _hash(root) for s, root in fields.array("checked", limit=100_000_000)}
    history = _history(fields.object("history"))
    walk = fields.object("walk")
    lag = walk.raw("worst_lag_us")
    results = []
    for item in fields.array("results", limit=12):
        result = Fields(item, fields.at("results"))
        status = Status(result.raw("status"))
        step = result.string("step")
        results.append(StepResult(step, status, result.string("detail", limit=1 << 20), dict(result.raw("evidence"))))
    return AuditProgress(
        CompactRange(size, subtrees),
        checked,
        history,
        walk.integer("in_time"),
        None if lag is None else timedelta(microseconds=int(lag)),
        [(int(index), base64.b64decode(data, validate=True)) for index, data in walk.array("pending", limit=1 << 40)],
        results,
    )


def _hash(text: Any) -> bytes:
    value = bytes.fromhex(text)
    if len(value) != 32:
        raise ValueError(f"not a 32-byte hash: {text!r}")
    return value


def _history(fields: Fields) -> History:
    history = History()
    for ticket, seq, head, state, index in fields.array("tickets", limit=1 << 40):
        history.tickets[str(ticket)] = TicketHead(int(seq), _hash(head), str(state), int(index))
    for item in fields.array("policies", limit=1 << 20):
        document = item["document"]
        history.policies[policy_id(document)] = (int(item["index"]), parse_policy(document))
    for key, org, public_key, registered, revoked in fields.array("keys", limit=1 << 30):
        decoded = base64.b64decode(public_key, validate=True)
        history.keys[str(key)] = ActorKeyState(
            str(org), decoded, int(registered), None if revoked is None else int(revoked)
        )
    history.transitions = fields.integer("transitions")
    history.signed = fields.integer("signed")
    return history
