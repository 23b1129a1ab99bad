"""Dialect-neutral statement helpers (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_ignoring_conflicts(conn: Connection, table: Table, rows: Any) -> int:
    """INSERT ... ON CONFLICT DO NOTHING; returns how many rows went in.

    Why not a SELECT first and a savepointed INSERT: that is three more round trips on the
    hottest paths (idempotency claims, timers), and on PostgreSQL ON CONFLICT also waits for a
    concurrent inserter of the same key to commit, which is exactly the queueing we want.
    """
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    key = next(iter(table.primary_key.columns))
    # RETURNING, not rowcount: psycopg reports -1 for rowcount on INSERT ... ON CONFLICT.
    statement = dialect.insert(table).on_conflict_do_nothing().returning(key)
    if isinstance(rows, list):
        return len(conn.execute(statement, rows).all()) if rows else 0
    return len(conn.execute(statement, rows).all())
