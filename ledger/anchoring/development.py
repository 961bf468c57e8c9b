"""The published development mnemonic and its accounts, and the rule that refuses them in production.

The devnet pre-funds these accounts (the same ones anvil and Hardhat use), the first one is its admin and
allowlisted sender, and development deployments anchor with them. Their private keys are public knowledge:
outside development mode every chain key is checked against them and refused (DESIGN §9).
"""

from __future__ import annotations

from functools import cache

from eth_account import Account
from eth_account.signers.local import LocalAccount

from ledger.errors import LedgerError

#: The well-known test mnemonic of anvil and Hardhat. Never fund these accounts on a real chain.
DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_ACCOUNT_COUNT = 10


class DevelopmentKeyRefused(LedgerError):
    """A development chain key was offered outside development mode."""

    code = "development_key"


@cache
def development_accounts(count: int = DEV_ACCOUNT_COUNT) -> tuple[LocalAccount, ...]:
    """The first ``count`` accounts of the development mnemonic (BIP-44 path m/44'/60'/0'/0/i)."""
    Account.enable_unaudited_hdwallet_features()
    return tuple(Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}") for index in range(count))


def is_development_address(address: str) -> bool:
    """True when ``address`` (any case) belongs to one of the development accounts."""
    return address.lower() in {account.address.lower() for account in development_accounts()}


def refuse_development_key(address: str, *, development: bool, what: str = "chain key") -> None:
    """Raise unless ``development`` when ``address`` is a development account.

    Raises:
        DevelopmentKeyRefused: a published development key outside development mode.
    """
    if not development and is_development_address(address):
        raise DevelopmentKeyRefused(
            f"the {what} {address} is a published development account (mnemonic '{DEV_MNEMONIC}'); "
            "it is refused outside development mode",
            address=address,
        )
