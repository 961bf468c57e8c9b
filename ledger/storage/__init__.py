"""The only package of the ledger that imports SQLAlchemy: schema, migrations, engines, repository."""

from ledger.storage.leadership import Leadership
from ledger.storage.store import LedgerStore, ReadView, StorageError, WriteView

__all__ = ["Leadership", "LedgerStore", "ReadView", "StorageError", "WriteView"]
