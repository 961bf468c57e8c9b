"""Sending transactions the way permissioned chains need (../shared/CHAIN_NOTES.md).

Fees are always explicit: legacy ``gasPrice`` 0 by default (what Besu with free gas, GoQuorum and FISCO
BCOS accept), EIP-1559 on request. One local nonce counter per signer, resynchronised from the chain's
pending count after any failed send. The chain id is part of every signed transaction. Gas is estimated
first, so a call the contract would refuse raises ``CallReverted`` with its revert data and nothing is
sent; the limit then carries a margin, and a transaction that still reverts is mined with status 0,
which the receiver of the receipt must check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from eth_account.signers.local import LocalAccount
from web3 import Web3

from ledger.anchoring.contract import revert_data
from ledger.errors import LedgerError


@dataclass(frozen=True)
class Fees:
    """Explicit fee fields for every transaction: legacy ``gasPrice`` (default 0) or EIP-1559."""

    mode: Literal["legacy", "eip1559"] = "legacy"
    gas_price: int = 0
    max_fee: int = 0
    priority_fee: int = 0

    def fields(self) -> dict[str, int]:
        if self.mode == "legacy":
            return {"gasPrice": self.gas_price}
        return {"maxFeePerGas": self.max_fee, "maxPriorityFeePerGas": self.priority_fee, "type": 2}


class CallReverted(LedgerError):
    """Estimating the transaction reverted: nothing was sent. ``data`` is the raw revert data."""

    code = "call_reverted"

    def __init__(self, data: bytes) -> None:
        super().__init__(f"the call reverted (0x{data.hex()})", data=f"0x{data.hex()}")
        self.data = data


class TxSender:
    """Signs with ``account`` for ``chain_id`` and sends raw transactions through ``w3``."""

    def __init__(self, w3: Web3, account: LocalAccount, *, chain_id: int, fees: Fees | None = None) -> None:
        self.w3 = w3
        self.account = account
        self.chain_id = chain_id
        self.fees = fees or Fees()
        self._nonce: int | None = None

    def send(self, call: Any, *, gas_margin: float = 0.25) -> bytes:
        """Estimate, sign and send a contract call or constructor; return the transaction hash.

        Raises:
            CallReverted: the estimate reverted (nothing was sent).
        """
        base: dict[str, Any] = {"from": self.account.address, "chainId": self.chain_id, **self.fees.fields()}
        try:
            gas = int(call.estimate_gas(base))
        except Exception as exc:
            data = revert_data(exc)
            if data is None:
                raise
            raise CallReverted(data) from exc
        nonce = self._next_nonce()
        tx = call.build_transaction({**base, "nonce": nonce, "gas": gas + int(gas * gas_margin)})
        signed = self.account.sign_transaction(tx)
        try:
            tx_hash = bytes(self.w3.eth.send_raw_transaction(signed.raw_transaction))
        except Exception:
            self._nonce = None  # resynchronise from the chain before the next send
            raise
        self._nonce = nonce + 1
        return tx_hash

    def resync_nonce(self) -> None:
        """Forget the local nonce: the next send reads the chain's pending count."""
        self._nonce = None

    def _next_nonce(self) -> int:
        if self._nonce is None:
            self._nonce = int(self.w3.eth.get_transaction_count(self.account.address, "pending"))
        return self._nonce
