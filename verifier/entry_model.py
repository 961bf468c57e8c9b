"""The parsed forms of the log's entries (DESIGN §3) and the shapes of their names.

``verifier.entry`` parses and builds them; this module only says what they are, so that every parser
(the strict one and the fast path for the usual transition layout) builds the same objects.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from verifier.canonical import canonical_bytes, parse_canonical
from verifier.merkle import leaf_hash
from verifier.quick_init import quick_init

TRANSITION_V1 = "hotline.transition/v1"
KEY_V1 = "hotline.key/v1"
POLICY_V1 = "hotline.policy/v1"
EXPORT_V1 = "hotline.export/v1"

TICKET_RE = re.compile(r"[A-Za-z0-9-]{4,40}")
ORG_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
KEY_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
HASH_HEX_RE = re.compile(r"[0-9a-f]{64}")
COMMITMENT_RE = re.compile(r"sha256:[0-9a-f]{64}")
ORIGIN_RE = re.compile(r"[\x21-\x7e]{1,255}")
# RFC 3339 with an explicit offset and exactly millisecond precision (DESIGN §3).
AT_RE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])", re.ASCII
)


@quick_init
@dataclass(frozen=True)
class Actor:
    """Who acted: organisation code, role from the policy, optional registered key id."""

    org: str
    role: str
    key: str | None = None


@quick_init
@dataclass(frozen=True)
class Transition:
    """A parsed ``hotline.transition/v1`` entry; ``data`` is its canonical bytes."""

    data: bytes
    log: str
    ticket: str
    seq: int
    prev: str | None
    event: str
    from_state: str | None
    to_state: str
    actor: Actor
    at: str
    policy: str
    attrs: Mapping[str, Any]
    payload: str | None
    sig: str | None
    #: ``at`` as parsed when the entry was (``parse_at``), for step V10.
    moment: datetime | None = field(default=None, compare=False, repr=False)

    @property
    def leaf_hash(self) -> bytes:
        return leaf_hash(self.data)

    def signed_bytes(self) -> bytes:
        """The bytes an actor's signature covers: the canonical entry without ``sig``."""
        record = parse_canonical(self.data)
        record.pop("sig", None)
        return canonical_bytes(record)


@dataclass(frozen=True)
class KeyEntry:
    """A parsed ``hotline.key/v1`` entry: an actor key registered or revoked."""

    data: bytes
    log: str
    op: str
    key: str
    org: str
    role: str | None
    public_key: bytes | None
    at: str

    @property
    def leaf_hash(self) -> bytes:
        return leaf_hash(self.data)


@dataclass(frozen=True)
class PolicyEntry:
    """A parsed ``hotline.policy/v1`` entry: a workflow policy published in full."""

    data: bytes
    log: str
    id: str
    at: str
    document: Mapping[str, Any]

    @property
    def leaf_hash(self) -> bytes:
        return leaf_hash(self.data)


@dataclass(frozen=True)
class ExportEntry:
    """A parsed ``hotline.export/v1`` entry: an export was made (who, which filter, the bundle's hash)."""

    data: bytes
    log: str
    id: str
    by: str
    filter: Mapping[str, Any]
    bundle: str
    tickets: int
    entries: int
    at: str

    @property
    def leaf_hash(self) -> bytes:
        return leaf_hash(self.data)


Entry = Transition | KeyEntry | PolicyEntry | ExportEntry
