"""The only package of the ledger that imports SQLAlchemy: schema, migrations, engines, repository."""

from ledger.storage.store import LedgerStore, ReadView, StorageError, WriteView

__all__ = ["LedgerStore", "ReadView", "StorageError", "WriteView"]
