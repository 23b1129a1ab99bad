"""Migrations kept honest: one head, files in revision order, no drift, a working round trip.

Nothing here lists revisions by hand: the chain is read from Alembic's script directory, so
the tests keep holding as migrations are added.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, make_url, text

from tradewind.db.engine import make_engine
from tradewind.db.migrate import (
    MIGRATIONS_DIR,
    downgrade,
    include_object,
    script_directory,
    upgrade,
)
from tradewind.db.tables import metadata

VERSIONS = MIGRATIONS_DIR / "versions"


def _chain() -> list[str]:
    """Revision ids from base to head."""
    return [script.revision for script in reversed(list(script_directory().walk_revisions()))]


def test_there_is_exactly_one_head() -> None:
    assert len(script_directory().get_heads()) == 1


def test_file_names_sort_in_revision_order() -> None:
    scripts = {
        script.revision: Path(script.path).name for script in script_directory().walk_revisions()
    }
    in_name_order = sorted(p.name for p in VERSIONS.glob("*.py") if p.name != "__init__.py")
    assert in_name_order == [scripts[revision] for revision in _chain()]


def test_every_revision_has_one_parent_and_names_it_in_its_docstring() -> None:
    for script in script_directory().walk_revisions():
        assert not isinstance(script.down_revision, tuple), f"{script.revision} is a merge"
        assert script.doc, f"{script.path} has no docstring"
        body = Path(script.path).read_text(encoding="utf-8")
        assert f"Revision ID: {script.revision}\n" in body
        assert f"Revises: {script.down_revision or ''}".rstrip() + "\n" in body


# --- fresh databases ------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of its own (never the shared, migrated test database)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}", pool_size=2)
        yield engine
        engine.dispose()
        return
    server_url = make_url(request.getfixturevalue("postgres_url"))
    name = f"tw_migrations_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(server_url.set(database=name).render_as_string(False), pool_size=2)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- drift between the models and the migrated schema ---------------------------------------


def _drift(engine: Engine) -> list[Any]:
    """What autogenerate would put in a new migration; the options are those of env.py, and
    ``include_object`` leaves out only the search objects the models cannot describe."""
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_object": include_object,
            },
        )
        return list(compare_metadata(context, metadata))


def _check_constraints(engine: Engine) -> dict[str, list[str]]:
    """CHECK constraint names per model table (autogenerate does not compare them)."""
    found = inspect(engine)
    return {
        table: sorted(str(check["name"]) for check in found.get_check_constraints(table))
        for table in metadata.tables
    }


def test_the_models_match_the_migrated_schema(fresh_engine: Engine) -> None:
    upgrade(fresh_engine)
    assert _drift(fresh_engine) == []
    models = create_engine("sqlite://")  # what the models alone create (names are dialect-free)
    metadata.create_all(models)
    assert _check_constraints(fresh_engine) == _check_constraints(models)
    models.dispose()


# --- downgrade to base and back --------------------------------------------------------------


def _schema(engine: Engine) -> dict[str, Any]:
    """Everything a migration creates, in comparable form: tables, columns, keys, indexes,
    constraints, and the objects the models cannot describe (triggers, functions, FTS)."""
    found = inspect(engine)
    tables = {
        table: {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                for c in found.get_columns(table)
            ],
            "pk": found.get_pk_constraint(table),
            "fks": sorted(map(repr, found.get_foreign_keys(table))),
            "indexes": sorted(map(_index_text, found.get_indexes(table))),
            "uniques": sorted(map(repr, found.get_unique_constraints(table))),
            "checks": sorted(map(repr, found.get_check_constraints(table))),
        }
        for table in found.get_table_names()
    }
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            extra = conn.execute(
                text(
                    "SELECT type, name, tbl_name, sql FROM sqlite_master "
                    "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
                )
            ).all()
        else:
            extra = conn.execute(
                text(
                    "SELECT 'trigger', tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
                    "WHERE NOT tgisinternal "
                    "UNION ALL SELECT 'function', proname, pg_get_functiondef(p.oid) "
                    "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                    "WHERE n.nspname = 'public' "
                    "UNION ALL SELECT 'sequence', sequencename, data_type::text "
                    "FROM pg_sequences WHERE schemaname = 'public' "
                    "UNION ALL SELECT 'type', typname, typtype::text FROM pg_type y "
                    "JOIN pg_namespace n ON n.oid = y.typnamespace "
                    "WHERE n.nspname = 'public' AND typtype IN ('e', 'd') "
                    "ORDER BY 1, 2"
                )
            ).all()
    return {"tables": tables, "other": [_normalized(tuple(row)) for row in extra]}


def _normalized(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """SQLite's CREATE TABLE text with its clauses sorted: Alembic's batch mode (the copy and
    move that SQLite's ALTER TABLE needs) writes a rebuilt table's constraints in set order,
    which changes from run to run. Same clauses, same table; the inspector's view above is
    compared as is."""
    if row[0] != "table" or not isinstance(row[3], str):
        return row
    head, _, body = row[3].partition("(")
    clauses = tuple(sorted(clause.strip() for clause in body.rstrip().rstrip(")").split(", \n")))
    return (*row[:3], head, clauses)


def _index_text(index: Any) -> str:
    """An index as text; a partial index's WHERE clause by its SQL, not its object's id."""
    options = {k: str(v) for k, v in index.get("dialect_options", {}).items()}
    return repr({**index, "dialect_options": options})


def test_downgrade_to_base_and_upgrade_again_round_trips(fresh_engine: Engine) -> None:
    upgrade(fresh_engine)
    fresh = _schema(fresh_engine)
    assert fresh["tables"], "the upgrade created nothing"

    downgrade(fresh_engine, "base")
    empty = _schema(fresh_engine)
    assert list(empty["tables"]) == ["alembic_version"], "a downgrade left tables behind"
    assert empty["other"] == [
        row for row in empty["other"] if row[1].startswith(("alembic_version", "pk_alembic"))
    ], "a downgrade left triggers, functions, sequences or types behind"

    upgrade(fresh_engine)
    assert _schema(fresh_engine) == fresh
    assert _drift(fresh_engine) == []
