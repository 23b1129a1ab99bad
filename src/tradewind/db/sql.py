"""Dialect-neutral statement helpers (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Float, Row, Table, func
from sqlalchemy.dialects import postgresql, sqlite


def insert_ignoring_conflicts(conn: Connection, table: Table, rows: Any) -> int:
    """INSERT ... ON CONFLICT DO NOTHING; returns how many rows went in.

    Why not a SELECT first and a savepointed INSERT: that is three more round trips on the
    hottest paths (idempotency claims, timers), and on PostgreSQL ON CONFLICT also waits for a
    concurrent inserter of the same key to commit, which is exactly the queueing we want.
    """
    key = next(iter(table.primary_key.columns))
    return len(inserted_ignoring_conflicts(conn, table, rows, key))


def inserted_ignoring_conflicts(
    conn: Connection, table: Table, rows: Any, *returning: ColumnElement[Any]
) -> list[Row[Any]]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING ``returning``: the rows that went in.

    RETURNING, not rowcount: psycopg reports -1 for rowcount on INSERT ... ON CONFLICT. A list
    of rows goes in as one multi-row statement (SQLAlchemy's "insertmanyvalues").
    """
    if isinstance(rows, list) and not rows:
        return []
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).on_conflict_do_nothing().returning(*returning)
    return list(conn.execute(statement, rows).all())


def utc_hour(conn: Connection, column: ColumnElement[Any]) -> ColumnElement[str]:
    """``column`` (a UtcDateTime) as its UTC hour, ``"YYYY-MM-DD HH"``, on either database.

    Figures grouped by day are grouped by hour in SQL and folded into the reader's local days
    in Python: one query for every time zone, exact for every zone on a whole-hour offset."""
    if conn.dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24")
    return func.substr(column, 1, 13)  # SQLite keeps "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC


def seconds_between(
    conn: Connection, later: ColumnElement[Any], earlier: ColumnElement[Any]
) -> ColumnElement[float]:
    """``later - earlier`` (both UtcDateTime) in seconds, on either database (NULL if either is)."""
    if conn.dialect.name == "postgresql":
        return func.extract("epoch", later - earlier).cast(Float)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0
