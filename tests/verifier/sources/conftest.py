"""Real chains for the chain adapter's tests: anvil nodes (and the Python devnet) with CheckpointAnchor deployed and
checkpoints of a real ledger anchored on them by the producer's own code (web3 and ledger are fine in tests).

``AnchoredChain`` is one node with the contract and an ``AnchorChain`` writer; ``DemoLedger.anchor_next`` grows a
ledger and anchors its new checkpoint with the consistency proof from the last anchored one, as the worker does.
Twin anvils start from the same genesis time and advance block time by a fixed step, so the same transactions
give the very same blocks on both (../shared/CHAIN_NOTES.md): two honest, independent endpoints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from web3 import Web3

from ledger.anchoring.chain import AnchorChain, Confirmed
from ledger.anchoring.deployment import Deployment, deploy
from ledger.anchoring.development import development_accounts
from ledger.demo import demo_requests
from ledger.devnet.anvil import AnvilNode
from ledger.devnet.process import DevnetProcess, NodeProcess, rpc_call
from ledger.payloads import PayloadKey
from ledger.policies import load_policy
from ledger.sequencer import TransitionRequest
from ledger.service import Ledger
from ledger.storage import LedgerStore
from tests.conftest import ORIGIN
from tests.contracts.chains import CHAIN_ID, require_anvil
from verifier.note import NoteSigner

#: Genesis time and block interval of the twin anvils: their blocks depend only on the transactions.
GENESIS_TIME = 1_780_000_000
BLOCK_INTERVAL = 12


@dataclass
class AnchoredChain:
    """A node with CheckpointAnchor deployed and the log registered; ``writer`` anchors as the log's anchorer."""

    node: NodeProcess
    w3: Web3
    deployment: Deployment
    writer: AnchorChain

    @property
    def url(self) -> str:
        return self.node.url

    @property
    def contract(self) -> str:
        return self.deployment.contract

    @property
    def log_id(self) -> bytes:
        return bytes.fromhex(self.deployment.log_id)


def start_anvil(workdir: Path, *, fixed_time: bool = False) -> AnvilNode:
    """A running anvil (chain id 12345); with ``fixed_time`` its block times follow GENESIS_TIME + k·BLOCK_INTERVAL."""
    extra = ["--timestamp", str(GENESIS_TIME)] if fixed_time else []
    node = AnvilNode(binary=require_anvil(), chain_id=CHAIN_ID, extra_args=extra)
    node.log = workdir / f"anvil-{node.port}.log"
    node.start()
    if fixed_time:
        rpc_call(node.url, "anvil_setBlockTimestampInterval", [BLOCK_INTERVAL])
    return node


def deploy_on(node: NodeProcess) -> AnchoredChain:
    """Deploy with development account 0 (so the address depends only on its nonce); account 1 anchors."""
    w3 = Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 30}))
    admin, anchorer = development_accounts()[:2]
    deployment = deploy(w3, admin, origin=ORIGIN, anchorer=anchorer.address, chain_id=w3.eth.chain_id)
    writer = AnchorChain(
        w3,
        contract=deployment.contract,
        origin=ORIGIN,
        account=anchorer,
        chain_id=deployment.chain_id,
        from_block=deployment.block_number,
        poll=0.01,
    )
    return AnchoredChain(node, w3, deployment, writer)


@dataclass
class DemoLedger:
    """A fresh SQLite ledger of the log ORIGIN and the demo transitions (from ``seed``) it grows by."""

    ledger: Ledger
    requests: list[TransitionRequest]

    @classmethod
    def open(cls, directory: Path, *, seed: int) -> DemoLedger:
        directory.mkdir(parents=True, exist_ok=True)
        ledger = Ledger.open(
            LedgerStore.open(f"sqlite:///{directory / 'ledger.db'}"),
            origin=ORIGIN,
            signer=NoteSigner.generate(ORIGIN),
            payload_key=PayloadKey.generate(),
            policies=[load_policy("cn-baseline")],
        )
        return cls(ledger, list(demo_requests(20, seed=seed)))

    def grow(self, count: int) -> None:
        done = self.ledger.head().tree_size - 1  # The first entry is the policy.
        self.ledger.append(self.requests[done : done + count])

    def anchor_next(self, chain: AnchoredChain, count: int) -> tuple[int, bytes, Confirmed]:
        """Grow by ``count`` transitions and anchor the new head on ``chain``: (size, root, its confirmation)."""
        self.grow(count)
        return self.anchor_head(chain)

    def anchor_head(self, chain: AnchoredChain) -> tuple[int, bytes, Confirmed]:
        """Anchor the ledger's head on ``chain``: (size, root, its confirmation)."""
        head = self.ledger.head()
        previous = chain.writer.latest().size
        proof = self.ledger.consistency_proof(previous, head.tree_size) if previous else []
        tx_hash = chain.writer.send_anchor(head.tree_size, head.root, proof)
        return head.tree_size, head.root, chain.writer.wait_confirmed(tx_hash, timeout=30)


@pytest.fixture
def anvil(tmp_path: Path) -> Iterator[AnchoredChain]:
    """One anvil with the contract deployed (a fresh chain per test: reorgs must not leak)."""
    node = start_anvil(tmp_path)
    try:
        yield deploy_on(node)
    finally:
        node.stop()


@pytest.fixture(params=["anvil", "devnet"])
def any_node(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AnchoredChain]:
    """The contract deployed on each kind of real node this project runs: anvil, and its own Python devnet."""
    if request.param == "anvil":
        node: NodeProcess = start_anvil(tmp_path)
    else:
        node = DevnetProcess(tmp_path / "devnet", log=tmp_path / "devnet.log").start()
        # The devnet allows only account 0 to transact until told otherwise; account 1 is the anchorer.
        rpc_call(node.url, "perm_addAccountsToAllowlist", [[development_accounts()[1].address]])
    try:
        yield deploy_on(node)
    finally:
        node.stop()


@pytest.fixture
def twin_anvils(tmp_path: Path) -> Iterator[tuple[AnchoredChain, AnchoredChain]]:
    """Two independent anvils with identical blocks so far: same genesis, same deployment, same address."""
    nodes = [start_anvil(tmp_path, fixed_time=True) for _ in range(2)]
    try:
        first, second = (deploy_on(node) for node in nodes)
        assert first.contract == second.contract
        yield first, second
    finally:
        for node in nodes:
            node.stop()


@pytest.fixture
def make_ledger(tmp_path: Path) -> Iterator[Callable[..., DemoLedger]]:
    """Open fresh SQLite ledgers (each in its own folder); their stores are closed afterwards."""
    ledgers: list[DemoLedger] = []

    def _open(*, seed: int = 11) -> DemoLedger:
        ledger = DemoLedger.open(tmp_path / f"ledger-{len(ledgers)}", seed=seed)
        ledgers.append(ledger)
        return ledger

    yield _open
    for demo in ledgers:
        demo.ledger.store.close()
