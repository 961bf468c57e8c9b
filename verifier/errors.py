"""The verifier's two error trees.

``VerificationError`` means *the evidence is bad* (the CLI exits 1); ``SourceError`` means
*the evidence could not be obtained* (the CLI exits 3). Every error carries the evidence
that made it fail, as keyword fields, so a person or a report can show what was expected
and what was found.
"""

from __future__ import annotations

from typing import Any


class VerificationError(Exception):
    """The evidence does not check out.

    ``step`` is the verification step (V1…V12, DESIGN §7) the failure belongs to, when known;
    ``evidence`` holds the named values that show the failure (expected and calculated roots,
    the offending field, …).
    """

    step: str | None = None

    def __init__(self, message: str, **evidence: Any) -> None:
        super().__init__(message)
        self.message = message
        self.evidence: dict[str, Any] = evidence

    def diagnostics(self) -> str:
        """A multi-line text for people: the message, then each piece of evidence."""
        lines = [self.message]
        for name, value in self.evidence.items():
            shown = value.hex() if isinstance(value, bytes | bytearray) else value
            lines.append(f"  {name}: {shown}")
        return "\n".join(lines)


class FormatError(VerificationError):
    """Input that is not well-formed: wrong type, size, encoding or schema (step V1)."""

    step = "V1"


class PolicyHashMismatch(FormatError):
    """A policy entry whose claimed id is not the hash of the document it carries (step V8)."""

    step = "V8"


class HashLengthError(FormatError):
    """A hash, root or proof element that is not exactly the hash function's output size."""


class ProofError(VerificationError):
    """A Merkle proof that does not prove what it claims."""


class InclusionProofError(ProofError):
    """An inclusion proof that is malformed for its index and tree size, or does not verify."""

    step = "V3"


class ConsistencyProofError(ProofError):
    """A consistency proof that is malformed for its sizes, or does not verify."""


class RootMismatchError(ProofError):
    """A proof whose recomputed root differs from the expected one."""

    def __init__(self, message: str, *, expected_root: bytes, calculated_root: bytes, **evidence: Any) -> None:
        super().__init__(message, expected_root=expected_root, calculated_root=calculated_root, **evidence)
        self.expected_root = expected_root
        self.calculated_root = calculated_root


class InclusionRootMismatchError(RootMismatchError, InclusionProofError):
    """An inclusion proof that leads to another root than the checkpoint's."""


class ConsistencyRootMismatchError(RootMismatchError, ConsistencyProofError):
    """A consistency proof that does not lead to one or both of the two roots."""


class SignatureError(VerificationError):
    """A signature that is missing, made by an unknown key, or does not verify.

    By default this is a checkpoint signature (step V4); actor signatures are V9.
    """

    step = "V4"


class PolicyViolation(VerificationError):
    """A transition that its workflow policy does not allow (step V8)."""

    step = "V8"


class SourceError(Exception):
    """Evidence could not be obtained (file unreadable, server or chain unreachable)."""
