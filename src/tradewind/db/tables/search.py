"""Search index tables: analyzed product text, the vocabulary and the corpus statistics.

The full-text index itself is per database and created by migration 0003s, outside this
metadata: on SQLite an FTS5 table ``search_fts`` (external content: it reads
``search_documents`` and triggers keep it in step); on PostgreSQL a generated, weighted
``tsvector`` column ``search_documents.tsv`` with a GIN index.
"""

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, String, Table, Text

from tradewind.db.tables.base import ID_LEN, metadata

# One row per product: each field holds analyzed tokens joined by single spaces
# (tradewind.search.analysis), so both databases split them the same way.
search_documents = Table(
    "search_documents",
    metadata,
    Column("doc_id", Integer, primary_key=True, autoincrement=True),
    Column("product_id", String(ID_LEN), ForeignKey("products.id"), nullable=False, unique=True),
    Column("title", Text, nullable=False),
    Column("brand", Text, nullable=False),
    Column("model", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("attributes", Text, nullable=False),
    Column("parts", Text, nullable=False),
    # Titles and descriptions in the other languages (product_texts), analyzed the same way.
    Column("local", Text, nullable=False),
    Column("heads", String(200), nullable=False),
)

# Document frequency of every indexed token: BM25's IDF, typo and prefix lookups.
search_terms = Table(
    "search_terms",
    metadata,
    Column("term", String(64), primary_key=True),
    Column("documents", Integer, nullable=False),
)

# Corpus totals: "documents" and "length:<field>" (tokens summed over all documents).
search_stats = Table(
    "search_stats",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", BigInteger, nullable=False),
)
