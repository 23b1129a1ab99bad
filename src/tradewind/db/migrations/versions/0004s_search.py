"""search: analyzed documents, vocabulary, stats; FTS5 on SQLite, weighted tsvector on PostgreSQL

Revision ID: 0003s
Revises: 0004f
Create Date: 2026-11-26 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003s"
down_revision: str | None = "0004f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIELDS = ("title", "brand", "model", "kind", "description", "attributes", "parts")

# SQLite: an external-content FTS5 table over search_documents, kept in step by triggers.
# The 'ascii' tokenizer only splits on ASCII punctuation and spaces; the text is already
# analyzed by tradewind.search.analysis, so it never re-tokenizes differently from Python.
_COLUMNS = ", ".join(FIELDS)
_NEW = ", ".join(f"new.{f}" for f in FIELDS)
_OLD = ", ".join(f"old.{f}" for f in FIELDS)
SQLITE_UP = [
    f"CREATE VIRTUAL TABLE search_fts USING fts5({_COLUMNS}, tokenize='ascii', "
    "content='search_documents', content_rowid='doc_id')",
    "CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN "  # noqa: S608
    f"INSERT INTO search_fts(rowid, {_COLUMNS}) VALUES (new.doc_id, {_NEW}); END",
    "CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN "  # noqa: S608
    f"INSERT INTO search_fts(search_fts, rowid, {_COLUMNS}) "
    f"VALUES ('delete', old.doc_id, {_OLD}); END",
    "CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN "  # noqa: S608
    f"INSERT INTO search_fts(search_fts, rowid, {_COLUMNS}) "
    f"VALUES ('delete', old.doc_id, {_OLD}); "
    f"INSERT INTO search_fts(rowid, {_COLUMNS}) VALUES (new.doc_id, {_NEW}); END",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS search_documents_au",
    "DROP TRIGGER IF EXISTS search_documents_ad",
    "DROP TRIGGER IF EXISTS search_documents_ai",
    "DROP TABLE IF EXISTS search_fts",
]

# PostgreSQL: ts_rank's four weight classes. A: title, model; B: kind, brand;
# C: description, parts; D: attributes. 'simple' only lower-cases, and the text is analyzed.
_WEIGHTS = {
    "title": "A",
    "model": "A",
    "kind": "B",
    "brand": "B",
    "description": "C",
    "parts": "C",
    "attributes": "D",
}
_TSV = " || ".join(
    f"setweight(to_tsvector('simple'::regconfig, {field}), '{weight}')"
    for field, weight in _WEIGHTS.items()
)
POSTGRES_UP = [
    f"ALTER TABLE search_documents ADD COLUMN tsv tsvector GENERATED ALWAYS AS ({_TSV}) STORED",
    "CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)",
]


def upgrade() -> None:
    op.create_table(
        "search_documents",
        sa.Column("doc_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("product_id", sa.String(length=40), nullable=False),
        *(sa.Column(field, sa.Text(), nullable=False) for field in FIELDS),
        sa.Column("heads", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_search_documents_product_id_products")
        ),
        sa.PrimaryKeyConstraint("doc_id", name=op.f("pk_search_documents")),
        sa.UniqueConstraint("product_id", name=op.f("uq_search_documents_product_id")),
    )
    op.create_table(
        "search_terms",
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("term", name=op.f("pk_search_terms")),
    )
    op.create_table(
        "search_stats",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_search_stats")),
    )
    statements = SQLITE_UP if op.get_bind().dialect.name == "sqlite" else POSTGRES_UP
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
    op.drop_table("search_stats")
    op.drop_table("search_terms")
    op.drop_table("search_documents")
