"""Symmetric keys kept in files of the data directory's ``keys/``: base64 of random bytes, mode 0600."""

from __future__ import annotations

import base64
import os
from pathlib import Path

from ledger.errors import LogStateError


def load_or_create_key_file(path: Path, size: int, *, what: str) -> bytes:
    """Read the key in ``path`` (standard base64 of ``size`` bytes), creating it with mode 0600 if missing.

    Raises:
        LogStateError: the file exists but does not hold such a key (``what`` names it in the message).
    """
    if not path.exists():
        key = os.urandom(size)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(base64.b64encode(key).decode() + "\n")
        return key
    try:
        key = base64.b64decode(path.read_text().strip(), validate=True)
    except ValueError:
        key = b""
    if len(key) != size:
        raise LogStateError(f"{path}: not a {what} (base64 of {size} bytes)")
    return key
