"""The app factory: ``create_app(settings)`` builds everything; nothing is built at import time.

Run it with ``uvicorn --factory api.app:create_app_from_env`` (settings from ``HOTLINE_*`` variables).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from api.errors import PROBLEM_COMPONENT, install_error_handlers
from api.gc_tuning import tune_collection
from api.logs import configure_logging
from api.metrics import Metrics
from api.middleware import BodyLimit, RequestMetrics
from api.page.routes import install_page
from api.production import refuse_development_keys
from api.routes import exports, log, meta, payloads, tickets, transitions
from api.schemas import Problem
from api.services import Services
from api.settings import Settings
from ledger.parent_watch import watch_parent

DESCRIPTION = """Tamper-evident audit ledger of the 12345 hotline: submit ticket transitions, read them back
with Merkle proofs, follow their anchoring. Errors are RFC 9457 problem+json with a stable `code`."""


#: The recursion limit the server runs with: Python's default. py_ecc (imported through web3 and eth-utils)
#: raises it to 100,000 for its own sake; the JSON decoder recurses in C, and at that limit a request body of
#: 200,000 nested brackets (400 KB) overflowed the C stack and killed the server instead of raising
#: RecursionError (which FastAPI answers with 400). tests/api/test_deep_json.py sends such a body.
RECURSION_LIMIT = 1000


def bound_recursion() -> None:
    """Put the recursion limit back to ``RECURSION_LIMIT`` once py_ecc has raised it (it does so at import)."""
    import web3  # noqa: F401  (imports py_ecc, which raises the limit once, at its first import)

    sys.setrecursionlimit(RECURSION_LIMIT)


class HotlineApi(FastAPI):
    """The app; its OpenAPI document also describes the problem+json body that every refusal has."""

    def openapi(self) -> dict[str, Any]:
        document = super().openapi()  # cached by FastAPI until the routes change
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas.setdefault(PROBLEM_COMPONENT, Problem.model_json_schema())
        return document


def create_app(settings: Settings) -> FastAPI:
    """Build the API for ``settings``; the ledger opens (and the writer thread starts) with the app's lifespan.

    Raises:
        LogStateError, DevelopmentKeyRefused: development keys outside development mode.
    """
    bound_recursion()
    configure_logging(settings.log_level)
    refuse_development_keys(settings)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        found = await run_in_threadpool(Services.open, settings, metrics)
        app.state.services = found
        if settings.parent_pid is not None:
            watch_parent(settings.parent_pid, _parent_gone)
        try:
            yield
        finally:
            await run_in_threadpool(found.close)

    app = HotlineApi(title="hotline-ledger", version="1", description=DESCRIPTION, lifespan=lifespan)
    app.state.metrics = metrics
    install_error_handlers(app)
    for module in (transitions, tickets, log, payloads, exports, meta):
        app.include_router(module.router)
    install_page(app)  # the citizen's query page at / (issue 6)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(RequestMetrics, metrics=metrics)
    return app


def _parent_gone() -> None:
    # Stop as SIGTERM stops the server (uvicorn's handler): the requests in flight are answered first.
    logging.getLogger("hotline.api").warning("the launching process is gone; stopping")
    os.kill(os.getpid(), signal.SIGTERM)


def create_app_from_env() -> FastAPI:
    """``create_app`` with settings from the environment (for ``uvicorn --factory``), in a server process:
    its garbage collection is tuned (``tune_collection``)."""
    app = create_app(Settings())
    tune_collection()
    return app
