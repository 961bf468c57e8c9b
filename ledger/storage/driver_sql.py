"""The writer's hot statements as plain driver SQL, the same text on SQLite and PostgreSQL.

SQLAlchemy runs every statement, even ``exec_driver_sql`` text, through its execution context,
events and result objects: ~40 % of the CPU of a one-transition writer transaction, which every
single-transition request and every group commit pays. The statements every append runs are fixed
text here, executed on the transaction's own DBAPI connection (so inside the same transaction),
with the driver's parameter marks. Driver errors are wrapped as SQLAlchemy's, as if it had run them,
so callers see the same exceptions (``DATABASE_UNAVAILABLE``, integrity errors) either way.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError


@cache
def _marks(paramstyle: str, count: int) -> str:
    mark = "?" if paramstyle == "qmark" else "%s"
    return ", ".join([mark] * count)


def marks(conn: Connection, count: int) -> str:
    """``count`` parameter marks in the driver's style, comma-separated (``?, ?`` or ``%s, %s``)."""
    return _marks(conn.dialect.paramstyle, count)


@contextmanager
def _cursor(conn: Connection, sql: str, parameters: Any) -> Iterator[Any]:
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    driver_error = conn.dialect.loaded_dbapi.Error
    try:
        yield cursor
    except driver_error as exc:
        raise DBAPIError.instance(sql, parameters, exc, driver_error) from exc
    finally:
        cursor.close()


def rows(conn: Connection, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run one statement written with ``marks`` and return its rows as tuples."""
    with _cursor(conn, sql, parameters) as cursor:
        cursor.execute(sql, tuple(parameters))
        return list(cursor.fetchall())


def rows_where_in(conn: Connection, select: str, column: str, values: Sequence[Any]) -> list[tuple[Any, ...]]:
    """The rows of ``SELECT … WHERE column IN (values)``; ``select`` is the statement up to ``WHERE``."""
    return rows(conn, f"{select} WHERE {column} IN ({marks(conn, len(values))})", values)


def execute(conn: Connection, sql: str, parameters: Sequence[Any] = ()) -> None:
    """Run one statement written with ``marks`` that returns no rows."""
    with _cursor(conn, sql, parameters) as cursor:
        cursor.execute(sql, tuple(parameters))


def execute_many(conn: Connection, sql: str, parameters: list[tuple[Any, ...]]) -> None:
    """Run one statement written with ``marks`` for every tuple of ``parameters`` (the driver's executemany)."""
    with _cursor(conn, sql, parameters) as cursor:
        cursor.executemany(sql, parameters)
