"""The API killed with SIGKILL under load loses no acknowledged transition, on SQLite and PostgreSQL.

A uvicorn server takes single transitions and batches from several client threads, each a core system with
tickets of its own; every 201 is recorded with its receipts. After some hundreds of acknowledged transitions
the server is killed (SIGKILL) while requests are still on the wire. The log, reopened as a restarted
server would, holds every acknowledged transition at its acknowledged index with its entry hash, exactly
once, in a tree whose root recomputes and which a new checkpoint proves them in; the requests cut short
are each in the log whole or not at all. A server restarted on the same data directory answers a replayed
acknowledged request with 200 and the same receipts, and takes the requests cut short again: 200 for those
that had been committed, 201 for the others.
"""

from __future__ import annotations

import random
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger.api_keys import ApiKeys
from ledger.config import DataDir
from ledger.sequencer import Receipt
from ledger.service import Ledger
from tests.api.conftest import register, submit_for_dispatch
from tests.api.servers import Server, api_server
from tests.ledger.log_checks import assert_acknowledged, assert_no_duplicates, assert_storage_whole
from tests.ledger.test_sequencer import assert_log_intact
from verifier.checkpoint import open_checkpoint
from verifier.merkle import verify_inclusion

pytestmark = pytest.mark.slow

CLIENTS = 6
#: Acknowledged transitions before the kill, at least and at most (drawn per run; the seed is printed).
KILL_AFTER = (200, 500)
#: Most transitions in one batch request.
MAX_BATCH = 8
#: Most requests of one client (the server is killed long before).
MAX_REQUESTS = 10_000
#: What identifies a receipt; ``status``, ``checkpoint`` and ``anchor`` change as the log goes on, and the
#: query code is shown once.
IDENTITY = ("transition_id", "index", "entry_hash", "ticket", "seq", "state", "payload")


@dataclass
class Request:
    """One request a client sent: to which endpoint, its transitions, and the receipts of its 201 (if any)."""

    batch: bool
    bodies: list[dict[str, Any]]
    receipts: list[dict[str, Any]] = field(default_factory=list)

    def send(self, http: httpx.Client) -> httpx.Response:
        if self.batch:
            return http.post("/v1/transitions:batch", json={"transitions": self.bodies})
        return http.post("/v1/transitions", json=self.bodies[0])

    def receipts_of(self, response: httpx.Response) -> list[dict[str, Any]]:
        body = response.json()
        return list(body["receipts"]) if self.batch else [body]


#: Called by a client with the number of transitions a 201 acknowledged.
Acknowledge = Callable[[int], None]


@dataclass
class CoreSystem:
    """A client thread: opens tickets of its own and moves those whose opening was acknowledged."""

    number: int
    random: random.Random
    acknowledged: list[Request] = field(default_factory=list)
    #: The request sent when the server died, whose answer never came.
    cut_short: Request | None = None
    serial: int = 0
    opened: list[str] = field(default_factory=list)

    def next_request(self) -> Request:
        bodies = []
        for _ in range(self.random.randint(1, MAX_BATCH) if self.random.random() < 0.5 else 1):
            self.serial += 1
            if self.opened and self.random.random() < 0.4:
                ticket = self.opened.pop(self.random.randrange(len(self.opened)))
                bodies.append(submit_for_dispatch(f"c{self.number}-{self.serial}", ticket, expected_seq=2))
            else:
                bodies.append(register(f"c{self.number}-{self.serial}", f"C{self.number}-{self.serial:06d}"))
        return Request(len(bodies) > 1 or self.random.random() < 0.3, bodies)

    def submit_until_the_server_dies(self, url: str, headers: dict[str, str], acknowledge: Acknowledge) -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
            for _ in range(MAX_REQUESTS):
                request = self.next_request()
                self.cut_short = request
                try:
                    response = request.send(http)
                except httpx.TransportError:
                    return  # killed: this request's outcome is unknown to the client
                assert response.status_code == 201, response.text
                request.receipts = request.receipts_of(response)
                self.cut_short = None
                self.acknowledged.append(request)
                self.opened += [b["ticket"] for b in request.bodies if b["event"] == "register"]
                acknowledge(len(request.bodies))

    def replay_acknowledged(self, url: str, headers: dict[str, str]) -> None:
        """Send each acknowledged request again, as a client unsure of its answer would: 200, the same receipts."""
        with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
            for request in self.acknowledged:
                replayed = request.send(http)
                assert replayed.status_code == 200, replayed.text
                assert _identities(request.receipts_of(replayed)) == _identities(request.receipts)


def _identities(receipts: list[dict[str, Any]]) -> list[list[Any]]:
    return [[receipt[name] for name in IDENTITY] for receipt in receipts]


@pytest.fixture
def kills() -> random.Random:
    """When the kill comes and what the clients send; the seed is printed, so a failure can be replayed."""
    seed = random.randrange(2**32)
    print(f"kill seed: {seed}")
    return random.Random(seed)


