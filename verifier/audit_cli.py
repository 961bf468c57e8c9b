"""The evidence commands of ``hotline-verify``: ``bundle`` (and the options ``ticket`` and ``log`` share).

Trust comes only from ``--trust``; the chain from ``--rpc`` endpoints (all must agree); earlier
checkpoints from the state directory (V12). Flags default to ``HOTLINE_VERIFY_*`` variables.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from verifier.audit_state import progress_path
from verifier.bundle_check import verify_file
from verifier.chain_view import ChainView
from verifier.errors import FormatError
from verifier.export_report import ReportContext
from verifier.log_audit import SAVE_EVERY, Resumable, audit_log
from verifier.report import Outcome, Report
from verifier.report_page import report_page
from verifier.seen import SeenCheckpoints, default_state_dir
from verifier.sources.api import LogApi
from verifier.ticket_check import verify_ticket
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

    try:
        return ChainReader(urls, timeout=args.rpc_timeout)
    except ValueError as exc:
        raise UsageError(f"--rpc: {exc}") from exc


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
    chain = open_chain(args, required=True)
    seen = load_seen(args, trust)
    try:
        checked = verify_file(
            Path(args.file),
            trust,
            chain=chain,
            seen=seen,
            subject=f"bundle {args.file}",
            progress=PassProgress(args.progress or (not args.json and sys.stderr.isatty())),
        )
    except OSError as exc:
        raise UsageError(f"cannot read the bundle {args.file}: {exc.strerror}") from exc
    if args.report:
        context = ReportContext(Path(args.file).name, checked.sha256, rpc_urls(args), Path(args.trust).name)
        page = report_page(checked.bundle, trust, checked.report, chain, context)
        try:
            Path(args.report).write_text(page, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write the report {args.report}: {exc.strerror}") from exc
    return finish(checked.report, seen, args.json)


def open_api(args: argparse.Namespace) -> LogApi:
    if not args.api:
        raise UsageError("no API: give --api URL (or set HOTLINE_VERIFY_API)")
    if not args.api.startswith(("http://", "https://")):
        raise UsageError(f"--api must be an http:// or https:// URL, not {args.api!r}")
    return LogApi(args.api, token=args.token or os.environ.get("HOTLINE_VERIFY_TOKEN"), timeout=args.api_timeout)


def cmd_ticket(args: argparse.Namespace) -> int:
    trust = load_trust(args)
    chain = open_chain(args, required=True)
    seen = load_seen(args, trust)
    with open_api(args) as api:
        report = verify_ticket(api, args.ticket, trust, chain=chain, seen=seen)
    return finish(report, seen, args.json)


class ProgressBar:
    """A one-line progress display on standard error (only when it is a terminal, or when asked).

    The first call gives where the work starts (a resumed audit starts past 0), so the rate counts only
    what this run did. ``unit`` and ``scale`` say what is counted (entries, or bytes shown as MiB).
    """

    def __init__(self, enabled: bool, *, label: str = "", unit: str = "entries", scale: int = 1) -> None:
        self.enabled = enabled
        self.label, self.unit, self.scale = label, unit, scale
        self.started = time.monotonic()
        self.shown = 0.0
        self.first: int | None = None

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if self.first is None:
            self.first, self.started = done, now
        if not self.enabled or (now - self.shown < 0.5 and done < total):
            return
        self.shown = now
        rate = (done - self.first) / max(now - self.started, 1e-9) / self.scale
        percent = 100 * done // max(total, 1)
        resumed = f", resumed at {self.first:,}" if self.first else ""
        end = "\n" if done >= total else ""
        shown, whole = f"{done / self.scale:,.0f}", f"{total / self.scale:,.0f}"
        line = f"\r  {self.label}{shown} / {whole} {self.unit} ({percent}%), {rate:,.0f}/s{resumed}"
        print(line, end=end, file=sys.stderr, flush=True)


class PassProgress:
    """The passes over a streamed bundle file, each on its own progress line, in MiB."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bars: dict[str, ProgressBar] = {}

    def __call__(self, what: str, done: int, total: int) -> None:
        if what not in self.bars:
            self.bars[what] = ProgressBar(self.enabled, label=f"{what}: ", unit="MiB", scale=2**20)
            self.bars[what](0, total)  # every pass starts at the file's first byte
        self.bars[what](done, total)


