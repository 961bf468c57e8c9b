"""``hotline-ledger``: the operator's command line.

Every subcommand takes ``--data DIR`` (default ``./var`` or ``HOTLINE_DATA_DIR``). Refusals
print one line, ``hotline-ledger: <code>: <reason>``, and exit 1; usage errors exit 2.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from ledger.anchoring.commands import add_commands
from ledger.api_keys_cli import add_keys_parser
from ledger.arguments import positive_int
from ledger.config import DEFAULT_ORIGIN, DataDir, default_data_dir
from ledger.demo import seed_demo
from ledger.errors import LedgerError
from ledger.evidence_cli import add_evidence_parsers
from ledger.proofs import ProofRequestError
from ledger.service import Ledger
from verifier.entry import Transition, parse_entry
from verifier.errors import VerificationError
from verifier.tlog_proof import TlogProof, verify_tlog_proof

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def _open(args: argparse.Namespace) -> Ledger:
    return DataDir(args.data).open_ledger(development=args.development)


def cmd_init(args: argparse.Namespace) -> int:
    settings = DataDir(args.data).init(args.origin, args.database)
    ledger = _open(args)
    head = ledger.head()
    print(f"log {settings['origin']} in {settings['database']}: {head.tree_size} entries")
    print(f"operator verifier key: {ledger.signer.vkey}")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    ledger = _open(args)
    head = ledger.head()
    checkpoint = ledger.latest_checkpoint()
    anchor = ledger.latest_anchor()
    print(
        json.dumps(
            {
                "origin": head.origin,
                "tree_size": head.tree_size,
                "root": head.root.hex(),
                "checkpoint_size": checkpoint.tree_size if checkpoint else None,
                "anchored_size": anchor.tree_size if anchor else None,
                "verifier_key": ledger.signer.vkey,
                "policies": sorted(ledger.policies),
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    return EXIT_OK


def cmd_checkpoint(args: argparse.Namespace) -> int:
    checkpoint = _open(args).publish_checkpoint()
    sys.stdout.write(checkpoint.note)
    return EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    ledger = _open(args)
    stored = ledger.ticket_entries(args.ticket)
    if not stored:
        raise LedgerError(f"no ticket {args.ticket!r} in this log", ticket=args.ticket)
    for item in stored:
        print(json.dumps({"index": item.index, "entry": json.loads(item.data)}, ensure_ascii=False))
    return EXIT_OK


def cmd_devnet(args: argparse.Namespace) -> int:
    """Run the development chain in the foreground, its chain in DIR/devnet/ beside the ledger's files."""
    from ledger.devnet.server import run  # The devnet extra (py-evm) is needed only by this command.

    return run(args.host, args.port, Path(args.data) / "devnet")


def _verify_command() -> str:
    """``hotline-verify`` as the user can run it: beside this script when it is not on PATH."""
    beside = Path(sys.argv[0]).parent / "hotline-verify"
    if shutil.which("hotline-verify") is None and beside.exists():
        return str(beside)
    return "hotline-verify"


def write_proof(ledger: Ledger, index: int, directory: Path) -> tuple[Path, Path]:
    """Write entry ``index`` and its tlog-proof under the newest checkpoint into ``directory``.

    Publishes a checkpoint first when the newest one does not cover the entry.
    """
    # Only indices of the log reach the database: SQLite refuses integers beyond 2^63-1.
    stored = ledger.entry(index) if 0 <= index < ledger.head().tree_size else None
    if stored is None:
        raise LedgerError(f"no entry {index} in this log", index=index)
    checkpoint = ledger.latest_checkpoint()
    if checkpoint is None or checkpoint.tree_size <= index:
        checkpoint = ledger.publish_checkpoint()
    proof = TlogProof(index, tuple(ledger.inclusion_proof(index, checkpoint.tree_size)), checkpoint.note)
    directory.mkdir(parents=True, exist_ok=True)
    entry_file = directory / f"entry-{index}.json"
    proof_file = directory / f"entry-{index}.tlog-proof"
    entry_file.write_bytes(stored.data)
    proof_file.write_text(proof.text())
    return entry_file, proof_file


