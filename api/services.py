"""What the routes work with, built once per app from its settings: the ledger, its writer, keys, limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from api.backlog import BacklogMonitor
from api.group_commit import GroupCommitter
from api.lockout import Lockout
from api.metrics import Metrics
from api.ratelimit import RateLimiter
from api.settings import Settings
from ledger.api_keys import ApiKeys
from ledger.config import DEFAULT_ORIGIN, DataDir
from ledger.exports import exporter_key
from ledger.query_codes import KEY_FILE, QueryCodeKey
from ledger.service import Ledger
from verifier.note import NoteSigner


@dataclass
class Services:
    settings: Settings
    ledger: Ledger
    committer: GroupCommitter
    api_keys: ApiKeys
    query_codes: QueryCodeKey
    backlog: BacklogMonitor
    public_limiter: RateLimiter
    query_code_limiter: RateLimiter
    exporter: NoteSigner
    query_code_lockout: Lockout

    @classmethod
    def open(cls, settings: Settings, metrics: Metrics) -> Services:
        """Open the data directory's log (initialising it when new) and start the group committer.

        Raises:
            LogStateError: the data directory disagrees with the settings, or holds a development
                operator key outside development mode.
        """
        data = DataDir(settings.data_dir)
        data.init(settings.origin or _existing_origin(data), settings.database_url)
        ledger = data.open_ledger(development=settings.development, operator_key=settings.operator_key_file)
        query_codes = QueryCodeKey.load_or_create(data.keys / KEY_FILE)
        committer = GroupCommitter(
            ledger,
            query_codes=query_codes,
            max_requests=settings.group_max_requests,
            max_wait=settings.group_max_wait_ms / 1000,
        )
        backlog = BacklogMonitor(ledger, refresh=settings.backlog_refresh_seconds)
        metrics.watch(backlog, committer)
        committer.start()
        return cls(
            settings=settings,
            ledger=ledger,
            committer=committer,
            api_keys=ApiKeys.of(ledger.store, cache_seconds=settings.api_key_cache_seconds),
            query_codes=query_codes,
            backlog=backlog,
            public_limiter=RateLimiter(settings.public_rate_per_second, settings.public_burst),
            query_code_limiter=RateLimiter(settings.query_code_rate_per_minute / 60, settings.query_code_burst),
            exporter=exporter_key(data, ledger, development=settings.development),
            query_code_lockout=Lockout(settings.query_code_max_failures, settings.query_code_lockout_seconds),
        )

    def close(self) -> None:
        self.committer.close()
        self.ledger.store.close()


def _existing_origin(data: DataDir) -> str:
    return data.settings()["origin"] if data.exists() else DEFAULT_ORIGIN


async def services(request: Request) -> Services:
    """The app's services (a FastAPI dependency; async, so FastAPI calls it on the event loop, not in a thread)."""
    found: Services = request.app.state.services
    return found


#: A route's parameter for the app's services.
ServicesDep = Annotated[Services, Depends(services)]
