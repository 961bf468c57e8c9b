"""Waiting for transaction receipts: anvil and real nodes mine asynchronously (CHAIN_NOTES)."""

from __future__ import annotations

import time

from web3 import Web3
from web3.exceptions import TransactionNotFound
from web3.types import TxReceipt


def wait_receipt(w3: Web3, tx_hash: bytes, *, timeout: float = 30.0, poll: float = 0.002) -> TxReceipt:
    """Poll until the transaction's receipt exists.

    Raises:
        TransactionNotFound: no receipt within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            return w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
        except TransactionNotFound:
            if time.monotonic() > deadline:
                raise
            time.sleep(poll)
