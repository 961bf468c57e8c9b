"""``hotline-verify``: the auditor's command line. It trusts only the keys it is given.

Exit codes: 0 verified, 1 failed (with the step and its evidence), 2 usage or unreadable
input, 3 incomplete (evidence could not be obtained). Flags default to ``HOTLINE_VERIFY_*``
environment variables.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from verifier.audit_cli import UsageError, add_evidence_commands
from verifier.checkpoint import open_checkpoint
from verifier.errors import FormatError, SourceError, VerificationError
from verifier.note import NoteVerifier, parse_vkey
from verifier.tlog_proof import verify_tlog_proof

EXIT_VERIFIED, EXIT_FAILED, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3


def _read_bytes(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from exc


def _read_text(path: str) -> str:
    data = _read_bytes(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path} is not UTF-8 text") from exc


def _keys(values: Sequence[str] | None) -> list[NoteVerifier]:
    """Trusted verifier keys: each a vkey, or a file holding one vkey per line."""
    texts = list(values or [])
    if not texts and os.environ.get("HOTLINE_VERIFY_KEY"):
        texts = [os.environ["HOTLINE_VERIFY_KEY"]]
    if not texts:
        raise UsageError("no trusted key: give --key VKEY (or a file of vkeys), or set HOTLINE_VERIFY_KEY")
    keys = []
    for text in texts:
        lines = [text] if "+" in text and not Path(text).exists() else _read_text(text).split()
        for line in lines:
            try:
                keys.append(parse_vkey(line.strip()))
            except FormatError as exc:
                # Show only the key name: a signer key given by mistake must not be echoed.
                raise UsageError(f"not a verifier key ({exc.message}): {line.strip().split('+', 1)[0][:60]}") from exc
    if not keys:
        raise UsageError(f"no trusted key in {', '.join(texts)}")
    if len({(key.name, key.key_id) for key in keys}) != len(keys):
        raise UsageError("the same trusted key is given twice")
    return keys


def _checkpoint(args: argparse.Namespace) -> str:
    checkpoint = open_checkpoint(_read_bytes(args.note), _keys(args.key), origin=args.origin)
    return (
        f"OK: checkpoint of {checkpoint.origin} at size {checkpoint.tree_size} "
        f"(root {checkpoint.root_hash.hex()}) is signed by a trusted key"
    )


def _proof(args: argparse.Namespace) -> str:
    entry = _read_bytes(args.entry)
    checkpoint = verify_tlog_proof(_read_text(args.proof), entry, _keys(args.key), origin=args.origin)
    return (
        f"OK: {args.entry} is in {checkpoint.origin} under the signed checkpoint of size "
        f"{checkpoint.tree_size} (root {checkpoint.root_hash.hex()})"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hotline-verify", description="Verify hotline-ledger evidence without trusting the operator."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--key",
        action="append",
        help="a trusted verifier key (C2SP vkey), or a file of them; repeatable (env HOTLINE_VERIFY_KEY)",
    )
    common.add_argument(
        "--origin", default=os.environ.get("HOTLINE_VERIFY_ORIGIN"), help="the log origin the evidence must be for"
    )
    checkpoint = commands.add_parser("checkpoint", parents=[common], help="verify a signed checkpoint note")
    checkpoint.add_argument("note", help="file holding the signed checkpoint")
    checkpoint.set_defaults(run=_checkpoint)
    proof = commands.add_parser("proof", parents=[common], help="verify an entry against a C2SP tlog-proof")
    proof.add_argument("entry", help="file holding the entry's exact bytes")
    proof.add_argument("--proof", required=True, help="the .tlog-proof file")
    proof.set_defaults(run=_proof)
    add_evidence_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code else EXIT_VERIFIED
    try:
        result = args.run(args)
        if isinstance(result, int):
            return result
        print(result)
        return EXIT_VERIFIED
    except UsageError as exc:
        print(f"hotline-verify: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except VerificationError as exc:
        step = f"{exc.step} " if exc.step else ""
        print(f"FAIL: {step}{exc.diagnostics()}")
        return EXIT_FAILED
    except SourceError as exc:
        print(f"INCOMPLETE: {exc}")
        return EXIT_INCOMPLETE


if __name__ == "__main__":
    sys.exit(main())
