"""The only package of the ledger that imports SQLAlchemy: schema, migrations, engines, repository."""

from ledger.storage.access import ApiKeyStore
from ledger.storage.leadership import Leadership
from ledger.storage.store import DATABASE_UNAVAILABLE, LedgerStore, ReadView, StorageError, WriteView

__all__ = [
    "DATABASE_UNAVAILABLE",
    "ApiKeyStore",
    "Leadership",
    "LedgerStore",
    "ReadView",
    "StorageError",
    "WriteView",
]
