"""C2SP tlog-proof (c2sp.org/tlog-proof): one entry's offline-verifiable proof of inclusion.

Text form::

    c2sp.org/tlog-proof@v1
    [extra <base64>]
    index <decimal>
    <base64 inclusion-proof hash>...
    <empty line>
    <signed checkpoint note>

The entry itself travels beside the proof (a detached proof): verifying recomputes its leaf
hash (V2), checks the checkpoint's signature with a trusted key (V4), and the inclusion proof
against the checkpoint's root (V3).
"""

from __future__ import annotations

import re
from base64 import b64encode
from collections.abc import Sequence
from dataclasses import dataclass

from verifier.checkpoint import Checkpoint, open_checkpoint
from verifier.errors import FormatError
from verifier.limits import MAX_NOTE_BYTES, MAX_PROOF_HASHES, MAX_UINT64
from verifier.merkle import HASH_SIZE, leaf_hash, verify_inclusion
from verifier.note import NoteVerifier, decode_base64

HEADER = "c2sp.org/tlog-proof@v1"
_INDEX = re.compile(r"index (0|[1-9][0-9]{0,19})")


@dataclass(frozen=True)
class TlogProof:
    """A parsed tlog-proof: optional extra data, the entry index, the proof and the checkpoint note."""

    index: int
    proof: tuple[bytes, ...]
    checkpoint: str
    extra: bytes | None = None

    def text(self) -> str:
        """The proof in its text form."""
        lines = [HEADER]
        if self.extra is not None:
            lines.append(f"extra {b64encode(self.extra).decode()}")
        lines.append(f"index {self.index}")
        lines += [b64encode(h).decode() for h in self.proof]
        return "\n".join(lines) + "\n\n" + self.checkpoint


def parse_tlog_proof(text: str) -> TlogProof:
    """Parse the text form strictly.

    Raises:
        FormatError: a missing header or index line, a malformed line, a hash that is not 32
            bytes, or no checkpoint after the empty line.
    """
    if len(text.encode("utf-8", "surrogatepass")) > MAX_NOTE_BYTES:
        raise FormatError(f"proof is larger than {MAX_NOTE_BYTES} bytes")
    head, separator, checkpoint = text.partition("\n\n")
    if not separator or not checkpoint:
        raise FormatError("proof has no checkpoint after an empty line", field="checkpoint")
    lines = head.split("\n")
    if lines[0] != HEADER:
        raise FormatError(f"proof must start with {HEADER!r}", field="header", value=lines[0][:80])
    position = 1
    # At most one extra line, right after the header; the next line must be the index.
    extra = None
    if position < len(lines) and lines[position].startswith("extra "):
        extra = decode_base64(lines[position][len("extra ") :], field="extra")
        position += 1
    match = _INDEX.fullmatch(lines[position]) if position < len(lines) else None
    # "the zero-based index of the entry in the log": an unsigned 64-bit integer, as the tree size.
    if match is None or int(match.group(1)) > MAX_UINT64:
        raise FormatError("proof needs an 'index <decimal>' line after the header", field="index")
    hashes = lines[position + 1 :]
    if len(hashes) > MAX_PROOF_HASHES:
        raise FormatError(f"proof has more than {MAX_PROOF_HASHES} hashes", field="proof")
    proof = []
    for number, line in enumerate(hashes):
        value = decode_base64(line, field=f"proof[{number}]")
        if len(value) != HASH_SIZE:
            raise FormatError(f"proof[{number}] is {len(value)} bytes, not {HASH_SIZE}", field=f"proof[{number}]")
        proof.append(value)
    return TlogProof(int(match.group(1)), tuple(proof), checkpoint, extra)


def verify_tlog_proof(
    text: str, entry: bytes, verifiers: Sequence[NoteVerifier], *, origin: str | None = None
) -> Checkpoint:
    """Verify that ``entry`` is in the log at the proof's index, under a checkpoint a trusted key signed.

    Returns the verified checkpoint.

    Raises:
        FormatError: a malformed proof or checkpoint, or a checkpoint of another origin.
        SignatureError: no trusted key signed the checkpoint (V4).
        InclusionProofError: the proof does not put the entry under the checkpoint's root (V3).
    """
    parsed = parse_tlog_proof(text)
    checkpoint = open_checkpoint(parsed.checkpoint, verifiers, origin=origin)
    verify_inclusion(leaf_hash(entry), parsed.index, checkpoint.tree_size, parsed.proof, checkpoint.root_hash)
    return checkpoint
