"""The one gate for a citizen's query code, used by the public API endpoints and the citizen page.

One answer for an unknown ticket, a ticket without a code, a malformed ticket number and a wrong code
(``ticket_not_found``): nothing tells them apart, and the comparison takes the same time
(``QueryCodeKey.matches``). Wrong codes count towards a lockout per ticket and per client (``api.lockout``);
while either is locked, every attempt is refused with ``locked_out``, the right code included.
"""

from __future__ import annotations

from fastapi import Request

from api.errors import ApiProblem
from api.ratelimit import RateLimiter
from api.services import Services
from verifier.entry import TICKET_RE

NOT_FOUND = "no ticket with this number and query code"


def client_of(request: Request) -> str:
    """The caller's address, as the rate limits see it."""
    return request.client.host if request.client else "unknown"


def open_ticket(found: Services, request: Request, ticket: str, code: str | None) -> None:
    """Admit a lookup of ``ticket`` with ``code``, or refuse it.

    Raises:
        ApiProblem: 429 ``locked_out`` while the ticket or the client is locked out; 404 ``ticket_not_found``
            when the pair does not open a ticket (counted as a failure).
    """
    # A malformed number names no ticket (its format is public): only the client's counter holds it, and
    # the counters' keys stay short.
    well_formed = TICKET_RE.fullmatch(ticket) is not None
    keys = (f"client:{client_of(request)}", *([f"ticket:{ticket}"] if well_formed else []))
    wait = found.query_code_lockout.wait(*keys)
    if wait:
        raise ApiProblem(
            429,
            "locked_out",
            "too many wrong query codes for this ticket or from this address; retry later",
            headers={"Retry-After": RateLimiter.retry_after(wait)},
        )
    stored = found.ledger.query_code_hash(ticket) if well_formed else None
    if not (found.query_codes.matches(ticket, code or "", stored) and code):
        found.query_code_lockout.fail(*keys)
        raise ApiProblem(404, "ticket_not_found", NOT_FOUND)
