"""The log for auditors (scope ``audit``: entries, proofs, any checkpoint) and the public (latest checkpoint,
anchors, policies, trust)."""

from __future__ import annotations

import hashlib
from base64 import b64encode
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import PlainTextResponse

from api.auth import public_rate_limit, require
from api.errors import ApiProblem, problem_responses
from api.negotiation import choose
from api.schemas import AnchorOut, ConsistencyOut, EntriesOut, EntryOut, InclusionOut, PolicyOut, TrustOut
from api.services import Services, ServicesDep
from verifier import entries_page
from verifier.limits import MAX_UINT64

router = APIRouter(prefix="/v1", tags=["log"])
public = [Depends(public_rate_limit)]
audit = [Depends(require("audit"))]
_PUBLIC = problem_responses(429, 503)
_PROOF_REQUEST = {
    400: "No such proof (`proof_request`): the index is not below the size, the sizes are out of order, or a size is "
    "beyond the log."
}

#: Most entries in one page of ``GET /v1/entries``.
MAX_PAGE = 1000
#: Tree sizes and indices are unsigned 64-bit in the formats, and signed 64-bit in the databases.
_MAX_INDEX = min(MAX_UINT64, 2**63 - 1)
Index = Annotated[int, Query(ge=0, le=_MAX_INDEX)]
Size = Annotated[int, Query(ge=1, le=_MAX_INDEX)]
NOTE = "text/plain; charset=utf-8"
#: Both representations of an entries page say that they depend on the request's ``Accept`` header.
_VARY = {"Vary": "Accept"}


def _note(text: str) -> PlainTextResponse:
    return PlainTextResponse(text, media_type=NOTE)


@router.get(
    "/checkpoint",
    response_class=PlainTextResponse,
    responses=problem_responses(
        404, 429, 503, meanings={404: "No checkpoint has been published yet (`no_checkpoint`)."}
    ),
    dependencies=public,
)
def latest_checkpoint(found: ServicesDep) -> PlainTextResponse:
    """The latest signed checkpoint (C2SP signed note), as text."""
    checkpoint = found.ledger.latest_checkpoint()
    if checkpoint is None:
        raise ApiProblem(404, "no_checkpoint", "no checkpoint has been published yet")
    return _note(checkpoint.note)


@router.get(
    "/checkpoints/{size}",
    response_class=PlainTextResponse,
    responses=problem_responses(
        401, 403, 404, 422, 503, meanings={404: "No checkpoint was published at this size (`checkpoint_not_found`)."}
    ),
    dependencies=audit,
)
def checkpoint_at(size: Annotated[int, Path(ge=0, le=_MAX_INDEX)], found: ServicesDep) -> PlainTextResponse:
    """The signed checkpoint published at tree size ``size``."""
    checkpoint = found.ledger.checkpoint(size)
    if checkpoint is None:
        raise ApiProblem(404, "checkpoint_not_found", f"no checkpoint was published at size {size}", tree_size=size)
    return _note(checkpoint.note)


@router.get(
    "/proofs/inclusion",
    response_model=InclusionOut,
    responses=problem_responses(400, 401, 403, 422, 503, meanings=_PROOF_REQUEST),
    dependencies=audit,
)
def inclusion_proof(index: Index, size: Size, found: ServicesDep) -> InclusionOut:
    """The inclusion proof of entry ``index`` in the tree of ``size`` (RFC 9162 §2.1.3)."""
    proof = found.ledger.inclusion_proof(index, size)
    return InclusionOut(index=index, tree_size=size, proof=[h.hex() for h in proof])


@router.get(
    "/proofs/consistency",
    response_model=ConsistencyOut,
    response_model_by_alias=True,
    responses=problem_responses(400, 401, 403, 422, 503, meanings=_PROOF_REQUEST),
    dependencies=audit,
)
def consistency_proof(
    size1: Annotated[int, Query(alias="from", ge=1, le=_MAX_INDEX)],
    size2: Annotated[int, Query(alias="to", ge=1, le=_MAX_INDEX)],
    found: ServicesDep,
) -> ConsistencyOut:
    """The consistency proof from tree size ``from`` to ``to`` (RFC 9162 §2.1.4)."""
    proof = found.ledger.consistency_proof(size1, size2)
    return ConsistencyOut(size1=size1, size2=size2, proof=[h.hex() for h in proof])


