"""The writer's hot statements as plain driver SQL, the same text on SQLite and PostgreSQL.

SQLAlchemy Core statements are built, looked up in the compiled cache and bound on every call:
about a millisecond of CPU per writer transaction on this machine, paid by every group commit
and every single-transition request. The few statements every append runs are fixed text here,
handed to the driver (``Connection.exec_driver_sql``) with its own parameter marks.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection


@cache
def _marks(paramstyle: str, count: int) -> str:
    mark = "?" if paramstyle == "qmark" else "%s"
    return ", ".join([mark] * count)


def marks(conn: Connection, count: int) -> str:
    """``count`` parameter marks in the driver's style, comma-separated (``?, ?`` or ``%s, %s``)."""
    return _marks(conn.dialect.paramstyle, count)


def rows(conn: Connection, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
    """Run one statement written with ``marks`` and return its rows (positional)."""
    return list(conn.exec_driver_sql(sql, tuple(parameters)).all())


def rows_where_in(conn: Connection, select: str, column: str, values: Sequence[Any]) -> list[Any]:
    """The rows of ``SELECT … WHERE column IN (values)``; ``select`` is the statement up to ``WHERE``."""
    return rows(conn, f"{select} WHERE {column} IN ({marks(conn, len(values))})", values)


def execute(conn: Connection, sql: str, parameters: Sequence[Any] = ()) -> None:
    """Run one statement written with ``marks`` that returns no rows."""
    conn.exec_driver_sql(sql, tuple(parameters))


def execute_many(conn: Connection, sql: str, parameters: list[tuple[Any, ...]]) -> None:
    """Run one statement written with ``marks`` for every tuple of ``parameters`` (the driver's executemany)."""
    conn.exec_driver_sql(sql, parameters)
