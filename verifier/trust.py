"""The trust file (``hotline.trust/v1``): what an auditor receives out of band and trusts.

Everything the verifier trusts comes from here, never from the evidence it checks::

    {"v": "hotline.trust/v1",
     "origin": "12345.hangzhou.gov.cn/ledger/v1",
     "verifier_keys": ["12345.hangzhou.gov.cn/ledger/v1+083c9663+AR…"],
     "chain": {"chain_id": 12345, "contract": "0x…", "log_id": "0x…"},
     "confirmations": 1,
     "exporter_keys": ["12345.hangzhou.gov.cn/ledger/v1/export+5e1a…"]}

``exporter_keys`` (optional) are the keys whose signature (``issued``) an exported bundle may carry.
``log_id`` must be SHA-256 of the origin (as the anchor contract derives it), so a trust file that
names one log's keys and another log's anchors is refused.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from verifier.canonical import canonical_bytes, parse_json_strict
from verifier.document import Fields
from verifier.entry import ORIGIN_RE
from verifier.errors import FormatError
from verifier.note import NoteVerifier, parse_vkey

TRUST_V1 = "hotline.trust/v1"
#: A trust file is small; anything larger is not one.
MAX_TRUST_BYTES = 64 * 1024
MAX_TRUSTED_KEYS = 16
#: Confirmations an auditor may demand at most (about a day of one-second blocks).
MAX_CONFIRMATIONS = 100_000


def log_id_of(origin: str) -> bytes:
    """The anchor contract's id of a log: SHA-256 of its origin."""
    return hashlib.sha256(origin.encode()).digest()


@dataclass(frozen=True)
class ChainPlace:
    """Where a log is anchored: chain id, contract address (lowercase) and the log's id there."""

    chain_id: int
    contract: str
    log_id: bytes

    def document(self) -> dict[str, Any]:
        return {"chain_id": self.chain_id, "contract": self.contract, "log_id": "0x" + self.log_id.hex()}


def parse_chain_place(fields: Fields) -> ChainPlace:
    fields.expect_members({"chain_id", "contract", "log_id"})
    return ChainPlace(
        chain_id=fields.integer("chain_id", minimum=1, maximum=2**64 - 1),
        contract=fields.address("contract"),
        log_id=fields.prefixed_hash32("log_id"),
    )


@dataclass(frozen=True)
class Trust:
    """The log an auditor trusts: its origin, the operator's keys, where it is anchored, and finality."""

    origin: str
    verifier_keys: tuple[NoteVerifier, ...]
    chain: ChainPlace
    confirmations: int
    exporter_keys: tuple[NoteVerifier, ...] = ()

    def document(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "v": TRUST_V1,
            "origin": self.origin,
            "verifier_keys": [key.vkey for key in self.verifier_keys],
            "chain": self.chain.document(),
            "confirmations": self.confirmations,
        }
        if self.exporter_keys:
            document["exporter_keys"] = [key.vkey for key in self.exporter_keys]
        return document

    def encode(self) -> bytes:
        """The trust file's bytes: canonical JSON and a final newline."""
        return canonical_bytes(self.document()) + b"\n"


def parse_trust(data: bytes) -> Trust:
    """Parse a trust file strictly.

    Raises:
        FormatError: not a ``hotline.trust/v1`` document, a malformed member, no or duplicate keys, or a
            ``log_id`` that is not SHA-256 of the origin.
    """
    if len(data) > MAX_TRUST_BYTES:
        raise FormatError(f"a trust file is at most {MAX_TRUST_BYTES} bytes; this one is {len(data)}")
    fields = Fields(parse_json_strict(data), "")
    if fields.raw("v") != TRUST_V1:
        raise fields.fail("v", f"must be {TRUST_V1!r}: this is not a trust file")
    fields.expect_members({"v", "origin", "verifier_keys", "chain", "confirmations"}, {"exporter_keys"})
    origin = fields.string("origin", ORIGIN_RE, "a log origin (printable ASCII, no spaces)")
    keys = _keys(fields, "verifier_keys", required=True)
    exporters = _keys(fields, "exporter_keys", required=False) if fields.has("exporter_keys") else ()
    chain = parse_chain_place(fields.object("chain"))
    if chain.log_id != log_id_of(origin):
        raise FormatError(
            "chain.log_id is not SHA-256 of the origin: the trust file mixes two logs",
            path="chain.log_id",
            expected=log_id_of(origin),
            value=chain.log_id,
        )
    confirmations = fields.integer("confirmations", minimum=1, maximum=MAX_CONFIRMATIONS)
    return Trust(origin, keys, chain, confirmations, exporters)


def _keys(fields: Fields, name: str, *, required: bool) -> tuple[NoteVerifier, ...]:
    keys = []
    for number, text in enumerate(fields.array(name, limit=MAX_TRUSTED_KEYS)):
        if not isinstance(text, str):
            raise fields.fail(f"{name}[{number}]", "must be a vkey string")
        try:
            keys.append(parse_vkey(text))
        except FormatError as exc:
            raise fields.fail(f"{name}[{number}]", exc.message) from exc
    if required and not keys:
        raise fields.fail(name, "must name at least one key")
    if len({(key.name, key.key_id) for key in keys}) != len(keys):
        raise fields.fail(name, "names the same key twice")
    return tuple(keys)
