"""Who may call what: API keys with scopes (``Authorization: Bearer hlk_…``), and rate limits for the public.

| scope | endpoints |
|---|---|
| ``submit`` | ``POST /v1/transitions``, ``POST /v1/transitions:batch`` |
| ``read`` | ``GET /v1/tickets/{ticket}``, ``GET /v1/transitions/{transition_id}`` |
| ``audit`` | ``GET /v1/entries``, ``/v1/proofs/inclusion``, ``/v1/proofs/consistency``, ``/v1/checkpoints/{size}`` |
| ``admin`` | ``POST /v1/payloads/{commitment}/erase`` |
| public, limited | ``GET /v1/checkpoint``, ``/v1/trust``, ``/v1/policies``, ``/v1/policies/{id}``, ``/v1/anchors`` |
| public with the 查询码 | ``GET``/``POST /v1/public/tickets/{ticket}`` (a stricter rate limit against guessing) |
| public | ``/healthz``, ``/readyz``, ``/metrics`` (for the operator's probes and scraper) |

Scopes do not imply one another: a core system that submits and polls its receipts gets ``submit,read``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiProblem
from api.ratelimit import RateLimiter
from api.services import ServicesDep
from ledger.records import StoredApiKey

_bearer = HTTPBearer(auto_error=False, description="An API key from `hotline-ledger keys create`.")


def require(scope: str) -> Callable[..., Awaitable[StoredApiKey]]:
    """A dependency that admits a request only with an active API key holding ``scope``.

    Keys are checked through ``ApiKeys`` with its in-process cache (``HOTLINE_API_KEY_CACHE_SECONDS``).
    """

    async def check_key(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        found: ServicesDep,
    ) -> StoredApiKey:
        challenge = {"WWW-Authenticate": f'Bearer scope="{scope}"'}
        if credentials is None:
            raise ApiProblem(
                401, "unauthenticated", "this endpoint needs an API key (Authorization: Bearer …)", headers=challenge
            )
        # A key verified moments ago is checked on the event loop; otherwise its row is read in a thread.
        token = credentials.credentials
        key = found.api_keys.recently_verified(token) or await run_in_threadpool(found.api_keys.authenticate, token)
        if key is None:
            raise ApiProblem(401, "invalid_api_key", "the API key is unknown or revoked", headers=challenge)
        if scope not in key.scopes:
            raise ApiProblem(
                403, "insufficient_scope", f"the API key {key.id} lacks the scope {scope!r}", required_scope=scope
            )
        return key

    return check_key


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _limit(limiter: RateLimiter, request: Request) -> None:
    wait = limiter.take(_client(request))
    if wait:
        raise ApiProblem(
            429,
            "rate_limited",
            "too many requests from this address; retry later",
            headers={"Retry-After": RateLimiter.retry_after(wait)},
        )


def public_rate_limit(request: Request, found: ServicesDep) -> None:
    """A dependency: the public endpoints' per-address limit."""
    _limit(found.public_limiter, request)


def query_code_rate_limit(request: Request, found: ServicesDep) -> None:
    """A dependency: the stricter per-address limit of query code lookups (guessing codes)."""
    _limit(found.query_code_limiter, request)
