"""Alembic environment: migrations run on the engine handed in by ``tradewind.db.migrate``."""

from alembic import context
from sqlalchemy import Engine

from tradewind.db.migrate import include_object
from tradewind.db.tables import metadata

engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError("run migrations through 'tradewind migrate' (tradewind.db.migrate.upgrade)")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=engine.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
