"""Step V13, for exported bundles: the exporter's signature, by a key the trust file names, and every
ticket the export names present whole (no ticket cut short, none slipped in)."""

from __future__ import annotations

from collections import Counter, defaultdict

from verifier.bundle import Bundle, ExportManifest, issued_message
from verifier.entry import Entry, Transition
from verifier.errors import FormatError, VerificationError
from verifier.note import parse_vkey
from verifier.report import Report
from verifier.trust import Trust


def _signature(report: Report, bundle: Bundle, trust: Trust) -> bool:
    issued = bundle.issued
    if issued is None:
        report.failed("V13", "the bundle names an export but carries no exporter signature (issued)")
        return False
    key = parse_vkey(issued.key)
    trusted = {(k.name, k.key_id, k.public_key) for k in trust.exporter_keys}
    if (key.name, key.key_id, key.public_key) not in trusted:
        report.failed(
            "V13", f"the bundle is signed by {key.name}+{key.key_id.hex()}, which the trust file does not name",
            key=issued.key,
        )  # fmt: skip
        return False
    try:
        digest = bundle.unsigned_digest()
    except FormatError as exc:  # a streamed bundle whose file changed or went away
        report.failed("V13", f"the signed bytes could not be read again: {exc.message}")
        return False
    try:
        key.verify(issued_message(digest), issued.sig)
    except VerificationError as exc:
        report.failed("V13", f"the exporter's signature does not verify: {exc.message}", unsigned_sha256=digest)
        return False
    return True


#: How many of a ticket's seq numbers a failure shows.
_SHOWN_SEQS = 50


class TicketTally:
    """Each ticket's transitions as the bundle holds them, counted in index order (memory: per ticket, not entry)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.broken: set[str] = set()
        self.seqs: dict[str, list[int]] = defaultdict(list)

    def feed(self, entry: Entry) -> None:
        if not isinstance(entry, Transition):
            return
        count = self.counts[entry.ticket] = self.counts[entry.ticket] + 1
        if entry.seq != count:
            self.broken.add(entry.ticket)
        seqs = self.seqs[entry.ticket]
        if len(seqs) < _SHOWN_SEQS:
            seqs.append(entry.seq)

    def whole(self, ticket: str, count: int) -> bool:
        """Whether the bundle holds exactly seq 1…count of ``ticket``."""
        return self.counts.get(ticket, 0) == count and ticket not in self.broken


def _complete(report: Report, export: ExportManifest, tally: TicketTally) -> None:
    for ticket, count in export.tickets:
        if not tally.whole(ticket, count):
            held = tally.seqs.get(ticket, [])
            report.failed(
                "V13",
                f"ticket {ticket}: the export names {count} entries, the bundle holds "
                f"{tally.counts.get(ticket, 0)} with seq {held[:20]}",
                ticket=ticket,
                named_entries=count,
                held_seqs=held,
            )
            return
    named = {ticket for ticket, _ in export.tickets}
    extra = sorted(set(tally.counts) - named)
    if extra:
        report.failed("V13", f"the bundle holds tickets the export does not name: {', '.join(extra[:10])}")


def check_export(report: Report, bundle: Bundle, tally: TicketTally, trust: Trust) -> None:
    """Run V13 when the bundle is signed or names an export (otherwise the step does not appear).

    ``tally`` has counted every entry of the bundle whose hash and format held.
    """
    if bundle.issued is None and bundle.export is None:
        return
    if not _signature(report, bundle, trust):
        return
    if bundle.export is None:
        report.passed("V13", "signed by a trusted exporter key")
        return
    _complete(report, bundle.export, tally)
    report.passed(
        "V13",
        f"export {bundle.export.id} signed by a trusted exporter key; its {len(bundle.export.tickets)} ticket(s) "
        "are whole",
    )
