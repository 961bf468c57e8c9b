"""Regulators' exports: every anchored entry of the tickets a filter selects, as one signed bundle.

The bundle is written in canonical JSON straight to disk, ticket by ticket, so memory stays bounded
by the number of tickets (their entry counts), never by their entries; the exporter's signature covers
the SHA-256 of the unsigned bundle (``verifier.bundle.issued_message``), computed as it is written. The
export is then recorded in the log (``hotline.export/v1``: who, which filter, the bundle's hash), so exports
are auditable too. Payloads and salts go in only when the filter asks for disclosure.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

from ledger.bundles import (
    anchor_claim,
    anchored_checkpoint,
    chain_place,
    context_indices,
    latest_anchor,
    proven,
    stored_data,
)
from ledger.config import DataDir
from ledger.errors import LedgerError
from ledger.keys import load_or_create_operator_key
from ledger.service import Ledger
from verifier.bundle import BUNDLE_V1, Disclosure, ExportManifest, ProvenEntry, issued_message
from verifier.canonical import canonical_bytes
from verifier.entry import format_at
from verifier.merkle import leaf_hash
from verifier.note import NoteSigner

#: Entries read per page while selecting tickets.
PAGE = 5000
#: Most tickets a filter may name (the filter is recorded in the log's export entry, which has a size limit).
MAX_FILTER_TICKETS = 1000
#: Longest reason an export may give (it is recorded in the log: no personal data belongs there).
MAX_REASON = 200
#: Bytes copied at a time while assembling the bundle.
CHUNK = 1 << 20

Progress = Callable[[str, int, int], None]


EXPORTER_KEY_FILE = "exporter.skey"
#: Export ids as ``write_export`` makes them (and as paths and URLs may carry them).
EXPORT_ID_RE = re.compile(r"export-[0-9]{14}-[0-9a-f]{8}")


def exporter_key(data: DataDir, ledger: Ledger, *, development: bool) -> NoteSigner:
    """The key that signs exports (``DIR/keys/exporter.skey``, created on first use)."""
    path = data.keys / EXPORTER_KEY_FILE
    return load_or_create_operator_key(path, f"{ledger.origin}/export", development=development)


class ExportRefused(LedgerError):
    """An export that cannot be made: nothing selected, an unknown ticket, a bad filter."""

    code = "export_refused"


@dataclass(frozen=True)
class ExportFilter:
    """Which tickets to export: those ``org`` acted on between ``start`` and ``end`` (dates, inclusive, in the
    policy's time zone), optionally only the ``tickets`` named and those now in one of ``states``."""

    org: str | None = None
    start: date | None = None
    end: date | None = None
    tickets: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    disclose: bool = False
    reason: str | None = None

    def document(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "org": self.org,
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "tickets": sorted(self.tickets),
            "states": sorted(self.states),
            "disclose": self.disclose,
        }

    def check(self) -> None:
        if self.reason is not None and not 0 < len(self.reason) <= MAX_REASON:
            raise ExportRefused(f"the reason must be 1 to {MAX_REASON} characters")
        if len(self.tickets) > MAX_FILTER_TICKETS:
            raise ExportRefused(f"a filter names at most {MAX_FILTER_TICKETS} tickets; use --org and a period instead")
        if self.start and self.end and self.start > self.end:
            raise ExportRefused(f"the period starts ({self.start}) after it ends ({self.end})")


@dataclass(frozen=True)
class ExportResult:
    """What was exported, where it is, and the index of the export's own entry in the log."""

    id: str
    path: Path
    tickets: int
    entries: int
    sha256: bytes
    index: int
    tree_size: int


def _acted(record: dict[str, Any], chosen: ExportFilter, zone: Any) -> bool:
    if chosen.org is not None and record["actor"]["org"] != chosen.org:
        return False
    if chosen.start is None and chosen.end is None:
        return True
    day = datetime.fromisoformat(record["at"].replace("Z", "+00:00")).astimezone(zone).date()
    return (chosen.start is None or day >= chosen.start) and (chosen.end is None or day <= chosen.end)


def select_tickets(ledger: Ledger, chosen: ExportFilter, size: int, progress: Progress | None = None) -> dict[str, int]:
    """The selected tickets and how many entries each has below ``size``, in one pass over the log."""
    chosen.check()
    zone = ledger.policies[ledger.default_policy].calendar.timezone
    counts: Counter[str] = Counter()
    states: dict[str, str] = {}
    matched: set[str] = set()
    criteria = chosen.org is not None or chosen.start is not None or chosen.end is not None
    for start in range(0, size, PAGE):
        for stored in ledger.entries(start, min(size, start + PAGE)):
            if stored.ticket is None:
                continue
            record = json.loads(stored.data)  # the ledger's own canonical entries
            counts[stored.ticket] += 1
            states[stored.ticket] = record["to"]
            if criteria and _acted(record, chosen, zone):
                matched.add(stored.ticket)
        if progress is not None:
            progress("selecting", min(size, start + PAGE), size)
    selected = set(counts) if not criteria else matched
    if chosen.tickets:
        unknown = sorted(set(chosen.tickets) - set(counts))
        if unknown:
            raise ExportRefused(f"no anchored ticket {unknown[0]} in this log", tickets=unknown[:20])
        selected &= set(chosen.tickets)
    if chosen.states:
        selected = {t for t in selected if states[t] in chosen.states}
    return {ticket: counts[ticket] for ticket in sorted(selected)}


class _Sections:
    """Temporary files for the two big arrays of the bundle, written item by item."""

    def __init__(self, directory: Path) -> None:
        # Closed (and so deleted) by close(), in write_export's finally.
        self.entries = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115
        self.disclosures = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115
        self.counts = {"entries": 0, "disclosures": 0}

    def add(self, section: str, item: dict[str, Any]) -> None:
        target = self.entries if section == "entries" else self.disclosures
        if self.counts[section]:
            target.write(b",")
        target.write(canonical_bytes(item))
        self.counts[section] += 1

    def close(self) -> None:
        self.entries.close()
        self.disclosures.close()


def _copy(source: IO[bytes], out: IO[bytes], digest: Any) -> None:
    source.seek(0)
    while chunk := source.read(CHUNK):
        out.write(chunk)
        digest.update(chunk)


def _write(out: IO[bytes], digest: Any, data: bytes) -> None:
    out.write(data)
    digest.update(data)


def _file_sha256(path: Path) -> bytes:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.digest()


def write_export(
    ledger: Ledger,
    chosen: ExportFilter,
    out: Path,
    *,
    signer: NoteSigner,
    by: str,
    progress: Progress | None = None,
) -> ExportResult:
    """Write the signed bundle of the selected tickets to ``out`` (atomically) and record the export.

    Raises:
        NotAnchoredYet: nothing is anchored yet.
        ExportRefused: the filter is inconsistent, names an unknown ticket, or selects nothing.
    """
    anchor = latest_anchor(ledger)
    size = anchor.tree_size
    checkpoint = anchored_checkpoint(ledger, anchor)
    tickets = select_tickets(ledger, chosen, size, progress)
    if not tickets:
        raise ExportRefused("the filter selects no anchored ticket", filter=chosen.document())
    export_id = f"export-{datetime.now(UTC):%Y%m%d%H%M%S}-{secrets.token_hex(4)}"
    sections = _Sections(out.parent)
    temporary = out.with_name(f".{out.name}.{export_id}.tmp")
    policy_ids: set[str] = set()
    key_ids: set[str] = set()
    try:
        # Entries in index order, a page at a time: one sequential read, and proofs that share stored nodes.
        for start in range(0, size, PAGE):
            page = [e for e in ledger.entries(start, min(size, start + PAGE)) if e.ticket in tickets]
            proofs = ledger.inclusion_proofs([e.index for e in page], size) if page else []
            for stored, proof in zip(page, proofs, strict=True):
                item = ProvenEntry(stored.index, leaf_hash(stored.data), stored.data, tuple(proof))
                sections.add("entries", item.document())
                record = json.loads(stored.data)  # the ledger's own canonical entries: no need to re-validate
                policy_ids.add(record["policy"])
                if record.get("sig") is not None and record["actor"].get("key") is not None:
                    key_ids.add(record["actor"]["key"])
                opened = ledger.disclosure(record["payload"]) if chosen.disclose and record["payload"] else None
                if opened is not None:
                    sections.add("disclosures", Disclosure(stored.index, opened[0], opened[1]).document())
            if progress is not None:
                progress("exporting", min(size, start + PAGE), size)
        policy_indices, key_indices = context_indices(ledger, policy_ids, key_ids, size)
        context = {i: stored_data(ledger, i) for i in (*policy_indices, *key_indices)}
        manifest = ExportManifest(export_id, chosen.document(), tuple(tickets.items()))
        issued = {"at": format_at(datetime.now(UTC)), "by": by, "key": signer.vkey}
        digest = hashlib.sha256()
        with temporary.open("wb") as handle:
            _write(handle, digest, b'{"anchor":' + canonical_bytes(anchor_claim(anchor).document()))
            _write(handle, digest, b',"chain":' + canonical_bytes(chain_place(ledger, anchor).document()))
            _write(handle, digest, b',"checkpoint":' + canonical_bytes(checkpoint.note))
            if sections.counts["disclosures"]:
                _write(handle, digest, b',"disclosures":[')
                _copy(sections.disclosures, handle, digest)
                _write(handle, digest, b"]")
            _write(handle, digest, b',"entries":[')
            _copy(sections.entries, handle, digest)
            _write(handle, digest, b'],"export":' + canonical_bytes(manifest.document()) + b',"issued":')
            rest = b"".join(
                [
                    b',"keys":',
                    canonical_bytes([proven(ledger, i, context[i], size).document() for i in key_indices]),
                    b',"log":',
                    canonical_bytes({"origin": ledger.origin, "verifier_key": ledger.signer.vkey}),
                    b',"policies":',
                    canonical_bytes([proven(ledger, i, context[i], size).document() for i in policy_indices]),
                    b',"v":',
                    canonical_bytes(BUNDLE_V1),
                    b"}",
                ]
            )
            digest.update(canonical_bytes(issued) + rest)
            signature = signer.sign(issued_message(digest.digest()))
            handle.write(canonical_bytes({**issued, "sig": base64.b64encode(signature).decode()}) + rest)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, out)
    finally:
        sections.close()
        temporary.unlink(missing_ok=True)
    sha256 = _file_sha256(out)
    entries = sum(tickets.values())
    index = ledger.record_export(
        export_id, by=by, filter=chosen.document(), bundle_sha256=sha256, tickets=len(tickets), entries=entries
    )
    return ExportResult(export_id, out, len(tickets), entries, sha256, index, size)
