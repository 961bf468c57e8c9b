"""Probes and metrics for the operator: ``/healthz``, ``/readyz``, ``/metrics``."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from api.errors import problem, problem_responses
from api.services import Services, ServicesDep

router = APIRouter(tags=["operations"])
log = logging.getLogger("hotline.api.readiness")


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up (no dependency is checked)."""
    return {"status": "ok"}


async def _chain_id(client: httpx.AsyncClient, url: str) -> int:
    """The chain id an RPC endpoint answers (raises on any failure)."""
    response = await client.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
    response.raise_for_status()
    result: Any = response.json()["result"]
    return int(result, 16)


async def _chain_problems(found: Services) -> list[str]:
    settings = found.settings
    problems = []
    async with httpx.AsyncClient(timeout=settings.rpc_timeout_seconds) as client:
        for url in settings.rpc_urls:
            try:
                chain_id = await _chain_id(client, url)
            except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
                problems.append(f"chain RPC {url} did not answer eth_chainId: {type(exc).__name__}")
                continue
            if settings.chain_id is not None and chain_id != settings.chain_id:
                problems.append(f"chain RPC {url} is on chain {chain_id}, not the expected {settings.chain_id}")
    return problems


@router.get(
    "/readyz",
    responses=problem_responses(
        503, meanings={503: "Not ready (`not_ready`): the database or a chain RPC does not answer as expected."}
    ),
)
async def readyz(found: ServicesDep) -> Response:
    """Ready when the database answers and every configured chain RPC answers with the expected chain id."""
    problems = []
    try:
        await run_in_threadpool(found.ledger.head)
    except Exception as exc:  # any failure to read means not ready
        problems.append(f"database: {type(exc).__name__}")
    problems += await _chain_problems(found)
    if problems:
        log.warning("not ready: %s", "; ".join(problems))
        return problem(503, "not_ready", "; ".join(problems), {"Retry-After": "5"}, checks=problems)
    return JSONResponse({"status": "ready"})


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(request: Request) -> Response:
    """Prometheus metrics (text exposition format)."""
    registry = request.app.state.metrics.registry
    return Response(await run_in_threadpool(generate_latest, registry), media_type=CONTENT_TYPE_LATEST)
