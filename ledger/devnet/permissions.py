"""Account permissioning as Besu does it: only allowlisted senders may have transactions mined.

The ``perm_*`` methods and their refusals mirror Besu's (``perm_addAccountsToAllowlist`` answers "Success";
adding an account already there, or removing one that is not, is an error), so that a client written against
the devnet manages a Besu QBFT network's allowlist the same way (DESIGN §10).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from eth_utils.address import is_checksum_address, is_hex_address, to_canonical_address, to_checksum_address

from ledger.devnet.errors import SENDER_NOT_AUTHORIZED, RpcError, invalid_params, rejected

#: Besu's message for a sender outside the allowlist, verbatim.
NOT_AUTHORIZED_MESSAGE = "Sender account not authorized to send transactions"


def parse_accounts(value: Any) -> tuple[str, ...]:
    """The ``perm_*`` parameter: a non-empty list of distinct addresses, as EIP-55 checksum addresses.

    Mixed-case addresses must carry a valid EIP-55 checksum (a typo is refused, not admitted).

    Raises:
        RpcError: -32602 naming the offending entry.
    """
    if not isinstance(value, list) or not value:
        raise invalid_params("accounts must be a non-empty list of addresses")
    accounts: list[str] = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or not is_hex_address(item):
            raise invalid_params(f"accounts[{index}] is not a 0x-prefixed 20-byte hex address: {item!r}")
        body = item[2:]
        if body != body.lower() and body != body.upper() and not is_checksum_address(item):
            raise invalid_params(f"accounts[{index}] {item} has an invalid EIP-55 checksum")
        account = to_checksum_address(item)
        if account in accounts:
            raise invalid_params(f"accounts[{index}] {item} is listed twice")
        accounts.append(account)
    return tuple(accounts)


class Allowlist:
    """The senders whose transactions the devnet mines, in the order they were admitted."""

    def __init__(self, accounts: Iterable[str]) -> None:
        self._accounts: dict[bytes, str] = {}
        self.add(tuple(accounts))

    def allows(self, sender: bytes) -> bool:
        return sender in self._accounts

    def require(self, sender: bytes) -> None:
        """Raises RpcError -32007 (Besu's refusal) unless ``sender`` is allowlisted."""
        if sender not in self._accounts:
            raise RpcError(SENDER_NOT_AUTHORIZED, NOT_AUTHORIZED_MESSAGE, to_checksum_address(sender))

    def accounts(self) -> list[str]:
        return list(self._accounts.values())

    def check_add(self, accounts: tuple[str, ...]) -> None:
        """Raises RpcError -32000 when one of ``accounts`` is allowlisted already (nothing is changed)."""
        for account in accounts:
            if to_canonical_address(account) in self._accounts:
                raise rejected(f"Cannot add an existing account to allowlist: {account}")

    def check_remove(self, accounts: tuple[str, ...]) -> None:
        """Raises RpcError -32000 when one of ``accounts`` is not allowlisted (nothing is changed)."""
        for account in accounts:
            if to_canonical_address(account) not in self._accounts:
                raise rejected(f"Cannot remove an absent account from allowlist: {account}")

    def add(self, accounts: tuple[str, ...]) -> None:
        self.check_add(accounts)
        for account in accounts:
            self._accounts[to_canonical_address(account)] = to_checksum_address(account)

    def remove(self, accounts: tuple[str, ...]) -> None:
        self.check_remove(accounts)
        for account in accounts:
            del self._accounts[to_canonical_address(account)]
