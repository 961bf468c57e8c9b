"""C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys, signature type 0x01.

A signed note is a text ending in a newline, a blank line, and one or more signature lines
``— <key name> <base64(key ID || signature)>``. Verifier keys use the text form
``<name>+<key ID hex>+<base64(type || public key)>``; signer keys ``PRIVATE+KEY+<name>+…``.

Only signature type 0x01 (plain Ed25519, "Ed25519 signatures" in the spec) is supported.
The spec asks implementations to support only the types their design needs ("Signature
types"), so every other type (ECDSA 0x02, cosignature/v1 0x04, RFC 6962 0x05, ML-DSA 0x06,
unknown bytes) is refused when a key is parsed, never accepted.

This module is stricter than golang.org/x/mod/sumdb/note where the spec leaves room:
key IDs must be lowercase hex, base64 must be canonical, key names may not hold control
characters, every signature line from a known key is verified (duplicates included), and a
note larger than ``MAX_NOTE_BYTES`` or with more than ``MAX_NOTE_SIGNATURES`` lines is
refused. Failures raise ``FormatError`` (malformed) or ``SignatureError`` (bad or missing
signature); nothing returns a bool.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from verifier.errors import FormatError, SignatureError
from verifier.limits import MAX_NOTE_BYTES, MAX_NOTE_SIGNATURES

#: Signature type identifier byte of plain Ed25519 note signatures ("Signature types").
ED25519_KEY_TYPE = 0x01
#: Size of a key ID, the first bytes of every signature ("Signatures").
KEY_ID_SIZE = 4
ED25519_PUBLIC_KEY_SIZE = 32
ED25519_SEED_SIZE = 32
ED25519_SIGNATURE_SIZE = 64

#: Other assigned type bytes, named only to make the refusal message clear.
_UNSUPPORTED_KEY_TYPES = {
    0x02: "ECDSA",
    0x03: "reserved",
    0x04: "Ed25519 cosignature/v1",
    0x05: "RFC 6962 TreeHeadSignature",
    0x06: "ML-DSA-44 cosignature",
}

_SIGNATURE_PREFIX = "— "  # U+2014 EM DASH, U+0020 SPACE ("Format").
_PRIVATE_KEY_PREFIX = "PRIVATE+KEY+"
_KEY_ID_HEX = re.compile(r"[0-9a-f]{8}")
_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
# "MUST NOT contain any ASCII control characters (those below U+0020) other than newline."
_NOTE_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


# --- small shared checks -------------------------------------------------------------------


def decode_base64(text: str, *, field: str) -> bytes:
    """Decode standard (RFC 4648 §4) base64, accepting only the canonical encoding.

    Padding is required and the unused bits of the last character must be zero, so each
    byte string has exactly one accepted text form.

    Raises:
        FormatError: ``text`` is not canonical standard base64 (``field`` names it).
    """
    if _BASE64.fullmatch(text) is None:
        raise FormatError(f"{field} is not standard base64", field=field, value=text)
    try:
        decoded = base64.b64decode(text, validate=True)
    except binascii.Error as exc:  # pragma: no cover - the pattern above already excludes this
        raise FormatError(f"{field} is not standard base64", field=field, value=text) from exc
    if base64.b64encode(decoded).decode("ascii") != text:
        raise FormatError(f"{field} is not canonical base64", field=field, value=text)
    return decoded


def _encode_base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _check_key_name(name: str, *, field: str = "key_name") -> None:
    """Key names are non-empty, with no Unicode spaces and no '+' ("Format").

    This verifier also refuses control characters (Unicode category Cc) in key names.
    """
    if not name:
        raise FormatError("key name is empty", field=field)
    for char in name:
        if char.isspace() or char == "+" or ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F:
            raise FormatError(
                f"key name {name!r} contains {char!r}: spaces, '+' and control characters are not allowed",
                field=field,
                key_name=name,
            )
    try:
        name.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise FormatError(f"key name {name!r} is not valid Unicode", field=field) from exc


def ed25519_key_id(name: str, public_key: bytes) -> bytes:
    """Return the key ID SHA-256(name || 0x0A || 0x01 || public key)[:4] ("Ed25519 signatures")."""
    material = name.encode("utf-8") + b"\n" + bytes([ED25519_KEY_TYPE]) + public_key
    return hashlib.sha256(material).digest()[:KEY_ID_SIZE]


def _refuse_key_type(key_type: int, *, field: str, key_name: str) -> FormatError:
    kind = _UNSUPPORTED_KEY_TYPES.get(key_type, "unknown")
    return FormatError(
        f"unsupported key type 0x{key_type:02x} ({kind}) for key {key_name!r}: only Ed25519 (0x01) is supported",
        field=field,
        key_name=key_name,
        key_type=key_type,
    )


def _split_key_text(text: str, *, field: str) -> tuple[str, bytes, int, bytes]:
    """Split ``<name>+<key ID hex>+<base64(type || key)>``; return name, key ID, type, key."""
    name, sep1, rest = text.partition("+")
    key_id_hex, sep2, key_b64 = rest.partition("+")
    if not sep1 or not sep2:
        raise FormatError(f"{field} must have the form <name>+<key id>+<base64 key>", field=field)
    _check_key_name(name, field=field)
    if _KEY_ID_HEX.fullmatch(key_id_hex) is None:
        raise FormatError(f"{field} key id {key_id_hex!r} is not 8 lowercase hex digits", field=field, key_name=name)
    key = decode_base64(key_b64, field=field)
    if not key:
        raise FormatError(f"{field} has an empty key", field=field, key_name=name)
    return name, bytes.fromhex(key_id_hex), key[0], key[1:]


def _check_key_id(name: str, claimed: bytes, public_key: bytes, *, field: str) -> None:
    expected = ed25519_key_id(name, public_key)
    if claimed != expected:
        raise FormatError(
            f"{field} key id {claimed.hex()} does not match the key ({expected.hex()})",
            field=field,
            key_name=name,
            expected_key_id=expected.hex(),
            actual_key_id=claimed.hex(),
        )


# --- keys ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteVerifier:
    """A trusted Ed25519 note verifier key. Construction checks that the fields agree.

    Raises (on construction):
        FormatError: an invalid name, a key type other than Ed25519, a public key that is not
            32 bytes, or a key ID that is not SHA-256(name || 0x0A || 0x01 || key)[:4].
    """

    name: str
    key_id: bytes
    key_type: int
    public_key: bytes

    def __post_init__(self) -> None:
        _check_key_name(self.name, field="name")
        if self.key_type != ED25519_KEY_TYPE:
            raise _refuse_key_type(self.key_type, field="key_type", key_name=self.name)
        if len(self.public_key) != ED25519_PUBLIC_KEY_SIZE:
            raise FormatError(
                f"Ed25519 public key of {self.name!r} must be 32 bytes, got {len(self.public_key)}",
                field="public_key",
                key_name=self.name,
            )
        _check_key_id(self.name, self.key_id, self.public_key, field="key_id")

    @property
    def vkey(self) -> str:
        """The C2SP verifier key text ``<name>+<key id>+<base64(0x01 || key)>``."""
        key = _encode_base64(bytes([self.key_type]) + self.public_key)
        return f"{self.name}+{self.key_id.hex()}+{key}"

    def verify(self, message: bytes, signature: bytes) -> None:
        """Check an Ed25519 signature (without the key ID prefix) over ``message``.

        Raises:
            SignatureError: the signature does not verify (evidence: key name and key ID).
        """
        evidence = {"key_name": self.name, "key_id": self.key_id.hex()}
        if len(signature) != ED25519_SIGNATURE_SIZE:
            raise SignatureError(
                f"invalid signature for key {self.name}+{self.key_id.hex()}: "
                f"{len(signature)} bytes instead of {ED25519_SIGNATURE_SIZE}",
                **evidence,
            )
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature as exc:
            raise SignatureError(f"invalid signature for key {self.name}+{self.key_id.hex()}", **evidence) from exc


def parse_vkey(text: str) -> NoteVerifier:
    """Parse a verifier key ``<name>+<8 lowercase hex key id>+<base64(0x01 || 32-byte key)>``.

    Raises:
        FormatError: malformed text, a key type other than Ed25519 0x01 ("unsupported key
            type"), a wrong key length, or a key ID that does not match the name and key.
    """
    name, key_id, key_type, public_key = _split_key_text(text, field="vkey")
    if key_type != ED25519_KEY_TYPE:
        raise _refuse_key_type(key_type, field="vkey", key_name=name)
    if len(public_key) != ED25519_PUBLIC_KEY_SIZE:
        raise FormatError(
            f"vkey Ed25519 public key must be 32 bytes, got {len(public_key)}", field="vkey", key_name=name
        )
    _check_key_id(name, key_id, public_key, field="vkey")
    return NoteVerifier(name=name, key_id=key_id, key_type=key_type, public_key=public_key)


class NoteSigner:
    """An Ed25519 note signing key with its name. ``repr`` never shows the private key."""

    __slots__ = ("_key_id", "_name", "_private_key", "_public_key")

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        """Raises ``FormatError`` if ``name`` is not a valid key name."""
        _check_key_name(name, field="name")
        self._name = name
        self._private_key = private_key
        self._public_key = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self._key_id = ed25519_key_id(name, self._public_key)

    @classmethod
    def from_skey(cls, text: str) -> NoteSigner:
        """Parse ``PRIVATE+KEY+<name>+<key id>+<base64(0x01 || 32-byte seed)>``.

        Raises:
            FormatError: malformed text, a key type other than Ed25519, a seed that is not
                32 bytes, or a key ID that does not match the derived public key.
        """
        if not text.startswith(_PRIVATE_KEY_PREFIX):
            raise FormatError("skey must start with PRIVATE+KEY+", field="skey")
        name, key_id, key_type, seed = _split_key_text(text[len(_PRIVATE_KEY_PREFIX) :], field="skey")
        if key_type != ED25519_KEY_TYPE:
            raise _refuse_key_type(key_type, field="skey", key_name=name)
        if len(seed) != ED25519_SEED_SIZE:
            raise FormatError(f"skey Ed25519 seed must be 32 bytes, got {len(seed)}", field="skey", key_name=name)
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(seed))
        _check_key_id(name, key_id, signer._public_key, field="skey")
        return signer

    @classmethod
    def generate(cls, name: str) -> NoteSigner:
        """Create a new random Ed25519 key. Raises ``FormatError`` for an invalid name."""
        return cls(name, Ed25519PrivateKey.generate())

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> bytes:
        return self._key_id

    @property
    def vkey(self) -> str:
        """The public verifier key text."""
        return self.verifier().vkey

    @property
    def skey(self) -> str:
        """The secret signer key text ``PRIVATE+KEY+…``. Keep it secret."""
        seed = self._private_key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        key = _encode_base64(bytes([ED25519_KEY_TYPE]) + seed)
        return f"{_PRIVATE_KEY_PREFIX}{self._name}+{self._key_id.hex()}+{key}"

    def verifier(self) -> NoteVerifier:
        """The matching verifier."""
        return NoteVerifier(
            name=self._name, key_id=self._key_id, key_type=ED25519_KEY_TYPE, public_key=self._public_key
        )

    def sign(self, message: bytes) -> bytes:
        """Return the 64-byte Ed25519 signature of ``message`` (without the key ID)."""
        return self._private_key.sign(message)

    def __repr__(self) -> str:
        return f"NoteSigner(name={self._name!r}, key_id={self._key_id.hex()!r})"


# --- notes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, key ID and the signature bytes after the key ID.

    Raises (on construction):
        FormatError: an invalid key name, a key ID that is not 4 bytes, or an empty signature.
    """

    name: str
    key_id: bytes
    signature: bytes

    def __post_init__(self) -> None:
        _check_key_name(self.name)
        if len(self.key_id) != KEY_ID_SIZE:
            raise FormatError("signature key id must be 4 bytes", field="key_id", key_name=self.name)
        if not self.signature:
            raise FormatError("signature is empty", field="signature", key_name=self.name)

    @property
    def line(self) -> str:
        """The signature line ``— <name> <base64(key id || signature)>``, without newline."""
        return f"{_SIGNATURE_PREFIX}{self.name} {_encode_base64(self.key_id + self.signature)}"

    @classmethod
    def from_line(cls, line: str) -> NoteSignature:
        """Parse one signature line (without its newline), as in "Signatures".

        Raises:
            FormatError: no em dash prefix, an invalid key name, non-canonical base64, or
                fewer than 5 decoded bytes (a key ID and at least one signature byte).
        """
        if not line.startswith(_SIGNATURE_PREFIX):
            raise FormatError("signature line does not start with '— '", field="signature_line", line=line)
        name, sep, b64 = line[len(_SIGNATURE_PREFIX) :].partition(" ")
        if not sep:
            raise FormatError("signature line has no signature", field="signature_line", line=line)
        _check_key_name(name, field="signature_line")
        raw = decode_base64(b64, field="signature_line")
        if len(raw) <= KEY_ID_SIZE:
            raise FormatError("signature is shorter than 5 bytes", field="signature_line", line=line)
        return cls(name=name, key_id=raw[:KEY_ID_SIZE], signature=raw[KEY_ID_SIZE:])


@dataclass(frozen=True)
class OpenedNote:
    """A note whose signatures from known keys all verified.

    ``signatures`` lists the verified signatures, one per key, in note order;
    ``unverified_signatures`` lists the signatures of unknown keys (identical lines once).
    """

    text: str
    signatures: tuple[NoteSignature, ...]
    unverified_signatures: tuple[NoteSignature, ...]


def _malformed(reason: str, **evidence: object) -> FormatError:
    return FormatError(f"malformed note: {reason}", field="note", **evidence)


def _check_note_text(text: str) -> bytes:
    """Check a note text for signing; return its UTF-8 bytes."""
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _malformed("text is not valid Unicode", offset=exc.start) from exc
    control = _NOTE_CONTROL.search(text)
    if control is not None:
        raise _malformed("text contains a control character", offset=control.start())
    if not text.endswith("\n"):
        raise _malformed("text does not end with a newline")
    return raw


def sign_note(text: str, signers: Sequence[NoteSigner], existing: Sequence[NoteSignature] = ()) -> str:
    """Sign ``text`` and return the signed note, byte for byte as golang.org/x/mod ``note.Sign``.

    ``existing`` signatures (for example those of an opened note) come first, except those
    made by the same key (name and key ID) as one of ``signers``, which are replaced; then
    one new line per signer, in order.

    Raises:
        FormatError: the text does not end in a newline or holds control characters, there
            is no signature at all, or the note would exceed the signature or size limits.
    """
    message = _check_note_text(text)
    replaced = {(signer.name, signer.key_id) for signer in signers}
    lines = [sig.line for sig in existing if (sig.name, sig.key_id) not in replaced]
    for signer in signers:
        lines.append(NoteSignature(signer.name, signer.key_id, signer.sign(message)).line)
    if not lines:
        raise _malformed("a signed note needs at least one signature")
    if len(lines) > MAX_NOTE_SIGNATURES:
        raise _malformed("too many signatures", limit=MAX_NOTE_SIGNATURES, count=len(lines))
    note = text + "\n" + "".join(line + "\n" for line in lines)
    size = len(note.encode("utf-8"))
    if size > MAX_NOTE_BYTES:
        raise _malformed("note is too large", limit=MAX_NOTE_BYTES, size=size)
    return note


def _index_verifiers(verifiers: Sequence[NoteVerifier]) -> dict[tuple[str, bytes], NoteVerifier]:
    index: dict[tuple[str, bytes], NoteVerifier] = {}
    for verifier in verifiers:
        key = (verifier.name, verifier.key_id)
        if key in index:
            # As golang.org/x/mod's VerifierList: a (name, key ID) configured twice is ambiguous.
            raise FormatError(
                f"ambiguous key {verifier.name}+{verifier.key_id.hex()}: configured more than once",
                field="verifiers",
                key_name=verifier.name,
                key_id=verifier.key_id.hex(),
            )
        index[key] = verifier
    return index


def open_note(note: bytes | str, verifiers: Sequence[NoteVerifier]) -> OpenedNote:
    """Parse a signed note and verify it against the trusted ``verifiers`` (c2sp.org/signed-note).

    A signature counts for a verifier when both its key name and key ID match. Signatures
    from unknown keys are ignored (and reported as unverified); every signature from a known
    key must verify; at least one must.

    Raises:
        FormatError: the note is malformed (not UTF-8, a control character, no blank line
            before the signatures, a bad signature line, over ``MAX_NOTE_BYTES`` or over
            ``MAX_NOTE_SIGNATURES`` lines), or ``verifiers`` holds the same key twice.
        SignatureError: a known key's signature does not verify (evidence: key name and
            key ID), or no known key signed the note.
    """
    index = _index_verifiers(verifiers)
    if isinstance(note, str):
        try:
            raw = note.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise _malformed("not valid Unicode", offset=exc.start) from exc
    else:
        raw = bytes(note)
    if len(raw) > MAX_NOTE_BYTES:
        raise _malformed("note is too large", limit=MAX_NOTE_BYTES, size=len(raw))

    # "Signed notes MUST be valid UTF-8 and MUST NOT contain any ASCII control characters
    # (those below U+0020) other than newline." (Format)
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _malformed("not valid UTF-8", offset=exc.start) from exc
    control = _NOTE_CONTROL.search(decoded)
    if control is not None:
        raise _malformed("contains a control character", offset=len(decoded[: control.start()].encode("utf-8")))

    # "The text is separated from the signatures by the last empty line in the note." The
    # text keeps its final newline; the signature block is one or more newline-ended lines.
    split = raw.rfind(b"\n\n")
    if split < 0:
        raise _malformed("no blank line before the signatures")
    text_bytes, block = raw[: split + 1], raw[split + 2 :].decode("utf-8")
    if not block.endswith("\n"):
        raise _malformed("the signature block is empty or does not end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_NOTE_SIGNATURES:
        raise _malformed("too many signature lines", limit=MAX_NOTE_SIGNATURES, count=len(lines))

    verified: dict[tuple[str, bytes], NoteSignature] = {}
    unverified: dict[str, NoteSignature] = {}
    for number, line in enumerate(lines, start=1):
        try:
            signature = NoteSignature.from_line(line)
        except FormatError as exc:
            raise _malformed(f"signature line {number}: {exc.message}", line_number=number) from exc
        key = (signature.name, signature.key_id)
        verifier = index.get(key)
        if verifier is None:
            # "Verifiers MUST ignore signatures from unknown keys, even if they share a name
            # or ID (but not both) with a known key." Identical lines are reported once.
            unverified.setdefault(line, signature)
            continue
        # "If the key name and ID match a known key, verifiers MUST verify the signature. If a
        # signature from a known key fails to verify, clients SHOULD reject the whole note."
        # Every line is checked, repeated ones too; each key is reported once.
        verifier.verify(text_bytes, signature.signature)
        verified.setdefault(key, signature)

    if not verified:
        # "If no signature from a known key verifies successfully, clients MUST reject the note."
        raise SignatureError(
            "note has no signature from a known key",
            unverified_signers=[sig.name for sig in unverified.values()],
            unverified_key_ids=[sig.key_id.hex() for sig in unverified.values()],
            known_keys=[f"{v.name}+{v.key_id.hex()}" for v in verifiers],
        )
    return OpenedNote(
        text=text_bytes.decode("utf-8"),
        signatures=tuple(verified.values()),
        unverified_signatures=tuple(unverified.values()),
    )
