"""product texts: titles and descriptions per language; products.language; search field local

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 01:00:00

``product_texts`` (catalog) holds a product's title and description in other languages than
the one its seller wrote it in (``products.language``, ``en`` for every existing product).
Search gets one more analyzed field, ``local``, with those texts: on SQLite the FTS5 table is
rebuilt with the new column (an FTS5 table cannot gain one), on PostgreSQL the generated
``tsv`` is re-created with ``local`` in weight class A. Existing documents get an empty
``local``; a re-index (``search.reindex_all``, which ``tradewind import chorus`` runs) fills it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_FIELDS = ("title", "brand", "model", "kind", "description", "attributes", "parts")
NEW_FIELDS = (*OLD_FIELDS, "local")
WEIGHTS = {
    "title": "A",
    "model": "A",
    "local": "A",
    "kind": "B",
    "brand": "B",
    "description": "C",
    "parts": "C",
    "attributes": "D",
}


def _sqlite_fts(fields: Sequence[str]) -> list[str]:
    columns = ", ".join(fields)
    new = ", ".join(f"new.{f}" for f in fields)
    old = ", ".join(f"old.{f}" for f in fields)
    return [
        "DROP TRIGGER IF EXISTS search_documents_au",
        "DROP TRIGGER IF EXISTS search_documents_ad",
        "DROP TRIGGER IF EXISTS search_documents_ai",
        "DROP TABLE IF EXISTS search_fts",
        f"CREATE VIRTUAL TABLE search_fts USING fts5({columns}, tokenize='ascii', "
        "content='search_documents', content_rowid='doc_id')",
        "CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN "  # noqa: S608
        f"INSERT INTO search_fts(rowid, {columns}) VALUES (new.doc_id, {new}); END",
        "CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN "  # noqa: S608
        f"INSERT INTO search_fts(search_fts, rowid, {columns}) "
        f"VALUES ('delete', old.doc_id, {old}); END",
        "CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN "  # noqa: S608
        f"INSERT INTO search_fts(search_fts, rowid, {columns}) "
        f"VALUES ('delete', old.doc_id, {old}); "
        f"INSERT INTO search_fts(rowid, {columns}) VALUES (new.doc_id, {new}); END",
        "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
    ]


def _postgres_tsv(fields: Sequence[str]) -> list[str]:
    tsv = " || ".join(
        f"setweight(to_tsvector('simple'::regconfig, {f}), '{WEIGHTS[f]}')" for f in fields
    )
    return [
        "DROP INDEX IF EXISTS ix_search_documents_tsv",
        "ALTER TABLE search_documents DROP COLUMN IF EXISTS tsv",
        f"ALTER TABLE search_documents ADD COLUMN tsv tsvector GENERATED ALWAYS AS ({tsv}) STORED",
        "CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)",
    ]


def _index(fields: Sequence[str]) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _sqlite_fts(fields) if sqlite else _postgres_tsv(fields):
        op.execute(statement)


def upgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=8), server_default="en", nullable=False)
        )
    op.create_table(
        "product_texts",
        sa.Column("product_id", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_product_texts_product_id_products")
        ),
        sa.PrimaryKeyConstraint("product_id", "language", name=op.f("pk_product_texts")),
    )
    if op.get_bind().dialect.name == "sqlite":
        for statement in _sqlite_fts(OLD_FIELDS)[:3]:  # batch mode copies the table
            op.execute(statement)
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("local", sa.Text(), server_default="", nullable=False))
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.alter_column("local", existing_type=sa.Text(), server_default=None)
    _index(NEW_FIELDS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _sqlite_fts(NEW_FIELDS)[:4]:
            op.execute(statement)
    else:
        op.execute("DROP INDEX IF EXISTS ix_search_documents_tsv")
        op.execute("ALTER TABLE search_documents DROP COLUMN IF EXISTS tsv")
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.drop_column("local")
    _index(OLD_FIELDS)
    op.drop_table("product_texts")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("language")
