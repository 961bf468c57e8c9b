"""The operator's checkpoint-signing key: a C2SP signer key kept in a file of the data directory.

Development keys carry the marker ``DEVELOPMENT`` in their name and are refused unless the
caller runs in development mode (DESIGN §9).
"""

from __future__ import annotations

import os
from pathlib import Path

from ledger.errors import LogStateError
from verifier.errors import FormatError
from verifier.note import NoteSigner

DEVELOPMENT_MARKER = "DEVELOPMENT"


def is_development_key(signer: NoteSigner) -> bool:
    return DEVELOPMENT_MARKER in signer.name


def load_or_create_operator_key(path: Path, name: str, *, development: bool) -> NoteSigner:
    """Read the operator's signer key from ``path``, or create it there (mode 0600).

    ``name`` is the key name, by C2SP convention the log's origin.

    Raises:
        LogStateError: the file does not hold a C2SP Ed25519 signer key, or holds a
            development key outside development mode.
    """
    if not path.exists():
        signer = NoteSigner.generate(name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(signer.skey + "\n")
    else:
        try:
            signer = NoteSigner.from_skey(path.read_text().strip())
        except FormatError as exc:
            raise LogStateError(f"{path}: not an operator signer key: {exc.message}") from exc
    if is_development_key(signer) and not development:
        raise LogStateError(f"{path}: {signer.name} is a development key, refused outside development mode")
    return signer
