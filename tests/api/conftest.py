"""The API under test: the real app on a real database (SQLite and PostgreSQL), with a key per scope."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.services import Services
from api.settings import Settings
from ledger.api_keys import SCOPES, ApiKeys

TICKET = "250912101108115409"
AT = "2026-03-02T09:15:00.123+08:00"
PROBLEM = "application/problem+json"


def register(transition_id: str = "t-1", ticket: str = TICKET, **changes: Any) -> dict[str, Any]:
    """The body of a ``register`` transition that opens ``ticket``."""
    body: dict[str, Any] = {
        "transition_id": transition_id,
        "ticket": ticket,
        "event": "register",
        "to": "registered",
        "actor": {"org": "330100-12345", "role": "agent"},
        "at": AT,
        "attrs": {"category": "complaint", "urgency": "normal", "channel": "phone"},
        "payload": {"caller": "王先生", "phone": "13800001234", "content": "夜间施工噪音"},
    }
    body.update(changes)
    return body


def submit_for_dispatch(transition_id: str = "t-2", ticket: str = TICKET, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "transition_id": transition_id,
        "ticket": ticket,
        "event": "submit_for_dispatch",
        "to": "pending_dispatch",
        "actor": {"org": "330100-12345", "role": "agent"},
        "at": "2026-03-02T09:20:00.000+08:00",
    }
    body.update(changes)
    return body


@dataclass
class Api:
    """A running app: its test client, its services, and an API key per scope (plus ``all`` and ``revoked``)."""

    client: TestClient
    services: Services
    tokens: dict[str, str]
    app: FastAPI

    def auth(self, scope: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[scope]}"}

    def tree_size(self) -> int:
        return self.services.ledger.head().tree_size

    def post(self, path: str, body: Any, scope: str = "submit") -> Any:
        return self.client.post(path, json=body, headers=self.auth(scope))

    def get(self, path: str, scope: str = "read", **params: Any) -> Any:
        return self.client.get(path, params=params, headers=self.auth(scope))


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is RFC 9457 problem+json with ``status`` and ``code``; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["code"] == code, body
    assert body["type"].endswith(code) and body["title"] and body["detail"]
    return body


@pytest.fixture
def settings_for(tmp_path: Path, db_url: str) -> Callable[..., Settings]:
    def _settings(**changes: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "var",
            "database_url": db_url,
            "environment": "development",
            "backlog_refresh_seconds": 0,
            "max_pending_entries": 0,
            "public_burst": 1000,
            "query_code_burst": 1000,
            "query_code_max_failures": 1000,
        }
        values.update(changes)
        return Settings(**values)

    return _settings


@pytest.fixture
def make_api(settings_for: Callable[..., Settings]) -> Callable[..., AbstractContextManager[Api]]:
    """Start an app with settings changed by keyword (see ``Settings``)."""

    @contextmanager
    def _api(**changes: Any) -> Iterator[Api]:
        app = create_app(settings_for(**changes))
        with TestClient(app) as client:
            services: Services = app.state.services
            keys = ApiKeys.of(services.ledger.store)
            tokens = {scope: keys.create(f"test {scope}", [scope])[1] for scope in SCOPES}
            tokens["all"] = keys.create("test all", SCOPES)[1]
            revoked, tokens["revoked"] = keys.create("test revoked", SCOPES)
            keys.revoke(revoked.id)
            yield Api(client, services, tokens, app)

    return _api


@pytest.fixture
def api(make_api: Callable[..., AbstractContextManager[Api]]) -> Iterator[Api]:
    with make_api() as running:
        yield running
