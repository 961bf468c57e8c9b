"""A ticket's history with proofs: for core systems (scope ``read``) and for citizens (with the 查询码)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Header, Path, Request
from fastapi.responses import Response

from api.auth import query_code_rate_limit, require
from api.errors import ApiProblem, problem_responses
from api.query_access import open_ticket
from api.schemas import TICKET_EXAMPLE, EntryOut, HistoryOut, QueryCodeIn
from api.services import Services, ServicesDep
from ledger.bundles import ticket_bundle
from verifier.entry import TICKET_RE

router = APIRouter(prefix="/v1", tags=["tickets"])
TicketPath = Annotated[str, Path(description="The ticket number.", examples=[TICKET_EXAMPLE])]
BUNDLE_MEDIA_TYPE = "application/json"
_NO_SUCH_TICKET = {404: "No ticket with this number and query code (`ticket_not_found`): the same for a wrong code."}


def ticket_history(found: Services, ticket: str) -> HistoryOut | None:
    """The ticket's entries, decoded, each with its inclusion proof against the latest checkpoint."""
    stored = found.ledger.ticket_entries(ticket) if TICKET_RE.fullmatch(ticket) else []
    if not stored:
        return None
    checkpoint = found.ledger.latest_checkpoint()
    size = checkpoint.tree_size if checkpoint else 0
    entries = [
        EntryOut.of(
            item, decoded=True, proof=found.ledger.inclusion_proof(item.index, size) if item.index < size else None
        )
        for item in stored
    ]
    return HistoryOut(
        ticket=ticket,
        tree_size=checkpoint.tree_size if checkpoint else None,
        checkpoint=checkpoint.note if checkpoint else None,
        entries=entries,
    )


@router.get(
    "/tickets/{ticket}",
    response_model=HistoryOut,
    responses=problem_responses(401, 403, 404, 422, 503, meanings={404: "No such ticket (`ticket_not_found`)."}),
    dependencies=[Depends(require("read"))],
)
def get_ticket(ticket: TicketPath, found: ServicesDep) -> HistoryOut:
    """Every entry of a ticket: index, bytes, decoded fields, and inclusion proof against the latest checkpoint."""
    history = ticket_history(found, ticket)
    if history is None:
        raise ApiProblem(404, "ticket_not_found", f"no ticket {ticket!r} in this log")
    return history


@router.get(
    "/tickets/{ticket}/bundle",
    response_class=Response,
    responses={
        200: {"content": {BUNDLE_MEDIA_TYPE: {}}, "description": "The ticket's proof bundle (hotline.bundle/v1)."},
        **problem_responses(
            401,
            403,
            404,
            409,
            422,
            503,
            meanings={
                404: "No such ticket (`ticket_not_found`).",
                409: "None of the ticket's entries is anchored yet (`not_anchored_yet`); retry after the next anchor.",
            },
        ),
    },
    dependencies=[Depends(require("read"))],
)
def get_ticket_bundle(ticket: TicketPath, found: ServicesDep) -> Response:
    """The ticket's anchored history as a proof bundle, for ``hotline-verify bundle``.

    Entries appended after the latest anchor are left out; ``X-Pending-Entries`` says how many.
    """
    if not TICKET_RE.fullmatch(ticket):
        raise ApiProblem(404, "ticket_not_found", f"no ticket {ticket!r} in this log")
    return _bundle_response(found, ticket)


def _bundle_response(found: Services, ticket: str) -> Response:
    result = ticket_bundle(found.ledger, ticket)
    return Response(
        result.bundle.encode(),
        media_type=BUNDLE_MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{ticket}.bundle.json"',
            "X-Pending-Entries": str(result.pending),
            "Cache-Control": "no-store",
        },
    )


def _public_history(found: Services, request: Request, ticket: str, code: str | None) -> HistoryOut:
    open_ticket(found, request, ticket, code)  # the same 404 for every wrong pair; 429 while locked out
    history = ticket_history(found, ticket)
    if history is None:  # pragma: no cover - a ticket with a query code has entries
        raise ApiProblem(404, "ticket_not_found", "no ticket with this number and query code")
    return history


@router.get(
    "/public/tickets/{ticket}",
    response_model=HistoryOut,
    responses=problem_responses(404, 422, 429, 503, meanings=_NO_SUCH_TICKET),
    dependencies=[Depends(query_code_rate_limit)],
    tags=["public"],
)
def get_public_ticket(
    ticket: TicketPath,
    request: Request,
    found: ServicesDep,
    x_query_code: Annotated[str | None, Header(max_length=64, description="The citizen's 查询码.")] = None,
) -> HistoryOut:
    """A citizen's view of a ticket, with the query code in the ``X-Query-Code`` header (never in the URL)."""
    return _public_history(found, request, ticket, x_query_code)


@router.post(
    "/public/tickets/{ticket}",
    response_model=HistoryOut,
    responses=problem_responses(400, 404, 413, 422, 429, 503, meanings=_NO_SUCH_TICKET),
    dependencies=[Depends(query_code_rate_limit)],
    tags=["public"],
)
def post_public_ticket(
    ticket: TicketPath, body: Annotated[QueryCodeIn, Body()], request: Request, found: ServicesDep
) -> HistoryOut:
    """The same as the GET, with the query code in the body ``{"query_code": …}``."""
    return _public_history(found, request, ticket, body.query_code)


@router.post(
    "/public/tickets/{ticket}/bundle",
    response_class=Response,
    responses={
        200: {"content": {BUNDLE_MEDIA_TYPE: {}}, "description": "The ticket's proof bundle (hotline.bundle/v1)."},
        **problem_responses(
            400,
            404,
            409,
            413,
            422,
            429,
            503,
            meanings={
                **_NO_SUCH_TICKET,
                409: "None of the ticket's entries is anchored yet (`not_anchored_yet`); retry after the next anchor.",
                429: "Too many lookups (`rate_limited`), or too many wrong codes for the ticket or address "
                "(`locked_out`).",
            },
        ),
    },
    dependencies=[Depends(query_code_rate_limit)],
    tags=["public"],
)
def post_public_ticket_bundle(
    ticket: TicketPath, body: Annotated[QueryCodeIn, Body()], request: Request, found: ServicesDep
) -> Response:
    """The ticket's anchored history as a proof bundle, opened with the query code ``{"query_code": …}``.

    The citizen page verifies it in the browser; ``hotline-verify bundle`` verifies the same file.
    Entries appended after the latest anchor are left out; ``X-Pending-Entries`` says how many.
    """
    open_ticket(found, request, ticket, body.query_code)
    return _bundle_response(found, ticket)
