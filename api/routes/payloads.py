"""Erasing a payload (PIPL Art. 47; scope ``admin``): content and salt go, an ``erase`` event is recorded."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from api.auth import require
from api.errors import problem_responses
from api.schemas import EraseIn, ReceiptOut, receipt_out
from api.services import ServicesDep
from verifier.entry import Actor

router = APIRouter(prefix="/v1", tags=["payloads"])


@router.post(
    "/payloads/{commitment}/erase",
    status_code=201,
    response_model=ReceiptOut,
    responses=problem_responses(
        400,
        401,
        403,
        404,
        409,
        413,
        422,
        503,
        meanings={
            404: "No payload behind this commitment: never stored, or erased already (`payload_not_found`).",
            409: "The ticket's policy does not let this actor erase (`illegal_transition`).",
        },
    ),
    dependencies=[Depends(require("admin"))],
)
async def erase_payload(commitment: str, body: EraseIn, found: ServicesDep) -> ReceiptOut:
    """Erase the payload behind ``commitment`` and record the erase event on its ticket; the event's receipt."""
    actor = Actor(body.actor.org, body.actor.role, body.actor.key)
    receipt = await run_in_threadpool(
        found.ledger.erase_payload, commitment, actor=actor, reason=body.reason, at=body.at
    )
    return receipt_out(receipt)
