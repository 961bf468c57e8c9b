"""The proof bundle, ``hotline.bundle/v1`` (DESIGN §7; docs/evidence-formats.md is the member-by-member reference).

One canonical JSON document holding entries with their inclusion proofs, the signed checkpoint they
are proved against, the on-chain anchor of that checkpoint, the policy and key entries the transitions
need, and optionally disclosures (payloads with salts) and the exporter's signature (``issued``).

Parsing here is step V1 for the document itself; entry bytes are only decoded from base64 (their
hashes are step V2 and their schema is checked after that, so a flipped byte is reported as the hash
mismatch it is).
"""

from __future__ import annotations

import hashlib
import re
from base64 import b64encode
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from verifier.canonical import canonical_bytes, parse_json_strict
from verifier.document import HEX32_RE, Fields, shown
from verifier.entry import ORIGIN_RE, TICKET_RE
from verifier.errors import FormatError
from verifier.limits import MAX_ENTRY_BYTES, MAX_NOTE_BYTES, MAX_PROOF_HASHES
from verifier.note import parse_vkey
from verifier.trust import ChainPlace, parse_chain_place

BUNDLE_V1 = "hotline.bundle/v1"
#: Largest bundle the verifier reads into memory (a regulator's export of a city's quarter fits).
MAX_BUNDLE_BYTES = 1024**3
#: Most entries (of each list) in one bundle.
MAX_BUNDLE_ENTRIES = 4_000_000
MAX_PAYLOAD_BYTES = 1024 * 1024
SALT_BYTES = 32
#: The members that may be too large to hold in memory: a bundle read from a file streams them.
STREAMED_MEMBERS = ("entries", "disclosures")

_Item = TypeVar("_Item", covariant=True)


class Listed(Protocol[_Item]):
    """The items of a bundle's list: a tuple in memory, or read again from the file on every iteration."""

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[_Item]: ...


@dataclass(frozen=True)
class ProvenEntry:
    """An entry's bytes at its index, the leaf hash claimed for it, and its inclusion proof."""

    index: int
    leaf_hash: bytes
    data: bytes
    proof: tuple[bytes, ...]

    def document(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "hash": self.leaf_hash.hex(),
            "data": b64encode(self.data).decode(),
            "proof": [h.hex() for h in self.proof],
        }


@dataclass(frozen=True)
class AnchorClaim:
    """Where the bundle says its checkpoint was anchored (step V5 checks it on chain)."""

    size: int
    root: bytes
    tx: bytes
    block_number: int
    block_hash: bytes
    timestamp: int

    def document(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "root": self.root.hex(),
            "tx": "0x" + self.tx.hex(),
            "block_number": self.block_number,
            "block_hash": "0x" + self.block_hash.hex(),
            "timestamp": self.timestamp,
        }


@dataclass(frozen=True)
class Disclosure:
    """A payload with its salt, opening the commitment of the entry at ``index`` (step V11)."""

    index: int
    payload: Any
    salt: bytes

    def document(self) -> dict[str, Any]:
        return {"index": self.index, "payload": self.payload, "salt": b64encode(self.salt).decode()}


@dataclass(frozen=True)
class ExportManifest:
    """What an export claims to hold: its id, the filter that chose it, and each ticket's entry count.

    The counts are as of the bundle's checkpoint; the exporter's signature (``issued``) vouches for them,
    so a ticket cut short is caught against them.
    """

    id: str
    filter: dict[str, Any]
    tickets: tuple[tuple[str, int], ...]

    def document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "filter": self.filter,
            "tickets": [{"ticket": t, "entries": n} for t, n in self.tickets],
        }


def issued_message(unsigned_digest: bytes) -> bytes:
    """What ``issued.sig`` signs: a domain-separated line naming the SHA-256 of the bundle without the signature.

    Signing the digest, not the bytes, lets an exporter stream a large bundle to disk and sign at the end.
    """
    return f"hotline.bundle/v1 issued sha256:{unsigned_digest.hex()}\n".encode()


@dataclass(frozen=True)
class Issued:
    """The exporter's signature over the bundle: when, by whom, with which key (a vkey)."""

    at: str
    by: str
    key: str
    sig: bytes

    def document(self) -> dict[str, Any]:
        return {"at": self.at, "by": self.by, "key": self.key, "sig": b64encode(self.sig).decode()}