def cmd_prove(args: argparse.Namespace) -> int:
    ledger = _open(args)
    entry_file, proof_file = write_proof(ledger, args.index, Path(args.out))
    print(f"wrote {entry_file} and {proof_file}")
    print(f"check it: {_verify_command()} proof {entry_file} --proof {proof_file} --key {args.data}/keys/operator.vkey")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    """Append realistic tickets, publish a checkpoint, and prove one ticket's history."""
    data = DataDir(args.data)
    if not data.exists():
        data.init(DEFAULT_ORIGIN)
    ledger = _open(args)
    receipts = seed_demo(ledger, args.tickets, seed=args.seed)
    fresh = sum(not r.replayed for r in receipts)
    checkpoint = ledger.publish_checkpoint()
    print(f"appended {fresh} transitions of {args.tickets} tickets ({len(receipts) - fresh} already in the log)")
    print(f"\nsigned checkpoint (operator key {ledger.signer.vkey}):\n")
    sys.stdout.write(checkpoint.note)
    ticket = receipts[0].ticket
    print(f"\nticket {ticket}, every step proved against that checkpoint:")
    verifier = ledger.signer.verifier()
    out = Path(args.data) / "demo"
    for item in ledger.ticket_entries(ticket):
        entry = parse_entry(item.data)
        assert isinstance(entry, Transition)
        entry_file, proof_file = write_proof(ledger, item.index, out)
        verify_tlog_proof(proof_file.read_text(), entry_file.read_bytes(), [verifier], origin=ledger.origin)
        print(
            f"  #{item.index:<6} seq {entry.seq:<2} {entry.at}  {entry.event:<20} → {entry.to_state:<17}"
            f" {entry.actor.org}/{entry.actor.role}  inclusion verified"
        )
    print("\nan auditor checks one step independently with:")
    print(
        f"  {_verify_command()} proof {entry_file} --proof {proof_file} --key {Path(args.data) / 'keys/operator.vkey'}"
    )
    return EXIT_OK


#: Adds subcommands from a layer above the ledger (the API's ``run``) to the parser.
Extension = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]", argparse.ArgumentParser], None]


def _parser(extend: Extension | None = None) -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data", type=Path, default=default_data_dir(), help="data directory (default ./var or HOTLINE_DATA_DIR)"
    )
    common.add_argument("--development", action="store_true", help="development mode: accept development keys")
    parser = argparse.ArgumentParser(prog="hotline-ledger", description="Operate a hotline-ledger log.")
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", parents=[common], help="create the data directory, keys and database")
    init.add_argument("--origin", default=DEFAULT_ORIGIN, help=f"the log's origin (default {DEFAULT_ORIGIN})")
    init.add_argument("--database", help="database URL (default: SQLite in the data directory)")
    init.set_defaults(run=cmd_init)
    demo = commands.add_parser("demo", parents=[common], help="append realistic demo tickets and prove one")
    demo.add_argument("--tickets", type=positive_int, default=300, help="how many tickets (default 300)")
    demo.add_argument("--seed", type=int, default=12345, help="random seed of the demo data")
    demo.set_defaults(run=cmd_demo)
    commands.add_parser("status", parents=[common], help="the log's size, root and keys").set_defaults(run=cmd_status)
    commands.add_parser("checkpoint", parents=[common], help="publish a signed checkpoint").set_defaults(
        run=cmd_checkpoint
    )
    history = commands.add_parser("history", parents=[common], help="a ticket's entries")
    history.add_argument("ticket")
    history.set_defaults(run=cmd_history)
    devnet = commands.add_parser("devnet", parents=[common], help="run the development chain (chain id 12345)")
    devnet.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    devnet.add_argument("--port", type=int, default=8545, help="port to listen on (default 8545)")
    devnet.set_defaults(run=cmd_devnet)
    prove = commands.add_parser("prove", parents=[common], help="write an entry and its C2SP tlog-proof")
    prove.add_argument("index", type=int)
    prove.add_argument("--out", default=".", help="directory for the two files (default .)")
    prove.set_defaults(run=cmd_prove)
    add_commands(commands, common)
    add_keys_parser(commands, common)
    add_evidence_parsers(commands, common)
    if extend is not None:
        extend(commands, common)
    return parser


def main(argv: Sequence[str] | None = None, *, extend: Extension | None = None) -> int:
    """Run the CLI; returns the exit code. ``extend`` adds subcommands of the layers above."""
    parser = _parser(extend)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code else EXIT_OK
    try:
        return int(args.run(args))
    except (LedgerError, ProofRequestError, VerificationError) as exc:
        code = getattr(exc, "code", "refused")
        message = getattr(exc, "message", str(exc))
        print(f"hotline-ledger: {code}: {message}", file=sys.stderr)
        return EXIT_REFUSED
    except BrokenPipeError:
        # The reader went away (``… | head``): nothing is wrong with the log.
        sys.stderr.close()
        return EXIT_OK
    except OSError as exc:
        print(f"hotline-ledger: io_error: {exc}", file=sys.stderr)
        return EXIT_REFUSED


if __name__ == "__main__":
    sys.exit(main())
