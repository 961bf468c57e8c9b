"""The citizen's query page (issue 6): ``/`` and ``/t/{ticket}``, a plain form POST that renders the ticket's
timeline on the server, and the static scripts that verify it in the browser.

The query code travels only in POST bodies, never in a URL. Lookups share the query-code rate limit and
the lockout of the public API (``api.query_access``), and every wrong pair gets the same answer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from api.errors import ApiProblem
from api.page.qr import qr_svg
from api.page.timeline import Timeline, build_timeline
from api.page.trust import PageTrust, page_trust
from api.query_access import client_of, open_ticket
from api.ratelimit import RateLimiter
from api.services import Services, ServicesDep
from verifier.entry import TICKET_RE

HERE = Path(__file__).parent
router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=HERE / "templates")
#: Longest form body the page reads (a ticket number, a code and a language fit many times over).
MAX_FORM_BYTES = 2048
MAX_CODE_CHARS = 64


def install_page(app: FastAPI) -> None:
    """Serve the page and its static files on ``app``."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")


def _lang(value: str | None) -> str:
    return "en" if value == "en" else "zh"


def _headers(trust: PageTrust) -> dict[str, str]:
    rpc = urlsplit(trust.rpc_url) if trust.rpc_url else None
    chain = f" {rpc.scheme}://{rpc.netloc}" if rpc and rpc.scheme in ("http", "https") else ""
    return {
        "Content-Security-Policy": (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self'{chain}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        ),
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }


def _render(
    request: Request,
    found: Services,
    *,
    lang: str,
    ticket: str = "",
    status: int = 200,
    error: dict[str, Any] | None = None,
    timeline: Timeline | None = None,
    anchored_size: int = 0,
) -> HTMLResponse:
    trust = page_trust(found)
    page_url = str(request.base_url).rstrip("/") + f"/t/{ticket}" if timeline else ""
    context = {
        "lang": lang,
        "ticket": ticket,
        "error": error,
        "timeline": timeline,
        "anchored_size": anchored_size,
        "trust": trust,
        "page_url": page_url,
        "qr": qr_svg(page_url, "QR") if timeline else "",
    }
    response = templates.TemplateResponse(request, "page.html", context, status_code=status)
    response.headers.update(_headers(trust))
    return response


@router.get("/", response_class=HTMLResponse)
def index(request: Request, found: ServicesDep, lang: str | None = None) -> HTMLResponse:
    return _render(request, found, lang=_lang(lang))


@router.get("/t/{ticket}", response_class=HTMLResponse)
def ticket_page(ticket: str, request: Request, found: ServicesDep, lang: str | None = None) -> HTMLResponse:
    """The form with the ticket number filled in (what the QR code opens); the code is typed by its holder."""
    return _render(request, found, lang=_lang(lang), ticket=ticket if TICKET_RE.fullmatch(ticket) else "")


@router.get("/trust.json")
def trust_file(found: ServicesDep) -> Response:
    """The page's trust configuration as a ``hotline.trust/v1`` file, for ``hotline-verify bundle``."""
    data = page_trust(found).trust_file()
    if data is None:
        raise ApiProblem(404, "no_chain", "this server has no anchor chain configured")
    return Response(
        data, media_type="application/json", headers={"Content-Disposition": 'attachment; filename="trust.json"'}
    )


def _form(body: bytes) -> dict[str, str]:
    fields = parse_qs(body.decode("utf-8", errors="replace"), max_num_fields=8, keep_blank_values=True)
    return {name: values[0] for name, values in fields.items() if values}


@router.post("/", response_class=HTMLResponse)
async def lookup(request: Request, found: ServicesDep) -> HTMLResponse:
    """The form's POST: the ticket's timeline for a correct pair, a friendly refusal otherwise."""
    body = await request.body()
    form = _form(body[:MAX_FORM_BYTES]) if len(body) <= MAX_FORM_BYTES else {}
    lang = _lang(form.get("lang"))
    ticket, code = form.get("ticket", "").strip(), form.get("code", "").strip()
    refuse: dict[str, Any] = {"lang": lang, "ticket": ticket if TICKET_RE.fullmatch(ticket) else ""}
    if not ticket or not code:
        return _render(request, found, status=400, error={"code": "missing"}, **refuse)
    if not TICKET_RE.fullmatch(ticket) or len(code) > MAX_CODE_CHARS:
        return _render(request, found, status=400, error={"code": "format"}, **refuse)
    wait = found.query_code_limiter.take(client_of(request))
    if wait:
        error = {"code": "rate_limited", "seconds": wait}
        response = _render(request, found, status=429, error=error, **refuse)
        response.headers["Retry-After"] = RateLimiter.retry_after(wait)
        return response
    try:
        timeline, anchored = await run_in_threadpool(_open, found, request, ticket, code)
    except ApiProblem as problem:
        seconds = float(problem.headers.get("Retry-After", "0"))
        response = _render(
            request, found, status=problem.status, error={"code": problem.code, "seconds": seconds}, **refuse
        )
        response.headers.update(problem.headers)
        return response
    return _render(request, found, lang=lang, ticket=ticket, timeline=timeline, anchored_size=anchored)


def _open(found: Services, request: Request, ticket: str, code: str) -> tuple[Timeline, int]:
    open_ticket(found, request, ticket, code)
    stored = found.ledger.ticket_entries(ticket)
    anchor = found.ledger.latest_anchor()
    timeline = build_timeline(ticket, stored, found.ledger.policies, datetime.now(UTC))
    return timeline, anchor.tree_size if anchor else 0