@dataclass(frozen=True)
class Bundle:
    origin: str
    verifier_key: str
    chain: ChainPlace
    checkpoint: str
    anchor: AnchorClaim
    entries: Listed[ProvenEntry]
    policies: tuple[ProvenEntry, ...] = ()
    keys: tuple[ProvenEntry, ...] = ()
    disclosures: Listed[Disclosure] = ()
    issued: Issued | None = None
    export: ExportManifest | None = None

    def _members(self, signed: bool) -> dict[str, Any]:
        """The document's members; the streamed lists stay as they are (items, not documents)."""
        members: dict[str, Any] = {
            "v": BUNDLE_V1,
            "log": {"origin": self.origin, "verifier_key": self.verifier_key},
            "chain": self.chain.document(),
            "checkpoint": self.checkpoint,
            "anchor": self.anchor.document(),
            "entries": self.entries,
            "policies": [e.document() for e in self.policies],
            "keys": [e.document() for e in self.keys],
        }
        if len(self.disclosures):
            members["disclosures"] = self.disclosures
        if self.export is not None:
            members["export"] = self.export.document()
        if self.issued is not None:
            issued = self.issued.document()
            if not signed:
                del issued["sig"]
            members["issued"] = issued
        return members

    def document(self, *, signed: bool = True) -> dict[str, Any]:
        """The JSON document; without ``issued.sig`` when ``signed`` is false (the bytes the exporter signs)."""
        members = self._members(signed)
        for name in STREAMED_MEMBERS:
            if name in members:
                members[name] = [item.document() for item in members[name]]
        return members

    def pieces(self, *, signed: bool = True) -> Iterator[bytes]:
        """The canonical JSON (RFC 8785) in consecutive pieces, the large lists one item at a time.

        The member names are ASCII, so code-point order is RFC 8785's order, and a canonical object is
        its members' canonical encodings in that order: the pieces join to ``canonical_bytes(document)``.
        """
        members = self._members(signed)
        yield b"{"
        for number, name in enumerate(sorted(members)):
            yield (b"," if number else b"") + canonical_bytes(name) + b":"
            if name in STREAMED_MEMBERS:
                yield b"["
                for position, item in enumerate(members[name]):
                    # An entry's document is plain strings and integers; a disclosure's payload is checked.
                    checked = isinstance(item, ProvenEntry)
                    yield (b"," if position else b"") + canonical_bytes(item.document(), checked=checked)
                yield b"]"
            else:
                yield canonical_bytes(members[name])
        yield b"}"

    def encode(self) -> bytes:
        """The bundle's bytes: canonical JSON (RFC 8785)."""
        return b"".join(self.pieces())

    def unsigned_bytes(self) -> bytes:
        """The canonical bundle without ``issued.sig``, whose SHA-256 ``issued.sig`` signs."""
        return b"".join(self.pieces(signed=False))

    def unsigned_digest(self) -> bytes:
        """SHA-256 of ``unsigned_bytes``, computed piece by piece (a streamed bundle is never whole in memory)."""
        digest = hashlib.sha256()
        for piece in self.pieces(signed=False):
            digest.update(piece)
        return digest.digest()


def proven_entry(value: Any, path: str) -> ProvenEntry:
    """One item of ``entries``, ``policies`` or ``keys`` (``path`` names it in errors)."""
    fields = Fields(value, path)
    fields.expect_members({"index", "hash", "data", "proof"})
    return ProvenEntry(
        index=fields.integer("index"),
        leaf_hash=fields.hash32("hash"),
        data=fields.base64("data", limit=MAX_ENTRY_BYTES),
        proof=_proof(fields.array("proof", limit=MAX_PROOF_HASHES), path),
    )


_HEX_HASHES = re.compile(r"(?:[0-9a-f]{64})*")


def _proof(hashes: list[Any], path: str) -> tuple[bytes, ...]:
    """A proof's hashes, each 64 lowercase hex digits (one check of them all; a bad one is then looked for)."""
    try:
        joined = "".join(hashes)  # refuses anything but strings
    except TypeError:
        joined = None
    if joined is not None and set(map(len, hashes)) <= {64} and _HEX_HASHES.fullmatch(joined):
        raw = bytes.fromhex(joined)
        return tuple(raw[i : i + 32] for i in range(0, len(raw), 32))
    for number, item in enumerate(hashes):
        if not isinstance(item, str) or not HEX32_RE.fullmatch(item):
            raise FormatError(f"{path}.proof[{number}]: must be 64 lowercase hex digits, not {shown(item)}")
    raise AssertionError("unreachable: every hash was well-formed")


def check_order(name: str, number: int, previous: int | None, index: int) -> None:
    """Each list of entries is in ascending index order, so a verifier can walk it once, front to back."""
    if previous is None or index > previous:
        return
    path = f"{name}[{number}]"
    if index == previous:
        raise FormatError(f"{path}: index {index} appears twice", path=path)
    raise FormatError(f"{path}: index {index} comes after {previous}: entries are listed by ascending index", path=path)


def _proven_list(fields: Fields, name: str) -> tuple[ProvenEntry, ...]:
    items = fields.array(name, limit=MAX_BUNDLE_ENTRIES)
    entries = tuple(proven_entry(item, f"{name}[{number}]") for number, item in enumerate(items))
    for number, entry in enumerate(entries):
        check_order(name, number, entries[number - 1].index if number else None, entry.index)
    return entries


def _anchor(fields: Fields) -> AnchorClaim:
    fields.expect_members({"size", "root", "tx", "block_number", "block_hash", "timestamp"})
    return AnchorClaim(
        size=fields.integer("size", minimum=1),
        root=fields.hash32("root"),
        tx=fields.prefixed_hash32("tx"),
        block_number=fields.integer("block_number"),
        block_hash=fields.prefixed_hash32("block_hash"),
        timestamp=fields.integer("timestamp"),
    )


