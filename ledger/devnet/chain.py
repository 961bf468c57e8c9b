"""The devnet's chain: py-evm (Paris rules) with chain id 12345, a zero base fee, and deterministic blocks.

Every accepted transaction is mined at once in a block of its own, at a timestamp the caller chooses, so that
replaying the journal (``ledger.devnet.node``) rebuilds byte-identical blocks. eth-tester's ``PyEVMBackend``
cannot do that, which is why this module drives py-evm's ``MiningChain`` itself and takes from eth-tester only
its post-merge genesis defaults:

* it mines with a random ``mix_hash`` (``os.urandom``), so no two runs give the same block hashes; here the
  prevrandao is derived from the parent hash;
* its chain class hard-codes chain id 131277322940537;
* its ``call`` and ``estimate_gas`` turn a revert into a message string and lose the revert data that web3
  needs to name a custom error.

The base fee stays 0 in every block, as with Besu's ``zeroBaseFee``: EIP-1559 would raise it to 1 wei after
a block that uses more than half the gas limit, and then ``gasPrice: 0`` transactions could no longer be mined.
py-evm does not check chain ids, so ``check_replay_protection`` refuses transactions for another chain and
unprotected (pre-EIP-155) ones before they run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from eth.abc import BlockAPI, BlockHeaderAPI, ComputationAPI, ReceiptAPI, SignedTransactionAPI, StateAPI
from eth.chains.base import MiningChain
from eth.db.atomic import AtomicDB
from eth.exceptions import HeaderNotFound, Revert
from eth.typing import AccountDetails, AccountState
from eth.vm.forks.paris import ParisVM
from eth.vm.spoof import SpoofTransaction
from eth_tester import PyEVMBackend
from eth_typing import Address
from eth_utils.address import to_canonical_address
from eth_utils.crypto import keccak
from eth_utils.exceptions import ValidationError

from ledger.devnet.errors import EXECUTION_REVERTED, RpcError, rejected
from ledger.devnet.genesis import Genesis

ZERO_ADDRESS = Address(b"\x00" * 20)
#: The gas a value-carrying call hands its callee for free (EIP-150's stipend), part of the first guess.
_CALL_STIPEND = 2300
#: How close ``estimate_gas`` comes to the least gas limit, in thousandths of it (geth's 1.5 %).
_ESTIMATE_TOLERANCE_PER_MILLE = 15
#: py-evm's ``to`` of a contract creation.
CREATE = Address(b"")


class _ZeroFeeChain(MiningChain):
    """A MiningChain whose blocks all keep the genesis gas limit and a zero base fee."""

    def create_header_from_parent(self, parent_header: BlockHeaderAPI, **header_params: Any) -> BlockHeaderAPI:
        header_params.setdefault("gas_limit", parent_header.gas_limit)
        header = super().create_header_from_parent(parent_header, **header_params)
        return header.copy(base_fee_per_gas=0)


@dataclass(frozen=True)
class CallRequest:
    """An ``eth_call`` / ``eth_estimateGas`` transaction: run as ``sender``, never signed, never mined."""

    sender: Address = ZERO_ADDRESS
    to: Address = CREATE
    gas: int | None = None
    value: int = 0
    data: bytes = b""


class DevChain:
    """The chain in memory. Not thread-safe: the node holds one lock around it."""

    def __init__(self, genesis: Genesis) -> None:
        self.chain_id = genesis.chain_id
        params = PyEVMBackend.generate_genesis_params({"timestamp": genesis.timestamp, "gas_limit": genesis.gas_limit})
        params["base_fee_per_gas"] = 0
        state: AccountState = {
            to_canonical_address(address): AccountDetails(balance=genesis.balance_wei, nonce=0, code=b"", storage={})
            for address in genesis.accounts
        }
        chain_class = _ZeroFeeChain.configure(
            __name__="HotlineDevnetChain", chain_id=genesis.chain_id, vm_configuration=((0, ParisVM),)
        )
        self._chain = cast(MiningChain, chain_class.from_genesis(AtomicDB(), params, state))
        self._block_of_transaction: dict[bytes, int] = {}

    # -- blocks ---------------------------------------------------------------------------------

    @property
    def head(self) -> BlockHeaderAPI:
        """The latest mined block's header."""
        return self._chain.get_canonical_head()

    @property
    def genesis_hash(self) -> bytes:
        return self.block_at(0).hash

    def block_at(self, number: int) -> BlockAPI:
        """The mined block ``number`` (raises LookupError beyond the head)."""
        return self._chain.get_block_by_header(self.header_at(number))

    def header_at(self, number: int) -> BlockHeaderAPI:
        """The header of mined block ``number`` (raises LookupError beyond the head)."""
        if not 0 <= number <= self.head.block_number:
            raise LookupError(f"block {number} not found: the chain's head is block {self.head.block_number}")
        return self._chain.get_canonical_block_header_by_number(number)  # type: ignore[arg-type]

    def block_by_hash(self, block_hash: bytes) -> BlockAPI | None:
        try:
            block = self._chain.get_block_by_hash(block_hash)  # type: ignore[arg-type]
        except (HeaderNotFound, ValidationError):
            return None
        return block

    def receipts(self, block: BlockAPI) -> tuple[ReceiptAPI, ...]:
        return block.get_receipts(self._chain.chaindb)

    def find_transaction(self, tx_hash: bytes) -> tuple[BlockAPI, int] | None:
        """The block holding the transaction and its index there, or None."""
        number = self._block_of_transaction.get(tx_hash)
        if number is None:
            return None
        block = self.block_at(number)
        for index, transaction in enumerate(block.transactions):
            if transaction.hash == tx_hash:
                return block, index
        raise AssertionError(f"transaction index points to block {number}, which lacks 0x{tx_hash.hex()}")

    def state_at(self, number: int) -> StateAPI:
        """The world state after block ``number``."""
        return self._chain.get_vm(at_header=self.block_at(number).header).state

    # -- transactions ---------------------------------------------------------------------------

    def decode(self, raw: bytes) -> SignedTransactionAPI:
        """Decode a signed transaction and check it is meant for this chain.

        Raises:
            RpcError: undecodable, a bad signature, unprotected (no EIP-155 chain id), or another chain's id.
        """
        try:
            transaction = self._chain.get_vm().get_transaction_builder().decode(raw)
            transaction.check_signature_validity()
        except Exception as exc:  # py-evm raises rlp, eth-keys and its own errors for malformed input.
            raise rejected(f"invalid transaction: {type(exc).__name__}: {exc}") from exc
        self.check_replay_protection(transaction)
        return transaction

    def check_replay_protection(self, transaction: SignedTransactionAPI) -> None:
        """Refuse what anvil silently accepts and never mines: no chain id, or another chain's."""
        chain_id = transaction.chain_id
        if chain_id is None:
            raise rejected(
                "transaction is not replay-protected: sign it with EIP-155 (chain id "
                f"{self.chain_id}) or as a typed transaction"
            )
        if chain_id != self.chain_id:
            raise rejected(f"invalid chain id {chain_id}: this chain's id is {self.chain_id}")

    def contains(self, tx_hash: bytes) -> bool:
        return tx_hash in self._block_of_transaction

    def next_timestamp(self, now: int) -> int:
        """The timestamp of the next block: now, but always after the head's (several blocks in one second)."""
        return max(now, self.head.timestamp + 1)

    def mine(self, transaction: SignedTransactionAPI, timestamp: int) -> BlockAPI:
        """Mine ``transaction`` alone in a new block at ``timestamp``; a revert is mined with status 0.

        Raises:
            RpcError: py-evm refuses the transaction (nonce, balance, intrinsic gas, gas above the block limit);
                nothing changes.
            ValueError: ``timestamp`` is not after the head's.
        """
        parent = self.head
        if timestamp <= parent.timestamp:
            raise ValueError(f"block timestamp {timestamp} is not after its parent's {parent.timestamp}")
        pending = self._chain.header
        self._chain.header = pending.copy(timestamp=timestamp)
        try:
            result, _, _ = self._chain.mine_all(
                [transaction], coinbase=ZERO_ADDRESS, mix_hash=keccak(b"hotline devnet prevrandao" + parent.hash)
            )
        except ValidationError as exc:
            self._chain.header = pending
            raise rejected(f"transaction refused: {exc}") from exc
        block = result.imported_block
        self._block_of_transaction[transaction.hash] = block.number
        return block

    # -- calls ----------------------------------------------------------------------------------

    def _spoof(self, request: CallRequest, header: BlockHeaderAPI) -> SignedTransactionAPI:
        vm = self._chain.get_vm(at_header=header)
        unsigned = vm.create_unsigned_transaction(
            nonce=vm.state.get_nonce(request.sender),
            gas_price=0,
            gas=request.gas if request.gas is not None else header.gas_limit,
            to=request.to,
            value=request.value,
            data=request.data,
        )
        return SpoofTransaction(unsigned, from_=request.sender)  # type: ignore[return-value]

    def call(self, request: CallRequest, number: int) -> bytes:
        """Run ``request`` on the state after block ``number`` without fees and without keeping anything.

        Raises:
            RpcError: code 3 with the revert data when it reverts; -32000 for any other failure.
        """
        header = self.block_at(number).header
        transaction = self._spoof(request, header)
        try:
            with self._chain.get_vm(at_header=header).in_costless_state() as state:
                computation = state.costless_execute_transaction(transaction)
        except ValidationError as exc:
            raise rejected(f"call refused: {exc}") from exc
        raise_on_failure(computation)
        return computation.output

    def estimate_gas(self, request: CallRequest, number: int) -> int:
        """A gas limit ``request`` succeeds with on the state after block ``number``, within 1.5 % of the least.

        geth's search: a run at the block's whole gas limit gives the gas spent, and the first guess is that
        plus its refund and a call stipend, times 64/63 (what each nested call keeps back); the least limit lies
        between the gas spent and a guess that succeeds, and halving that range stops once it is within 1.5 %.
        Three or four runs for an anchor, where py-evm's exact binary search from the intrinsic gas to the block
        limit took about thirty (most of the devnet's CPU under load). A plain transfer gets exactly 21,000.

        Raises:
            RpcError: as ``call`` does, when it fails even with the block's whole gas limit.
        """
        header = self.block_at(number).header
        transaction = self._spoof(CallRequest(request.sender, request.to, None, request.value, request.data), header)
        with self._chain.get_vm(at_header=header).in_costless_state() as state:
            return _least_gas(state, transaction, header.gas_limit)


