"""Every error as RFC 9457 ``application/problem+json`` with a stable ``code`` — the one table of statuses.

Ledger errors know nothing about HTTP (STYLE 3): ``LEDGER_STATUS`` maps their codes to statuses here, and
their ``details`` (ticket, state, event…) become extension members of the problem.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from ledger.errors import LedgerError
from ledger.proofs import ProofRequestError
from ledger.storage import DATABASE_UNAVAILABLE

PROBLEM_JSON = "application/problem+json"

#: Statuses of the ledger's refusals, by their stable code; any other LedgerError is a 422.
LEDGER_STATUS: dict[str, int] = {
    "invalid_request": 422,
    "unknown_policy": 422,
    "actor_key": 422,
    "illegal_transition": 409,
    "stale_expected_seq": 409,
    "transition_id_conflict": 409,
    "payload_not_found": 404,
    "ticket_not_found": 404,
    "not_anchored_yet": 409,
    "export_refused": 422,
    "log_state": 503,
    "publish_refused": 503,
}
#: Codes of HTTP-level errors raised by the framework itself (unknown route, wrong method…).
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 400: "bad_request", 413: "payload_too_large"}

log = logging.getLogger("hotline.api")

#: The OpenAPI component that describes every problem+json body (registered by ``api.app``).
PROBLEM_COMPONENT = "Problem"

#: What a refusal with each status means, for the OpenAPI document; a route may say more precisely.
_MEANINGS: dict[int, str] = {
    400: "The body cannot be read as JSON text (`bad_request`).",
    401: "No API key, or an unknown or revoked one.",
    403: "The API key lacks the scope this endpoint needs (`insufficient_scope`).",
    404: "Not found.",
    409: "The ledger refuses it now (`illegal_transition`, `stale_expected_seq`, `transition_id_conflict`).",
    413: "The request body is over the server's limit (`payload_too_large`).",
    422: "The request is malformed (`validation_error`) or its content is refused by the ledger.",
    429: "Too many requests from this address (`rate_limited`); retry after `Retry-After` seconds.",
    503: "The database cannot be reached (`database_unavailable`) or the log cannot serve this now; retry later.",
}
_HEADERS: dict[int, dict[str, dict[str, Any]]] = {
    401: {"WWW-Authenticate": {"description": "`Bearer`, with the scope needed.", "required": True}},
    429: {"Retry-After": {"description": "Seconds to wait.", "required": True}},
    503: {"Retry-After": {"description": "Seconds to wait (when waiting helps)."}},
}


def problem_responses(*statuses: int, meanings: Mapping[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for refusals with these statuses, each an ``application/problem+json`` body.

    ``meanings`` replaces the general description of a status with what it means on this route.
    """
    schema = {"$ref": f"#/components/schemas/{PROBLEM_COMPONENT}"}
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        response: dict[str, Any] = {
            "description": (meanings or {}).get(status, _MEANINGS[status]),
            "content": {PROBLEM_JSON: {"schema": schema}},
        }
        if status in _HEADERS:
            response["headers"] = {
                name: {**header, "schema": {"type": "string"}} for name, header in _HEADERS[status].items()
            }
        responses[status] = response
    return responses


class ApiProblem(Exception):
    """A refusal decided by the API itself (auth, limits, not found…)."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = dict(headers or {})
        self.extensions = extensions


def problem(
    status: int, code: str, detail: str, headers: Mapping[str, str] | None = None, **extensions: Any
) -> JSONResponse:
    """A problem+json response; ``extensions`` never override the standard members."""
    body = {k: v for k, v in extensions.items() if k not in ("type", "title", "status", "detail", "code")}
    body.update(
        {
            "type": f"urn:hotline-ledger:problem:{code}",
            "title": HTTPStatus(status).phrase,
            "status": status,
            "detail": detail,
            "code": code,
        }
    )
    return JSONResponse(body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_JSON)


def ledger_problem(exc: LedgerError) -> JSONResponse:
    return problem(LEDGER_STATUS.get(exc.code, 422), exc.code, exc.message, **_jsonable(exc.details))


def _jsonable(details: Mapping[str, Any]) -> dict[str, Any]:
    """Details as JSON values: bytes as hex, other non-JSON values as text."""
    out: dict[str, Any] = {}
    for key, value in details.items():
        if isinstance(value, bytes):
            out[key] = value.hex()
        elif value is None or isinstance(value, str | int | bool | list | dict):
            out[key] = value
        else:
            out[key] = str(value)
    return out


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Only where and what: the rejected input is left out, since it may be a citizen's personal data.
    return [
        {"loc": [str(part) for part in error.get("loc", ())], "msg": str(error.get("msg")), "type": error.get("type")}
        for error in exc.errors()
    ]


#: Methods a 405 may name in its ``Allow`` header.
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app serves at the request's path (each tried on a scope of its own)."""
    path = {"type": "http", "path": request.scope["path"], "root_path": request.scope.get("root_path", "")}
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(route.matches({**path, "method": method})[0] is Match.FULL for route in routes)
    ]


def install_error_handlers(app: FastAPI) -> None:
    """Turn every exception that leaves a route into problem+json."""

    async def on_problem(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiProblem)
        return problem(exc.status, exc.code, exc.detail, exc.headers, **exc.extensions)

    async def on_ledger_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, LedgerError)
        return ledger_problem(exc)

    async def on_proof_request(_: Request, exc: Exception) -> JSONResponse:
        return problem(400, "proof_request", str(exc))

    async def on_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return problem(422, "validation_error", "the request is malformed", errors=_validation_errors(exc))

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Starlette names only the methods of the first route on the path; RFC 9110 §15.5.6 wants them all.
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return problem(exc.status_code, code, str(exc.detail), headers)

    async def on_database_unavailable(request: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__)
        return problem(503, "database_unavailable", "the database cannot be reached", {"Retry-After": "5"})

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "internal_error", "the server failed to handle this request")

    app.add_exception_handler(ApiProblem, on_problem)
    app.add_exception_handler(LedgerError, on_ledger_error)
    app.add_exception_handler(ProofRequestError, on_proof_request)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    for database_error in DATABASE_UNAVAILABLE:
        app.add_exception_handler(database_error, on_database_unavailable)
    app.add_exception_handler(Exception, on_unexpected)
