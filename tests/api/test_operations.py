"""Operating the API: the anchoring backlog bound, probes, metrics, JSON logs, settings and production keys."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from sqlalchemy import text

from api.app import create_app
from api.backlog import BacklogMonitor
from api.settings import Settings
from ledger.anchoring.development import DevelopmentKeyRefused, development_accounts
from ledger.errors import LogStateError
from ledger.keys import DEVELOPMENT_MARKER
from ledger.service import Ledger
from tests.api.conftest import Api, assert_problem, register
from tests.api.test_transitions import anchor
from verifier.note import NoteSigner


def test_submissions_wait_while_the_anchoring_backlog_is_over_its_bound(
    make_api: Callable[..., AbstractContextManager[Api]],
) -> None:
    with make_api(max_pending_entries=3, backlog_retry_after=17) as api:
        assert api.tree_size() == 1  # the published policy
        for i in range(3):
            assert api.post("/v1/transitions", register(f"t-{i}", f"T-{i:04d}")).status_code == 201
        refused = api.post("/v1/transitions", register("t-9", "T-0009"))
        body = assert_problem(refused, 503, "anchoring_backlog")
        assert refused.headers["Retry-After"] == "17" and (body["pending"], body["bound"]) == (4, 3)
        assert_problem(
            api.post("/v1/transitions:batch", {"transitions": [register("t-9", "T-0009")]}), 503, "anchoring_backlog"
        )
        assert api.tree_size() == 4
        metrics = api.client.get("/metrics").text
        assert "hotline_pending_entries 4.0" in metrics and "hotline_last_anchored_size 0.0" in metrics
        assert "hotline_anchor_lag_seconds NaN" in metrics

        checkpoint = api.services.ledger.publish_checkpoint()
        anchor(api, checkpoint.tree_size)
        assert api.post("/v1/transitions", register("t-9", "T-0009")).status_code == 201
        metrics = api.client.get("/metrics").text
        assert "hotline_pending_entries 1.0" in metrics and "hotline_last_anchored_size 4.0" in metrics
        assert "hotline_entries 5.0" in metrics


def test_a_fresh_backlog_reading_is_shared_without_the_database(ledger: Ledger) -> None:
    # Submissions take the shared reading on the event loop while it is fresh, a thread only when it is stale.
    monitor = BacklogMonitor(ledger, refresh=3600)
    assert monitor.fresh() is None  # never read yet
    reading = monitor.current()
    assert monitor.fresh() is reading and reading.pending == 1  # the published policy awaits anchoring
    always_stale = BacklogMonitor(ledger, refresh=0)
    always_stale.current()
    assert always_stale.fresh() is None


class ChainStub(BaseHTTPRequestHandler):
    """A JSON-RPC endpoint that answers ``eth_chainId`` with the server's ``chain_id``."""

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        answer = {"jsonrpc": "2.0", "id": request["id"], "result": hex(self.server.chain_id)}  # type: ignore[attr-defined]
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def chain() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), ChainStub)
    server.chain_id = 31337  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_probes(make_api: Callable[..., AbstractContextManager[Api]], chain: str) -> None:
    with make_api() as api:
        assert api.client.get("/healthz").json() == {"status": "ok"}
        assert api.client.get("/readyz").json() == {"status": "ready"}
    with make_api(rpc_urls=[chain], chain_id=31337) as api:
        assert api.client.get("/readyz").status_code == 200
    with make_api(rpc_urls=[chain], chain_id=1) as api:
        body = assert_problem(api.client.get("/readyz"), 503, "not_ready")
        assert "chain 31337, not the expected 1" in body["detail"]
    with make_api(rpc_urls=[chain, "http://127.0.0.1:9"], chain_id=31337) as api:
        response = api.client.get("/readyz")
        body = assert_problem(response, 503, "not_ready")
        assert "127.0.0.1:9" in body["detail"] and response.headers["Retry-After"]
    with make_api() as api:
        # The database stops answering for the log: not ready until it does again.
        engine = api.services.ledger.store.engine
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE log_head RENAME TO log_head_away"))
        body = assert_problem(api.client.get("/readyz"), 503, "not_ready")
        assert body["checks"] and body["checks"][0].startswith("database")
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE log_head_away RENAME TO log_head"))
        assert api.client.get("/readyz").status_code == 200


