"""Submitting transitions (scope ``submit``) and following a receipt's status (scope ``read``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Path
from starlette.concurrency import run_in_threadpool

from api.auth import require
from api.errors import ApiProblem, problem_responses
from api.responses import FastJSONResponse
from api.schemas import MAX_BATCH, TRANSITION_ID_EXAMPLE, BatchIn, BatchOut, ReceiptOut, TransitionIn, receipt_json
from api.services import Services, ServicesDep
from ledger.sequencer import Receipt, TransitionRequest
from verifier.entry import Transition, parse_entry

router = APIRouter(prefix="/v1", tags=["transitions"])
_Route = TypeVar("_Route", bound=Callable[..., Any])

TransitionIdPath = Annotated[str, Path(description="The client's transition id.", examples=[TRANSITION_ID_EXAMPLE])]
_NO_SUCH_TRANSITION = {404: "No transition with this id was recorded (`transition_not_found`)."}
_SUBMIT_REFUSALS = problem_responses(
    400,
    401,
    403,
    409,
    413,
    422,
    503,
    meanings={
        409: "Illegal transition, stale expected_seq, or transition_id reused with other content.",
        413: "Body over the server's limit (`payload_too_large`), or more than 1,000 transitions (`batch_too_large`).",
        422: "Malformed transition (`validation_error`, `invalid_request`), or an unknown policy (`unknown_policy`).",
        503: "Anchoring backlog over its bound (`anchoring_backlog`), or database unavailable; see Retry-After.",
    },
)


async def _check_backlog(found: Services) -> None:
    # Refuse new work while anchoring lags too far behind: entries must not pile up unanchored.
    bound = found.settings.max_pending_entries
    if bound:
        # A thread (and its database read) only when the shared reading is stale: at most once per refresh.
        backlog = found.backlog.fresh()
        if backlog is None:
            backlog = await run_in_threadpool(found.backlog.current)
        if backlog.pending > bound:
            raise ApiProblem(
                503,
                "anchoring_backlog",
                f"{backlog.pending} entries await anchoring, more than the bound of {bound}; retry later",
                headers={"Retry-After": str(found.settings.backlog_retry_after)},
                pending=backlog.pending,
                bound=bound,
            )


async def _record(found: Services, requests: list[TransitionRequest]) -> tuple[list[dict[str, Any]], int]:
    """Record a job through the group committer; the receipts' wire forms, and 201 if any entry is new (else 200)."""
    await _check_backlog(found)
    receipts = await asyncio.wrap_future(found.committer.submit(requests))
    status_code = 201 if any(not r.replayed for r in receipts) else 200
    if not any(r.replayed for r in receipts):
        # Fresh entries lie beyond every checkpoint published before they committed: pending.
        return [receipt_json(r) for r in receipts], status_code
    return await run_in_threadpool(_with_status, found, receipts), status_code


def _with_status(found: Services, receipts: list[Receipt]) -> list[dict[str, Any]]:
    checkpoint = found.ledger.latest_checkpoint()
    size = checkpoint.tree_size if checkpoint else None
    return [receipt_json(r, size, found.ledger.first_anchor_covering(r.index)) for r in receipts]


def _submission(path: str, model: type[ReceiptOut | BatchOut]) -> Callable[[_Route], _Route]:
    """A submission route: scope ``submit``, 201 for new entries, 200 for replays."""
    replayed = {"model": model, "description": "Replayed: each transition_id was recorded before, with this content."}
    return router.post(
        path,
        status_code=201,
        response_model=model,
        responses={200: replayed, **_SUBMIT_REFUSALS},
        dependencies=[Depends(require("submit"))],
    )


@_submission("/transitions", ReceiptOut)
async def submit_transition(body: TransitionIn, found: ServicesDep) -> FastJSONResponse:
    """Record one transition. 201 with its receipt; 200 with the same receipt when replayed."""
    (receipt,), status_code = await _record(found, [body.request()])
    return FastJSONResponse(receipt, status_code=status_code)


@_submission("/transitions:batch", BatchOut)
async def submit_batch(body: BatchIn, found: ServicesDep) -> FastJSONResponse:
    """Record up to 1,000 transitions, all or none. 201 when any is new; 200 when all were replays."""
    if len(body.transitions) > MAX_BATCH:
        raise ApiProblem(
            413, "batch_too_large", f"a batch holds at most {MAX_BATCH} transitions, got {len(body.transitions)}"
        )
    receipts, status_code = await _record(found, [t.request() for t in body.transitions])
    response = FastJSONResponse({"receipts": receipts}, status_code=status_code)
    if found.settings.close_after_batch:
        # Several API processes serve (run --workers): a keep-alive connection stays with the process that
        # accepted it, so a few clients' batches would pile on one. Closed, the next batch's connection is
        # accepted by whichever process is free; a reconnect costs little beside a batch.
        response.headers["Connection"] = "close"
    return response


@router.get(
    "/transitions/{transition_id:path}",
    response_model=ReceiptOut,
    responses=problem_responses(401, 403, 404, 422, 503, meanings=_NO_SUCH_TRANSITION),
    dependencies=[Depends(require("read"))],
)
def transition_status(transition_id: TransitionIdPath, found: ServicesDep) -> ReceiptOut:
    """A recorded transition's receipt and status: pending → integrated → anchored."""
    stored = found.ledger.transition(transition_id)
    if stored is None:
        raise ApiProblem(404, "transition_not_found", f"no transition {transition_id!r} in this log")
    entry = parse_entry(stored.data)
    assert isinstance(entry, Transition)
    receipt = Receipt(
        transition_id, stored.index, entry.leaf_hash.hex(), entry.ticket, entry.seq, entry.to_state, entry.payload
    )
    return ReceiptOut(**_with_status(found, [receipt])[0])
