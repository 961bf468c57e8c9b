"""Verify bundle bytes as a large bundle is verified: written to a file and streamed from it in small chunks."""

from __future__ import annotations

from pathlib import Path

from verifier.bundle_check import unreadable, verify_parsed
from verifier.bundle_file import stream_bundle
from verifier.chain_view import ChainView
from verifier.errors import FormatError
from verifier.report import Report
from verifier.seen import SeenCheckpoints
from verifier.trust import Trust


def verify_streamed(
    data: bytes, trust: Trust, *, chain: ChainView | None, seen: SeenCheckpoints | None, directory: Path
) -> Report:
    """The report ``hotline-verify`` gives on ``data`` read in chunks of 256 bytes (items straddle them)."""
    path = directory / "streamed.json"
    path.write_bytes(data)
    try:
        bundle, _ = stream_bundle(path, chunk=256)
    except FormatError as exc:
        return unreadable("bundle", exc)
    return verify_parsed(bundle, trust, chain=chain, seen=seen)