def _initialised(data: Path, database: str) -> dict[str, str]:
    """Initialise the data directory on ``database``; the header of a key that submits and reads."""
    directory = DataDir(data)
    directory.init(database=database)
    ledger = directory.open_ledger(development=True)
    try:
        _, token = ApiKeys.of(ledger.store).create("core systems", ["submit", "read"])
    finally:
        ledger.store.close()
    return {"Authorization": f"Bearer {token}"}


def _load_and_kill(server: Server, headers: dict[str, str], clients: list[CoreSystem], wanted: int) -> None:
    """Run the clients against the server and SIGKILL it once ``wanted`` transitions are acknowledged."""
    lock = threading.Lock()
    counted = [0]
    enough = threading.Event()

    def acknowledge(transitions: int) -> None:
        with lock:
            counted[0] += transitions
            if counted[0] >= wanted:
                enough.set()

    with ThreadPoolExecutor(len(clients)) as pool:
        running = [pool.submit(c.submit_until_the_server_dies, server.url, headers, acknowledge) for c in clients]
        try:
            deadline = time.monotonic() + 120
            while not enough.wait(0.01):
                assert time.monotonic() < deadline, f"only {counted[0]} transitions acknowledged"
                failed = [r for r in running if r.done()]
                assert not failed, failed[0].result()  # a client stopped (or failed) while the server was up
        finally:
            server.process.send_signal(signal.SIGKILL)  # also when the test failed: the clients stop with it
        assert server.process.wait(timeout=30) == -signal.SIGKILL
        for client in running:
            client.result()  # re-raises a client's failure


def _receipt(wire: dict[str, Any]) -> Receipt:
    return Receipt(*(wire[name] for name in IDENTITY))


def _stored(ledger: Ledger, request: Request) -> bool:
    """Whether the request cut short is in the log: all of it, or (else the test fails) none of it."""
    stored = [ledger.transition(body["transition_id"]) for body in request.bodies]
    assert len({entry is None for entry in stored}) == 1, f"a request was recorded in part: {stored}"
    for body, entry in zip(request.bodies, stored, strict=True):
        assert entry is None or (entry.ticket, entry.transition_id) == (body["ticket"], body["transition_id"])
    return stored[0] is not None


def _assert_recovered(ledger: Ledger, acknowledged: list[Receipt]) -> None:
    """Nothing acknowledged is lost or moved, nothing is stored twice or in part, and the tree proves it all."""
    assert_acknowledged(ledger, acknowledged)
    assert_log_intact(ledger)
    assert_no_duplicates(ledger)
    verifier = ledger.signer.verifier()
    checkpoint = ledger.publish_checkpoint()
    assert_storage_whole(ledger, verifier)  # every checkpoint verifies and is consistent with the one before
    opened = open_checkpoint(checkpoint.note, [verifier], origin=ledger.origin)
    for receipt in acknowledged:
        proof = ledger.inclusion_proof(receipt.index, opened.tree_size)
        verify_inclusion(bytes.fromhex(receipt.entry_hash), receipt.index, opened.tree_size, proof, opened.root_hash)


def _reopened(data: Path) -> Ledger:
    return DataDir(data).open_ledger(development=True)


def test_a_killed_server_loses_no_acknowledged_transition(tmp_path: Path, db_url: str, kills: random.Random) -> None:
    data = tmp_path / "var"
    headers = _initialised(data, db_url)
    clients = [CoreSystem(number, random.Random(kills.random())) for number in range(CLIENTS)]
    wanted = kills.randint(*KILL_AFTER)
    with api_server(data, tmp_path / "server.log") as server:
        _load_and_kill(server, headers, clients, wanted)

    acknowledged = [request for client in clients for request in client.acknowledged]
    receipts = [_receipt(wire) for request in acknowledged for wire in request.receipts]
    cut_short = [client.cut_short for client in clients if client.cut_short is not None]
    assert len(receipts) >= wanted
    ledger = _reopened(data)
    try:
        _assert_recovered(ledger, receipts)
        committed = [_stored(ledger, request) for request in cut_short]
    finally:
        ledger.store.close()
    print(f"{len(receipts)} acknowledged transitions; {sum(committed)} of {len(cut_short)} cut short were committed")

    with (
        api_server(data, tmp_path / "server.log") as restarted,
        httpx.Client(base_url=restarted.url, headers=headers, timeout=30) as http,
    ):
        with ThreadPoolExecutor(len(clients)) as pool:
            list(pool.map(lambda client: client.replay_acknowledged(restarted.url, headers), clients))
        for request, was_committed in zip(cut_short, committed, strict=True):
            retried = request.send(http)
            assert retried.status_code == (200 if was_committed else 201), retried.text
            receipts += [_receipt(wire) for wire in request.receipts_of(retried)]
        for request in cut_short:
            for body in request.bodies:
                assert http.get(f"/v1/transitions/{body['transition_id']}").status_code == 200

    ledger = _reopened(data)
    try:
        _assert_recovered(ledger, receipts)
        assert ledger.head().tree_size == 1 + len(receipts)  # the policy, and each transition once
    finally:
        ledger.store.close()
