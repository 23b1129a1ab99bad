"""Product search: pure analysis and ranking, SQLite FTS5 and PostgreSQL adapters, use cases."""
