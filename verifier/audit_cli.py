"""The evidence commands of ``hotline-verify``: ``bundle`` (and the options ``ticket`` and ``log`` share).

Trust comes only from ``--trust``; the chain from ``--rpc`` endpoints (all must agree); earlier
checkpoints from the state directory (V12). Flags default to ``HOTLINE_VERIFY_*`` variables.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from verifier.bundle_check import verify_bundle
from verifier.chain_view import ChainView
from verifier.errors import FormatError
from verifier.report import Outcome, Report
from verifier.seen import SeenCheckpoints, default_state_dir
from verifier.trust import Trust, parse_trust

EXIT_CODES = {Outcome.VERIFIED: 0, Outcome.FAILED: 1, Outcome.INCOMPLETE: 3}


class UsageError(Exception):
    """Bad arguments or unreadable input: exit 2."""


def read_file(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read the {what} {path}: {exc.strerror}") from exc


def load_trust(args: argparse.Namespace) -> Trust:
    if not args.trust:
        raise UsageError("no trust file: give --trust FILE (or set HOTLINE_VERIFY_TRUST)")
    try:
        return parse_trust(read_file(args.trust, "trust file"))
    except FormatError as exc:
        raise UsageError(f"{args.trust} is not a usable trust file: {exc.message}") from exc


def rpc_urls(args: argparse.Namespace) -> list[str]:
    urls = list(args.rpc or [])
    if not urls and os.environ.get("HOTLINE_VERIFY_RPC"):
        urls = [u.strip() for u in os.environ["HOTLINE_VERIFY_RPC"].split(",") if u.strip()]
    return urls


def open_chain(args: argparse.Namespace, *, required: bool) -> ChainView | None:
    """The chain reader over every ``--rpc`` endpoint; ``None`` offline."""
    if getattr(args, "offline", False):
        return None
    urls = rpc_urls(args)
    if not urls:
        if not required:
            return None
        raise UsageError("no chain endpoint: give --rpc URL (repeatable; or HOTLINE_VERIFY_RPC), or --offline")
    from verifier.sources.chain import ChainReader

    return ChainReader(urls, timeout=args.rpc_timeout)


def load_seen(args: argparse.Namespace, trust: Trust) -> SeenCheckpoints:
    directory = Path(args.state_dir) if args.state_dir else default_state_dir()
    try:
        return SeenCheckpoints.load(directory, trust.origin)
    except (OSError, FormatError) as exc:
        raise UsageError(f"cannot use the state directory {directory}: {exc}") from exc


def finish(report: Report, seen: SeenCheckpoints | None, as_json: bool) -> int:
    """Save what was seen, print the report, return the exit code."""
    if seen is not None and report.ok("V4") and report.ok("V12"):
        try:
            seen.save()
        except OSError as exc:
            print(f"hotline-verify: warning: the state file {seen.path} was not saved: {exc}", file=sys.stderr)
    if as_json:
        print(json.dumps(report.document(), ensure_ascii=False, indent=2))
    else:
        print("\n".join(report.lines()))
    return EXIT_CODES[report.outcome]


def cmd_bundle(args: argparse.Namespace) -> int:
    trust = load_trust(args)
    data = read_file(args.file, "bundle")
    chain = open_chain(args, required=True)
    seen = load_seen(args, trust)
    report = verify_bundle(data, trust, chain=chain, seen=seen, subject=f"bundle {args.file}")
    return finish(report, seen, args.json)


def evidence_options() -> argparse.ArgumentParser:
    """Options every evidence command takes."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--trust", default=os.environ.get("HOTLINE_VERIFY_TRUST"), help="the trust file (env HOTLINE_VERIFY_TRUST)"
    )
    common.add_argument(
        "--rpc",
        action="append",
        help="a chain JSON-RPC endpoint; repeat for several, which must agree "
        "(env HOTLINE_VERIFY_RPC, comma-separated)",
    )
    common.add_argument(
        "--rpc-timeout",
        type=float,
        default=float(os.environ.get("HOTLINE_VERIFY_RPC_TIMEOUT", "10")),
        help="seconds to wait for a chain endpoint (default 10)",
    )
    common.add_argument(
        "--state-dir",
        default=None,
        help="where the checkpoints seen before are kept (env HOTLINE_VERIFY_STATE_DIR; default ~/.local/state/"
        "hotline-verify)",
    )
    common.add_argument("--json", action="store_true", help="print the full report as JSON")
    return common


def add_evidence_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    common = evidence_options()
    bundle = commands.add_parser("bundle", parents=[common], help="verify a proof bundle (hotline.bundle/v1)")
    bundle.add_argument("file", help="the bundle file")
    bundle.add_argument("--offline", action="store_true", help="do not consult the chain (V5, V6, V10 not run)")
    bundle.set_defaults(run=cmd_bundle)