def parse_disclosure(value: Any, path: str) -> Disclosure:
    """One item of ``disclosures``."""
    fields = Fields(value, path)
    fields.expect_members({"index", "payload", "salt"})
    payload = fields.raw("payload")
    try:
        size = len(canonical_bytes(payload))
    except FormatError as exc:
        raise fields.fail("payload", exc.message) from exc
    if size > MAX_PAYLOAD_BYTES:
        raise fields.fail("payload", f"is {size} bytes, more than {MAX_PAYLOAD_BYTES}")
    salt = fields.base64("salt", limit=SALT_BYTES)
    if len(salt) != SALT_BYTES:
        raise fields.fail("salt", f"must be {SALT_BYTES} bytes, not {len(salt)}")
    return Disclosure(fields.integer("index"), payload, salt)


_EXPORT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{7,63}")
MAX_FILTER_BYTES = 60 * 1024


def _export(fields: Fields) -> ExportManifest:
    fields.expect_members({"id", "filter", "tickets"})
    export_id = fields.string("id", _EXPORT_ID, "an export id (8-64 letters, digits, - or _)")
    chosen = fields.object("filter").value
    try:
        size = len(canonical_bytes(chosen))
    except FormatError as exc:
        raise fields.fail("filter", exc.message) from exc
    if size > MAX_FILTER_BYTES:
        raise fields.fail("filter", f"is {size} bytes, more than {MAX_FILTER_BYTES}")
    tickets = []
    for number, item in enumerate(fields.array("tickets", limit=MAX_BUNDLE_ENTRIES)):
        ticket = Fields(item, f"export.tickets[{number}]")
        ticket.expect_members({"ticket", "entries"})
        tickets.append((ticket.string("ticket", TICKET_RE, "a ticket number"), ticket.integer("entries", minimum=1)))
    names = [t for t, _ in tickets]
    if names != sorted(set(names)):
        raise fields.fail("tickets", "must name each ticket once, in order")
    return ExportManifest(export_id, dict(chosen), tuple(tickets))


def _issued(fields: Fields) -> Issued:
    fields.expect_members({"at", "by", "key", "sig"})
    key = fields.string("key", limit=1024)
    try:
        parse_vkey(key)
    except FormatError as exc:
        raise fields.fail("key", exc.message) from exc
    sig = fields.base64("sig", limit=64)
    if len(sig) != 64:
        raise fields.fail("sig", "must be a 64-byte Ed25519 signature")
    return Issued(fields.string("at", limit=64), fields.string("by", limit=256), key, sig)


def check_members(fields: Fields) -> None:
    """The document is a ``hotline.bundle/v1`` with exactly its members."""
    if fields.raw("v") != BUNDLE_V1:
        raise fields.fail("v", f"must be {BUNDLE_V1!r}: this is not a proof bundle")
    fields.expect_members(
        {"v", "log", "chain", "checkpoint", "anchor", "entries", "policies", "keys"},
        {"disclosures", "issued", "export"},
    )


def assemble(fields: Fields, entries: Listed[ProvenEntry], disclosures: Listed[Disclosure]) -> Bundle:
    """The bundle from its members, the two large lists already parsed (in memory or from a file)."""
    log = fields.object("log")
    log.expect_members({"origin", "verifier_key"})
    return Bundle(
        origin=log.string("origin", ORIGIN_RE, "a log origin"),
        verifier_key=log.string("verifier_key", limit=1024),
        chain=parse_chain_place(fields.object("chain")),
        checkpoint=fields.string("checkpoint", limit=MAX_NOTE_BYTES),
        anchor=_anchor(fields.object("anchor")),
        entries=entries,
        policies=_proven_list(fields, "policies"),
        keys=_proven_list(fields, "keys"),
        disclosures=disclosures,
        issued=_issued(fields.object("issued")) if fields.has("issued") else None,
        export=_export(fields.object("export")) if fields.has("export") else None,
    )


def parse_bundle(data: bytes) -> Bundle:
    """Parse a bundle document strictly (step V1 for the document; entries stay bytes).

    ``verifier.bundle_file.read_bundle`` reads one from a file, streaming it when it is large.

    Raises:
        FormatError: too large, not strict JSON, not ``hotline.bundle/v1``, or a member that breaks the
            format (the message names its path, e.g. ``entries[3].proof[1]``).
    """
    if len(data) > MAX_BUNDLE_BYTES:
        raise FormatError(f"a bundle is at most {MAX_BUNDLE_BYTES} bytes in memory; this one is {len(data)}")
    fields = Fields(parse_json_strict(data), "")
    check_members(fields)
    disclosures = fields.array("disclosures", limit=MAX_BUNDLE_ENTRIES) if fields.has("disclosures") else []
    return assemble(
        fields,
        _proven_list(fields, "entries"),
        tuple(parse_disclosure(item, f"disclosures[{n}]") for n, item in enumerate(disclosures)),
    )
