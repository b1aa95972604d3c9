"""Alembic environment: the engine comes from the caller (`audit db upgrade`) or settings."""

from alembic import context
from sqlmodel import SQLModel

from audit.settings import from_env
from audit.storage import models  # noqa: F401  (registers the tables)
from audit.storage.db import Database

config = context.config
engine = config.attributes.get("engine") or Database(from_env()).write_engine

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds a table by copy, drop and rename; SQLite refuses to drop a table
        # other tables point at while foreign keys are enforced, and the pragma only takes
        # effect outside a transaction: switch it off on the raw connection first, then check
        # every reference once the migrations are done, and switch it back on.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
    try:
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration left rows pointing nowhere: {broken[:5]}")
    finally:
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
