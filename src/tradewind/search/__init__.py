"""Search: owns the product search index and the queries over it. ``analysis`` is the pure part
(text and query analysis, product documents, ranking); ``service`` searches, suggests and keeps the
index in step with the catalog. The SQLite FTS5 and PostgreSQL adapters, filters, facets, hits and
pricing are private to the context.
"""

__all__ = ["analysis", "service"]
