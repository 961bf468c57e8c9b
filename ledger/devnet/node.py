"""The devnet node: its chain, allowlist and journal in one data directory, behind one lock.

Layout of the data directory::

    devnet.json   the genesis (chain id, timestamp, funded accounts, first allowlist) and its block hash
    journal       every accepted transaction and allowlist change (``ledger.devnet.journal``)

A transaction is mined in memory first (so py-evm has refused whatever it refuses), then journaled with the
timestamp and hash of its block and fsynced, and only then acknowledged. Opening the directory rebuilds the
genesis and replays the journal: each transaction is mined again in a block of its own at its journaled
timestamp, and the block hash must come out as journaled, or the start fails. So block hashes, transaction
hashes, receipts, state and the allowlist are what they were before any stop, SIGKILL included.

If the journal cannot be written, the node stops answering (every call gets -32603) rather than serve a
block it could not make durable: a restart replays what is on disk.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ledger.devnet.chain import DevChain
from ledger.devnet.errors import INTERNAL_ERROR, DevnetStateError, RpcError, rejected
from ledger.devnet.genesis import Genesis, load_genesis, save_genesis
from ledger.devnet.journal import Journal, Record
from ledger.devnet.permissions import Allowlist

SETTINGS_FILE = "devnet.json"
JOURNAL_FILE = "journal"
OP_TRANSACTION, OP_ALLOW, OP_DISALLOW = "transaction", "allowlist_add", "allowlist_remove"


class DevnetNode:
    """An opened data directory. Close it (or use it as a context manager) to release the journal's lock.

    Raises (on opening):
        DevnetStateError: the journal or devnet.json is damaged, another devnet holds the directory, or the
            replay does not reproduce the journaled blocks.
    """

    def __init__(self, directory: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.directory = directory
        self._clock = clock
        self._lock = threading.Lock()
        self._failure: str | None = None
        directory.mkdir(parents=True, exist_ok=True)
        self.journal = Journal(directory / JOURNAL_FILE)
        try:
            self.genesis = self._open_genesis()
            self.chain = DevChain(self.genesis)
            self._check_genesis_hash()
            self.allowlist = Allowlist(self.genesis.allowlist)
            for record in self.journal.recovered:
                self._replay(record)
            self.journal.recovered = []
        except BaseException:
            self.journal.close()
            raise

    def _open_genesis(self) -> Genesis:
        path = self.directory / SETTINGS_FILE
        genesis = load_genesis(path)
        if genesis is not None:
            return genesis
        if self.journal.count:
            raise DevnetStateError(f"{self.journal.path} has records but {path} is missing", path=str(path))
        return Genesis.development(int(self._clock()))

    def _check_genesis_hash(self) -> None:
        built = "0x" + self.chain.genesis_hash.hex()
        if self.genesis.genesis_hash is None:
            self.genesis = self.genesis.with_hash(built)
            save_genesis(self.directory / SETTINGS_FILE, self.genesis)
        elif self.genesis.genesis_hash != built:
            raise DevnetStateError(
                f"the genesis rebuilt from {self.directory / SETTINGS_FILE} has hash {built}, "
                f"but the file records {self.genesis.genesis_hash}: this py-evm builds another chain",
                expected=self.genesis.genesis_hash,
                actual=built,
            )

    def _replay(self, record: Record) -> None:
        where = f"{self.journal.path} record {record.get('seq')}"
        try:
            operation = record["op"]
            if operation == OP_TRANSACTION:
                transaction = self.chain.decode(bytes.fromhex(record["raw"].removeprefix("0x")))
                block = self.chain.mine(transaction, int(record["timestamp"]))
                if "0x" + block.hash.hex() != record["block"]:
                    raise DevnetStateError(
                        f"{where}: transaction 0x{transaction.hash.hex()} replayed into block 0x{block.hash.hex()}, "
                        f"but it was mined in block {record['block']}: the chain is not reproducible here",
                        expected=record["block"],
                        actual="0x" + block.hash.hex(),
                    )
            elif operation == OP_ALLOW:
                self.allowlist.add(tuple(record["accounts"]))
            elif operation == OP_DISALLOW:
                self.allowlist.remove(tuple(record["accounts"]))
            else:
                raise DevnetStateError(f"{where}: unknown operation {operation!r}")
        except (RpcError, KeyError, TypeError, ValueError) as exc:
            raise DevnetStateError(f"{where} cannot be replayed: {exc}", record=record.get("seq")) from exc

    # -- access ---------------------------------------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[DevChain]:
        """The chain, under the node's lock (py-evm is not thread-safe)."""
        with self._lock:
            self._check_usable()
            yield self.chain

    def _check_usable(self) -> None:
        if self._failure is not None:
            raise RpcError(INTERNAL_ERROR, f"the devnet stopped serving: {self._failure}; restart it")

    def _journal(self, record: Record) -> None:
        try:
            self.journal.append(record)
        except (OSError, ValueError) as exc:
            self._failure = f"its journal {self.journal.path} could not be written ({exc})"
            raise RpcError(INTERNAL_ERROR, f"the devnet stopped serving: {self._failure}; restart it") from exc

    # -- state changes ----------------------------------------------------------------------------

    def send_raw_transaction(self, raw: bytes) -> bytes:
        """Mine an allowlisted sender's signed transaction in its own block, journal it, return its hash.

        Raises:
            RpcError: -32007 for a sender outside the allowlist; -32000 for anything the chain refuses
                (signature, chain id, replay protection, nonce, funds, gas, already mined); -32603 when the
                journal cannot be written.
        """
        with self._lock:
            self._check_usable()
            transaction = self.chain.decode(raw)
            if self.chain.contains(transaction.hash):
                raise rejected(f"already known: transaction 0x{transaction.hash.hex()} is mined")
            self.allowlist.require(transaction.sender)
            timestamp = self.chain.next_timestamp(int(self._clock()))
            block = self.chain.mine(transaction, timestamp)
            self._journal(
                {
                    "op": OP_TRANSACTION,
                    "raw": "0x" + raw.hex(),
                    "timestamp": timestamp,
                    "block": "0x" + block.hash.hex(),
                }
            )
            return transaction.hash

    def allow(self, accounts: tuple[str, ...]) -> None:
        """Add ``accounts`` to the allowlist, durably (RpcError -32000 when one is there already)."""
        self._change_allowlist(OP_ALLOW, accounts)

    def disallow(self, accounts: tuple[str, ...]) -> None:
        """Remove ``accounts`` from the allowlist, durably (RpcError -32000 when one is absent)."""
        self._change_allowlist(OP_DISALLOW, accounts)

    def _change_allowlist(self, operation: str, accounts: tuple[str, ...]) -> None:
        # Check first, journal, then change: a refused or unjournaled change leaves the allowlist as it was.
        allowlist = self.allowlist
        check, apply = (
            (allowlist.check_add, allowlist.add)
            if operation == OP_ALLOW
            else (allowlist.check_remove, allowlist.remove)
        )
        with self._lock:
            self._check_usable()
            check(accounts)
            self._journal({"op": operation, "accounts": list(accounts)})
            apply(accounts)

    def allowlisted(self) -> list[str]:
        with self._lock:
            self._check_usable()
            return self.allowlist.accounts()

    def close(self) -> None:
        """Wait for the operation in progress, then release the journal; idempotent."""
        with self._lock:
            self.journal.close()

    def __enter__(self) -> DevnetNode:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
