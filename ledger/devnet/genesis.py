"""The devnet's fixed genesis, kept in ``DIR/devnet.json`` so that every start rebuilds the same chain.

The file is written once, on the first start, and read on every later one: the genesis timestamp is chosen
then and never again, so replaying the journal on top of it reproduces every block hash. It also records the
genesis block hash, which later starts compare against the rebuilt one (a py-evm upgrade that changed it
would otherwise silently give the chain another history).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from eth_utils.address import to_checksum_address
from eth_utils.currency import to_wei

from ledger.anchoring.development import development_accounts
from ledger.devnet.errors import DevnetStateError
from ledger.devnet.journal import fsync_directory
from ledger.json_file import read_json_file

SETTINGS_FORMAT = "hotline.devnet/v1"
CHAIN_ID = 12345
#: The gas limit of every block (constant: nothing votes it up or down).
GAS_LIMIT = 30_000_000
#: Each development account's starting balance: 10,000 ether, as anvil and Hardhat fund theirs.
DEV_BALANCE_WEI = int(to_wei(10_000, "ether"))


@dataclass(frozen=True)
class Genesis:
    """The parameters the genesis block is built from, and the hash it must have."""

    chain_id: int
    timestamp: int
    gas_limit: int
    balance_wei: int
    #: The pre-funded development accounts (EIP-55).
    accounts: tuple[str, ...]
    #: The accounts allowed to send transactions before any ``perm_*`` change: the first development account.
    allowlist: tuple[str, ...]
    #: 0x-hex hash of the genesis block once built; None only before the first start has built it.
    genesis_hash: str | None = None

    @classmethod
    def development(cls, timestamp: int) -> Genesis:
        """A new development genesis at ``timestamp``: ten funded development accounts, the first allowlisted."""
        accounts = tuple(to_checksum_address(account.address) for account in development_accounts())
        return cls(CHAIN_ID, timestamp, GAS_LIMIT, DEV_BALANCE_WEI, accounts, accounts[:1])

    def with_hash(self, genesis_hash: str) -> Genesis:
        return Genesis(**{**asdict(self), "genesis_hash": genesis_hash})


def load_genesis(path: Path) -> Genesis | None:
    """The genesis stored at ``path``, or None when there is none yet.

    Raises:
        DevnetStateError: the file is unreadable, of another format, or lacks a field.
    """
    try:
        document = read_json_file(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise DevnetStateError(f"{path} is unreadable: {exc}", path=str(path)) from exc
    if not isinstance(document, dict) or document.get("format") != SETTINGS_FORMAT:
        raise DevnetStateError(f"{path} is not a {SETTINGS_FORMAT} settings file", path=str(path))
    try:
        return Genesis(
            chain_id=int(document["chain_id"]),
            timestamp=int(document["timestamp"]),
            gas_limit=int(document["gas_limit"]),
            balance_wei=int(document["balance_wei"]),
            accounts=tuple(to_checksum_address(a) for a in document["accounts"]),
            allowlist=tuple(to_checksum_address(a) for a in document["allowlist"]),
            genesis_hash=str(document["genesis_hash"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DevnetStateError(f"{path} is damaged: {exc!r}", path=str(path)) from exc


def save_genesis(path: Path, genesis: Genesis) -> None:
    """Write ``genesis`` durably: a temporary file, fsync, rename, fsync of the folder."""
    document = {"format": SETTINGS_FORMAT, **asdict(genesis)}
    # Balances exceed what JavaScript numbers hold exactly: keep them as strings for other readers.
    document["balance_wei"] = str(genesis.balance_wei)
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", encoding="utf-8") as out:
        json.dump(document, out, indent=2)
        out.write("\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)
    fsync_directory(path.parent)
