"""The two chains the contract tests run on, and a small client for CheckpointAnchor on either.

* eth-tester (py-evm) in process, with a zero base fee so that ``gasPrice: 0`` legacy transactions mine
  (../shared/CHAIN_NOTES.md);
* anvil from node_modules, a real node over HTTP, started with the compile target's hardfork (paris),
  zero fees and chain id 12345.

Both are driven the same way through web3: unlocked development accounts send legacy transactions with
``gasPrice: 0`` and an explicit gas limit (so nothing is estimated, and a revert is mined with status 0),
and reverts are read from ``eth_call``. eth-tester's web3 provider reports a revert as eth-tester's own
``TransactionFailed`` with the revert bytes in its message; ``ledger.anchoring.contract.revert_data`` digs
them out so both chains give the same raw bytes, which ``ContractArtifact.decode_error`` turns into the
custom error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from eth_tester import EthereumTester, PyEVMBackend
from eth_tester.exceptions import TransactionFailed
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractConstructor, ContractFunction
from web3.exceptions import ContractLogicError
from web3.providers.eth_tester import EthereumTesterProvider
from web3.types import TxParams, TxReceipt, Wei

from ledger.anchoring.contract import ContractArtifact, ContractError, load_artifact, revert_data
from ledger.anchoring.receipts import wait_receipt
from ledger.devnet.anvil import ANVIL, AnvilError, AnvilNode

REPO = Path(__file__).resolve().parents[2]
CHAIN_ID = 12345
#: Gas limit of every test transaction: enough for an anchor with a maximal proof, never estimated.
TX_GAS = 3_000_000
BACKENDS = ("eth-tester", "anvil")


@dataclass
class Chain:
    """A running chain: web3 and its unlocked, funded development accounts."""

    name: str
    w3: Web3
    accounts: list[ChecksumAddress] = field(default_factory=list)


def eth_tester_chain() -> Chain:
    """A fresh in-process py-evm chain with a zero base fee."""
    params = PyEVMBackend.generate_genesis_params()
    params["base_fee_per_gas"] = 0
    w3 = Web3(EthereumTesterProvider(EthereumTester(PyEVMBackend(genesis_parameters=params))))
    return Chain("eth-tester", w3, list(w3.eth.accounts))


def require_anvil() -> Path:
    """The anvil binary; skips (outside CI) or fails (in CI) when node_modules lacks it."""
    if ANVIL.is_file() and os.access(ANVIL, os.X_OK):
        return ANVIL
    reason = f"anvil not installed at {ANVIL.relative_to(REPO)} (run `npm ci --no-audit --no-fund`)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run the anvil tests")
    pytest.skip(reason)


@contextmanager
def anvil_chain(binary: Path, workdir: Path, *, timeout: float = 30.0) -> Iterator[Chain]:
    """Run anvil on a free loopback port until the context exits; it is always stopped."""
    node = AnvilNode(binary=binary, chain_id=CHAIN_ID, startup_timeout=timeout)
    node.log = workdir / f"anvil-{node.port}.log"
    try:
        node.start()
    except AnvilError as exc:
        raise RuntimeError(str(exc)) from exc
    try:
        w3 = Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 10}))
        yield Chain("anvil", w3, list(w3.eth.accounts))
    finally:
        node.stop()


class AnchorClient:
    """One deployed CheckpointAnchor on a chain, with the test roles: admin, anchorer and outsider."""

    def __init__(self, chain: Chain, artifact: ContractArtifact | None = None) -> None:
        self.chain = chain
        self.w3 = chain.w3
        self.artifact = artifact or load_artifact()
        self.admin, self.anchorer, self.outsider = chain.accounts[:3]
        factory = self.w3.eth.contract(abi=list(self.artifact.abi), bytecode=self.artifact.bytecode)
        receipt = self.send(factory.constructor(self.admin), self.admin)
        assert receipt["contractAddress"] is not None
        self.contract: Contract = self.w3.eth.contract(address=receipt["contractAddress"], abi=list(self.artifact.abi))
        self.functions: Any = self.contract.functions

    # -- transactions ---------------------------------------------------------------------------

    def submit(self, call: ContractFunction | ContractConstructor, sender: ChecksumAddress) -> TxReceipt:
        """Send a legacy zero-price transaction with explicit gas; return its receipt, whatever its status."""
        tx: TxParams = {"from": sender, "gasPrice": Wei(0), "gas": TX_GAS}
        tx_hash = call.transact(tx)
        return wait_receipt(self.w3, tx_hash)

    def send(self, call: ContractFunction | ContractConstructor, sender: ChecksumAddress) -> TxReceipt:
        """Submit and require success."""
        receipt = self.submit(call, sender)
        if receipt["status"] != 1:
            raise AssertionError(f"transaction reverted with {self.revert(call, sender)}")
        return receipt

    def revert(self, call: ContractFunction | ContractConstructor, sender: ChecksumAddress) -> ContractError:
        """The custom error that ``call`` reverts with, from ``eth_call`` (fails if it does not revert)."""
        try:
            if isinstance(call, ContractConstructor):
                self.w3.eth.call({"from": sender, "data": call.data_in_transaction})
            else:
                call.call({"from": sender})
        except (ContractLogicError, TransactionFailed) as exc:
            data = revert_data(exc) or b""
            decoded = self.artifact.decode_error(data)
            assert decoded is not None, f"reverted without a known custom error: 0x{data.hex()}"
            return decoded
        raise AssertionError("the call did not revert")

    # -- the contract's operations as the tests use them ----------------------------------------

    def register(self, origin: str, *, anchorer: ChecksumAddress | None = None) -> bytes:
        """Register a log and add its anchorer; return the log id."""
        receipt = self.send(self.functions.registerLog(origin), self.admin)
        (event,) = self.contract.events.LogRegistered().process_receipt(receipt)
        log_id: bytes = event["args"]["logId"]
        self.send(self.functions.addAnchorer(log_id, anchorer or self.anchorer), self.admin)
        return log_id

    def anchor(
        self, log_id: bytes, size: int, root: bytes, proof: Sequence[bytes], *, sender: ChecksumAddress | None = None
    ) -> TxReceipt:
        return self.send(self.functions.anchor(log_id, size, root, list(proof)), sender or self.anchorer)

    def anchor_error(
        self, log_id: bytes, size: int, root: bytes, proof: Sequence[bytes], *, sender: ChecksumAddress | None = None
    ) -> ContractError:
        return self.revert(self.functions.anchor(log_id, size, root, list(proof)), sender or self.anchorer)

    def latest(self, log_id: bytes) -> tuple[int, bytes, int, int]:
        size, root, block_number, timestamp = self.functions.latest(log_id).call()
        return size, root, block_number, timestamp

    def anchored_at(self, log_id: bytes, size: int) -> tuple[bytes, int, int]:
        root, block_number, timestamp = self.functions.anchoredAt(log_id, size).call()
        return root, block_number, timestamp

    def verify_inclusion(self, log_id: bytes, size: int, leaf: bytes, index: int, proof: Sequence[bytes]) -> bool:
        result: bool = self.functions.verifyInclusion(log_id, size, leaf, index, list(proof)).call()
        return result