@contextmanager
def interruptible() -> Iterator[threading.Event]:
    """An event that Ctrl-C sets (once; a second Ctrl-C interrupts as usual), for the audit to stop cleanly."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        print("\nhotline-verify: interrupted; saving progress (Ctrl-C again to abandon it)", file=sys.stderr)
        signal.signal(signal.SIGINT, previous)
        stop.set()

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


def open_progress(args: argparse.Namespace, trust: Trust) -> Resumable:
    """Where the audit's progress is kept; ``--restart`` discards it first."""
    directory = Path(args.state_dir) if args.state_dir else default_state_dir()
    resumable = Resumable(progress_path(directory, trust.origin), save_every=args.save_every)
    if args.restart:
        try:
            resumable.path.unlink(missing_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot discard the saved progress {resumable.path}: {exc.strerror}") from exc
    return resumable


def cmd_log(args: argparse.Namespace) -> int:
    trust = load_trust(args)
    chain = open_chain(args, required=True)
    assert chain is not None
    seen = load_seen(args, trust)
    resumable = open_progress(args, trust)
    with open_api(args) as api, interruptible() as stop:
        bar = ProgressBar(args.progress or (not args.json and sys.stderr.isatty()))
        try:
            report = audit_log(api, trust, chain, seen, progress=bar, resumable=resumable, stop=stop)
        except FormatError as exc:
            raise UsageError(f"{exc.message}; run again with --restart to discard the saved progress") from exc
        except OSError as exc:
            raise UsageError(f"cannot use the saved progress {resumable.path}: {exc}") from exc
    facts = report.facts
    if not args.json and "entries" in facts:
        resumed = f" (resumed at entry {facts['resumed_from']:,})" if facts.get("resumed_from") else ""
        print(
            f"audited {facts['entries']:,} entries of {facts.get('tickets', 0):,} tickets, "
            f"{facts.get('anchors', 0)} anchors, in {facts.get('seconds', 0)} s{resumed}"
        )
    return finish(report, seen, args.json)


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text!r}")
    return value


def api_options() -> argparse.ArgumentParser:
    """Options of the commands that fetch evidence from the operator's API."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("--api", default=os.environ.get("HOTLINE_VERIFY_API"), help="the API (env HOTLINE_VERIFY_API)")
    options.add_argument(
        "--token", help="an API key, sent as a bearer token (env HOTLINE_VERIFY_TOKEN; prefer the variable)"
    )
    options.add_argument(
        "--api-timeout",
        type=float,
        default=float(os.environ.get("HOTLINE_VERIFY_API_TIMEOUT", "30")),
        help="seconds to wait for the API (default 30)",
    )
    return options


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
    bundle.add_argument("--report", help="also write the HTML report (for regulators; printable to PDF) to this file")
    bundle.add_argument(
        "--progress",
        action="store_true",
        help="show how far the passes over a large (streamed) bundle are, even when standard error is no terminal",
    )
    bundle.set_defaults(run=cmd_bundle)
    ticket = commands.add_parser(
        "ticket", parents=[common, api_options()], help="verify one ticket as the API serves it, against the chain"
    )
    ticket.add_argument("ticket", help="the ticket number")
    ticket.set_defaults(run=cmd_ticket)
    log = commands.add_parser(
        "log", parents=[common, api_options()], help="audit the whole log: every entry, every anchor, every ticket"
    )
    log.add_argument("--progress", action="store_true", help="show progress even when standard error is no terminal")
    log.add_argument(
        "--restart", action="store_true", help="discard the progress saved by an earlier, interrupted audit"
    )
    log.add_argument(
        "--save-every",
        type=positive,
        default=SAVE_EVERY,
        metavar="N",
        help=f"save progress in the state directory every N entries (default {SAVE_EVERY:,})",
    )
    log.set_defaults(run=cmd_log)