def test_metrics_and_json_logs(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    api.post("/v1/transitions", register())
    api.get("/v1/tickets/250912101108115409")
    metrics = api.client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'hotline_http_request_duration_seconds_count{method="POST",route="/v1/transitions",status="201"} 1.0' in text
    assert 'route="/v1/tickets/{ticket}"' in text and "250912101108115409" not in text
    assert "hotline_entries 2.0" in text and "hotline_committed_transitions_total 1.0" in text
    logged = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    access = [line for line in logged if line["logger"] == "hotline.api.access"]
    assert {"ts", "level", "msg", "method", "route", "status", "ms"} <= set(access[0])
    assert any(line["route"] == "/v1/transitions" and line["status"] == 201 for line in access)


def test_method_not_allowed_names_every_method_of_the_path(api: Api) -> None:
    # Starlette named only the first route's method: `Allow: GET` where POST is served too (found by Schemathesis).
    refused = api.client.put("/v1/public/tickets/T-0001")
    assert_problem(refused, 405, "method_not_allowed")
    assert refused.headers["Allow"] == "GET, POST"
    assert api.client.delete("/v1/transitions").headers["Allow"] == "POST"
    assert api.client.post("/v1/checkpoint").headers["Allow"] == "GET"


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HOTLINE_RPC_URLS", "http://a:8545, http://b:8545")
    monkeypatch.setenv("HOTLINE_CHAIN_ID", "1337")
    monkeypatch.setenv("HOTLINE_ANCHOR_KEY_PASSWORD", "s3cret")
    monkeypatch.setenv("HOTLINE_MAX_PENDING_ENTRIES", "500")
    settings = Settings()
    assert settings.data_dir == tmp_path and settings.rpc_urls == ["http://a:8545", "http://b:8545"]
    assert (settings.chain_id, settings.max_pending_entries, settings.environment) == (1337, 500, "production")
    assert "s3cret" not in repr(settings)
    monkeypatch.setenv("HOTLINE_ENVIRONMENT", "staging")
    with pytest.raises(ValueError, match="environment"):
        Settings()


def _keystore(tmp_path: Path, private_key: bytes) -> Path:
    path = tmp_path / "anchor.json"
    path.write_text(json.dumps(Account.encrypt(private_key, "pw", kdf="pbkdf2", iterations=2)))
    return path


def test_production_refuses_development_keys(tmp_path: Path, db_url: str) -> None:
    data = tmp_path / "var"
    (data / "keys").mkdir(parents=True)
    development_key = NoteSigner.generate(f"{DEVELOPMENT_MARKER}.hotline.example")
    (data / "keys" / "operator.key").write_text(development_key.skey + "\n")
    settings = Settings(data_dir=data, database_url=db_url)
    with pytest.raises(LogStateError, match="development key"):
        create_app(settings)
    create_app(settings.model_copy(update={"environment": "development"}))

    separate = tmp_path / "operator.key"
    separate.write_text(NoteSigner.generate("12345.hangzhou.gov.cn/ledger/v1").skey + "\n")
    devnet = _keystore(tmp_path, development_accounts()[0].key)
    production = Settings(data_dir=data, database_url=db_url, operator_key_file=separate, anchor_key_file=devnet)
    with pytest.raises(DevelopmentKeyRefused, match="development account"):
        create_app(production)
    own = _keystore(tmp_path, Account.create().key)
    app = create_app(production.model_copy(update={"anchor_key_file": own}))
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        assert client.get("/v1/trust").json()["verifier_key"].startswith("12345.hangzhou.gov.cn/ledger/v1+")
    (tmp_path / "broken.json").write_text("{}")
    with pytest.raises(LogStateError, match="keystore"):
        create_app(production.model_copy(update={"anchor_key_file": tmp_path / "broken.json"}))
