"""Storage: table definitions, migrations, engines and the unit of work.

SQLite (WAL) is the embedded default and PostgreSQL the production database; every query here is
written to behave the same on both.
"""
