"""Pure search domain: text and query analysis, product documents, ranking (no I/O)."""
