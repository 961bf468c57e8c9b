"""``hotline-ledger trust export`` and ``hotline-ledger bundle``: evidence an operator hands to auditors.

The trust file goes to auditors out of band (it is what they trust); bundles are what they verify
against it with ``hotline-verify bundle``.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from ledger.anchoring.commands import DEFAULT_RPC, deployment_file
from ledger.anchoring.deployment import Deployment
from ledger.arguments import positive_int
from ledger.bundles import ticket_bundle
from ledger.config import DataDir
from ledger.exports import ExportFilter, exporter_key, write_export
from ledger.service import Ledger
from verifier.bundle_check import verify_file
from verifier.export_report import ReportContext
from verifier.note import NoteSigner
from verifier.report_page import report_page
from verifier.seen import SeenCheckpoints
from verifier.sources.chain import ChainReader
from verifier.trust import ChainPlace, Trust, log_id_of


def build_trust(
    ledger: Ledger, deployment: Deployment, confirmations: int, exporter: NoteSigner | None = None
) -> Trust:
    """The trust file of this log: its origin, the operator's key, its anchor contract, the exporter's key."""
    chain = ChainPlace(deployment.chain_id, deployment.contract.lower(), log_id_of(ledger.origin))
    exporters = (exporter.verifier(),) if exporter else ()
    return Trust(ledger.origin, (ledger.signer.verifier(),), chain, confirmations, exporters)


def _write(data: bytes, out: Path | None) -> None:
    """Write to ``out`` atomically, or to standard output."""
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    temporary = out.with_name(out.name + ".tmp")
    temporary.write_bytes(data)
    temporary.replace(out)


def cmd_trust_export(args: argparse.Namespace) -> int:
    data = DataDir(args.data)
    ledger = data.open_ledger(development=args.development)
    exporter = exporter_key(data, ledger, development=args.development)
    trust = build_trust(ledger, Deployment.load(deployment_file(Path(args.data))), args.confirmations, exporter)
    _write(trust.encode(), args.out)
    if args.out is not None:
        print(f"trust file of {trust.origin} written to {args.out}: give it to auditors out of band", file=sys.stderr)
    return 0


def cmd_bundle(args: argparse.Namespace) -> int:
    ledger = DataDir(args.data).open_ledger(development=args.development)
    result = ticket_bundle(ledger, args.ticket)
    _write(result.bundle.encode(), args.out)
    pending = f"; {result.pending} later entry(ies) not anchored yet" if result.pending else ""
    print(
        f"bundle of ticket {args.ticket}: {len(result.bundle.entries)} entry(ies) under the anchored checkpoint "
        f"of size {result.bundle.anchor.size}{pending}",
        file=sys.stderr,
    )
    return 0


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


class _Progress:
    """Progress of a long export on standard error, at most twice a second."""

    def __init__(self) -> None:
        self.shown = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.shown < 0.5 and done < total:
            return
        self.shown = now
        end = "\n" if done >= total else ""
        print(f"\r  {phase}: {done:,} / {total:,}", end=end, file=sys.stderr, flush=True)


def cmd_export(args: argparse.Namespace) -> int:
    data = DataDir(args.data)
    ledger = data.open_ledger(development=args.development)
    signer = exporter_key(data, ledger, development=args.development)
    chosen = ExportFilter(
        org=args.org,
        start=args.start,
        end=args.end,
        tickets=tuple(args.ticket or ()),
        states=tuple(args.state or ()),
        disclose=args.disclose,
        reason=args.reason,
    )
    result = write_export(ledger, chosen, args.out, signer=signer, by=args.by, progress=_Progress())
    report_file = args.report or args.out.with_name(args.out.name.removesuffix(".json") + ".report.html")
    deployment = Deployment.load(deployment_file(Path(args.data)))
    trust = build_trust(ledger, deployment, 1, signer)
    page, outcome = _report(result.path, trust, args.rpc, data.path / "verifier-state")
    report_file.write_text(page, encoding="utf-8")
    print(
        f"export {result.id}: {result.tickets:,} ticket(s), {result.entries:,} entries under the anchored checkpoint "
        f"of size {result.tree_size}, written to {result.path} (sha256 {result.sha256.hex()}); recorded in the log "
        f"as entry {result.index}"
    )
    print(f"report ({outcome}): {report_file}")
    print(f"verify it with: hotline-verify bundle {result.path} --trust TRUST.json --rpc URL")
    return 0


def _report(bundle: Path, trust: Trust, rpc: str, state: Path) -> tuple[str, str]:
    """The export's HTML report, from an independent verification of the written file against the chain.

    The checkpoints earlier exports were proved against are remembered in ``state`` (V12), as an auditor's
    verifier would remember them.
    """
    seen = SeenCheckpoints.load(state, trust.origin)
    with ChainReader([rpc]) as chain:
        checked = verify_file(bundle, trust, chain=chain, seen=seen, subject=f"export {bundle.name}")
        context = ReportContext(bundle.name, checked.sha256, [rpc])
        page = report_page(checked.bundle, trust, checked.report, chain, context)
    if checked.report.ok("V4") and checked.report.ok("V12"):
        seen.save()
    return page, checked.report.outcome.value


def add_evidence_parsers(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add ``trust export`` and ``bundle`` to the ``hotline-ledger`` parser."""
    trust = commands.add_parser("trust", help="the trust file auditors receive out of band")
    actions = trust.add_subparsers(dest="trust_command", required=True)
    export = actions.add_parser(
        "export", parents=[common], help="write origin, verifier key, chain id, contract, log id and confirmations"
    )
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    export.add_argument(
        "--confirmations", type=positive_int, default=1, help="confirmations auditors should require (default 1)"
    )
    export.set_defaults(run=cmd_trust_export)
    bundle = commands.add_parser("bundle", parents=[common], help="write a ticket's proof bundle (hotline.bundle/v1)")
    bundle.add_argument("ticket")
    bundle.add_argument("--out", type=Path, help="file to write (default: standard output)")
    bundle.set_defaults(run=cmd_bundle)
    export = commands.add_parser(
        "export", parents=[common], help="a signed bundle of every anchored entry of the selected tickets"
    )
    export.add_argument("--org", help="the department: tickets it acted on (in the period, if one is given)")
    export.add_argument("--from", dest="start", type=_date, help="first day of the period (YYYY-MM-DD), inclusive")
    export.add_argument("--to", dest="end", type=_date, help="last day of the period (YYYY-MM-DD), inclusive")
    export.add_argument("--ticket", action="append", help="only this ticket (repeatable)")
    export.add_argument("--state", action="append", help="only tickets now in this state (repeatable)")
    export.add_argument(
        "--disclose", action="store_true", help="include payloads with their salts (personal data: only on request)"
    )
    export.add_argument("--reason", help="why (e.g. the regulator's request number); recorded with the export")
    export.add_argument("--by", default="operator", help="who exports, as recorded in the log (default operator)")
    export.add_argument("--out", type=Path, required=True, help="the bundle file to write")
    export.add_argument("--report", type=Path, help="the HTML report to write (default: beside the bundle)")
    export.add_argument(
        "--rpc", default=DEFAULT_RPC, help=f"a chain endpoint the report's verification reads (default {DEFAULT_RPC})"
    )
    export.set_defaults(run=cmd_export)
