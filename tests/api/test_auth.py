"""Every endpoint against every credential: each scope, no key, a revoked key, a malformed one."""

from __future__ import annotations

from typing import Any

from ledger.api_keys import SCOPES
from tests.api.conftest import TICKET, Api, register

#: (method, path template, concrete path, body, required scope or None for public).
ENDPOINTS: list[tuple[str, str, str, Any, str | None]] = [
    ("POST", "/v1/transitions", "/v1/transitions", register(), "submit"),
    ("POST", "/v1/transitions:batch", "/v1/transitions:batch", {"transitions": [register()]}, "submit"),
    ("GET", "/v1/transitions/{transition_id}", "/v1/transitions/t-1", None, "read"),
    ("GET", "/v1/tickets/{ticket}", f"/v1/tickets/{TICKET}", None, "read"),
    ("GET", "/v1/tickets/{ticket}/bundle", f"/v1/tickets/{TICKET}/bundle", None, "read"),
    ("GET", "/v1/entries", "/v1/entries?start=0", None, "audit"),
    ("GET", "/v1/proofs/inclusion", "/v1/proofs/inclusion?index=0&size=1", None, "audit"),
    ("GET", "/v1/proofs/consistency", "/v1/proofs/consistency?from=1&to=1", None, "audit"),
    ("GET", "/v1/checkpoints/{size}", "/v1/checkpoints/1", None, "audit"),
    ("POST", "/v1/payloads/{commitment}/erase", "/v1/payloads/{commitment}/erase", None, "admin"),
    ("POST", "/v1/exports", "/v1/exports", {"tickets": [TICKET]}, "export"),
    ("GET", "/v1/exports/{export_id}", "/v1/exports/export-20260101000000-00000000", None, "export"),
    ("GET", "/v1/checkpoint", "/v1/checkpoint", None, None),
    ("GET", "/v1/anchors", "/v1/anchors", None, None),
    ("GET", "/v1/policies", "/v1/policies", None, None),
    ("GET", "/v1/policies/{policy_id}", "/v1/policies/{policy}", None, None),
    ("GET", "/v1/trust", "/v1/trust", None, None),
    ("GET", "/v1/public/tickets/{ticket}", f"/v1/public/tickets/{TICKET}", None, None),
    ("POST", "/v1/public/tickets/{ticket}", f"/v1/public/tickets/{TICKET}", {"query_code": "XXXXXXXX"}, None),
    (
        "POST",
        "/v1/public/tickets/{ticket}/bundle",
        f"/v1/public/tickets/{TICKET}/bundle",
        {"query_code": "XXXXXXXX"},
        None,
    ),
    ("GET", "/healthz", "/healthz", None, None),
    ("GET", "/readyz", "/readyz", None, None),
    ("GET", "/metrics", "/metrics", None, None),
]


def _app_routes(api: Api) -> set[tuple[str, str]]:
    """Every operation the app declares, from its OpenAPI document."""
    paths = api.app.openapi()["paths"]
    return {(method.upper(), path) for path, operations in paths.items() for method in operations}


def test_every_endpoint_is_in_the_matrix(api: Api) -> None:
    assert _app_routes(api) == {(method, template) for method, template, *_ in ENDPOINTS}


def test_the_openapi_document_declares_each_refusal_as_a_problem(api: Api) -> None:
    # Only 200 and FastAPI's own JSON 422 were declared (found by Schemathesis): clients could not know the
    # 401, 403, 404, 409 and 429 they get, nor that every refusal is problem+json.
    document = api.app.openapi()
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code"}
    for method, template, _, _, scope in ENDPOINTS:
        responses = document["paths"][template][method.lower()]["responses"]
        refusals = {int(status) for status in responses if int(status) >= 400}
        for status in refusals:
            assert list(responses[str(status)]["content"]) == ["application/problem+json"], (method, template, status)
        if scope is not None:
            assert {401, 403} <= refusals, (method, template)
            assert responses["401"]["headers"]["WWW-Authenticate"]["required"], (method, template)
        elif template.startswith("/v1/"):
            assert 429 in refusals and 401 not in refusals, (method, template)


def test_auth_matrix(api: Api) -> None:
    commitment = api.post("/v1/transitions", register(), "all").json()["payload"]
    api.services.ledger.publish_checkpoint()
    policy = next(iter(api.services.ledger.policies))
    erase = {"actor": {"org": "330100-12345", "role": "system"}, "reason": "citizen_request"}
    credentials: dict[str, dict[str, str]] = {scope: api.auth(scope) for scope in (*SCOPES, "all", "revoked")}
    credentials["none"] = {}
    credentials["malformed"] = {"Authorization": "Bearer not-a-key"}
    credentials["basic"] = {"Authorization": "Basic dXNlcjpwYXNz"}
    failures = []
    for method, _, path, body, scope in ENDPOINTS:
        path = path.format(commitment=commitment, policy=policy)
        if "erase" in path:
            body = erase
        for holder, headers in credentials.items():
            response = api.client.request(method, path, json=body, headers=headers)
            allowed = scope is None or holder == scope or holder == "all"
            if allowed:
                expected = "not 401/403"
                ok = response.status_code not in (401, 403) and response.status_code < 500
            elif holder in ("none", "basic"):
                expected = "401 unauthenticated"
                ok = response.status_code == 401 and response.json()["code"] == "unauthenticated"
                ok = ok and response.headers["WWW-Authenticate"].startswith("Bearer")
            elif holder in ("revoked", "malformed"):
                expected = "401 invalid_api_key"
                ok = response.status_code == 401 and response.json()["code"] == "invalid_api_key"
            else:
                expected = "403 insufficient_scope"
                ok = response.status_code == 403 and response.json()["code"] == "insufficient_scope"
            if not ok:
                failures.append(f"{method} {path} with {holder}: expected {expected}, got {response.status_code}")
    assert not failures, "\n".join(failures)
    # The admin key did erase the payload, once.
    assert api.get(f"/v1/tickets/{TICKET}").json()["entries"][-1]["entry"]["event"] == "erase"