def _least_gas(state: StateAPI, transaction: SignedTransactionAPI, limit: int) -> int:
    """``DevChain.estimate_gas``'s search on ``state``, which every run leaves as it found it."""

    def run(gas: int) -> ComputationAPI:
        snapshot = state.snapshot()
        try:
            return state.apply_transaction(SpoofTransaction(transaction, gas=gas))  # type: ignore[arg-type]
        finally:
            state.revert(snapshot)

    try:
        intrinsic = transaction.intrinsic_gas
        if not run(intrinsic).is_error:
            return intrinsic
        whole = run(limit)
        raise_on_failure(whole)
        spent = intrinsic + whole.get_gas_used()
        low, high = spent - 1, limit
        guess = (spent + whole.get_gas_refund() + _CALL_STIPEND) * 64 // 63
        if guess < high:
            if run(guess).is_error:
                low = guess
            else:
                high = guess
        while high - low > 1 and (high - low) * 1000 > high * _ESTIMATE_TOLERANCE_PER_MILLE:
            middle = (low + high) // 2
            if run(middle).is_error:
                low = middle
            else:
                high = middle
        return high
    except ValidationError as exc:
        raise rejected(f"estimate refused: {exc}") from exc


def raise_on_failure(computation: ComputationAPI) -> None:
    """Map a failed computation to the error geth gives: a revert carries its data, anything else its name."""
    if not computation.is_error:
        return
    error = computation.error
    if isinstance(error, Revert):
        data = bytes(computation.output)
        raise RpcError(EXECUTION_REVERTED, revert_message(data), "0x" + data.hex())
    raise rejected(f"execution failed: {type(error).__name__}: {error}")


#: Solidity's Error(string) selector: its reason goes into the message, as geth does.
_ERROR_STRING = bytes.fromhex("08c379a0")


def revert_message(data: bytes) -> str:
    if data[:4] == _ERROR_STRING and len(data) >= 68:
        length = int.from_bytes(data[36:68], "big")
        reason = data[68 : 68 + length]
        if len(reason) == length:
            return "execution reverted: " + reason.decode("utf-8", errors="replace")
    return "execution reverted"
