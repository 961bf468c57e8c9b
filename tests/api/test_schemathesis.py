"""Schemathesis against ``/openapi.json``: every operation, valid and invalid inputs, on SQLite and PostgreSQL.

Each operation runs Schemathesis's phases (the schema's examples, boundary-value coverage, random fuzzing) in
process over ASGI against the real app on a real ledger, with an API key holding every scope, and checks every
response: never a server error, and a status, content type, headers and body that the OpenAPI document declares.
The ledger is seeded first (tickets, a checkpoint, an anchor) so that small indices, sizes and the documented
example ticket reach real entries and proofs, not only the refusals.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import Receive, Scope, Send

from api.app import create_app
from api.schemas import TICKET_EXAMPLE, TRANSITION_ID_EXAMPLE
from api.settings import Settings
from ledger.api_keys import SCOPES, ApiKeys
from tests.api.conftest import register, submit_for_dispatch
from tests.api.test_transitions import anchor_checkpoint
from tests.databases import BACKENDS, database_url

#: Seeded tickets: the documented example ticket and a few more, so that the log holds some tens of entries.
SEEDED = 12
#: Random (fuzzing-phase) cases per operation; the examples and coverage phases add their own, deterministically.
MAX_EXAMPLES = 20


def _settings(data: Path, database: str | None) -> Settings:
    return Settings(
        data_dir=data,
        database_url=database,
        environment="development",
        backlog_refresh_seconds=0,
        max_pending_entries=0,
        # Every request comes from one test client address. With the production limits (a burst of 10 query
        # code lookups, 60 public reads) the public endpoints would answer 429 to nearly every case and never
        # run their real code; their 429 is documented and covered by tests/api/test_public.py.
        public_burst=1_000_000,
        query_code_burst=1_000_000,
    )


class Current:
    """The ASGI app Schemathesis calls: the app of the backend under test.

    The schema is loaded at import, so that ``schema.parametrize`` makes one test per operation (its lazy
    ``schemathesis.pytest.from_fixture`` sets ``Node._nodeid``, which pytest 9.2 no longer has). Schemathesis
    would also run an app's lifespan itself and keep it to the end of the process; the fixture below owns
    each app's lifespan instead, so that its ledger is closed and its database dropped after its tests. This
    forwarder declines the lifespan protocol before any message, which Schemathesis takes as "none to run".
    """

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            raise RuntimeError("the test fixture runs the app's lifespan")
        await self.app(scope, receive, send)


# The document is the one every app serves; this app only serves it (it never opens a ledger).
CURRENT = Current(create_app(_settings(Path("unused"), None)))
#: Schemathesis's defaults for a schema-valid request that is refused (check "positive_data_acceptance").
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]


def _also_refused(path: str, status: int) -> dict[str, Any]:
    """Let a schema-valid request to ``path`` be refused with ``status`` too: a rule no schema can state."""
    expected = {"expected-statuses": [*ACCEPTED, str(status)]}
    return {"include-path": path, "checks": {"positive_data_acceptance": expected}}


CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "mode": "all",
            # The test sends a valid key with every case; left to generate the Authorization header itself,
            # Schemathesis takes a case without it for invalid and flags the 200 that the key then gets.
            # Refusing a missing or wrong key is what the ignored_auth check tests, on every scoped operation.
            "with-security-parameters": False,
        },
        "operations": [
            # A proof exists only for an index below the size and sizes within the log as it is now.
            _also_refused("/v1/proofs/inclusion", 400),
            _also_refused("/v1/proofs/consistency", 400),
            # Only published policies may be named, and the policy checks attributes and actors beyond the schema
            # (422 unknown_policy, invalid_request, actor_key).
            _also_refused("/v1/transitions", 422),
            _also_refused("/v1/transitions:batch", 422),
            _also_refused("/v1/payloads/{commitment}/erase", 422),
            # A filter that selects nothing, names a ticket the log does not have, or a period that ends before
            # it starts is refused (422 export_refused): the schema cannot say which tickets exist.
            _also_refused("/v1/exports", 422),
        ],
    }
)
schema = schemathesis.openapi.from_asgi("/openapi.json", CURRENT, config=CONFIG)


@pytest.fixture(scope="module", params=BACKENDS)
def authorization(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Serve the app on a seeded ledger of one backend to Schemathesis; the header of a key with every scope."""
    directory = tmp_path_factory.mktemp("schemathesis")
    with database_url(request.param, directory) as url:
        app = create_app(_settings(directory / "var", url))
        with TestClient(app) as client:
            ledger = app.state.services.ledger
            _, token = ApiKeys.of(ledger.store).create("schemathesis", SCOPES)
            headers = {"Authorization": f"Bearer {token}"}
            ledger.publish_checkpoint()  # at size 1 (the policy): a size that boundary values reach
            _seed(client, headers)
            anchor_checkpoint(ledger, ledger.publish_checkpoint().tree_size)
            # Entries after the checkpoint too: pending ones, without proofs.
            assert client.post("/v1/transitions", json=register("late", "LATE-0001"), headers=headers).is_success
            schema_app = CURRENT.app
            CURRENT.app = app
            try:
                yield headers
            finally:
                CURRENT.app = schema_app


def _seed(client: TestClient, headers: dict[str, str]) -> None:
    """Tickets in the log: the documented example ticket, opened by the documented example transition, and more."""
    tickets = [TICKET_EXAMPLE, *(f"SEED-{number:04d}" for number in range(1, SEEDED))]
    opened = [register(TRANSITION_ID_EXAMPLE, TICKET_EXAMPLE)]
    opened += [register(f"seed-{ticket}-1", ticket) for ticket in tickets[1:]]
    assert client.post("/v1/transitions:batch", json={"transitions": opened}, headers=headers).status_code == 201
    for ticket in tickets[::2]:
        moved = submit_for_dispatch(f"seed-{ticket}-2", ticket, expected_seq=2)
        assert client.post("/v1/transitions", json=moved, headers=headers).status_code == 201


@schema.parametrize()
def test_openapi_operation(case: schemathesis.Case, authorization: dict[str, str]) -> None:
    # Schemathesis's default checks, among them: not_a_server_error; the status, content type, headers and body
    # the document declares; negative data rejected and positive data accepted; the Allow header of a 405; and
    # ignored_auth (a scoped operation asked again without the key, and with a wrong one, must refuse).
    case.call_and_validate(headers=authorization)
