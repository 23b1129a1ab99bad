"""Run Alembic migrations programmatically (``tradewind migrate`` and the test harness use this)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic's autogenerate filter: leave out what migrations create outside the models.

    Migration 0003s (search) makes objects ``tradewind.db.tables`` cannot describe: on SQLite
    the FTS5 virtual table ``search_fts`` and the shadow tables FTS5 makes for it
    (``search_fts_data``, ``_idx``, ``_docsize``, ``_config``); on PostgreSQL the generated
    ``search_documents.tsv`` column and its GIN index ``ix_search_documents_tsv`` (left out of
    the models so that SQLAlchemy never writes the generated column). Without this filter a
    generated migration would drop them; the drift test (tests/integration/test_migrations.py)
    uses the same filter, so nothing else can hide here.
    """
    if not reflected or compare_to is not None:
        return True  # only objects in the database and absent from the models are skipped
    if type_ == "table":
        return not str(name).startswith("search_fts")
    if type_ == "column":
        return (obj.table.name, name) != ("search_documents", "tsv")
    if type_ == "index":
        return name != "ix_search_documents_tsv"
    return True


def script_directory() -> ScriptDirectory:
    """The migration scripts, to read the revision graph without a database."""
    return ScriptDirectory.from_config(alembic_config())


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Undo migrations down to ``revision``; every migration's ``downgrade`` must work
    (tests/integration/test_migrations.py round-trips base -> head -> base -> head)."""
    command.downgrade(alembic_config(engine), revision)


def current_heads(engine: Engine) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())
