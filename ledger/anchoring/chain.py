"""One log's CheckpointAnchor on one chain, read and written through web3 with one signing account.

Transactions go through ``TxSender`` (explicit fees, one nonce counter, gas estimated first). Here: the
chain id and the contract's code are checked before anything is trusted, the contract's refusals are
named, receipts are polled and their status checked, and confirmations are counted by block number and
re-checked by block hash (a changed hash or a vanished receipt is a reorg).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.exceptions import BlockNotFound, TransactionNotFound
from web3.middleware import ExtraDataToPOAMiddleware

from ledger.anchoring.contract import ContractArtifact, load_artifact, log_id
from ledger.anchoring.receipts import wait_receipt
from ledger.anchoring.sender import CallReverted, Fees, TxSender
from ledger.errors import LedgerError
from verifier.chain_view import OnChainAnchor

ZERO_ROOT = bytes(32)


class ChainError(LedgerError):
    """The chain did not answer as needed (unreachable, timed out, malformed answer)."""

    code = "chain_unavailable"


class ChainMismatch(LedgerError):
    """The endpoint is another chain than configured, or the contract is not deployed there."""

    code = "chain_mismatch"


class AnchorRejected(LedgerError):
    """The contract refused the anchor (names the custom error) or the transaction reverted."""

    code = "anchor_rejected"


class ReorgDetected(LedgerError):
    """A transaction or block this worker relied on is no longer on the canonical chain."""

    code = "reorg"


@dataclass(frozen=True)
class Confirmed:
    """An anchor transaction in a canonical block."""

    tx_hash: bytes
    block_number: int
    block_hash: bytes
    timestamp: int


def connect(url: str, *, timeout: float = 10.0) -> Web3:
    """web3 over HTTP, accepting the long block extraData of QBFT/IBFT/Clique chains."""
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": timeout}))
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    return w3


class AnchorChain:
    """The anchor contract of the log ``origin`` at ``contract``, written by ``account``."""

    def __init__(
        self,
        w3: Web3,
        *,
        contract: str,
        origin: str,
        account: LocalAccount,
        chain_id: int,
        fees: Fees | None = None,
        from_block: int = 0,
        poll: float = 0.05,
        artifact: ContractArtifact | None = None,
    ) -> None:
        self.w3 = w3
        self.artifact = artifact or load_artifact()
        self.address = to_checksum_address(contract)
        self.contract: Any = w3.eth.contract(address=self.address, abi=list(self.artifact.abi))
        self.log_id = log_id(origin)
        self.account = account
        self.chain_id = chain_id
        self.sender = TxSender(w3, account, chain_id=chain_id, fees=fees)
        self.from_block = from_block
        self.poll = poll

    # -- checks -----------------------------------------------------------------------------------

    def check(self) -> None:
        """Refuse another chain, or an address without the contract's code.

        Raises:
            ChainMismatch: the chain id differs, or no (or other) code is deployed at the address.
        """
        actual = self.w3.eth.chain_id
        if actual != self.chain_id:
            raise ChainMismatch(
                f"the RPC endpoint serves chain {actual}, not the configured chain {self.chain_id}",
                expected=self.chain_id,
                actual=actual,
            )
        code = bytes(self.w3.eth.get_code(self.address))
        if code != self.artifact.deployed_bytecode:
            what = "no contract" if not code else "another contract"
            raise ChainMismatch(
                f"{what} at {self.address} on chain {self.chain_id}: not the CheckpointAnchor of this project",
                contract=self.address,
            )

    # -- reading ----------------------------------------------------------------------------------

    def latest(self) -> OnChainAnchor:
        size, root, block_number, timestamp = self.contract.functions.latest(self.log_id).call()
        return OnChainAnchor(int(size), bytes(root), int(block_number), int(timestamp))

    def anchored_at(self, size: int) -> OnChainAnchor | None:
        root, block_number, timestamp = self.contract.functions.anchoredAt(self.log_id, size).call()
        if bytes(root) == ZERO_ROOT:
            return None
        return OnChainAnchor(size, bytes(root), int(block_number), int(timestamp))

    def find_anchor(self, size: int) -> Confirmed | None:
        """The transaction that anchored ``size`` for this log, from its ``Anchored`` event."""
        events = self.contract.events.Anchored().get_logs(
            from_block=self.from_block, argument_filters={"logId": self.log_id, "size": size}
        )
        if not events:
            return None
        event = events[-1]
        return self._confirmed(bytes(event["transactionHash"]), int(event["blockNumber"]), bytes(event["blockHash"]))

    def is_canonical(self, block_number: int, block_hash: bytes) -> bool:
        try:
            return bytes(self.w3.eth.get_block(block_number)["hash"]) == block_hash
        except BlockNotFound:
            return False

    # -- writing ----------------------------------------------------------------------------------

    def send_anchor(self, size: int, root: bytes, proof: list[bytes]) -> bytes:
        """Sign and send ``anchor(logId, size, root, proof)``; return the transaction hash.

        Raises:
            AnchorRejected: the contract would revert (named custom error); nothing was sent.
        """
        try:
            return self.sender.send(self.contract.functions.anchor(self.log_id, size, root, proof))
        except CallReverted as exc:
            raise self._rejected(exc.data, size) from exc

    def wait_confirmed(self, tx_hash: bytes, *, confirmations: int = 1, timeout: float = 60.0) -> Confirmed:
        """Wait for the receipt, check its status, then for ``confirmations`` blocks; re-check the block.

        Raises:
            ChainError: no receipt or not enough blocks within ``timeout``.
            AnchorRejected: the transaction was mined but reverted.
            ReorgDetected: the receipt vanished or moved to another block while confirming.
        """
        deadline = time.monotonic() + timeout
        try:
            receipt = wait_receipt(self.w3, tx_hash, timeout=timeout, poll=self.poll)
        except TransactionNotFound as exc:
            raise ChainError(f"no receipt for anchor transaction 0x{tx_hash.hex()} within {timeout:g} s") from exc
        if receipt["status"] != 1:
            self.sender.resync_nonce()
            raise AnchorRejected(
                f"anchor transaction 0x{tx_hash.hex()} reverted in block {receipt['blockNumber']}",
                tx=f"0x{tx_hash.hex()}",
            )
        target = int(receipt["blockNumber"]) + confirmations - 1
        while self.w3.eth.block_number < target:
            if time.monotonic() > deadline:
                raise ChainError(f"anchor transaction 0x{tx_hash.hex()} has not reached {confirmations} confirmations")
            time.sleep(self.poll)
        try:
            again = self.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
        except TransactionNotFound as exc:
            raise ReorgDetected(f"anchor transaction 0x{tx_hash.hex()} left the chain while confirming") from exc
        if bytes(again["blockHash"]) != bytes(receipt["blockHash"]):
            raise ReorgDetected(f"anchor transaction 0x{tx_hash.hex()} moved to another block while confirming")
        return self._confirmed(tx_hash, int(again["blockNumber"]), bytes(again["blockHash"]))

    def resync_nonce(self) -> None:
        """Forget the local nonce: the next send reads the chain's pending count (after errors, reorgs)."""
        self.sender.resync_nonce()

    # -- helpers ----------------------------------------------------------------------------------

    def _confirmed(self, tx_hash: bytes, block_number: int, block_hash: bytes) -> Confirmed:
        block = self.w3.eth.get_block(block_number)
        return Confirmed(tx_hash, block_number, block_hash, int(block["timestamp"]))

    def _rejected(self, data: bytes, size: int) -> AnchorRejected:
        error = self.artifact.decode_error(data)
        if error is None:
            return AnchorRejected(f"the contract refused the anchor of size {size} (revert data 0x{data.hex()})")
        arguments = ", ".join(f"0x{a.hex()}" if isinstance(a, bytes) else str(a) for a in error.args)
        return AnchorRejected(
            f"the contract refused the anchor of size {size}: {error.name}({arguments})", error=error.name, size=size
        )
