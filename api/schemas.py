"""The API's wire formats (pydantic), apart from the ledger's records and the log's entry format.

Inputs are strict (no coercion of ``"5"`` to ``5``, no unknown fields) and pre-checked with the entry
format's own patterns, so that a malformed transition is refused with 422 before it reaches the writer.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ledger.records import StoredAnchor, StoredEntry
from ledger.sequencer import TRANSITION_ID_CHARS, Receipt, TransitionRequest
from verifier.entry import AT_RE, KEY_ID_RE, ORG_RE, TICKET_RE, Actor
from verifier.names import CODE_RE, POLICY_ID_RE

#: Most transitions in one batch request (DESIGN §8); more is refused with 413.
MAX_BATCH = 1000

_STRICT = ConfigDict(extra="forbid", strict=True)

#: Examples in the OpenAPI document: a 12345 ticket number and a core system's id of one of its transitions.
TICKET_EXAMPLE = "250912101108115409"
TRANSITION_ID_EXAMPLE = "ccms-250912101108115409-1"


#: Classes whose meaning depends on the engine: Unicode in pydantic-core's (and JSON Schema's), ASCII in the
#: verifier's ``re.ASCII`` patterns. A field pattern taken from the verifier spells its characters out instead.
_ENGINE_DEPENDENT = re.compile(r"(?<!\\)(?:\\\\)*\\[dDwWsSbB]")


def _pattern(regex: re.Pattern[str]) -> str:
    """The verifier's ``regex`` as a whole-value pydantic pattern, which must match exactly the same strings."""
    if _ENGINE_DEPENDENT.search(regex.pattern):
        raise ValueError(f"{regex.pattern!r} uses a class that pydantic reads as Unicode, the verifier as ASCII")
    return f"^(?:{regex.pattern})$"


class ActorIn(BaseModel):
    model_config = _STRICT

    org: str = Field(pattern=_pattern(ORG_RE))
    role: str = Field(pattern=_pattern(CODE_RE))
    key: str | None = Field(None, pattern=_pattern(KEY_ID_RE))


class TransitionIn(BaseModel):
    """One transition as a core system submits it; ``payload`` is personal content, kept off the log."""

    model_config = _STRICT

    # Any characters but NUL (see ledger.sequencer.is_transition_id).
    transition_id: str = Field(
        min_length=1, max_length=TRANSITION_ID_CHARS, pattern=r"^[^\x00]+$", examples=[TRANSITION_ID_EXAMPLE]
    )
    ticket: str = Field(pattern=_pattern(TICKET_RE), examples=[TICKET_EXAMPLE])
    event: str = Field(pattern=_pattern(CODE_RE))
    to: str = Field(pattern=_pattern(CODE_RE))
    expected_seq: int | None = Field(None, ge=1)
    actor: ActorIn
    at: str = Field(pattern=_pattern(AT_RE), examples=["2026-03-02T09:15:00.123+08:00"])
    policy: str | None = Field(None, pattern=_pattern(POLICY_ID_RE))
    attrs: dict[str, Any] = Field(default_factory=dict)
    payload: dict[str, Any] | None = None
    sig: str | None = None

    def request(self) -> TransitionRequest:
        return TransitionRequest(
            transition_id=self.transition_id,
            ticket=self.ticket,
            event=self.event,
            to=self.to,
            actor=Actor(self.actor.org, self.actor.role, self.actor.key),
            at=self.at,
            attrs=self.attrs,
            payload=self.payload,
            expected_seq=self.expected_seq,
            policy=self.policy,
            sig=self.sig,
        )


class BatchIn(BaseModel):
    """Up to ``MAX_BATCH`` transitions, recorded all or none."""

    model_config = _STRICT

    transitions: list[TransitionIn] = Field(min_length=1)


Status = Literal["pending", "integrated", "anchored"]


class AnchorOut(BaseModel):
    """Where a checkpoint was anchored on chain."""

    tree_size: int
    root: str
    chain_id: int
    contract: str
    tx: str
    block_number: int
    block_hash: str
    timestamp: int

    @classmethod
    def of(cls, anchor: StoredAnchor) -> AnchorOut:
        return cls(**anchor_json(anchor))


def anchor_json(anchor: StoredAnchor) -> dict[str, Any]:
    """``AnchorOut``'s wire form of a stored anchor, as JSON values."""
    return {
        "tree_size": anchor.tree_size,
        "root": anchor.root.hex(),
        "chain_id": anchor.chain_id,
        "contract": anchor.contract,
        "tx": "0x" + anchor.tx_hash.hex(),
        "block_number": anchor.block_number,
        "block_hash": "0x" + anchor.block_hash.hex(),
        "timestamp": anchor.block_timestamp,
    }


