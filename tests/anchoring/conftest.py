"""Fixtures of the anchor worker's tests: a chain (eth-tester in process, or anvil), a deployment on it,
and a worker over the test's ledger (SQLite or PostgreSQL).

The chains fund the development mnemonic's accounts (anvil does by default; eth-tester is given the
mnemonic and anvil's derivation path), so the worker signs raw transactions exactly as in production.
anvil runs with chain id 12345; web3's eth-tester provider always reports 131277322940537, which the
tests then take as that chain's id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_tester import EthereumTester, PyEVMBackend
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider

from ledger.anchoring.chain import AnchorChain
from ledger.anchoring.deployment import Deployment, deploy
from ledger.anchoring.development import DEV_MNEMONIC, development_accounts
from ledger.anchoring.worker import AnchorWorker, WorkerConfig
from ledger.devnet.anvil import AnvilNode
from ledger.service import Ledger
from tests.conftest import ORIGIN
from tests.contracts.chains import CHAIN_ID, require_anvil

BACKENDS = ("eth-tester", "anvil")


@dataclass
class DevChain:
    """A running development chain and, for anvil, its node (to stop, restart or reorg it)."""

    name: str
    w3: Web3
    node: AnvilNode | None = None


def eth_tester_web3() -> Web3:
    params = PyEVMBackend.generate_genesis_params()
    params["base_fee_per_gas"] = 0
    backend = PyEVMBackend(genesis_parameters=params, mnemonic=DEV_MNEMONIC, hd_path="m/44'/60'/0'/0")
    return Web3(EthereumTesterProvider(EthereumTester(backend)))


@pytest.fixture(params=BACKENDS)
def dev_chain(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DevChain]:
    """A fresh chain per test: reorgs, restarts and forks must not leak into other tests."""
    if request.param == "eth-tester":
        yield DevChain("eth-tester", eth_tester_web3())
        return
    node = AnvilNode(binary=require_anvil(), chain_id=CHAIN_ID, log=tmp_path / "anvil.log")
    with node:
        yield DevChain("anvil", Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 10})), node)


@pytest.fixture
def deployment(dev_chain: DevChain) -> Deployment:
    """CheckpointAnchor deployed by development account 0, with account 1 as the log's anchorer."""
    admin, anchorer = development_accounts()[:2]
    return deploy(dev_chain.w3, admin, origin=ORIGIN, anchorer=anchorer.address, chain_id=dev_chain.w3.eth.chain_id)


def anchor_chain(w3: Web3, deployment: Deployment, *, account_index: int = 1, **options: object) -> AnchorChain:
    return AnchorChain(
        w3,
        contract=deployment.contract,
        origin=deployment.origin,
        account=development_accounts()[account_index],
        chain_id=deployment.chain_id,
        from_block=deployment.block_number,
        poll=0.01,
        **options,  # type: ignore[arg-type]
    )


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_worker(
    ledger: Ledger, dev_chain: DevChain, deployment: Deployment, clock: Clock
) -> Callable[..., AnchorWorker]:
    """A worker over the test's ledger and chain; keyword arguments go to ``WorkerConfig``."""

    def _make(*, w3: Web3 | None = None, account_index: int = 1, **config: object) -> AnchorWorker:
        chain = anchor_chain(w3 or dev_chain.w3, deployment, account_index=account_index)
        settings = WorkerConfig(**{"retry": 0.01, "max_retry": 0.05, **config})  # type: ignore[arg-type]
        return AnchorWorker(ledger, chain, settings, clock=clock)

    return _make
