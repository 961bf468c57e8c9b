"""Regulators' exports over HTTP (scope ``export``; disclosure of payloads also needs ``admin``).

``POST /v1/exports`` writes the signed bundle into the data directory (``exports/<id>.json``), records the
export in the log, and answers where to fetch it; ``GET /v1/exports/{id}`` serves the bundle.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.auth import require
from api.errors import ApiProblem, problem_responses
from api.services import ServicesDep
from ledger.exports import EXPORT_ID_RE, MAX_FILTER_TICKETS, ExportFilter, write_export
from ledger.records import StoredApiKey
from verifier.entry import ORG_RE, TICKET_RE
from verifier.names import CODE_RE

router = APIRouter(prefix="/v1", tags=["exports"])
MAX_TICKETS = MAX_FILTER_TICKETS


def _pattern(regex: object) -> str:
    return f"^(?:{regex.pattern})$"  # type: ignore[attr-defined]


class ExportIn(BaseModel):
    """Which tickets to export: those ``org`` acted on between ``from`` and ``to`` (inclusive), optionally only
    the ``tickets`` named and those now in one of ``states``; ``disclose`` adds payloads (needs ``admin``)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    org: str | None = Field(None, pattern=_pattern(ORG_RE))
    start: date | None = Field(None, alias="from")
    end: date | None = Field(None, alias="to")
    tickets: list[Annotated[str, Field(pattern=_pattern(TICKET_RE))]] = Field(
        default_factory=list, max_length=MAX_TICKETS
    )
    states: list[Annotated[str, Field(pattern=_pattern(CODE_RE))]] = Field(default_factory=list, max_length=50)
    disclose: bool = False
    reason: str | None = Field(None, min_length=1, max_length=200, description="Why; recorded with the export.")


class ExportOut(BaseModel):
    id: str
    tickets: int
    entries: int
    sha256: str
    index: int = Field(description="The export's own entry in the log (hotline.export/v1).")
    tree_size: int = Field(description="The anchored checkpoint the bundle is proved against.")
    bundle: str = Field(description="Where to fetch the bundle.")


@router.post(
    "/exports",
    status_code=201,
    response_model=ExportOut,
    responses=problem_responses(
        400,
        401,
        403,
        409,
        413,
        422,
        503,
        meanings={
            403: "The key lacks `export`, or asks to disclose without `admin` (`insufficient_scope`).",
            409: "Nothing is anchored yet (`not_anchored_yet`).",
            422: "The filter selects nothing or names an unknown ticket (`export_refused`), or is malformed.",
        },
    ),
)
async def create_export(
    body: ExportIn, found: ServicesDep, key: Annotated[StoredApiKey, Depends(require("export"))]
) -> ExportOut:
    """Export every anchored entry of the selected tickets as a signed bundle; the export itself is logged."""
    if body.disclose and "admin" not in key.scopes:
        message = f"the API key {key.id} lacks the scope 'admin' needed to disclose payloads"
        raise ApiProblem(403, "insufficient_scope", message, required_scope="admin")
    chosen = ExportFilter(
        body.org, body.start, body.end, tuple(body.tickets), tuple(body.states), body.disclose, body.reason
    )
    directory = found.settings.data_dir / "exports"
    directory.mkdir(parents=True, exist_ok=True)
    staging = directory / f".staging-{secrets.token_hex(8)}.json"
    result = await run_in_threadpool(
        write_export, found.ledger, chosen, staging, signer=found.exporter, by=f"api-key:{key.id}"
    )
    staging.replace(directory / f"{result.id}.json")
    return ExportOut(
        id=result.id,
        tickets=result.tickets,
        entries=result.entries,
        sha256=result.sha256.hex(),
        index=result.index,
        tree_size=result.tree_size,
        bundle=f"/v1/exports/{result.id}",
    )


@router.get(
    "/exports/{export_id}",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/json": {}}, "description": "The signed bundle (hotline.bundle/v1)."},
        **problem_responses(401, 403, 404, 422, 503, meanings={404: "No such export (`export_not_found`)."}),
    },
    dependencies=[Depends(require("export"))],
)
def get_export(export_id: Annotated[str, Path(max_length=64)], found: ServicesDep) -> FileResponse:
    """An export's bundle, as written."""
    path = found.settings.data_dir / "exports" / f"{export_id}.json"
    if not EXPORT_ID_RE.fullmatch(export_id) or not path.is_file():
        raise ApiProblem(404, "export_not_found", f"no export {export_id!r}")
    return FileResponse(path, media_type="application/json", filename=f"{export_id}.json")
