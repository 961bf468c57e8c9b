"""Step V12: the checkpoints this verifier saw before, kept in a state file, catch rollbacks and forks.

One file per log in the state directory (``<dir>/<log id>.json``, ``hotline.verifier-state/v1``)
holds every verified checkpoint's size and root. A new checkpoint of a size seen before must have the
same root (else the operator signed two different logs: a fork); a server's *latest* checkpoint must
not be smaller than one seen before (a rollback); and where a consistency proof between the two is at
hand, it must verify. The file is replaced atomically, so a crash never leaves it half written.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from verifier.canonical import parse_json_strict
from verifier.document import Fields
from verifier.errors import ConsistencyProofError, FormatError, VerificationError
from verifier.merkle import verify_consistency
from verifier.trust import log_id_of

STATE_V1 = "hotline.verifier-state/v1"
MAX_STATE_BYTES = 64 * 1024 * 1024

ConsistencyFetch = Callable[[int, int], Sequence[bytes]]


class ForkError(VerificationError):
    """A checkpoint that contradicts one seen before: another root at a size, a rollback (step V12)."""

    step = "V12"


def default_state_dir() -> Path:
    """``$HOTLINE_VERIFY_STATE_DIR``, else ``$XDG_STATE_HOME/hotline-verify``, else ``~/.local/state/...``."""
    if os.environ.get("HOTLINE_VERIFY_STATE_DIR"):
        return Path(os.environ["HOTLINE_VERIFY_STATE_DIR"])
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "hotline-verify"


class SeenCheckpoints:
    """The checkpoints of one log this verifier has verified before."""

    def __init__(self, path: Path, origin: str, roots: dict[int, bytes]) -> None:
        self.path = path
        self.origin = origin
        self.roots = roots

    @classmethod
    def load(cls, state_dir: Path, origin: str) -> SeenCheckpoints:
        """Read the log's state file (none yet: nothing seen).

        Raises:
            FormatError: the file exists but is not a state file of this log (it is never overwritten then).
            OSError: it cannot be read.
        """
        path = state_dir / f"{log_id_of(origin).hex()}.json"
        if not path.exists():
            return cls(path, origin, {})
        data = path.read_bytes()
        if len(data) > MAX_STATE_BYTES:
            raise FormatError(f"state file {path} is larger than {MAX_STATE_BYTES} bytes")
        # Strict parsing (as for every other document): plain json.loads lets a deeply nested file
        # escape as RecursionError, and an unreadable state file must be a FormatError.
        try:
            fields = Fields(parse_json_strict(data), str(path))
        except FormatError as exc:
            raise FormatError(f"state file {path} is not JSON: {exc.message}") from exc
        fields.expect_members({"v", "origin", "checkpoints"})
        if fields.raw("v") != STATE_V1 or fields.raw("origin") != origin:
            raise FormatError(f"{path} is not a {STATE_V1} file of {origin}")
        roots = {}
        for number, item in enumerate(fields.array("checkpoints", limit=10_000_000)):
            seen = Fields(item, f"{path}.checkpoints[{number}]")
            roots[seen.integer("size")] = seen.hash32("root")
        return cls(path, origin, roots)

    @property
    def largest(self) -> tuple[int, bytes] | None:
        if not self.roots:
            return None
        size = max(self.roots)
        return size, self.roots[size]

    def check(self, size: int, root: bytes, *, latest: bool, consistency: ConsistencyFetch | None = None) -> str:
        """Check a verified checkpoint against those seen before; return what was compared.

        ``latest``: the checkpoint is what a server calls its latest (so a smaller one is a rollback).
        ``consistency(size1, size2)`` fetches a consistency proof, when a source can give one.

        Raises:
            ForkError: a different root at a size seen before, a rollback, or a consistency proof that
                fails against a seen checkpoint.
        """
        if not self.roots:
            return "first checkpoint of this log seen by this verifier"
        known = self.roots.get(size)
        if known is not None and known != root:
            raise ForkError(
                f"the checkpoint at size {size} has another root than the one seen before: the log forked",
                size=size,
                seen_root=known,
                root=root,
            )
        largest_size, largest_root = self.largest  # type: ignore[misc]
        if latest and size < largest_size:
            raise ForkError(
                f"the log's latest checkpoint is at size {size}, but size {largest_size} was seen before: "
                "the log was rolled back",
                size=size,
                seen_size=largest_size,
            )
        if known is not None or consistency is None or size == largest_size:
            return f"agrees with {len(self.roots)} checkpoint(s) seen before (largest {largest_size})"
        old, new = sorted(((size, root), (largest_size, largest_root)))
        try:
            verify_consistency(old[0], new[0], consistency(old[0], new[0]), old[1], new[1])
        except ConsistencyProofError as exc:
            raise ForkError(
                f"the checkpoint at size {size} is not consistent with size {largest_size} seen before: {exc.message}",
                size=size,
                seen_size=largest_size,
            ) from exc
        return f"consistent with size {largest_size} seen before (consistency proof verified)"

    def remember(self, size: int, root: bytes) -> None:
        self.roots[size] = root

    def save(self) -> None:
        """Write the state file atomically (temporary file, fsync, rename)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "v": STATE_V1,
            "origin": self.origin,
            "checkpoints": [{"size": s, "root": self.roots[s].hex()} for s in sorted(self.roots)],
        }
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".state-")
        try:
            with os.fdopen(handle, "w") as out:
                json.dump(document, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
