"""API keys in the database: every SQL statement about who may use the HTTP API lives here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, insert, select, update

from ledger.records import StoredApiKey
from ledger.storage.schema import api_keys

SCOPE_SEPARATOR = ","


class ApiKeyStore:
    """The ``api_keys`` table of a ledger database (one short transaction per call)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, key: StoredApiKey) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                insert(api_keys).values(
                    id=key.id,
                    name=key.name,
                    scopes=SCOPE_SEPARATOR.join(key.scopes),
                    token_hash=key.token_hash,
                    created_at=key.created_at,
                    revoked_at=key.revoked_at,
                )
            )

    def get(self, key_id: str) -> StoredApiKey | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
        return None if row is None else _api_key(row)

    def all(self) -> list[StoredApiKey]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(api_keys).order_by(api_keys.c.created_at, api_keys.c.id)).all()
        return [_api_key(row) for row in rows]

    def revoke(self, key_id: str, revoked_at: int) -> bool:
        """Stamp the key revoked; ``False`` when there is no such key or it was revoked already."""
        query = (
            update(api_keys)
            .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=revoked_at)
        )
        with self._engine.begin() as conn:
            return conn.execute(query).rowcount == 1


def _api_key(row: Any) -> StoredApiKey:
    scopes = tuple(s for s in row.scopes.split(SCOPE_SEPARATOR) if s)
    return StoredApiKey(row.id, row.name, scopes, bytes(row.token_hash), row.created_at, row.revoked_at)
