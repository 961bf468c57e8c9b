"""Reading the operator's own JSON files (settings, deployment record, keystores, devnet genesis).

They are the operator's, but a damaged or planted one must still be a clear error: ``json.loads`` recurses once
per nesting level, so a file of a few hundred thousand brackets raises RecursionError (not ValueError), or
overflows the C stack in processes where py_ecc has raised the recursion limit (web3 and the devnet import it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from verifier.canonical import loads_within_depth
from verifier.errors import FormatError


def read_json_file(path: Path) -> Any:
    """The JSON document in the UTF-8 file ``path``.

    Raises:
        ValueError: not UTF-8, not JSON, or nested deeper than ``MAX_PARSE_DEPTH`` (checked before decoding),
            so that callers' usual ``except ValueError`` covers each.
        OSError: the file cannot be read (FileNotFoundError when it does not exist).
    """
    try:
        return loads_within_depth(path.read_text(encoding="utf-8"))
    except FormatError as exc:
        raise ValueError(exc.message) from exc
