"""C2SP transparency-log checkpoints (c2sp.org/tlog-checkpoint), signed as C2SP signed notes.

A checkpoint is the note text::

    <origin>\\n
    <tree size, decimal, no leading zeros>\\n
    <base64 of the 32-byte RFC 6962 root hash>\\n
    [<non-empty extension line>\\n ...]

The parser is strict where the spec allows no choice ("Note text"): at least three lines, a
final newline, a non-empty origin, a decimal size without leading zeros that fits in an
unsigned 64-bit integer, a canonical base64 root of exactly 32 bytes, and non-empty
extension lines. The origin is not otherwise restricted: the spec says clients MUST NOT
assume its format.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass

from verifier.errors import FormatError, HashLengthError, VerificationError
from verifier.limits import MAX_UINT64
from verifier.note import NoteSigner, NoteVerifier, decode_base64, open_note, sign_note

#: Size of an RFC 6962 / RFC 9162 SHA-256 root hash.
ROOT_HASH_SIZE = 32

# "the ASCII decimal representation of the number of leaves in the tree, with no leading
# zeroes (unless the tree is empty, in which case the tree size is `0`)". 2^64 - 1 has 20 digits.
_TREE_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")
# Signed-note text may not contain ASCII control characters other than newline; a single
# checkpoint line may not contain a newline either.
_CONTROL = re.compile(r"[\x00-\x1f]")
_BODY_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


def _check_line(value: str, *, field: str) -> None:
    """A checkpoint line: non-empty, no newline or control character, encodable as UTF-8."""
    if not value:
        raise FormatError(f"{field} is empty", field=field)
    control = _CONTROL.search(value)
    if control is not None:
        raise FormatError(f"{field} contains a newline or control character", field=field, offset=control.start())
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise FormatError(f"{field} is not valid Unicode", field=field, offset=exc.start) from exc


@dataclass(frozen=True)
class Checkpoint:
    """A log's signed tree head: origin, tree size, root hash and optional extension lines.

    Construction validates every field, so ``body()`` always parses back to an equal value.

    Raises (on construction):
        FormatError: an empty origin or extension line, a newline or control character in
            one, or a tree size outside 0..2^64-1.
        HashLengthError: a root hash that is not 32 bytes.
    """

    origin: str
    tree_size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, field="origin")
        if (
            not isinstance(self.tree_size, int)
            or isinstance(self.tree_size, bool)
            or not 0 <= self.tree_size <= MAX_UINT64
        ):
            raise FormatError(
                f"tree_size {self.tree_size!r} is not an unsigned 64-bit integer",
                field="tree_size",
                tree_size=self.tree_size,
            )
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != ROOT_HASH_SIZE:
            length = len(self.root_hash) if isinstance(self.root_hash, bytes | bytearray) else None
            raise HashLengthError(
                f"root_hash must be {ROOT_HASH_SIZE} bytes, got {length}", field="root_hash", length=length
            )
        object.__setattr__(self, "extensions", tuple(self.extensions))
        for number, line in enumerate(self.extensions, start=4):
            _check_line(line, field=f"extension line {number}")

    def body(self) -> str:
        """The checkpoint note text (tlog-checkpoint "Note text"), ending in a newline."""
        root = base64.b64encode(self.root_hash).decode("ascii")
        lines = [self.origin, str(self.tree_size), root, *self.extensions]
        return "".join(line + "\n" for line in lines)


def parse_checkpoint_body(text: str) -> Checkpoint:
    """Parse a checkpoint note text strictly (c2sp.org/tlog-checkpoint, "Note text").

    Raises:
        FormatError: fewer than three lines, no final newline, a control character, an empty
            origin, a tree size that is not canonical decimal or exceeds 2^64-1, a root that
            is not canonical base64, or an empty extension line; ``field`` names the part.
        HashLengthError: the root hash decodes to other than 32 bytes.
    """
    control = _BODY_CONTROL.search(text)
    if control is not None:
        raise FormatError("checkpoint contains a control character", field="body", offset=control.start())
    if not text.endswith("\n"):
        raise FormatError("checkpoint does not end with a newline", field="body")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise FormatError(
            f"checkpoint has {len(lines)} lines, at least 3 are required", field="body", line_count=len(lines)
        )
    origin, size_text, root_text, *extensions = lines

    # 1. "The origin MUST be non-empty."
    if not origin:
        raise FormatError("checkpoint origin is empty", field="origin")
    # 2. The tree size, decimal ASCII, no leading zeroes.
    if _TREE_SIZE.fullmatch(size_text) is None or int(size_text) > MAX_UINT64:
        raise FormatError(
            f"checkpoint tree size {size_text!r} is not a decimal unsigned 64-bit integer without leading zeros",
            field="tree_size",
            value=size_text,
        )
    # 3. The root hash: standard base64 of the 32-byte RFC 6962 root.
    root_hash = decode_base64(root_text, field="root_hash")
    if len(root_hash) != ROOT_HASH_SIZE:
        raise HashLengthError(
            f"checkpoint root hash must be {ROOT_HASH_SIZE} bytes, got {len(root_hash)}",
            field="root_hash",
            length=len(root_hash),
        )
    # 4. "Extension lines, if any, MUST be non-empty."
    for number, line in enumerate(extensions, start=4):
        if not line:
            raise FormatError(f"checkpoint extension line {number} is empty", field="extensions", line=number)
    return Checkpoint(origin=origin, tree_size=int(size_text), root_hash=root_hash, extensions=tuple(extensions))


def open_checkpoint(note: bytes | str, verifiers: Sequence[NoteVerifier], *, origin: str | None = None) -> Checkpoint:
    """Verify a signed checkpoint note and parse its body.

    ``verifiers`` are the trusted keys (see ``open_note``). When ``origin`` is given, the
    checkpoint must belong to that log; the origin is compared before the body is parsed so
    that a checkpoint of another log is reported as such.

    Raises:
        FormatError: a malformed note or body (see ``open_note`` and
            ``parse_checkpoint_body``), or an origin other than ``origin`` (evidence:
            ``expected_origin`` and ``actual_origin``).
        HashLengthError: a root hash that is not 32 bytes.
        SignatureError: a known key's signature fails, or no known key signed the note.
    """
    opened = open_note(note, verifiers)
    if origin is not None:
        actual = opened.text.split("\n", 1)[0]
        if actual != origin:
            raise FormatError(
                f"checkpoint origin {actual!r} is not the expected {origin!r}",
                field="origin",
                expected_origin=origin,
                actual_origin=actual,
            )
    return parse_checkpoint_body(opened.text)


def failure_step(error: VerificationError) -> str:
    """The step (DESIGN §7) a failure of ``open_checkpoint`` belongs to: V1 for a malformed note or body, V4 for
    a signature that is missing, unknown or bad, or a checkpoint of another log than the trusted one."""
    if isinstance(error, FormatError) and error.evidence.get("field") != "origin":
        return "V1"
    return "V4"


def sign_checkpoint(checkpoint: Checkpoint, signer: NoteSigner) -> str:
    """Return the signed note of ``checkpoint`` with one signature by ``signer``.

    Raises:
        FormatError: the note would exceed the note limits (see ``sign_note``).
    """
    return sign_note(checkpoint.body(), [signer])
