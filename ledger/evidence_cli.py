"""``hotline-ledger trust export`` and ``hotline-ledger bundle``: evidence an operator hands to auditors.

The trust file goes to auditors out of band (it is what they trust); bundles are what they verify
against it with ``hotline-verify bundle``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ledger.anchoring.commands import deployment_file
from ledger.anchoring.deployment import Deployment
from ledger.arguments import positive_int
from ledger.bundles import ticket_bundle
from ledger.config import DataDir
from ledger.service import Ledger
from verifier.trust import ChainPlace, Trust, log_id_of


def build_trust(ledger: Ledger, deployment: Deployment, confirmations: int) -> Trust:
    """The trust file of this log: its origin, the operator's key, its anchor contract."""
    chain = ChainPlace(deployment.chain_id, deployment.contract.lower(), log_id_of(ledger.origin))
    return Trust(ledger.origin, (ledger.signer.verifier(),), chain, confirmations)


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
    trust = build_trust(ledger, Deployment.load(deployment_file(Path(args.data))), args.confirmations)
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
