"""Chain signing keys: encrypted keystore files (Web3 Secret Storage v3), or development accounts by index.

A key is named by a *spec*: a path to a keystore file (its password from an environment variable or a
password file), or ``dev:N`` for development account N of the published mnemonic — accepted only in
development mode; any key whose address is a development account is refused outside it.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from ledger.anchoring.development import DEV_ACCOUNT_COUNT, development_accounts, refuse_development_key
from ledger.errors import LedgerError
from ledger.json_file import read_json_file

DEV_PREFIX = "dev:"


class ChainKeyError(LedgerError):
    """A chain key is missing, unreadable, locked with another password, or not allowed here."""

    code = "chain_key"


def read_password(*, env: str, file: Path | None) -> str | None:
    """The keystore password from ``file`` (first line) or the environment variable ``env``."""
    if file is not None:
        try:
            lines = file.read_text().splitlines()
        except OSError as exc:
            raise ChainKeyError(f"cannot read the password file {file}: {exc.strerror}", path=str(file)) from exc
        return lines[0] if lines else ""
    return os.environ.get(env)


def load_chain_key(spec: str, *, password: str | None, development: bool, what: str = "chain key") -> LocalAccount:
    """The account named by ``spec`` (see the module's docstring).

    Raises:
        ChainKeyError: an unknown development index, a missing or damaged file, no or a wrong password.
        DevelopmentKeyRefused: a development account outside development mode.
    """
    if spec.startswith(DEV_PREFIX):
        index_text = spec.removeprefix(DEV_PREFIX)
        if not index_text.isdigit() or int(index_text) >= DEV_ACCOUNT_COUNT:
            raise ChainKeyError(f"{what} {spec!r}: development accounts are dev:0 … dev:{DEV_ACCOUNT_COUNT - 1}")
        account = development_accounts()[int(index_text)]
    else:
        account = _from_keystore(Path(spec), password, what)
    refuse_development_key(account.address, development=development, what=what)
    return account


def _from_keystore(path: Path, password: str | None, what: str) -> LocalAccount:
    try:
        document = read_json_file(path)
    except FileNotFoundError as exc:
        raise ChainKeyError(f"the {what} file {path} does not exist", path=str(path)) from exc
    except (OSError, ValueError) as exc:
        raise ChainKeyError(f"the {what} file {path} is not a readable keystore: {exc}", path=str(path)) from exc
    if password is None:
        raise ChainKeyError(f"the {what} file {path} is encrypted: give its password", path=str(path))
    try:
        private_key = Account.decrypt(document, password)
    except ValueError as exc:
        raise ChainKeyError(f"cannot open the {what} file {path}: {exc}", path=str(path)) from exc
    except (KeyError, TypeError) as exc:
        raise ChainKeyError(f"the {what} file {path} is not a keystore: missing {exc}", path=str(path)) from exc
    account: LocalAccount = Account.from_key(private_key)
    return account


def create_chain_key(path: Path, password: str) -> LocalAccount:
    """Generate a key and write it as an encrypted keystore (mode 0600); refuses to overwrite.

    Raises:
        ChainKeyError: the file exists, or the password is empty.
    """
    if not password:
        raise ChainKeyError("a chain key needs a non-empty password")
    account: LocalAccount = Account.from_key(secrets.token_bytes(32))
    document = Account.encrypt(account.key, password)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise ChainKeyError(f"{path} exists: a chain key is never overwritten", path=str(path)) from exc
    with os.fdopen(descriptor, "w") as out:
        json.dump(document, out)
        out.write("\n")
    return account
