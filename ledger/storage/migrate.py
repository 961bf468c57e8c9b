"""Bring a database to the newest schema with Alembic, on a connection the caller owns."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from ledger.storage.engine import request_write_lock

MIGRATIONS = Path(__file__).parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


#: The PostgreSQL advisory lock that serialises migrations of replicas starting together.
MIGRATION_LOCK = 0x686F746C696E65  # "hotline"


def upgrade(engine: Engine) -> None:
    """Apply every migration the database has not seen yet (idempotent).

    Replicas that start together migrate one after the other, in one transaction each: the
    first does the work, the others then find the schema current.
    """
    config = _config()
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        else:
            request_write_lock(conn)
            conn.exec_driver_sql("SELECT 1")
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        conn.commit()


def is_current(engine: Engine) -> bool:
    """Whether the database is at the newest migration."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision() == head