class ReceiptOut(BaseModel):
    """A transition's receipt and how far it has come.

    ``status``: ``pending`` — in the tree, not yet under a signed checkpoint; ``integrated`` — a published
    checkpoint (size in ``checkpoint``) covers it, so it can be proved; ``anchored`` — a checkpoint covering
    it is anchored on chain (``anchor``). ``query_code`` appears once, on the receipt that opened the ticket.
    """

    transition_id: str
    index: int
    entry_hash: str
    ticket: str
    seq: int
    state: str
    payload: str | None
    status: Status
    checkpoint: int | None = None
    anchor: AnchorOut | None = None
    query_code: str | None = None


def receipt_json(
    receipt: Receipt, checkpoint_size: int | None = None, anchor: StoredAnchor | None = None
) -> dict[str, Any]:
    """The wire form of a receipt, given the latest checkpoint's size and the first anchor covering it.

    ``ReceiptOut``'s fields in its order, as JSON values, put together directly: a batch answers with up to
    1,000 receipts, and a validated model for each, dumped again, cost several milliseconds per batch.
    ``tests/api/test_receipt_json.py`` checks that this is ``ReceiptOut``'s own form.
    """
    covered = checkpoint_size if checkpoint_size is not None and checkpoint_size > receipt.index else None
    status: Status = "anchored" if anchor else "integrated" if covered else "pending"
    return {
        "transition_id": receipt.transition_id,
        "index": receipt.index,
        "entry_hash": receipt.entry_hash,
        "ticket": receipt.ticket,
        "seq": receipt.seq,
        "state": receipt.state,
        "payload": receipt.payload,
        "status": status,
        "checkpoint": covered,
        "anchor": anchor_json(anchor) if anchor else None,
        "query_code": receipt.query_code,
    }


def receipt_out(receipt: Receipt, checkpoint_size: int | None = None, anchor: StoredAnchor | None = None) -> ReceiptOut:
    """``receipt_json`` as a ``ReceiptOut``."""
    return ReceiptOut(**receipt_json(receipt, checkpoint_size, anchor))


class BatchOut(BaseModel):
    receipts: list[ReceiptOut]


class EntryOut(BaseModel):
    """An entry: index, its exact bytes (base64), and optionally its decoded fields and inclusion proof."""

    index: int
    data: str
    entry: dict[str, Any] | None = None
    proof: list[str] | None = None

    @classmethod
    def of(cls, stored: StoredEntry, *, decoded: bool = False, proof: list[bytes] | None = None) -> EntryOut:
        return cls(
            index=stored.index,
            data=base64.b64encode(stored.data).decode(),
            entry=json.loads(stored.data) if decoded else None,
            proof=None if proof is None else [h.hex() for h in proof],
        )


class HistoryOut(BaseModel):
    """A ticket's entries, each with its inclusion proof against the checkpoint of ``tree_size``.

    Entries appended after that checkpoint have no proof yet (``proof`` null).
    """

    ticket: str
    tree_size: int | None
    checkpoint: str | None
    entries: list[EntryOut]


class EntriesOut(BaseModel):
    start: int
    end: int
    tree_size: int
    entries: list[EntryOut]
    next: int | None


class InclusionOut(BaseModel):
    index: int
    tree_size: int
    proof: list[str]


class ConsistencyOut(BaseModel):
    size1: int = Field(serialization_alias="from")
    size2: int = Field(serialization_alias="to")
    proof: list[str]


class PolicyOut(BaseModel):
    id: str
    name: str
    version: str
    document: dict[str, Any]


class TrustOut(BaseModel):
    """What a verifier needs to trust this log; chain fields are null when no chain is configured."""

    origin: str
    verifier_key: str
    exporter_key: str = Field(description="The key that signs exports (issued.key of an exported bundle).")
    log_id: str
    chain_id: int | None
    contract: str | None


class QueryCodeIn(BaseModel):
    model_config = _STRICT

    query_code: str = Field(max_length=64)


class EraseIn(BaseModel):
    model_config = _STRICT

    actor: ActorIn
    reason: str = Field(pattern=_pattern(CODE_RE))
    at: str | None = Field(None, pattern=_pattern(AT_RE))


class Problem(BaseModel):
    """An RFC 9457 problem: the standard members and a stable ``code``; extension members (``errors`` of a
    ``validation_error``, the ``ticket`` and ``state`` of an ``illegal_transition``…) depend on the code."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["urn:hotline-ledger:problem:illegal_transition"])
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    code: str