_ENTRIES_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The page: JSON by default; the compact binary page (docs/evidence-formats.md) when the "
        f"`Accept` header prefers `{entries_page.MEDIA_TYPE}`.",
        "content": {entries_page.MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    },
    **problem_responses(401, 403, 422, 503),
}
_ENTRIES_OFFERS = ("application/json", entries_page.MEDIA_TYPE)


@router.get("/entries", response_model=EntriesOut, responses=_ENTRIES_RESPONSES, dependencies=audit)
def entries(
    request: Request,
    response: Response,
    start: Index,
    found: ServicesDep,
    end: Annotated[int | None, Query(ge=0, le=_MAX_INDEX)] = None,
) -> EntriesOut | Response:
    """Raw entries ``start <= index < end``, at most 1,000 per page; ``next`` is where the next page starts.

    Answered as JSON (each entry base64), or as a binary page when the ``Accept`` header prefers
    ``application/vnd.hotline.entries``: the same page either way.
    """
    stop = min(start + MAX_PAGE, _MAX_INDEX if end is None else end, _MAX_INDEX)
    stored, tree_size = found.ledger.entry_data(start, stop)
    stop = start + len(stored)
    wanted_end = tree_size if end is None else min(end, tree_size)
    following = stop if start < stop < wanted_end else None
    accept = ", ".join(request.headers.getlist("accept"))
    if choose(accept, _ENTRIES_OFFERS) == entries_page.MEDIA_TYPE:
        body = entries_page.encode(start, tree_size, following, stored)
        return Response(body, media_type=entries_page.MEDIA_TYPE, headers=_VARY)
    response.headers.update(_VARY)
    return EntriesOut(
        start=start,
        end=stop,
        tree_size=tree_size,
        entries=[EntryOut(index=start + n, data=b64encode(data).decode()) for n, data in enumerate(stored)],
        next=following,
    )


@router.get("/anchors", response_model=list[AnchorOut], responses=_PUBLIC, dependencies=public)
def anchors(found: ServicesDep) -> list[AnchorOut]:
    """Checkpoints anchored on chain, in the order they were recorded (those dropped by a reorg left out)."""
    return [AnchorOut.of(anchor) for anchor in found.ledger.anchors()]


def _policy_out(found: Services, policy_id: str) -> PolicyOut:
    policy = found.ledger.policies[policy_id]
    return PolicyOut(id=policy.id, name=policy.name, version=policy.version, document=dict(policy.document))


@router.get("/policies", response_model=list[PolicyOut], responses=_PUBLIC, dependencies=public)
def policies(found: ServicesDep) -> list[PolicyOut]:
    """The workflow policies published in this log, in full."""
    return [_policy_out(found, policy_id) for policy_id in sorted(dict(found.ledger.policies))]


@router.get(
    "/policies/{policy_id}",
    response_model=PolicyOut,
    responses=problem_responses(
        404, 422, 429, 503, meanings={404: "No such policy is published in this log (`policy_not_found`)."}
    ),
    dependencies=public,
)
def policy(policy_id: str, found: ServicesDep) -> PolicyOut:
    """One published workflow policy by its id ``name@<12 hex>``."""
    if policy_id not in found.ledger.policies:
        raise ApiProblem(404, "policy_not_found", f"no policy {policy_id!r} is published in this log")
    return _policy_out(found, policy_id)


@router.get("/trust", response_model=TrustOut, responses=_PUBLIC, dependencies=public)
def trust(found: ServicesDep) -> TrustOut:
    """The log's origin, the operator's verifier key, and where it is anchored (null when not configured)."""
    origin = found.ledger.origin
    return TrustOut(
        origin=origin,
        verifier_key=found.ledger.signer.vkey,
        exporter_key=found.exporter.vkey,
        log_id=hashlib.sha256(origin.encode()).hexdigest(),
        chain_id=found.settings.chain_id,
        contract=found.settings.contract_address,
    )
