"""Deploying CheckpointAnchor for a log, and the record of where it lives (``DIR/deployment.json``).

``deploy`` sends three transactions with the admin's key: the contract (admin = that account),
``registerLog(origin)`` and ``addAnchorer(logId, anchorer)``; each receipt must have status 1. The record
names the chain id, contract address, log id, the deployment block (where the worker starts looking for
events) and the accounts, so that the worker, the API's trust document and auditors agree on one chain.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from web3 import Web3

from ledger.anchoring.contract import ContractArtifact, load_artifact, log_id
from ledger.anchoring.receipts import wait_receipt
from ledger.anchoring.sender import CallReverted, Fees, TxSender
from ledger.errors import LedgerError
from ledger.json_file import read_json_file

ADDRESS_RE = re.compile(r"0x[0-9a-fA-F]{40}")
HASH_RE = re.compile(r"0x[0-9a-f]{64}")


class DeploymentError(LedgerError):
    """Deploying failed, or a deployment record is missing or damaged (names the file)."""

    code = "deployment"


@dataclass(frozen=True)
class Deployment:
    """Where a log's anchors live."""

    chain_id: int
    contract: str
    origin: str
    log_id: str
    block_number: int
    tx_hash: str
    admin: str
    anchorer: str

    def save(self, path: Path) -> None:
        """Write the record atomically (a crash leaves the old file or the new one, never half of one)."""
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(asdict(self), indent=2) + "\n")
        temporary.replace(path)

    @classmethod
    def load(cls, path: Path) -> Deployment:
        """Read and validate a record.

        Raises:
            DeploymentError: missing, unreadable, or a field is absent or malformed.
        """
        try:
            document: Any = read_json_file(path)
        except FileNotFoundError as exc:
            raise DeploymentError(f"{path} does not exist: deploy the contract first", path=str(path)) from exc
        except (OSError, ValueError) as exc:
            raise DeploymentError(f"{path} is unreadable: {exc}", path=str(path)) from exc
        if not isinstance(document, dict):
            raise DeploymentError(f"{path} must hold a JSON object", path=str(path))
        try:
            record = cls(**document)
        except TypeError as exc:
            raise DeploymentError(f"{path} has the wrong fields: {exc}", path=str(path)) from exc
        record.validate(path)
        return record

    def validate(self, path: Path) -> None:
        checks = {
            "chain_id": isinstance(self.chain_id, int) and self.chain_id > 0,
            "contract": isinstance(self.contract, str) and ADDRESS_RE.fullmatch(self.contract) is not None,
            "origin": isinstance(self.origin, str) and bool(self.origin),
            "log_id": isinstance(self.origin, str) and self.log_id == log_id(self.origin).hex(),
            "block_number": isinstance(self.block_number, int) and self.block_number >= 0,
            "tx_hash": isinstance(self.tx_hash, str) and HASH_RE.fullmatch(self.tx_hash) is not None,
            "admin": isinstance(self.admin, str) and ADDRESS_RE.fullmatch(self.admin) is not None,
            "anchorer": isinstance(self.anchorer, str) and ADDRESS_RE.fullmatch(self.anchorer) is not None,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise DeploymentError(f"{path}: malformed {', '.join(bad)}", path=str(path), fields=bad)


def deploy(
    w3: Web3,
    admin: LocalAccount,
    *,
    origin: str,
    anchorer: str,
    chain_id: int,
    fees: Fees | None = None,
    timeout: float = 60.0,
    artifact: ContractArtifact | None = None,
) -> Deployment:
    """Deploy the contract, register ``origin`` and make ``anchorer`` its anchorer.

    Raises:
        DeploymentError: the chain id differs, or a transaction was refused or reverted.
    """
    artifact = artifact or load_artifact()
    actual = w3.eth.chain_id
    if actual != chain_id:
        raise DeploymentError(f"the RPC endpoint serves chain {actual}, not {chain_id}", expected=chain_id)
    sender = TxSender(w3, admin, chain_id=chain_id, fees=fees)
    factory = w3.eth.contract(abi=list(artifact.abi), bytecode=artifact.bytecode)

    def transact(call: Any, what: str) -> Any:
        try:
            tx_hash = sender.send(call)
        except CallReverted as exc:
            error = artifact.decode_error(exc.data)
            raise DeploymentError(f"{what} was refused: {error.name if error else exc.message}") from exc
        receipt = wait_receipt(w3, tx_hash, timeout=timeout)
        if receipt["status"] != 1:
            raise DeploymentError(f"{what} reverted (tx 0x{tx_hash.hex()})", tx=f"0x{tx_hash.hex()}")
        return receipt

    created = transact(factory.constructor(admin.address), "deploying CheckpointAnchor")
    address = to_checksum_address(created["contractAddress"])
    contract = w3.eth.contract(address=address, abi=list(artifact.abi))
    identifier = log_id(origin)
    transact(contract.functions.registerLog(origin), f"registering the log {origin}")
    transact(contract.functions.addAnchorer(identifier, to_checksum_address(anchorer)), "adding the anchorer")
    return Deployment(
        chain_id=chain_id,
        contract=address,
        origin=origin,
        log_id=identifier.hex(),
        block_number=int(created["blockNumber"]),
        tx_hash=f"0x{bytes(created['transactionHash']).hex()}",
        admin=admin.address,
        anchorer=to_checksum_address(anchorer),
    )
